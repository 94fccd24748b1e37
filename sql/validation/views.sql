-- Every view and materialized view of the schema: each must select without error.
SELECT c.relname AS view_name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm')
  AND n.nspname = @schema
ORDER BY c.relname;
