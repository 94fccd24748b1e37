-- Upsert by (security_id, ex_date, action_type): the rows that are new or differ are found first.
WITH changed AS (
    SELECT s.security_id, s.ex_date, s.action_type, s.split_ratio, s.cash_amount
    FROM pg_temp.stage_corporate_actions s
    LEFT JOIN stocks_research.corporate_actions t USING (security_id, ex_date, action_type)
    WHERE t.security_id IS NULL
       OR (t.split_ratio, t.cash_amount) IS DISTINCT FROM (s.split_ratio, s.cash_amount)
),
upserted AS (
    INSERT INTO stocks_research.corporate_actions AS t (security_id, ex_date, action_type, split_ratio, cash_amount)
    SELECT * FROM changed
    ON CONFLICT (security_id, ex_date, action_type) DO UPDATE
        SET split_ratio = EXCLUDED.split_ratio, cash_amount = EXCLUDED.cash_amount
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;
