-- 'succeeded' is written inside the job's transaction (it commits with the data); 'failed' after its rollback.
UPDATE stocks_research.ingestion_log
SET source_files   = @source_files::jsonb,
    rows_read      = @rows_read,
    rows_inserted  = @rows_inserted,
    rows_updated   = @rows_updated,
    rows_unchanged = @rows_unchanged,
    finished_at    = clock_timestamp(),
    status         = @status,
    error          = @error,
    options        = @options::jsonb
WHERE run_id = @run_id;
