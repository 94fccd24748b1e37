-- {0} becomes {1}. Identifiers come quoted by the caller (ALTER DATABASE takes no parameters).
ALTER DATABASE {0} RENAME TO {1};
