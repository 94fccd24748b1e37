
namespace StocksRebuild.Catalog;

/// <summary>One column as the catalog describes it: its type, what a numeric(p,s) can hold, whether it may be NULL.</summary>
public sealed record CatalogColumn(string Name, string Type, int? Precision = null, int? Scale = null, bool NotNull = false);

/// <summary>One table of the schema: its columns in order, its primary key in key order, its DEFERRABLE constraints.</summary>
public sealed record CatalogTable(string Name, IReadOnlyList<CatalogColumn> Columns, IReadOnlyList<string> PrimaryKey)
{
    public IReadOnlyList<string> DeferrableConstraints { get; init; } = [];

    public CatalogColumn? Column(string name) => Columns.FirstOrDefault(c => c.Name == name);
}

/// <summary>
/// What the schema holds, read from pg_catalog once per run: the one source of tables, column types and limits and
/// keys for the steps that need them (Ingest's exact-value checks, its generated upserts and its diagnosis), so a
/// new migration needs no C# edit.
/// </summary>
public sealed class SchemaCatalog(IReadOnlyDictionary<string, CatalogTable> tables)
{
    public IReadOnlyDictionary<string, CatalogTable> Tables { get; } = tables;

    public CatalogTable this[string table] => Tables.TryGetValue(table, out var found)
        ? found
        : throw new RunbookException($"table {Schema.Name}.{table} does not exist; run --target=Migrate.");

    public static SchemaCatalog Read(NpgsqlConnection connection, NpgsqlTransaction? transaction = null)
    {
        var parameters = new { schema = Schema.Name };
        var columns = Sql.Query(connection, SqlFiles.Read("catalog/columns.sql"), r => (
            table: r.GetString(0),
            column: new CatalogColumn(r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt32(3), r.IsDBNull(4) ? null : r.GetInt32(4),
                r.GetBoolean(5)),
            key: r.IsDBNull(6) ? (long?)null : r.GetInt64(6)), parameters, transaction);
        var deferrable = Sql.Query(connection, SqlFiles.Read("catalog/deferrable_constraints.sql"),
            r => (table: r.GetString(0), name: r.GetString(1)), parameters, transaction);
        return new SchemaCatalog(columns.GroupBy(c => c.table).ToDictionary(
            table => table.Key,
            table => new CatalogTable(table.Key,
                [.. table.Select(c => c.column)],
                [.. table.Where(c => c.key is not null).OrderBy(c => c.key).Select(c => c.column.Name)])
            {
                DeferrableConstraints = [.. deferrable.Where(d => d.table == table.Key).Select(d => d.name)],
            },
            StringComparer.Ordinal));
    }
}
