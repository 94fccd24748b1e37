-- Tickers are matched exactly, case included: a ticker that differs from another (staged earlier, or stored)
-- only by case is refused as the typo it almost always is, rather than becoming a second ticker.
WITH known AS (
    SELECT src_file, src_line, ticker FROM pg_temp.stage_ticker_history
    UNION ALL
    SELECT NULL, NULL, ticker FROM stocks_research.ticker_history
)
SELECT s.src_file, s.src_line, 'ticker',
       format('%s differs from %s (%s) only by case; tickers are matched exactly, case included: write it as the other files do',
              s.ticker, k.ticker,
              CASE WHEN k.src_file IS NULL THEN 'in the database' ELSE format('%s:%s', (@files)[k.src_file + 1], k.src_line) END)
FROM pg_temp.stage_ticker_history s
CROSS JOIN LATERAL (
    SELECT * FROM known k
    WHERE upper(k.ticker) = upper(s.ticker) AND k.ticker <> s.ticker
      AND (k.src_file IS NULL OR (k.src_file, k.src_line) < (s.src_file, s.src_line))
    ORDER BY k.src_file NULLS LAST, k.src_line
    LIMIT 1
) AS k
ORDER BY s.src_file, s.src_line
LIMIT @limit;
