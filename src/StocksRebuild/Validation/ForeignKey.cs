
namespace StocksRebuild.Validation;

public sealed record ForeignKey(
    string Name,
    string ChildSchema, string ChildTable, IReadOnlyList<string> ChildColumns,
    string ParentSchema, string ParentTable, IReadOnlyList<string> ParentColumns,
    bool Validated)
{
    /// <summary>Every foreign key whose referencing table is in <paramref name="schema"/>, from the catalog.</summary>
    public static List<ForeignKey> InSchema(NpgsqlConnection connection, string schema)
    {
        using var command = new NpgsqlCommand(SqlFiles.Read("validation/foreign_keys.sql"), connection);
        command.Parameters.AddWithValue("schema", schema);
        using var reader = command.ExecuteReader();
        var keys = new List<ForeignKey>();
        while (reader.Read())
            keys.Add(new ForeignKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<string[]>(3),
                reader.GetString(4), reader.GetString(5), reader.GetFieldValue<string[]>(6), reader.GetBoolean(7)));
        return keys;
    }

    public string Describe() =>
        $"{ChildSchema}.{ChildTable}({string.Join(", ", ChildColumns)}) -> {ParentSchema}.{ParentTable}({string.Join(", ", ParentColumns)})" +
        (Validated ? "" : " NOT VALID");

    /// <summary>
    /// Counts referencing rows without a referenced row, with MATCH SIMPLE semantics (a row with a NULL in
    /// the key is not checked), which is what PostgreSQL itself enforces by default.
    /// </summary>
    public string OrphanCountSql() =>
        $"SELECT count(*) FROM {DatabaseName.Quote(ChildSchema)}.{DatabaseName.Quote(ChildTable)} c WHERE {OrphanCondition()}";

    /// <summary>
    /// The rows of a staging table that would be orphans under this key, as problems (src_file, src_line,
    /// columns, values): what an ingestion job reports when the database refuses its rows.
    /// </summary>
    public string OrphanRowsSql(string stagingTable) =>
        $"SELECT c.src_file, c.src_line, {Text(ChildColumns, "c")} FROM pg_temp.{DatabaseName.Quote(stagingTable)} c " +
        $"WHERE {OrphanCondition()} ORDER BY c.src_file, c.src_line LIMIT @limit";

    string OrphanCondition()
    {
        var parent = $"{DatabaseName.Quote(ParentSchema)}.{DatabaseName.Quote(ParentTable)}";
        var notNull = string.Join(" AND ", ChildColumns.Select(c => $"c.{DatabaseName.Quote(c)} IS NOT NULL"));
        var joins = string.Join(" AND ", ChildColumns.Zip(ParentColumns, (c, p) => $"p.{DatabaseName.Quote(p)} = c.{DatabaseName.Quote(c)}"));
        return $"{notNull} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {joins})";
    }

    /// <summary>The values of some columns as one text, e.g. "1, 2024-01-02".</summary>
    internal static string Text(IEnumerable<string> columns, string alias) =>
        $"concat_ws(', ', {string.Join(", ", columns.Select(c => $"{alias}.{DatabaseName.Quote(c)}::text"))})";
}
