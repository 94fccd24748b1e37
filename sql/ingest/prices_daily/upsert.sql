-- Upsert by (security_id, trade_date). The rows that are new or differ are found first by one join, so a
-- rerun of the same drop writes (and locks) nothing; rows given by ticker were resolved while read.
WITH changed AS (
    SELECT s.security_id, s.trade_date, s.open, s.high, s.low, s.close, s.volume
    FROM pg_temp.stage_prices_daily s
    LEFT JOIN stocks_research.prices_daily t USING (security_id, trade_date)
    WHERE t.security_id IS NULL
       OR (t.open, t.high, t.low, t.close, t.volume) IS DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume)
),
upserted AS (
    INSERT INTO stocks_research.prices_daily AS t (security_id, trade_date, open, high, low, close, volume)
    SELECT * FROM changed
    ON CONFLICT (security_id, trade_date) DO UPDATE
        SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;
