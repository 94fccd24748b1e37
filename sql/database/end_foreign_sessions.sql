-- While a database is restored or validated, only the run's own sessions belong on it: every client tool and session of
-- the tool is named StocksRebuild (PGAPPNAME, Npgsql's application name). Any other session is ended where this role may
-- end it (a superuser; a member of the session's role; pg_signal_backend for a non-superuser's session), and named.
WITH me AS (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user),
     other AS (
    SELECT a.pid, a.usename, a.application_name, a.client_addr,
           me.rolsuper OR pg_catalog.pg_has_role(current_user, a.usesysid, 'MEMBER')
               OR (pg_catalog.pg_has_role(current_user, 'pg_signal_backend', 'MEMBER') AND NOT r.rolsuper) AS may_end
    FROM pg_catalog.pg_stat_activity a
    JOIN pg_catalog.pg_roles r ON r.oid = a.usesysid
    CROSS JOIN me
    WHERE a.datname = @database
      AND a.pid <> pg_catalog.pg_backend_pid()
      -- A client's session, not a parallel worker of one: Validate's own queries run on workers that carry no application name.
      AND a.leader_pid IS NULL
      AND coalesce(a.backend_type, 'client backend') = 'client backend'
      AND NOT starts_with(coalesce(a.application_name, ''), 'StocksRebuild'))
SELECT pid, coalesce(usename, ''), coalesce(application_name, ''), coalesce(host(client_addr), 'local'),
       CASE WHEN may_end THEN pg_catalog.pg_terminate_backend(pid) ELSE false END AS ended
FROM other;
