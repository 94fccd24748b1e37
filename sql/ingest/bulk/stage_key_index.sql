-- The statement that gives a staging table a unique index on its job's natural key (the table's primary
-- key): a key twice in the drop fails there, before anything is compared or written.
SELECT format('CREATE UNIQUE INDEX ON pg_temp.%I (%s)', @stage,
              string_agg(quote_ident(a.attname), ', ' ORDER BY k.position))
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = @table::regclass
  AND i.indisprimary;
