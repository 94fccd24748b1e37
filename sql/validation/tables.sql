-- Every table of the schema, and whether it has a primary key (partitions answer through their parent).
SELECT c.relname AS table_name,
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') AS has_primary_key
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND n.nspname = @schema
ORDER BY c.relname;
