-- One row per ingestion job run: the runbook's "Each job must be logged".
CREATE TABLE stocks_research.ingestion_log (
    run_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job             text        NOT NULL,
    source_files    jsonb       NOT NULL DEFAULT '[]',
    rows_read       bigint      NOT NULL DEFAULT 0,
    rows_inserted   bigint      NOT NULL DEFAULT 0,
    rows_updated    bigint      NOT NULL DEFAULT 0,
    rows_unchanged  bigint      NOT NULL DEFAULT 0,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    status          text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    error           text
);
