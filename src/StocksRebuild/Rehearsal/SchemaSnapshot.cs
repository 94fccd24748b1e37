
namespace StocksRebuild.Rehearsal;

/// <summary>
/// The schema's objects as the catalog renders them (sql/rehearsal/schema_objects.sql): tables, columns with
/// type, default and nullability, constraints, indexes, views, functions, aggregates, sequences, triggers, types.
/// Keyed "kind name", e.g. "column stocks_research.securities.sector".
/// </summary>
public sealed record SchemaSnapshot(string Label, IReadOnlyDictionary<string, string> Objects)
{
    public static SchemaSnapshot Read(ServerConnection server, string database, string label, string schema = Database.Schema.Name)
    {
        using var connection = server.Open(database, readOnly: true);
        // Every name in the definitions comes out schema-qualified, whatever the database's search_path.
        using (var path = new NpgsqlCommand("SET search_path = pg_catalog", connection)) path.ExecuteNonQuery();
        using var command = new NpgsqlCommand(SqlFiles.Read("rehearsal/schema_objects.sql"), connection);
        command.Parameters.AddWithValue("schema", schema);
        using var reader = command.ExecuteReader();
        var objects = new SortedDictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read()) objects[$"{reader.GetString(0)} {reader.GetString(1)}"] = reader.GetString(2);
        return new SchemaSnapshot(label, objects);
    }

    /// <summary>
    /// Every object that is not the same in all snapshots, named with where it is and is not, e.g.
    /// "column stocks_research.securities.x: in live, missing in backup, missing in migrations".
    /// </summary>
    public static IReadOnlyList<string> Differences(IReadOnlyList<SchemaSnapshot> snapshots)
    {
        var differences = new List<string>();
        var keys = snapshots.SelectMany(s => s.Objects.Keys).Distinct().Order(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var definitions = snapshots.Select(s => s.Objects.GetValueOrDefault(key)).ToList();
            if (definitions.All(d => d is not null) && definitions.Distinct().Count() == 1) continue;
            var present = definitions.OfType<string>().Distinct().ToList();
            differences.Add(present.Count == 1
                // Present the same way where it exists: say where it is missing.
                ? $"{key}: " + string.Join(", ", snapshots.Select((s, i) => definitions[i] is null ? $"missing in {s.Label}" : $"in {s.Label}"))
                // Defined differently: show each definition from a little before where they part.
                : $"{key}: " + string.Join("; ", snapshots.Select((s, i) => definitions[i] is null
                    ? $"missing in {s.Label}"
                    : $"{Excerpt(OneLine(definitions[i]!), CommonPrefix(present.Select(OneLine).ToList()))} in {s.Label}")));
        }
        return differences;
    }

    static string OneLine(string definition) =>
        string.Join(' ', definition.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));

    static int CommonPrefix(IReadOnlyList<string> texts)
    {
        var length = 0;
        while (texts.All(t => t.Length > length && t[length] == texts[0][length])) length++;
        return length;
    }

    /// <summary>Up to 100 characters starting a little before the first difference, so a long view shows what changed.</summary>
    static string Excerpt(string text, int firstDifference)
    {
        var start = Math.Max(0, firstDifference - 30);
        var excerpt = text.Substring(start, Math.Min(100, text.Length - start));
        return (start > 0 ? "\"…" : "\"") + excerpt + (start + excerpt.Length < text.Length ? "…\"" : "\"");
    }
}
