-- --read-only-live: whether live @database is read-only by a database-wide default_transaction_read_only of its own
-- (left alone), and its open sessions, which keep writing until they reconnect (the setting reaches new sessions only).
SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s, unnest(s.setconfig) c
               WHERE s.setdatabase = d.oid AND s.setrole = 0 AND c LIKE 'default_transaction_read_only=%'),
       (SELECT count(*) FROM pg_stat_activity a WHERE a.datname = d.datname AND a.pid <> pg_backend_pid())
FROM pg_database d
WHERE d.datname = @database;
