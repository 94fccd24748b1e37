-- The columns of a table's primary key in key order: the natural key a job upserts by.
SELECT array_agg(a.attname::text ORDER BY k.position)
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = @table::regclass
  AND i.indisprimary;
