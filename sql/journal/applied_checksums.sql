SELECT script_name, sha256
FROM stocks_research.schema_checksums
WHERE to_regclass('stocks_research.schema_checksums') IS NOT NULL
ORDER BY script_name;
