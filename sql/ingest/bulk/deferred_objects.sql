-- What a load into an empty table builds faster once at the end than row by row: its foreign keys (then
-- checked by one join instead of a trigger per row) and the indexes that back no constraint. Returns the
-- statements that drop each one and that create it again exactly as the migrations defined it.
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) AS drop_statement,
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid)) AS create_statement
FROM pg_constraint c
WHERE c.conrelid = @table::regclass
  AND c.contype = 'f'
UNION ALL
SELECT format('DROP INDEX %s', i.indexrelid::regclass),
       pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = @table::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                  WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'));
