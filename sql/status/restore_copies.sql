-- The copies a restore beside live leaves: the previous live database (<db>_previous_<utc>) and an incoming one
-- (<db>_incoming_<utc>: a Restore running now, or one that failed and was kept with --keep-failed), with their sizes.
SELECT datname, pg_database_size(oid)
FROM pg_database
WHERE starts_with(datname, @previous) OR starts_with(datname, @incoming)
ORDER BY datname;
