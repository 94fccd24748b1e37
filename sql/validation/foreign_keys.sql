-- Every foreign key whose referencing table is in the schema, validated or NOT VALID, composite keys
-- with their columns in key order. Keys inherited by partitions are listed once, on their parent.
SELECT con.conname                                   AS constraint_name,
       cn.nspname                                    AS child_schema,
       cc.relname                                    AS child_table,
       array_agg(ca.attname::text ORDER BY k.ord)    AS child_columns,
       pn.nspname                                    AS parent_schema,
       pc.relname                                    AS parent_table,
       array_agg(pa.attname::text ORDER BY k.ord)    AS parent_columns,
       con.convalidated                              AS validated
FROM pg_constraint con
JOIN pg_class cc      ON cc.oid = con.conrelid
JOIN pg_namespace cn  ON cn.oid = cc.relnamespace
JOIN pg_class pc      ON pc.oid = con.confrelid
JOIN pg_namespace pn  ON pn.oid = pc.relnamespace
CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(child_attnum, parent_attnum, ord)
JOIN pg_attribute ca  ON ca.attrelid = con.conrelid  AND ca.attnum = k.child_attnum
JOIN pg_attribute pa  ON pa.attrelid = con.confrelid AND pa.attnum = k.parent_attnum
WHERE con.contype = 'f'
  AND con.conparentid = 0
  AND cn.nspname = @schema
GROUP BY con.oid, con.conname, cn.nspname, cc.relname, pn.nspname, pc.relname, con.convalidated
ORDER BY cc.relname, con.conname;
