-- Recompute adjustment_factors from corporate_actions (and the closes before dividends) through the one
-- derivation, v_adjustment_factors_derived; returns (rows derived, inserted, updated).
WITH derived AS MATERIALIZED (
    SELECT * FROM stocks_research.v_adjustment_factors_derived
),
upserted AS (
    INSERT INTO stocks_research.adjustment_factors AS t (security_id, valid_from, valid_to, split_factor, dividend_factor, factor)
    SELECT security_id, valid_from, valid_to, split_factor, dividend_factor, factor
    FROM derived
    ON CONFLICT (security_id, valid_from) DO UPDATE
        SET valid_to = EXCLUDED.valid_to, split_factor = EXCLUDED.split_factor,
            dividend_factor = EXCLUDED.dividend_factor, factor = EXCLUDED.factor
        WHERE (t.valid_to, t.split_factor, t.dividend_factor, t.factor)
              IS DISTINCT FROM
              (EXCLUDED.valid_to, EXCLUDED.split_factor, EXCLUDED.dividend_factor, EXCLUDED.factor)
    RETURNING xmax = 0 AS inserted
)
SELECT (SELECT count(*) FROM derived), count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;
