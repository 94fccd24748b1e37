-- A later drop may move a ticker from one security to another; checking overlaps at commit lets one
-- ingestion job end the old holder's period and start the new one in any row order.
ALTER TABLE stocks_research.ticker_history DROP CONSTRAINT ticker_history_no_overlap;
ALTER TABLE stocks_research.ticker_history ADD CONSTRAINT ticker_history_no_overlap
    EXCLUDE USING gist (ticker WITH =, daterange(valid_from, valid_to) WITH &&)
    DEFERRABLE INITIALLY IMMEDIATE;

-- Exact product of numerics (exp(sum(ln())) would round): cumulative adjustment factors.
CREATE AGGREGATE stocks_research.product(numeric) (SFUNC = numeric_mul, STYPE = numeric, INITCOND = '1');

-- The one definition of adjustment_factors: the ingestion job upserts from it, Validate compares with it.
-- A split of ratio r multiplies earlier prices by 1/r; a dividend D by 1 - D / (close of the last trading
-- day before the ex-date), or by 1 when no earlier close is known. A range [valid_from, valid_to) carries
-- the product of every action after it; the first range starts at -infinity, so its key never moves.
CREATE VIEW stocks_research.v_adjustment_factors_derived AS
WITH by_ex_date AS (
    SELECT a.security_id,
           a.ex_date,
           stocks_research.product(CASE WHEN a.action_type = 'split' THEN 1 / a.split_ratio ELSE 1 END) AS split_multiplier,
           stocks_research.product(CASE WHEN a.action_type = 'dividend'
                                        THEN coalesce(1 - a.cash_amount / previous.close, 1) ELSE 1 END) AS dividend_multiplier
    FROM stocks_research.corporate_actions a
    LEFT JOIN LATERAL (
        SELECT p.close
        FROM stocks_research.prices_daily p
        WHERE p.security_id = a.security_id AND p.trade_date < a.ex_date
        ORDER BY p.trade_date DESC
        LIMIT 1
    ) AS previous ON true
    GROUP BY a.security_id, a.ex_date
),
ranges AS (
    SELECT security_id,
           '-infinity'::date AS valid_from,
           min(ex_date) AS valid_to,
           stocks_research.product(split_multiplier) AS split_factor,
           stocks_research.product(dividend_multiplier) AS dividend_factor
    FROM by_ex_date
    GROUP BY security_id
    UNION ALL
    SELECT security_id,
           ex_date,
           lead(ex_date) OVER later,
           coalesce(stocks_research.product(split_multiplier) OVER after, 1),
           coalesce(stocks_research.product(dividend_multiplier) OVER after, 1)
    FROM by_ex_date
    WINDOW later AS (PARTITION BY security_id ORDER BY ex_date),
           after AS (PARTITION BY security_id ORDER BY ex_date ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
)
SELECT security_id,
       valid_from,
       valid_to,
       round(split_factor, 12)                   AS split_factor,
       round(dividend_factor, 12)                AS dividend_factor,
       round(split_factor * dividend_factor, 12) AS factor
FROM ranges;

-- The one definition of fundamentals_yoy: growth over the same quarter a year before, relative to the
-- size of the earlier figure (a loss that shrinks is growth); NULL where the earlier figure is 0 or missing.
CREATE VIEW stocks_research.v_fundamentals_yoy_derived AS
SELECT cur.security_id,
       cur.fiscal_year,
       cur.fiscal_quarter,
       round((cur.revenue     - prev.revenue)     / nullif(abs(prev.revenue), 0), 8)     AS revenue_growth,
       round((cur.net_income  - prev.net_income)  / nullif(abs(prev.net_income), 0), 8)  AS net_income_growth,
       round((cur.eps_diluted - prev.eps_diluted) / nullif(abs(prev.eps_diluted), 0), 8) AS eps_growth
FROM stocks_research.fundamentals_raw cur
JOIN stocks_research.fundamentals_raw prev
  ON prev.security_id = cur.security_id
 AND prev.fiscal_year = cur.fiscal_year - 1
 AND prev.fiscal_quarter = cur.fiscal_quarter;
