-- Every column of every table of the schema, in table and column order, with what it can hold exactly and its
-- place in the table's primary key (NULL: not a key column). numeric(p,s) gives precision and scale through
-- its typmod; NULL for an unconstrained numeric.
SELECT c.relname,
       a.attname,
       t.typname,
       CASE WHEN t.typname = 'numeric' AND a.atttypmod >= 4 THEN ((a.atttypmod - 4) >> 16) & 65535 END AS numeric_precision,
       CASE WHEN t.typname = 'numeric' AND a.atttypmod >= 4 THEN (a.atttypmod - 4) & 65535 END AS numeric_scale,
       a.attnotnull,
       k.position AS key_position
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
LEFT JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON k.attnum = a.attnum
WHERE n.nspname = @schema
  AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition -- a partition answers through its parent
ORDER BY c.relname, a.attnum;
