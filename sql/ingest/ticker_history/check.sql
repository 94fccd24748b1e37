-- Tickers are matched exactly, case included: a ticker that differs from another (staged earlier, or stored)
-- only by case is refused as the typo it almost always is, rather than becoming a second ticker.
-- Only tickers spelled more than one way are compared row by row: the usual drop has none, and comparing every
-- staged row with every known one was quadratic (13 s for 5,500 tickers on a rerun).
WITH known AS (
    SELECT src_file, src_line, ticker, upper(ticker) AS folded FROM pg_temp.stage_ticker_history
    UNION ALL
    SELECT NULL, NULL, ticker, upper(ticker) FROM stocks_research.ticker_history
),
twins AS MATERIALIZED (
    SELECT k.*
    FROM known k
    JOIN (SELECT folded FROM known GROUP BY folded HAVING count(DISTINCT ticker) > 1) AS spelled_twice USING (folded)
)
SELECT s.src_file, s.src_line, 'ticker',
       format('%s differs from %s (%s) only by case; tickers are matched exactly, case included: write it as the other files do',
              s.ticker, k.ticker,
              CASE WHEN k.src_file IS NULL THEN 'in the database' ELSE format('%s:%s', (@files)[k.src_file + 1], k.src_line) END)
FROM twins s
CROSS JOIN LATERAL (
    SELECT * FROM twins k
    WHERE k.folded = s.folded AND k.ticker <> s.ticker
      AND (k.src_file IS NULL OR (k.src_file, k.src_line) < (s.src_file, s.src_line))
    ORDER BY k.src_file NULLS LAST, k.src_line
    LIMIT 1
) AS k
WHERE s.src_file IS NOT NULL
ORDER BY s.src_file, s.src_line
LIMIT @limit;
