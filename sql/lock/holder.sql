-- Who holds the run lock of a database: the session's application_name carries the tool's pid and host.
SELECT a.application_name, a.backend_start, host(a.client_addr), l.mode
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory'
  AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = @namespace::bigint::oid
  AND l.objid = (hashtext(@database)::bigint & 4294967295)::oid
  AND l.objsubid = 2
ORDER BY l.mode DESC
LIMIT 1;
