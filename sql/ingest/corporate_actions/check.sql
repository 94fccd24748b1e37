-- A dividend as large as the last close before its ex-date would make the adjustment factor 0 or less
-- (v_adjustment_factors_derived): refuse it here, where the row's file and line are known.
SELECT a.src_file, a.src_line, 'cash_amount',
       format('dividend %s is not below the close %s of %s, the last trading day before the ex-date %s',
              trim_scale(a.cash_amount), trim_scale(previous.close), previous.trade_date, a.ex_date)
FROM pg_temp.stage_corporate_actions a
CROSS JOIN LATERAL (
    SELECT p.close, p.trade_date
    FROM stocks_research.prices_daily p
    WHERE p.security_id = a.security_id AND p.trade_date < a.ex_date
    ORDER BY p.trade_date DESC
    LIMIT 1
) AS previous
WHERE a.action_type = 'dividend' AND a.cash_amount >= previous.close
ORDER BY a.src_file, a.src_line
LIMIT @limit;
