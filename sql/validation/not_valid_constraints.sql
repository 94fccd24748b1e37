-- Constraints created NOT VALID and never validated: rows they would reject may exist.
SELECT c.relname AS table_name, con.conname AS constraint_name
FROM pg_constraint con
JOIN pg_class c     ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT con.convalidated
  AND n.nspname = @schema
ORDER BY c.relname, con.conname;
