-- Every B-tree index of the schema (amcheck's bt_index_check reads B-trees only), with its table.
SELECT i.relname AS index_name, t.relname AS table_name, i.oid::bigint AS index_oid
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_am am ON am.oid = i.relam
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE n.nspname = @schema AND am.amname = 'btree' AND i.relpersistence <> 't' AND x.indisready AND x.indisvalid
ORDER BY t.relname, i.relname;
