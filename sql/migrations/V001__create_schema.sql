-- The runbook's queries name stocks_research.<table>: every object of the project lives in this schema.
CREATE SCHEMA IF NOT EXISTS stocks_research;

-- btree_gist lets the ticker exclusion constraint mix equality (ticker) with range overlap (validity).
CREATE EXTENSION IF NOT EXISTS btree_gist;
