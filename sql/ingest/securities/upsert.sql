-- Upsert by security_id; a row equal to the stored one is not touched (counted as unchanged).
WITH upserted AS (
    INSERT INTO stocks_research.securities AS t (security_id, name, exchange, currency, sector, listed_on, delisted_on)
    SELECT security_id, name, exchange, currency, sector, listed_on, delisted_on
    FROM pg_temp.stage_securities
    ON CONFLICT (security_id) DO UPDATE
        SET name = EXCLUDED.name, exchange = EXCLUDED.exchange, currency = EXCLUDED.currency,
            sector = EXCLUDED.sector, listed_on = EXCLUDED.listed_on, delisted_on = EXCLUDED.delisted_on
        WHERE (t.name, t.exchange, t.currency, t.sector, t.listed_on, t.delisted_on)
              IS DISTINCT FROM
              (EXCLUDED.name, EXCLUDED.exchange, EXCLUDED.currency, EXCLUDED.sector, EXCLUDED.listed_on, EXCLUDED.delisted_on)
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;
