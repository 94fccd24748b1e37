-- Upsert by (security_id, ticker, valid_from): a later drop may end a period (valid_to) it left open.
-- Overlaps are checked once every row is in, so a ticker can pass from one security to another in any row order.
SET CONSTRAINTS stocks_research.ticker_history_no_overlap DEFERRED;

WITH changed AS (
    SELECT s.security_id, s.ticker, s.valid_from, s.valid_to
    FROM pg_temp.stage_ticker_history s
    LEFT JOIN stocks_research.ticker_history t USING (security_id, ticker, valid_from)
    WHERE t.security_id IS NULL OR t.valid_to IS DISTINCT FROM s.valid_to
),
upserted AS (
    INSERT INTO stocks_research.ticker_history AS t (security_id, ticker, valid_from, valid_to)
    SELECT * FROM changed
    ON CONFLICT (security_id, ticker, valid_from) DO UPDATE
        SET valid_to = EXCLUDED.valid_to
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;

SET CONSTRAINTS stocks_research.ticker_history_no_overlap IMMEDIATE;
