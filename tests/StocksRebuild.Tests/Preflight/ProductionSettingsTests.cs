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
    /// <summary>
    /// An application's transaction holding a table lock: the tool waits --lock-timeout for it, then fails the step saying
    /// it was a lock (never a finding about the drop's rows), with nothing changed; Backup's pg_dump waits as long.
    /// </summary>
    [Test]
    public void ALockAnApplicationHoldsFailsTheStepAfterLockTimeoutSayingSo()
    {
        var database = Databases.Seeded();
        var before = Databases.DataFingerprint(database); // the failed job is logged in ingestion_log, as every job is
        var plain = new Npgsql.NpgsqlConnectionStringBuilder(TestServer.Connection.ConnectionString(database)) { Options = null, ApplicationName = "app" };
        using var application = new Npgsql.NpgsqlConnection(plain.ConnectionString);
        application.Open();
        using var transaction = application.BeginTransaction();
        Sql.Execute(application, "LOCK TABLE stocks_research.securities IN ACCESS EXCLUSIVE MODE", transaction: transaction);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ingest = BuildScript.Run("--target=Ingest", $"--database={database}", "--lock-timeout=1s");
        Assert.That(ingest.ExitCode, Is.Not.Zero, ingest.ToString());
        Assert.That(ingest.Output, Does.Contain("Ingest securities failed and was rolled back: 55P03: canceling statement due to lock timeout: " +
            "another session held a lock the statement needed for longer than the tool's lock_timeout (1.0s, --lock-timeout); nothing is " +
            "wrong with the data"));
        Assert.That(ingest.Output, Does.Not.Contain("The server refused the job's load as a whole"));

        var folder = Directory.CreateTempSubdirectory("stocksrebuild-locked-").FullName;
        var backup = BuildScript.Run("--target=Backup", $"--database={database}", $"--backup-dir={folder}", "--lock-timeout=1s");
        Assert.That(backup.ExitCode, Is.Not.Zero, backup.ToString());
        Assert.That(backup.Output, Does.Contain("Another session held a lock on a table longer than --lock-timeout (1.0s)"));
        Assert.That(Directory.GetFiles(folder, "full_*"), Is.Empty);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), "neither waited for the application");

        transaction.Rollback();
        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(before));
    }
}
