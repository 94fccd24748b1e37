-- Each derived table against its one derivation (the views of V008): rows found only in the table, and
-- rows the derivation gives that the table lacks or holds with other values.
SELECT 'adjustment_factors' AS table_name,
       (SELECT count(*) FROM (TABLE stocks_research.adjustment_factors
                              EXCEPT ALL TABLE stocks_research.v_adjustment_factors_derived) AS only_in_table) AS only_in_table,
       (SELECT count(*) FROM (TABLE stocks_research.v_adjustment_factors_derived
                              EXCEPT ALL TABLE stocks_research.adjustment_factors) AS only_derived) AS only_derived
UNION ALL
SELECT 'fundamentals_yoy',
       (SELECT count(*) FROM (TABLE stocks_research.fundamentals_yoy
                              EXCEPT ALL TABLE stocks_research.v_fundamentals_yoy_derived) AS only_in_table),
       (SELECT count(*) FROM (TABLE stocks_research.v_fundamentals_yoy_derived
                              EXCEPT ALL TABLE stocks_research.fundamentals_yoy) AS only_derived);
