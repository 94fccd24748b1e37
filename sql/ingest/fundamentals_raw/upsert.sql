-- Upsert by (security_id, fiscal_year, fiscal_quarter): the rows that are new or differ are found first.
WITH changed AS (
    SELECT s.security_id, s.fiscal_year, s.fiscal_quarter, s.period_end, s.revenue, s.net_income, s.eps_diluted, s.shares_outstanding
    FROM pg_temp.stage_fundamentals_raw s
    LEFT JOIN stocks_research.fundamentals_raw t USING (security_id, fiscal_year, fiscal_quarter)
    WHERE t.security_id IS NULL
       OR (t.period_end, t.revenue, t.net_income, t.eps_diluted, t.shares_outstanding)
          IS DISTINCT FROM (s.period_end, s.revenue, s.net_income, s.eps_diluted, s.shares_outstanding)
),
upserted AS (
    INSERT INTO stocks_research.fundamentals_raw AS t
        (security_id, fiscal_year, fiscal_quarter, period_end, revenue, net_income, eps_diluted, shares_outstanding)
    SELECT * FROM changed
    ON CONFLICT (security_id, fiscal_year, fiscal_quarter) DO UPDATE
        SET period_end = EXCLUDED.period_end, revenue = EXCLUDED.revenue, net_income = EXCLUDED.net_income,
            eps_diluted = EXCLUDED.eps_diluted, shares_outstanding = EXCLUDED.shares_outstanding
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;
