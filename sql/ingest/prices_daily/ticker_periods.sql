-- Every ticker's periods, for resolving prices given by ticker (TickerResolver).
SELECT ticker, valid_from, valid_to, security_id
FROM stocks_research.ticker_history
ORDER BY ticker, valid_from;
