-- The tables of the schema that hold data, i.e. all but the migration journal. Migrating them while
-- they hold rows needs consent; after migrations (Scenario B step 3) each must exist and be empty.
SELECT c.oid::regclass::text AS table_name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'stocks_research'
  AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND c.relname NOT IN ('schemaversions', 'schema_checksums')
ORDER BY 1;
