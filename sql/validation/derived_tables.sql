-- Each derived table against its one derivation (the views of V008), each derivation computed once:
-- rows found only in the table, and rows the derivation gives that the table lacks or holds otherwise.
WITH adjustment_derived AS MATERIALIZED (TABLE stocks_research.v_adjustment_factors_derived),
     yoy_derived        AS MATERIALIZED (TABLE stocks_research.v_fundamentals_yoy_derived)
SELECT 'adjustment_factors' AS table_name,
       (SELECT count(*) FROM (TABLE stocks_research.adjustment_factors EXCEPT ALL TABLE adjustment_derived) AS only_in_table) AS only_in_table,
       (SELECT count(*) FROM (TABLE adjustment_derived EXCEPT ALL TABLE stocks_research.adjustment_factors) AS only_derived) AS only_derived
UNION ALL
SELECT 'fundamentals_yoy',
       (SELECT count(*) FROM (TABLE stocks_research.fundamentals_yoy EXCEPT ALL TABLE yoy_derived) AS only_in_table),
       (SELECT count(*) FROM (TABLE yoy_derived EXCEPT ALL TABLE stocks_research.fundamentals_yoy) AS only_derived);
