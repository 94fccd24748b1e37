-- Ingestion jobs 'running' in the dump's snapshot (each job's row is committed before its own transaction opens). On a
-- standby they are an Ingest on the primary, whose run lock the standby does not see: the database is between jobs.
SELECT job, started_at
FROM stocks_research.ingestion_log
WHERE status = 'running'
ORDER BY run_id;
