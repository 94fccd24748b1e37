using StocksRebuild.Ingestion;
using StocksRebuild.Migrations;

namespace StocksRebuild.Validation;

/// <summary>Scenario B step 3, "Verify empty schema": every table the migrations create exists and holds 0 rows.</summary>
public static class EmptySchemaCheck
{
    /// <summary>The tables the runbook's Scenario B fills (one per ingestion job, in order), plus the ingestion log.</summary>
    public static readonly IReadOnlyList<string> ExpectedTables =
        [.. IngestJobs.Names.Append(IngestionLog.Table).Select(table => $"{Schema.Name}.{table}")];

    public static void Verify(Connection.ServerConnection server, string database, IRunbookLog log)
    {
        var present = Migrator.DataTables(server, database);
        var missing = ExpectedTables.Except(present, StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            throw new RunbookException($"VerifyEmptySchema: table(s) missing in \"{database}\": {string.Join(", ", missing)}. Run --target=Migrate " +
                $"first; if it ran, a migration is incomplete.");
        var withRows = Migrator.TablesWithRows(server, database);
        if (withRows.Count > 0)
            throw new RunbookException($"VerifyEmptySchema: table(s) not empty in \"{database}\": {string.Join(", ", withRows)}. A cold rebuild " +
                $"starts from an empty schema: DropCreate and Migrate again.");
        log.Info($"VerifyEmptySchema: all {present.Count} tables of \"{database}\" exist and are empty.");
    }
}
