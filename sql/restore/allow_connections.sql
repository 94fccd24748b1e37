-- Whether new sessions may start on database {0} ({1}: true or false); existing ones are not affected.
ALTER DATABASE {0} WITH ALLOW_CONNECTIONS {1};
