-- The live database and its previous copies that refuse new connections (ALLOW_CONNECTIONS false): what a swap killed
-- between closing live and opening the previous copy again leaves behind.
SELECT datname
FROM pg_database
WHERE NOT datallowconn
  AND (datname = @database OR starts_with(datname, @previous))
ORDER BY datname;
