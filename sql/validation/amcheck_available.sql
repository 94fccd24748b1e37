-- Whether amcheck is installed in this database, and whether the server could install it.
SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'amcheck') AS installed,
       EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck') AS available;
