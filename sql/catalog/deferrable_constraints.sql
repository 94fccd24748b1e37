-- Constraints of the schema declared DEFERRABLE, per table: an upsert checks them once every row is in.
SELECT c.relname, con.conname
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = @schema
  AND con.condeferrable
ORDER BY c.relname, con.conname;
