-- Joins the views and ingestion make: prices by date across securities, tickers by name and date.
CREATE INDEX prices_daily_trade_date_idx       ON stocks_research.prices_daily (trade_date);
CREATE INDEX ticker_history_ticker_idx         ON stocks_research.ticker_history (ticker, valid_from);
CREATE INDEX corporate_actions_ex_date_idx     ON stocks_research.corporate_actions (ex_date);

CREATE VIEW stocks_research.v_current_ticker AS
SELECT security_id, ticker, valid_from
FROM stocks_research.ticker_history
WHERE valid_to IS NULL;

CREATE VIEW stocks_research.v_prices_adjusted AS
SELECT p.security_id,
       p.trade_date,
       p.open  * coalesce(f.factor, 1) AS open,
       p.high  * coalesce(f.factor, 1) AS high,
       p.low   * coalesce(f.factor, 1) AS low,
       p.close * coalesce(f.factor, 1) AS close,
       p.volume,
       coalesce(f.factor, 1)           AS factor
FROM stocks_research.prices_daily p
LEFT JOIN stocks_research.adjustment_factors f
       ON f.security_id = p.security_id
      AND p.trade_date >= f.valid_from
      AND (f.valid_to IS NULL OR p.trade_date < f.valid_to);

CREATE VIEW stocks_research.v_latest_fundamentals AS
SELECT DISTINCT ON (r.security_id)
       r.security_id, r.fiscal_year, r.fiscal_quarter, r.period_end,
       r.revenue, r.net_income, r.eps_diluted, r.shares_outstanding,
       y.revenue_growth, y.net_income_growth, y.eps_growth
FROM stocks_research.fundamentals_raw r
LEFT JOIN stocks_research.fundamentals_yoy y USING (security_id, fiscal_year, fiscal_quarter)
ORDER BY r.security_id, r.period_end DESC;
