-- A database's comment (COMMENT ON DATABASE), read from the catalog: it works while the database refuses connections.
SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = @database;
