-- What a copy beside the live database @database needs, about (its size now), and the tablespace it lives in
-- (null: the data directory's pg_default, whose path the caller reads from data_directory).
SELECT pg_database_size(d.oid),
       CASE WHEN t.spcname = 'pg_default' THEN NULL ELSE pg_tablespace_location(t.oid) END
FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace
WHERE d.datname = @database;
