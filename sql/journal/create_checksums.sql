-- DbUp's journal stores script names only; this table adds each applied script's sha256 so an edited
-- script is caught (as Flyway's validate does) instead of silently diverging from the database.
CREATE TABLE IF NOT EXISTS stocks_research.schema_checksums (
    script_name  text        PRIMARY KEY,
    sha256       text        NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now()
);
