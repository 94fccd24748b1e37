-- How a job read its files when that is not the default (e.g. {"ticker_valid_to": "inclusive"}): a later
-- reader of the log must know a drop's valid_to dates were converted on the way in.
ALTER TABLE stocks_research.ingestion_log ADD COLUMN options jsonb NOT NULL DEFAULT '{}';
