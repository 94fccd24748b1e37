-- Upsert by (security_id, fiscal_year, fiscal_quarter); a row equal to the stored one is not touched.
WITH upserted AS (
    INSERT INTO stocks_research.fundamentals_raw AS t
        (security_id, fiscal_year, fiscal_quarter, period_end, revenue, net_income, eps_diluted, shares_outstanding)
    SELECT security_id, fiscal_year, fiscal_quarter, period_end, revenue, net_income, eps_diluted, shares_outstanding
    FROM pg_temp.stage_fundamentals_raw
    ON CONFLICT (security_id, fiscal_year, fiscal_quarter) DO UPDATE
        SET period_end = EXCLUDED.period_end, revenue = EXCLUDED.revenue, net_income = EXCLUDED.net_income,
            eps_diluted = EXCLUDED.eps_diluted, shares_outstanding = EXCLUDED.shares_outstanding
        WHERE (t.period_end, t.revenue, t.net_income, t.eps_diluted, t.shares_outstanding)
              IS DISTINCT FROM
              (EXCLUDED.period_end, EXCLUDED.revenue, EXCLUDED.net_income, EXCLUDED.eps_diluted, EXCLUDED.shares_outstanding)
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;
