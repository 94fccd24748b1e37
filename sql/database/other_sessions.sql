-- Sessions other than ours on the database DropCreate is about to drop.
SELECT count(*)
FROM pg_stat_activity
WHERE datname = @database
  AND pid <> pg_backend_pid();
