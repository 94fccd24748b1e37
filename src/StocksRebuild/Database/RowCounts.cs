
namespace StocksRebuild.Database;

/// <summary>Exact row counts of every user table, "schema.table" → rows: what a manifest records and a rehearsal compares.</summary>
public static class RowCounts
{
    /// <summary>
    /// Counted on the caller's session, so inside its snapshot when it has one (Backup counts in pg_dump's);
    /// with <paramref name="schema"/>, the tables of that schema only (other schemas are not scanned at all).
    /// </summary>
    public static Dictionary<string, long> Exact(NpgsqlConnection connection, string? schema = null)
    {
        var tables = new List<(string schema, string table)>();
        using (var command = new NpgsqlCommand(SqlFiles.Read("backup/table_row_counts.sql"), connection))
        using (var reader = command.ExecuteReader())
            while (reader.Read())
                if (schema is null || reader.GetString(0) == schema) tables.Add((reader.GetString(0), reader.GetString(1)));

        var counts = new Dictionary<string, long>();
        foreach (var (tableSchema, table) in tables)
        {
            using var count = new NpgsqlCommand($"SELECT count(*) FROM {DatabaseName.Quote(tableSchema)}.{DatabaseName.Quote(table)}", connection);
            counts[$"{tableSchema}.{table}"] = (long)count.ExecuteScalar()!;
        }
        return counts;
    }
}
