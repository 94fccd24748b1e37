-- Recompute fundamentals_yoy from fundamentals_raw through the one derivation, v_fundamentals_yoy_derived;
-- returns (rows derived, inserted, updated).
WITH derived AS MATERIALIZED (
    SELECT * FROM stocks_research.v_fundamentals_yoy_derived
),
upserted AS (
    INSERT INTO stocks_research.fundamentals_yoy AS t (security_id, fiscal_year, fiscal_quarter, revenue_growth, net_income_growth, eps_growth)
    SELECT security_id, fiscal_year, fiscal_quarter, revenue_growth, net_income_growth, eps_growth
    FROM derived
    ON CONFLICT (security_id, fiscal_year, fiscal_quarter) DO UPDATE
        SET revenue_growth = EXCLUDED.revenue_growth, net_income_growth = EXCLUDED.net_income_growth, eps_growth = EXCLUDED.eps_growth
        WHERE (t.revenue_growth, t.net_income_growth, t.eps_growth)
              IS DISTINCT FROM
              (EXCLUDED.revenue_growth, EXCLUDED.net_income_growth, EXCLUDED.eps_growth)
    RETURNING xmax = 0 AS inserted
)
SELECT (SELECT count(*) FROM derived), count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;
