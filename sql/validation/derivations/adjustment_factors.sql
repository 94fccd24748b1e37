-- adjustment_factors against its one derivation (V008's view), computed once: rows found only in the table,
-- and rows the derivation gives that the table lacks or holds otherwise.
WITH derived AS MATERIALIZED (TABLE stocks_research.v_adjustment_factors_derived)
SELECT (SELECT count(*) FROM (TABLE stocks_research.adjustment_factors EXCEPT ALL TABLE derived) AS only_in_table) AS only_in_table,
       (SELECT count(*) FROM (TABLE derived EXCEPT ALL TABLE stocks_research.adjustment_factors) AS only_derived) AS only_derived;
