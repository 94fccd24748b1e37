-- A small, deterministic stocks_research for the Scenario A demo and tests: 40 securities over two
-- years (2024-2025), with a ticker change, a ticker reused by another company, a 2:1 split, quarterly
-- dividends and eight quarters of fundamentals. Same rows on every run: no random().

INSERT INTO stocks_research.securities (security_id, name, exchange, currency, sector, listed_on)
SELECT i,
       'Sample Company ' || i,
       (ARRAY['NYSE', 'NASDAQ', 'LSE', 'XETRA'])[1 + i % 4],
       (ARRAY['USD', 'USD', 'GBP', 'EUR'])[1 + i % 4],
       (ARRAY['Energy', 'Financials', 'Health Care', 'Industrials', 'Technology'])[1 + i % 5],
       date '2024-01-01'
FROM generate_series(1, 40) AS i;

-- Security 3 trades as OLDC until 2025-06-01, then as NEWC; security 40 takes OLDC from 2025-09-01.
INSERT INTO stocks_research.ticker_history (security_id, ticker, valid_from, valid_to)
SELECT i, 'S' || lpad(i::text, 3, '0'), date '2024-01-01', NULL
FROM generate_series(1, 40) AS i
WHERE i NOT IN (3, 40);
INSERT INTO stocks_research.ticker_history (security_id, ticker, valid_from, valid_to) VALUES
    (3,  'OLDC', date '2024-01-01', date '2025-06-01'),
    (3,  'NEWC', date '2025-06-01', NULL),
    (40, 'S040', date '2024-01-01', date '2025-09-01'),
    (40, 'OLDC', date '2025-09-01', NULL);

INSERT INTO stocks_research.prices_daily (security_id, trade_date, open, high, low, close, volume)
SELECT s.i, d.day, q.open, greatest(q.open, q.close) * 1.01, least(q.open, q.close) * 0.99, q.close,
       100000 + (s.i * 7919 + d.n * 104729) % 50000
FROM generate_series(1, 40) AS s(i)
CROSS JOIN LATERAL (
    SELECT day::date, row_number() OVER (ORDER BY day) AS n
    FROM generate_series(date '2024-01-01', date '2025-12-31', interval '1 day') AS day
    WHERE extract(isodow FROM day) < 6
) AS d
CROSS JOIN LATERAL (
    SELECT round((20 + s.i * 3) * (1 + 0.1 * sin((d.n - 1) / 20.0 + s.i))::numeric, 4) AS open,
           round((20 + s.i * 3) * (1 + 0.1 * sin(d.n / 20.0 + s.i))::numeric, 4)       AS close
) AS q;

INSERT INTO stocks_research.corporate_actions (security_id, ex_date, action_type, split_ratio, cash_amount) VALUES
    (5, date '2025-03-03', 'split', 2, NULL);
INSERT INTO stocks_research.corporate_actions (security_id, ex_date, action_type, split_ratio, cash_amount)
SELECT i, ex_date, 'dividend', NULL, round(0.10 + i * 0.01, 2)
FROM generate_series(4, 40, 4) AS i
CROSS JOIN (VALUES (date '2024-03-15'), (date '2024-06-14'), (date '2024-09-16'), (date '2024-12-16'),
                   (date '2025-03-17'), (date '2025-06-16'), (date '2025-09-15'), (date '2025-12-15')) AS ex(ex_date);

-- The split halves prices before its ex-date when adjusted.
INSERT INTO stocks_research.adjustment_factors (security_id, valid_from, valid_to, split_factor, dividend_factor, factor) VALUES
    (5, date '2024-01-01', date '2025-03-03', 0.5, 1, 0.5),
    (5, date '2025-03-03', NULL,              1,   1, 1);

INSERT INTO stocks_research.fundamentals_raw
    (security_id, fiscal_year, fiscal_quarter, period_end, revenue, net_income, eps_diluted, shares_outstanding)
SELECT i, y, q,
       (make_date(y, q * 3, 1) + interval '1 month - 1 day')::date,
       1000000 * i * (1 + 0.05 * (y - 2024)) + 10000 * q,
       100000 * i * (1 + 0.08 * (y - 2024)) + 1000 * q,
       round((100000 * i * (1 + 0.08 * (y - 2024)) + 1000 * q) / (1000000.0 + i * 1000), 4),
       1000000 + i * 1000
FROM generate_series(1, 40) AS i, generate_series(2024, 2025) AS y, generate_series(1, 4) AS q;

INSERT INTO stocks_research.fundamentals_yoy (security_id, fiscal_year, fiscal_quarter, revenue_growth, net_income_growth, eps_growth)
SELECT cur.security_id, cur.fiscal_year, cur.fiscal_quarter,
       cur.revenue / prev.revenue - 1, cur.net_income / prev.net_income - 1, cur.eps_diluted / prev.eps_diluted - 1
FROM stocks_research.fundamentals_raw cur
JOIN stocks_research.fundamentals_raw prev
  ON prev.security_id = cur.security_id AND prev.fiscal_year = cur.fiscal_year - 1 AND prev.fiscal_quarter = cur.fiscal_quarter;
