CREATE TABLE stocks_research.securities (
    security_id  bigint      PRIMARY KEY,
    name         text        NOT NULL,
    exchange     text        NOT NULL,
    currency     char(3)     NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    sector       text,
    listed_on    date,
    delisted_on  date,
    CHECK (delisted_on IS NULL OR listed_on IS NULL OR delisted_on >= listed_on)
);

-- Tickers are reused by other companies over time: a ticker names one security per period, never two.
CREATE TABLE stocks_research.ticker_history (
    security_id  bigint  NOT NULL REFERENCES stocks_research.securities (security_id),
    ticker       text    NOT NULL CHECK (ticker <> ''),
    valid_from   date    NOT NULL,
    valid_to     date,
    PRIMARY KEY (security_id, ticker, valid_from),
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    CONSTRAINT ticker_history_no_overlap
        EXCLUDE USING gist (ticker WITH =, daterange(valid_from, valid_to) WITH &&)
);
