-- The derived tables whose derivation this database defines: the table and its view v_<table>_derived both exist.
SELECT t.relname AS table_name
FROM pg_class t
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_class v     ON v.relnamespace = n.oid AND v.relname = 'v_' || t.relname || '_derived' AND v.relkind IN ('v', 'm')
WHERE n.nspname = @schema
  AND t.relkind IN ('r', 'p');
