using StocksRebuild.Ingestion;
using StocksRebuild.Migrations;

namespace StocksRebuild.Validation;

/// <summary>Scenario B step 3, "Verify empty schema": every table the migrations create exists and holds 0 rows.</summary>
public static class EmptySchemaCheck
{
    /// <summary>The tables the runbook's Scenario B fills (one per ingestion job, in order), plus the ingestion log.</summary>
    public static readonly IReadOnlyList<string> ExpectedTables =
        [.. IngestJobs.Names.Append(IngestionLog.Table).Select(table => $"{Schema.Name}.{table}")];

    /// <summary>Which expected tables are missing and, when none is, which tables hold rows; read only.</summary>
    public static EmptySchemaResult Check(ServerConnection server, string database)
    {
        var present = Migrator.DataTables(server, database);
        var missing = ExpectedTables.Except(present, StringComparer.Ordinal).ToList();
        var withRows = missing.Count > 0 ? [] : Migrator.TablesWithRows(server, database);
        return new EmptySchemaResult(database, present.Count, missing, withRows);
    }
}

/// <summary>What VerifyEmptySchema found; the Cake task turns a red one into the failure message.</summary>
public sealed record EmptySchemaResult(string Database, int Tables, IReadOnlyList<string> Missing, IReadOnlyList<string> WithRows)
{
    public bool Passed => Missing.Count == 0 && WithRows.Count == 0;

    public string Summary => Passed
        ? $"VerifyEmptySchema: all {Tables} tables of \"{Database}\" exist and are empty."
        : Missing.Count > 0
            ? $"VerifyEmptySchema: table(s) missing in \"{Database}\": {string.Join(", ", Missing)}. Run --target=Migrate first; " +
              "if it ran, a migration is incomplete."
            : $"VerifyEmptySchema: table(s) not empty in \"{Database}\": {string.Join(", ", WithRows)}. A cold rebuild starts from an " +
              "empty schema: DropCreate and Migrate again.";
}
