-- The baselines of the Ingest figure: plain tables, no key, no index, no constraint, the columns of the
-- drop's files, so COPY does nothing but parse and store. The floor then builds the schema's keys on them
-- (schema_keys.sql): btree_gist for ticker_history's exclusion constraint, and prices keyed by ticker in a
-- table of their own until they are placed (place_ticker_prices.sql).
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE securities        (security_id bigint, name text, exchange text, currency text, sector text, listed_on date, delisted_on date);
CREATE TABLE ticker_history    (security_id bigint, ticker text, valid_from date, valid_to date);
CREATE TABLE prices_daily      (security_id bigint, ticker text, trade_date date,
                                open numeric, high numeric, low numeric, close numeric, volume bigint);
CREATE TABLE corporate_actions (security_id bigint, ex_date date, action_type text, split_ratio numeric, cash_amount numeric);
CREATE TABLE fundamentals_raw  (security_id bigint, fiscal_year smallint, fiscal_quarter smallint, period_end date,
                                revenue numeric, net_income numeric, eps_diluted numeric, shares_outstanding bigint);
CREATE TABLE prices_by_ticker  (LIKE prices_daily);
