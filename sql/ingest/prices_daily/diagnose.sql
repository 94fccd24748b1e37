-- Why the prices were refused, row by row: (file, line, column, reason).
WITH problems AS (
    SELECT src_file, src_line, 'security_id' AS column_name, format('security %s is not in securities', security_id) AS reason
    FROM pg_temp.stage_prices_daily s
    WHERE NOT EXISTS (SELECT 1 FROM stocks_research.securities x WHERE x.security_id = s.security_id)
    UNION ALL
    SELECT src_file, src_line, CASE WHEN ticker IS NULL THEN 'security_id' ELSE 'ticker' END,
           format('security %s on %s is also at %s:%s', security_id, trade_date, (@files)[first_file + 1], first_line)
    FROM (
        SELECT *,
               row_number()          OVER same_key AS n,
               first_value(src_file) OVER same_key AS first_file,
               first_value(src_line) OVER same_key AS first_line
        FROM pg_temp.stage_prices_daily
        WINDOW same_key AS (PARTITION BY security_id, trade_date ORDER BY src_file, src_line)
    ) AS numbered
    WHERE n > 1
)
SELECT (@files)[src_file + 1], src_line, column_name, reason
FROM problems
ORDER BY src_file, src_line
LIMIT @limit;
