-- Whether this role's sessions may write here: not on a standby (recovery), and not read-only by default (a setting
-- of the role, the database or the server). Where it comes from (pg_settings' source), and the primary a standby
-- follows, where this role may read primary_conninfo (host and port only: it can hold a password).
SELECT pg_catalog.pg_is_in_recovery() AS standby,
       s.setting = 'on' AS read_only,
       s.source,
       (SELECT pg_catalog.string_agg(m[1] || '=' || m[2], ' ')
        FROM pg_catalog.regexp_matches(coalesce(CASE WHEN pg_catalog.pg_has_role(current_user, 'pg_read_all_settings', 'USAGE')
                                                THEN pg_catalog.current_setting('primary_conninfo', true) END, ''),
                                       '(?:^|\s)(host|hostaddr|port)=''?([^''\s]+)', 'g') AS m) AS primary
FROM pg_catalog.pg_settings s
WHERE s.name = 'default_transaction_read_only';
