-- The benchmark's floor: the keys the schema builds for the tables the drop's files fill, as the DDL a cold load runs
-- after COPY, in that order: primary keys, unique and exclusion constraints, the other indexes, then foreign keys.
-- CHECK constraints are left out: checked row by row while loading, they are not a step of their own, and the
-- floor is the least PostgreSQL itself must do. Read with search_path = stocks_research, so names come unqualified
-- and apply to the baseline's plain tables of the same names.
SELECT ddl
FROM (
    SELECT 1 AS step, c.relname, con.conname AS name,
           format('ALTER TABLE %I ADD CONSTRAINT %I %s', c.relname, con.conname, pg_get_constraintdef(con.oid)) AS ddl
    FROM pg_constraint con
    JOIN pg_class c     ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = @schema AND c.relname = ANY (@tables) AND con.contype IN ('p', 'u', 'x')
    UNION ALL
    -- pg_get_indexdef qualifies the table whatever the search_path: the baseline's table is the unqualified one.
    SELECT 2, c.relname, i.relname, replace(pg_get_indexdef(x.indexrelid), ' ON ' || quote_ident(n.nspname) || '.', ' ON ')
    FROM pg_index x
    JOIN pg_class i     ON i.oid = x.indexrelid
    JOIN pg_class c     ON c.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = @schema AND c.relname = ANY (@tables)
      AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid AND con.conrelid = x.indrelid)
    UNION ALL
    SELECT 3, c.relname, con.conname,
           format('ALTER TABLE %I ADD CONSTRAINT %I %s', c.relname, con.conname, pg_get_constraintdef(con.oid))
    FROM pg_constraint con
    JOIN pg_class c     ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = @schema AND c.relname = ANY (@tables) AND con.contype = 'f'
) AS keys
ORDER BY step, relname, name;
