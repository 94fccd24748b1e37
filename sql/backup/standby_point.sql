-- On a standby, how current its data are: the WAL replayed so far and the commit time of the last transaction replayed
-- (null when it has replayed none since it started), and the primary it follows where this role may read
-- primary_conninfo (host and port only: it can hold a password). Read just before the dump's snapshot is exported, so
-- the snapshot holds at least this much. No row on a primary.
SELECT pg_catalog.pg_last_wal_replay_lsn()::text AS replay_lsn,
       pg_catalog.pg_last_xact_replay_timestamp() AS last_replayed,
       (SELECT pg_catalog.string_agg(m[1] || '=' || m[2], ' ')
        FROM pg_catalog.regexp_matches(coalesce(CASE WHEN pg_catalog.pg_has_role(current_user, 'pg_read_all_settings', 'USAGE')
                                                     THEN pg_catalog.current_setting('primary_conninfo', true) END, ''),
                                       '(?:^|\s)(host|hostaddr|port)=''?([^''\s]+)', 'g') AS m) AS primary_server
WHERE pg_catalog.pg_is_in_recovery();
