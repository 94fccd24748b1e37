using StocksRebuild.Database;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Preflight;

/// <summary>
/// A database configured as production ones often are: the application's limits on statements and idle transactions set
/// on the database and on the role in it. They are the application's; the tool's own sessions load, count, validate and
/// hold a dump's snapshot for as long as the data needs, as pg_dump and pg_restore set for theirs.
/// </summary>
[TestFixture]
public sealed class ProductionSettingsTests
{
    /// <summary>A setting as an application's session sees it: a plain connection, without the tool's own options.</summary>
    static string ApplicationSees(string database, string setting)
    {
        var plain = new Npgsql.NpgsqlConnectionStringBuilder(TestServer.Connection.ConnectionString(database)) { Options = null };
        using var connection = new Npgsql.NpgsqlConnection(plain.ConnectionString);
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand($"SHOW {setting}", connection);
        return (string)command.ExecuteScalar()!;
    }

    [Test]
    public void TheApplicationsStatementAndIdleLimitsDoNotCancelTheToolsOwnWork()
    {
        var database = Databases.Migrated("limits");
        var quoted = DatabaseName.Quote(database);
        Databases.Execute("postgres", $"""
            ALTER DATABASE {quoted} SET statement_timeout = '300ms';
            ALTER ROLE CURRENT_USER IN DATABASE {quoted} SET idle_in_transaction_session_timeout = '200ms';
            """);
        Assert.That(ApplicationSees(database, "statement_timeout"), Is.EqualTo("300ms"), "the application's sessions get the limit");
        Assert.That(Databases.Scalar<string>(database, "SHOW statement_timeout"), Is.EqualTo("0"), "the tool's own do not");

        // The medium drop's prices take seconds to load, count, validate and dump: each would be cancelled at 300 ms.
        var ingest = BuildScript.Run("--target=Ingest", $"--database={database}", $"--source={Drops.Medium}");
        Assert.That(ingest.ExitCode, Is.Zero, ingest.ToString());
        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(Databases.DataFingerprint(Databases.Medium)));

        var validate = BuildScript.Run("--target=Validate", $"--database={database}", "--deep");
        Assert.That(validate.ExitCode, Is.Zero, validate.ToString());

        var folder = Directory.CreateTempSubdirectory("stocksrebuild-limits-").FullName;
        var backup = BuildScript.Run("--target=Backup", $"--database={database}", $"--backup-dir={folder}");
        Assert.That(backup.ExitCode, Is.Zero, backup.ToString());

        // --in-place gives the database its settings back before the restore, so the restore and its Validate run under them.
        var restore = BuildScript.Run("--target=Restore", $"--database={database}", $"--confirm={database}", $"--backup-dir={folder}", "--in-place");
        Assert.That(restore.ExitCode, Is.Zero, restore.ToString());
        Assert.That(ApplicationSees(database, "statement_timeout"), Is.EqualTo("300ms"), "given back, and still the application's");
        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(Databases.DataFingerprint(Databases.Medium)));
    }
}
