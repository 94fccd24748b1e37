CREATE TABLE stocks_research.prices_daily (
    security_id  bigint         NOT NULL REFERENCES stocks_research.securities (security_id),
    trade_date   date           NOT NULL,
    open         numeric(18, 6) NOT NULL CHECK (open > 0),
    high         numeric(18, 6) NOT NULL CHECK (high > 0),
    low          numeric(18, 6) NOT NULL CHECK (low > 0),
    close        numeric(18, 6) NOT NULL CHECK (close > 0),
    volume       bigint         NOT NULL CHECK (volume >= 0),
    PRIMARY KEY (security_id, trade_date),
    CHECK (low <= open AND low <= close AND open <= high AND close <= high)
);
