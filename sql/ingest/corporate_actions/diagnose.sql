-- Why the upsert of corporate_actions was refused, row by row: (file, line, column, reason).
WITH problems AS (
    SELECT src_file, src_line, 'ex_date' AS column_name,
           format('%s of security %s on %s is also at %s:%s', action_type, security_id, ex_date, (@files)[first_file + 1], first_line) AS reason
    FROM (
        SELECT *,
               row_number()          OVER same_key AS n,
               first_value(src_file) OVER same_key AS first_file,
               first_value(src_line) OVER same_key AS first_line
        FROM pg_temp.stage_corporate_actions
        WINDOW same_key AS (PARTITION BY security_id, ex_date, action_type ORDER BY src_file, src_line)
    ) AS numbered
    WHERE n > 1
    UNION ALL
    SELECT src_file, src_line, 'security_id', format('security %s is not in securities', security_id)
    FROM pg_temp.stage_corporate_actions s
    WHERE NOT EXISTS (SELECT 1 FROM stocks_research.securities x WHERE x.security_id = s.security_id)
)
SELECT (@files)[src_file + 1], src_line, column_name, reason
FROM problems
ORDER BY src_file, src_line
LIMIT @limit;
