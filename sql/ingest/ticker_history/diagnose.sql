-- Beyond duplicates and unknown securities (found from the catalog, StagingDiagnosis): staged periods that
-- overlap another period of the same ticker, staged or stored. Rows of (src_file, src_line, column, reason).
WITH staged AS (
    SELECT * FROM pg_temp.stage_ticker_history
),
-- The table as the upsert would leave it: staged rows, and stored rows no staged row replaces.
after_upsert AS (
    SELECT src_file, src_line, security_id, ticker, valid_from, valid_to FROM staged
    UNION ALL
    SELECT NULL, NULL, t.security_id, t.ticker, t.valid_from, t.valid_to
    FROM stocks_research.ticker_history t
    WHERE NOT EXISTS (SELECT 1 FROM staged s
                      WHERE (s.security_id, s.ticker, s.valid_from) = (t.security_id, t.ticker, t.valid_from))
)
SELECT a.src_file, a.src_line, 'ticker',
       format('%s from %s to %s overlaps its period for security %s from %s to %s (%s)',
              a.ticker, a.valid_from, coalesce(a.valid_to::text, 'now'),
              b.security_id, b.valid_from, coalesce(b.valid_to::text, 'now'),
              CASE WHEN b.src_file IS NULL THEN 'in the database'
                   ELSE format('%s:%s', (@files)[b.src_file + 1], b.src_line) END)
FROM after_upsert a
JOIN after_upsert b
  ON a.ticker = b.ticker
 AND daterange(a.valid_from, a.valid_to) && daterange(b.valid_from, b.valid_to)
 AND (a.security_id, a.valid_from) IS DISTINCT FROM (b.security_id, b.valid_from)
-- A pair of staged rows is reported once, at the later line.
WHERE a.src_file IS NOT NULL
  AND (b.src_file IS NULL OR (b.src_file, b.src_line) < (a.src_file, a.src_line))
ORDER BY a.src_file, a.src_line
LIMIT @limit;
