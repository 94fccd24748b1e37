-- Committed on its own before the job's transaction opens, so a failed or killed job still leaves its row.
INSERT INTO stocks_research.ingestion_log (job, started_at, status)
VALUES (@job, clock_timestamp(), 'running')
RETURNING run_id;
