using StocksRebuild.Ingestion;
using StocksRebuild.Migrations;

namespace StocksRebuild.Sample;

/// <summary>Fills a new database with a source drop (by default the shipped sample/) the way Scenario B does: Migrate, then Ingest.</summary>
public static class SampleData
{
    /// <summary>The shipped drop, relative to the repository root (where build.sh runs Cake).</summary>
    public const string ShippedDrop = "sample";

    public static void Seed(RunContext run, string database, string sourceDirectory)
    {
        using var runLock = RunLock.Acquire(run.Server, database, run.Log);
        Migrator.Migrate(run, database, Consent.None);
        var withRows = Migrator.TablesWithRows(run.Server, database);
        if (withRows.Count > 0)
            throw new RunbookException($"SeedSample refused: \"{database}\" already holds rows ({string.Join(", ", withRows)}); the sample goes " +
                $"into an empty database only.");
        Ingestor.Ingest(run, database, new IngestOptions { SourceDirectory = sourceDirectory });
    }
}
