-- What belongs to the database rather than to its contents, so pg_dump -Fc (without --create) does not hold it and the
-- incoming database lacks it: the statements that give the incoming database @incoming the privileges, settings
-- (ALTER DATABASE / ALTER ROLE ... IN DATABASE ... SET), connection limit, comment and owner of the live one @database.
-- kind 'owner' may fail for want of membership in the owner's role (the caller warns); any other failure refuses the swap.
WITH live AS (
    SELECT oid, datacl, datconnlimit, datdba FROM pg_database WHERE datname = @database
), setting AS (
    SELECT s.setrole, split_part(c, '=', 1) AS name, substr(c, strpos(c, '=') + 1) AS value, n
    FROM live JOIN pg_db_role_setting s ON s.setdatabase = live.oid, unnest(s.setconfig) WITH ORDINALITY AS u(c, n)
)
SELECT kind, statement FROM (
    SELECT 1 AS step, 0::bigint AS n, 'privileges' AS kind, format('REVOKE ALL ON DATABASE %I FROM PUBLIC', @incoming) AS statement
    FROM live WHERE datacl IS NOT NULL
    UNION ALL
    SELECT 2, row_number() OVER (), 'privileges', format('GRANT %s ON DATABASE %I TO %s%s', a.privilege_type, @incoming,
        CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
        CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
    FROM live, aclexplode(live.datacl) a
    UNION ALL
    -- A list-valued setting (search_path ...) is stored as the list PostgreSQL itself wrote; any other as one literal.
    SELECT 3, row_number() OVER (ORDER BY setrole, n), 'settings', format('%s SET %s TO %s',
        CASE WHEN setrole = 0 THEN format('ALTER DATABASE %I', @incoming)
             ELSE format('ALTER ROLE %I IN DATABASE %I', pg_get_userbyid(setrole), @incoming) END,
        array_to_string(ARRAY(SELECT quote_ident(part) FROM unnest(string_to_array(name, '.')) AS part), '.'),
        CASE WHEN name IN ('search_path', 'temp_tablespaces', 'local_preload_libraries', 'session_preload_libraries',
                           'shared_preload_libraries', 'unix_socket_directories') THEN value ELSE quote_literal(value) END)
    FROM setting
    UNION ALL
    SELECT 4, 0, 'connection limit', format('ALTER DATABASE %I CONNECTION LIMIT %s', @incoming, datconnlimit)
    FROM live WHERE datconnlimit <> -1
    UNION ALL
    SELECT 5, 0, 'comment', format('COMMENT ON DATABASE %I IS %L', @incoming, shobj_description(oid, 'pg_database'))
    FROM live WHERE shobj_description(oid, 'pg_database') IS NOT NULL
      -- The mark of a restore into live that did not finish (UnfinishedRestore) is not the database's: its replacement is whole.
      AND NOT starts_with(shobj_description(oid, 'pg_database'), @unfinished)
    UNION ALL
    SELECT 6, 0, 'owner', format('ALTER DATABASE %I OWNER TO %I', @incoming, pg_get_userbyid(datdba))
    FROM live WHERE pg_get_userbyid(datdba) <> current_user
) AS carried
ORDER BY step, n;
