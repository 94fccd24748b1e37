-- Upsert by (security_id, trade_date). A row given by ticker takes the security that held the ticker on
-- that trade date (ticker_history's exclusion constraint makes it at most one); none leaves NULL, refused.
WITH resolved AS (
    SELECT coalesce(s.security_id, th.security_id) AS security_id,
           s.trade_date, s.open, s.high, s.low, s.close, s.volume
    FROM pg_temp.stage_prices_daily s
    LEFT JOIN stocks_research.ticker_history th
           ON s.security_id IS NULL
          AND th.ticker = s.ticker
          AND th.valid_from <= s.trade_date
          AND (th.valid_to IS NULL OR s.trade_date < th.valid_to)
),
upserted AS (
    INSERT INTO stocks_research.prices_daily AS t (security_id, trade_date, open, high, low, close, volume)
    SELECT security_id, trade_date, open, high, low, close, volume
    FROM resolved
    ON CONFLICT (security_id, trade_date) DO UPDATE
        SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume
        WHERE (t.open, t.high, t.low, t.close, t.volume)
              IS DISTINCT FROM
              (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;
