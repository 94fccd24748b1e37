-- Who answered a connection, in one line: the cluster (initdb's system identifier, where this role may read it), the
-- running server (its start time and port) and the database (its name and oid). The tool's own connection and psql
-- printing the same line reached the same database of the same server: a clone or a standby has the cluster's
-- identifier but its own start time or port, and a database recreated since has a new oid.
SELECT concat_ws(' ',
    'cluster=' || coalesce(CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
                                THEN (SELECT system_identifier::text FROM pg_catalog.pg_control_system()) END, 'unreadable'),
    'started=' || to_char(pg_catalog.pg_postmaster_start_time() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'port=' || pg_catalog.current_setting('port'),
    'database=' || pg_catalog.quote_ident(pg_catalog.current_database()),
    'oid=' || (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()));
