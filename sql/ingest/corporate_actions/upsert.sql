-- Upsert by (security_id, ex_date, action_type); a row equal to the stored one is not touched.
WITH upserted AS (
    INSERT INTO stocks_research.corporate_actions AS t (security_id, ex_date, action_type, split_ratio, cash_amount)
    SELECT security_id, ex_date, action_type, split_ratio, cash_amount
    FROM pg_temp.stage_corporate_actions
    ON CONFLICT (security_id, ex_date, action_type) DO UPDATE
        SET split_ratio = EXCLUDED.split_ratio, cash_amount = EXCLUDED.cash_amount
        WHERE (t.split_ratio, t.cash_amount) IS DISTINCT FROM (EXCLUDED.split_ratio, EXCLUDED.cash_amount)
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;
