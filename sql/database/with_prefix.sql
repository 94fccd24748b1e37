-- Databases whose names start with a prefix (taken literally: _ and % are not wildcards here).
SELECT datname FROM pg_database WHERE starts_with(datname, @prefix) ORDER BY datname;
