using Npgsql;

namespace StocksRebuild.Database;

/// <summary>Exact row counts of every user table, "schema.table" → rows: what a manifest records and a rehearsal compares.</summary>
public static class RowCounts
{
    /// <summary>Counted on the caller's session, so inside its snapshot when it has one (Backup counts in pg_dump's).</summary>
    public static Dictionary<string, long> Exact(NpgsqlConnection connection)
    {
        var tables = new List<(string schema, string table)>();
        using (var command = new NpgsqlCommand(SqlFiles.Read("backup/table_row_counts.sql"), connection))
        using (var reader = command.ExecuteReader())
            while (reader.Read()) tables.Add((reader.GetString(0), reader.GetString(1)));

        var counts = new Dictionary<string, long>();
        foreach (var (schema, table) in tables)
        {
            using var count = new NpgsqlCommand($"SELECT count(*) FROM {DatabaseName.Quote(schema)}.{DatabaseName.Quote(table)}", connection);
            counts[$"{schema}.{table}"] = (long)count.ExecuteScalar()!;
        }
        return counts;
    }
}
