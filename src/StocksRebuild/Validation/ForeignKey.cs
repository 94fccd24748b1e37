using StocksRebuild.Database;

namespace StocksRebuild.Validation;

public sealed record ForeignKey(
    string Name,
    string ChildSchema, string ChildTable, IReadOnlyList<string> ChildColumns,
    string ParentSchema, string ParentTable, IReadOnlyList<string> ParentColumns,
    bool Validated)
{
    public string Describe() =>
        $"{ChildSchema}.{ChildTable}({string.Join(", ", ChildColumns)}) -> {ParentSchema}.{ParentTable}({string.Join(", ", ParentColumns)})" +
        (Validated ? "" : " NOT VALID");

    /// <summary>
    /// Counts referencing rows without a referenced row, with MATCH SIMPLE semantics (a row with a NULL in
    /// the key is not checked), which is what PostgreSQL itself enforces by default.
    /// </summary>
    public string OrphanCountSql()
    {
        var child = $"{DatabaseName.Quote(ChildSchema)}.{DatabaseName.Quote(ChildTable)}";
        var parent = $"{DatabaseName.Quote(ParentSchema)}.{DatabaseName.Quote(ParentTable)}";
        var notNull = string.Join(" AND ", ChildColumns.Select(c => $"c.{DatabaseName.Quote(c)} IS NOT NULL"));
        var joins = string.Join(" AND ", ChildColumns.Zip(ParentColumns, (c, p) => $"p.{DatabaseName.Quote(p)} = c.{DatabaseName.Quote(c)}"));
        return $"SELECT count(*) FROM {child} c WHERE {notNull} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {joins})";
    }
}
