-- Whether any table of the schema other than the migration journal holds a row: the "non-empty" that
-- makes migrating a database a destructive step needing consent.
SELECT c.oid::regclass::text AS table_name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'stocks_research'
  AND c.relkind IN ('r', 'p')
  AND c.relname NOT IN ('schemaversions', 'schema_checksums')
ORDER BY 1;
