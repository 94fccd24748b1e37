using Npgsql;
using StocksRebuild.Connection;
using StocksRebuild.Migrations;

namespace StocksRebuild.Sample;

/// <summary>Fills a freshly migrated, empty database with the small deterministic sample of sql/sample.</summary>
public static class SampleData
{
    public static void Seed(ServerConnection server, string database, IRunbookLog log)
    {
        Migrator.Migrate(server, database, confirm: null, sandbox: false, log);
        var withRows = Migrator.TablesWithRows(server, database);
        if (withRows.Count > 0)
            throw new RunbookException($"SeedSample refused: \"{database}\" already holds rows ({string.Join(", ", withRows)}); the sample goes into an empty database only.");

        using var connection = server.Open(database);
        using var transaction = connection.BeginTransaction();
        using (var command = new NpgsqlCommand(SqlFiles.Read("sample/seed_sample.sql"), connection, transaction))
            command.ExecuteNonQuery();
        transaction.Commit();
        log.Info($"SeedSample: sample data loaded into \"{database}\".");
    }
}
