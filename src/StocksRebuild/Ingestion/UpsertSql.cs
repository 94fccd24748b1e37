using StocksRebuild.Catalog;

namespace StocksRebuild.Ingestion;

/// <summary>
/// The upserts of the seven jobs, generated from the catalog's table (its primary key is the natural key) by pure
/// functions that quote every name: one pattern instead of a hand-written copy per table.
/// </summary>
public static class UpsertSql
{
    /// <summary>
    /// Staged rows into the table by its key. The rows that are new or differ are found first by one join, so a rerun
    /// of the same drop writes (and locks) nothing. DEFERRABLE constraints are checked once every row is in (a ticker
    /// can pass from one security to another in any row order). Returns (inserted, updated).
    /// </summary>
    public static string FromStage(CatalogTable table, string stage, IReadOnlyList<string> columns)
    {
        var (key, rest) = Split(table, columns);
        var differs = rest.Count == 0 ? "" : $"\n       OR ({List(rest, "t.")}) IS DISTINCT FROM ({List(rest, "s.")})";
        var sql = $"""
            WITH changed AS (
                SELECT {List(columns, "s.")}
                FROM {Statements.Qualified("pg_temp", stage)} s
                LEFT JOIN {Statements.Table(table.Name)} t USING ({List(key)})
                WHERE t.{Statements.Quote(key[0])} IS NULL{differs}
            ),
            upserted AS (
                INSERT INTO {Statements.Table(table.Name)} AS t ({List(columns)})
                SELECT * FROM changed
                {OnConflict(key, rest, changedOnly: false)}
                RETURNING xmax = 0 AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;
            """;
        return Deferring(table, sql);
    }

    /// <summary>A derived table recomputed from its derivation view; returns (rows derived, inserted, updated).</summary>
    public static string FromView(CatalogTable table, string view)
    {
        var columns = table.Columns.Select(c => c.Name).ToList();
        var (key, rest) = Split(table, columns);
        return $"""
            WITH derived AS MATERIALIZED (
                SELECT * FROM {Statements.Table(view)}
            ),
            upserted AS (
                INSERT INTO {Statements.Table(table.Name)} AS t ({List(columns)})
                SELECT {List(columns)}
                FROM derived
                {OnConflict(key, rest, changedOnly: true)}
                RETURNING xmax = 0 AS inserted
            )
            SELECT (SELECT count(*) FROM derived), count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted;
            """;
    }

    static (IReadOnlyList<string> key, IReadOnlyList<string> rest) Split(CatalogTable table, IReadOnlyList<string> columns)
    {
        if (table.PrimaryKey.Count == 0) throw new RunbookException($"{Schema.Name}.{table.Name} has no primary key to upsert by.");
        var missing = table.PrimaryKey.Except(columns).ToList();
        if (missing.Count > 0) throw new RunbookException($"{Schema.Name}.{table.Name}: key column(s) {string.Join(", ", missing)} not loaded.");
        return (table.PrimaryKey, columns.Except(table.PrimaryKey).ToList());
    }

    static string OnConflict(IReadOnlyList<string> key, IReadOnlyList<string> rest, bool changedOnly)
    {
        if (rest.Count == 0) return $"ON CONFLICT ({List(key)}) DO NOTHING";
        var set = string.Join(", ", rest.Select(c => $"{Statements.Quote(c)} = EXCLUDED.{Statements.Quote(c)}"));
        var onlyChanged = changedOnly ? $"\n    WHERE ({List(rest, "t.")}) IS DISTINCT FROM ({List(rest, "EXCLUDED.")})" : "";
        return $"ON CONFLICT ({List(key)}) DO UPDATE SET {set}{onlyChanged}";
    }

    static string Deferring(CatalogTable table, string sql)
    {
        if (table.DeferrableConstraints.Count == 0) return sql;
        var names = string.Join(", ", table.DeferrableConstraints.Select(c => Statements.Qualified(Schema.Name, c)));
        return $"SET CONSTRAINTS {names} DEFERRED;\n{sql}\nSET CONSTRAINTS {names} IMMEDIATE;";
    }

    static string List(IEnumerable<string> columns, string prefix = "") => string.Join(", ", columns.Select(c => prefix + Statements.Quote(c)));
}
