-- Run only while holding the run lock: no other run can be writing, so a 'running' row is a dead run's.
UPDATE stocks_research.ingestion_log
SET status      = 'failed',
    finished_at = clock_timestamp(),
    error       = 'abandoned: the run ended without recording its end (killed, server restart or lost connection); '
                  'the server rolled its transaction back'
WHERE status = 'running'
RETURNING run_id, job, started_at;
