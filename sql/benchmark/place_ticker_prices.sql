-- The floor's one step beyond COPY for prices keyed by ticker: each row gets the security that held the ticker on
-- that day (ticker_history, valid_to exclusive), as Ingest resolves it. Rows no ticker resolves are left out here;
-- the benchmark's drop has none.
INSERT INTO prices_daily (security_id, trade_date, open, high, low, close, volume)
SELECT t.security_id, p.trade_date, p.open, p.high, p.low, p.close, p.volume
FROM prices_by_ticker p
JOIN ticker_history t ON t.ticker = p.ticker AND p.trade_date >= t.valid_from AND (t.valid_to IS NULL OR p.trade_date < t.valid_to);
