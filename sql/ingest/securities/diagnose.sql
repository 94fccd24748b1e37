-- Why the upsert of securities was refused, row by row: (file, line, column, reason).
SELECT (@files)[src_file + 1], src_line, 'security_id',
       format('security %s is also at %s:%s', security_id, (@files)[first_file + 1], first_line)
FROM (
    SELECT *,
           row_number()               OVER same_key AS n,
           first_value(src_file) OVER same_key AS first_file,
           first_value(src_line) OVER same_key AS first_line
    FROM pg_temp.stage_securities
    WINDOW same_key AS (PARTITION BY security_id ORDER BY src_file, src_line)
) AS staged
WHERE n > 1
ORDER BY src_file, src_line
LIMIT @limit;
