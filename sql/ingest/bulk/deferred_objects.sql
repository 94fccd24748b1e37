-- What a load into an empty table builds faster once at the end than row by row: its primary key when no
-- foreign key points at it (then built by one sort), its foreign keys (checked by one join instead of a
-- trigger per row) and the indexes that back no constraint. Returns the statements that drop each one
-- and that create it again exactly as the migrations defined it, in the order to create them.
SELECT drop_statement, create_statement
FROM (
    SELECT 1 AS create_order,
           format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) AS drop_statement,
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid)) AS create_statement
    FROM pg_constraint c
    WHERE c.conrelid = @table::regclass
      AND c.contype = 'p'
      AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.confrelid = c.conrelid AND f.contype = 'f')
    UNION ALL
    SELECT 2,
           format('DROP INDEX %s', i.indexrelid::regclass),
           pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid = @table::regclass
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                      WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))
    UNION ALL
    SELECT 3,
           format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
    FROM pg_constraint c
    WHERE c.conrelid = @table::regclass
      AND c.contype = 'f'
) AS deferred
ORDER BY create_order, create_statement;
