CREATE TABLE stocks_research.corporate_actions (
    security_id  bigint         NOT NULL REFERENCES stocks_research.securities (security_id),
    ex_date      date           NOT NULL,
    action_type  text           NOT NULL CHECK (action_type IN ('split', 'dividend')),
    split_ratio  numeric(18, 8),
    cash_amount  numeric(18, 6),
    PRIMARY KEY (security_id, ex_date, action_type),
    CHECK (action_type <> 'split'    OR (split_ratio > 0 AND cash_amount IS NULL)),
    CHECK (action_type <> 'dividend' OR (cash_amount > 0 AND split_ratio IS NULL))
);

-- Derived from corporate_actions: multiply a raw price of a date in [valid_from, valid_to) by factor.
CREATE TABLE stocks_research.adjustment_factors (
    security_id      bigint          NOT NULL REFERENCES stocks_research.securities (security_id),
    valid_from       date            NOT NULL,
    valid_to         date,
    split_factor     numeric(30, 12) NOT NULL CHECK (split_factor > 0),
    dividend_factor  numeric(30, 12) NOT NULL CHECK (dividend_factor > 0),
    factor           numeric(30, 12) NOT NULL CHECK (factor > 0),
    PRIMARY KEY (security_id, valid_from),
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
