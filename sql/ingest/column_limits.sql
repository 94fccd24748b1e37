-- What each column of a job's table can hold exactly, from the catalog (so a new migration needs no C# edit):
-- numeric(p,s) gives precision and scale through its typmod; NULL for an unconstrained numeric.
SELECT a.attname,
       t.typname,
       CASE WHEN t.typname = 'numeric' AND a.atttypmod >= 4 THEN ((a.atttypmod - 4) >> 16) & 65535 END AS numeric_precision,
       CASE WHEN t.typname = 'numeric' AND a.atttypmod >= 4 THEN (a.atttypmod - 4) & 65535 END AS numeric_scale
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = @table::regclass
  AND a.attnum > 0
  AND NOT a.attisdropped;
