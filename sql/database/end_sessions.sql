-- Ends every session on a database but our own; returns how many were signalled (pg_terminate_backend
-- does not wait, so the caller checks other_sessions.sql until none is left).
SELECT count(pg_terminate_backend(pid))
FROM pg_stat_activity
WHERE datname = @database
  AND pid <> pg_backend_pid();
