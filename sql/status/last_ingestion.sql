-- The last run of each ingestion job: what Status reports and a monitor alerts on.
SELECT DISTINCT ON (job) job, status, coalesce(finished_at, started_at), rows_read
FROM stocks_research.ingestion_log
ORDER BY job, run_id DESC;
