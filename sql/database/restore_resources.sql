-- What this role may still do on this server before a restore starts: the connections it may open (the server's,
-- less those reserved for superusers unless it is one, less every client session but this one; and the role's own
-- limit, less its sessions), whether it may create databases, whether it owns the target (rename, drop), and the
-- other sessions on the target it could not end (a superuser's, or a role it is not a member of, unless
-- pg_signal_backend lets it end a non-superuser's).
WITH me AS (SELECT rolsuper, rolcreatedb, rolconnlimit FROM pg_catalog.pg_roles WHERE rolname = current_user),
     -- A role without pg_read_all_stats sees no backend_type of other roles' sessions; a client's still shows its database and role.
     clients AS (SELECT pid, usename, datname FROM pg_catalog.pg_stat_activity
                 WHERE coalesce(backend_type = 'client backend', datname IS NOT NULL AND usename IS NOT NULL)
                   AND pid <> pg_catalog.pg_backend_pid())
SELECT current_setting('max_connections')::int AS max_connections,
       CASE WHEN me.rolsuper THEN 0
            ELSE current_setting('superuser_reserved_connections')::int
                 + coalesce(nullif(current_setting('reserved_connections', true), '')::int, 0) END AS reserved,
       (SELECT count(*) FROM clients)::int AS open_sessions,
       me.rolconnlimit AS role_limit,
       (SELECT count(*) FROM clients WHERE usename = current_user)::int AS role_sessions,
       me.rolsuper OR me.rolcreatedb AS can_create,
       me.rolsuper OR coalesce((SELECT pg_catalog.pg_has_role(current_user, d.datdba, 'MEMBER')
                                FROM pg_catalog.pg_database d WHERE d.datname = @database), true) AS owns_target,
       (SELECT pg_catalog.string_agg(DISTINCT c.usename, ', ' ORDER BY c.usename)
        FROM clients c JOIN pg_catalog.pg_roles r ON r.rolname = c.usename
        WHERE c.datname = @database
          AND NOT me.rolsuper
          AND NOT pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')
          AND (r.rolsuper OR NOT pg_catalog.pg_has_role(current_user, 'pg_signal_backend', 'MEMBER'))) AS unendable_roles
FROM me;
