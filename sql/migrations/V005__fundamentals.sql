CREATE TABLE stocks_research.fundamentals_raw (
    security_id         bigint   NOT NULL REFERENCES stocks_research.securities (security_id),
    fiscal_year         smallint NOT NULL CHECK (fiscal_year BETWEEN 1900 AND 2200),
    fiscal_quarter      smallint NOT NULL CHECK (fiscal_quarter BETWEEN 1 AND 4),
    period_end          date     NOT NULL,
    revenue             numeric(20, 2),
    net_income          numeric(20, 2),
    eps_diluted         numeric(12, 4),
    shares_outstanding  bigint CHECK (shares_outstanding >= 0),
    PRIMARY KEY (security_id, fiscal_year, fiscal_quarter)
);

-- Derived from fundamentals_raw: growth of a quarter over the same quarter a year before.
CREATE TABLE stocks_research.fundamentals_yoy (
    security_id         bigint   NOT NULL,
    fiscal_year         smallint NOT NULL,
    fiscal_quarter      smallint NOT NULL,
    revenue_growth      numeric(20, 8),
    net_income_growth   numeric(20, 8),
    eps_growth          numeric(20, 8),
    PRIMARY KEY (security_id, fiscal_year, fiscal_quarter),
    FOREIGN KEY (security_id, fiscal_year, fiscal_quarter)
        REFERENCES stocks_research.fundamentals_raw (security_id, fiscal_year, fiscal_quarter)
);
