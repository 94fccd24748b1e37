-- Whether this role's sessions may write here: not on a standby (recovery), and not read-only by default (a setting
-- of the role, the database or the server), with where that setting comes from (pg_settings' source).
SELECT pg_catalog.pg_is_in_recovery() AS standby,
       s.setting = 'on' AS read_only,
       s.source
FROM pg_catalog.pg_settings s
WHERE s.name = 'default_transaction_read_only';
