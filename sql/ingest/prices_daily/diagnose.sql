-- Why the upsert of prices was refused, row by row: (file, line, column, reason).
WITH resolved AS (
    SELECT s.src_file, s.src_line, s.ticker, s.trade_date,
           coalesce(s.security_id, th.security_id) AS security_id,
           s.security_id IS NULL AS by_ticker
    FROM pg_temp.stage_prices_daily s
    LEFT JOIN stocks_research.ticker_history th
           ON s.security_id IS NULL
          AND th.ticker = s.ticker
          AND th.valid_from <= s.trade_date
          AND (th.valid_to IS NULL OR s.trade_date < th.valid_to)
),
problems AS (
    SELECT src_file, src_line, 'ticker' AS column_name,
           format('%s names no security on %s (see ticker_history)', ticker, trade_date) AS reason
    FROM resolved
    WHERE security_id IS NULL
    UNION ALL
    SELECT src_file, src_line, 'security_id', format('security %s is not in securities', security_id)
    FROM resolved r
    WHERE security_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM stocks_research.securities x WHERE x.security_id = r.security_id)
    UNION ALL
    SELECT src_file, src_line, CASE WHEN by_ticker THEN 'ticker' ELSE 'security_id' END,
           format('security %s on %s is also at %s:%s', security_id, trade_date, (@files)[first_file + 1], first_line)
    FROM (
        SELECT *,
               row_number()          OVER same_key AS n,
               first_value(src_file) OVER same_key AS first_file,
               first_value(src_line) OVER same_key AS first_line
        FROM resolved
        WHERE security_id IS NOT NULL
        WINDOW same_key AS (PARTITION BY security_id, trade_date ORDER BY src_file, src_line)
    ) AS numbered
    WHERE n > 1
)
SELECT (@files)[src_file + 1], src_line, column_name, reason
FROM problems
ORDER BY src_file, src_line
LIMIT @limit;
