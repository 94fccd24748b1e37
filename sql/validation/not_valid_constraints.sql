-- Constraints created NOT VALID and never validated: rows they would reject may exist. A foreign key is judged by
-- its orphan check; a CHECK by the rows that fail its expression (NOT (expr): a NULL result passes, as in CHECK).
SELECT c.relname AS table_name, con.conname AS constraint_name, con.contype::text AS kind,
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END AS check_expression
FROM pg_constraint con
JOIN pg_class c     ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT con.convalidated
  AND n.nspname = @schema
ORDER BY c.relname, con.conname;
