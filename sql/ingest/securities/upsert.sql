-- Upsert by security_id: the rows that are new or differ are found first, so an unchanged row is not touched.
WITH changed AS (
    SELECT s.security_id, s.name, s.exchange, s.currency, s.sector, s.listed_on, s.delisted_on
    FROM pg_temp.stage_securities s
    LEFT JOIN stocks_research.securities t USING (security_id)
    WHERE t.security_id IS NULL
       OR (t.name, t.exchange, t.currency, t.sector, t.listed_on, t.delisted_on)
          IS DISTINCT FROM (s.name, s.exchange, s.currency, s.sector, s.listed_on, s.delisted_on)
),
upserted AS (
    INSERT INTO stocks_research.securities AS t (security_id, name, exchange, currency, sector, listed_on, delisted_on)
    SELECT * FROM changed
    ON CONFLICT (security_id) DO UPDATE
        SET name = EXCLUDED.name, exchange = EXCLUDED.exchange, currency = EXCLUDED.currency,
            sector = EXCLUDED.sector, listed_on = EXCLUDED.listed_on, delisted_on = EXCLUDED.delisted_on
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;
