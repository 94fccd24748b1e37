-- Upsert by (security_id, trade_date); rows given by ticker were resolved to their security while read.
WITH upserted AS (
    INSERT INTO stocks_research.prices_daily AS t (security_id, trade_date, open, high, low, close, volume)
    SELECT security_id, trade_date, open, high, low, close, volume
    FROM pg_temp.stage_prices_daily
    ON CONFLICT (security_id, trade_date) DO UPDATE
        SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume
        WHERE (t.open, t.high, t.low, t.close, t.volume)
              IS DISTINCT FROM
              (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;
