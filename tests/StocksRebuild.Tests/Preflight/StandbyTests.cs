using StocksRebuild.Database;
using StocksRebuild.Sandbox;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Preflight;

/// <summary>
/// A real streaming standby (pg_basebackup -R of a primary the fixture starts): every writing target run against it is
/// refused at the start with the word standby and the primary it follows, before the lock and anything else.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[TestFixture, Category("BadInput")]
public sealed class StandbyTests
{
    SandboxServer primary = null!;
    SandboxServer standby = null!;
    string database = "";
    string folder = "";

    [OneTimeSetUp]
    public void StartPrimaryAndStandby()
    {
        folder = Directory.CreateTempSubdirectory("stocksrebuild-standby-").FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        primary = SandboxServer.Start(folder, new TestLog());
        database = Databases.Migrated("standby", primary.Connection);
        standby = primary.StartStandby(new TestLog());
    }

    [OneTimeTearDown]
    public void StopThem()
    {
        standby.Dispose();
        primary.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    [TestCase("--target=Restore", "--confirm")]
    [TestCase("--target=Restore", "--confirm", "--in-place")]
    [TestCase("--target=Ingest")]
    [TestCase("--target=ColdRebuild", "--confirm")]
    [TestCase("--target=Migrate")]
    public void AWritingTargetOnAStandbyIsRefusedNamingItsPrimary(params string[] arguments)
    {
        var backup = Databases.CopyOfBackup();
        var listing = Databases.Listing(Path.GetDirectoryName(backup)!);
        var before = Databases.Fingerprint(database, primary.Connection);
        string[] command = [.. arguments.Select(a => a == "--confirm" ? $"--confirm={database}" : a), $"--database={database}", $"--backup={backup}"];

        var run = BuildScript.Run(standby.Connection, command);

        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain($"{arguments[0]["--target=".Length..]} refused: database \"postgres\" on {standby.Connection.User}@127.0.0.1:" +
            $"{standby.Connection.Port} is a standby (in recovery): it cannot be written"), run.ToString());
        Assert.That(run.Output, Does.Contain($"(this standby follows host=127.0.0.1 port={primary.Connection.Port})"));
        Assert.That(run.Output, Does.Not.Contain(primary.Connection.Password!));
        Assert.That(Databases.Fingerprint(database, primary.Connection), Is.EqualTo(before));
        Assert.That(Databases.Listing(Path.GetDirectoryName(backup)!), Is.EqualTo(listing));
    }
    /// <summary>
    /// A standby whose replay is paused behind its primary: its backup holds what it had replayed, so the manifest records
    /// the replay point and the commit time of the last transaction replayed, and ages are judged from that, not from
    /// when pg_dump ran: --max-replay-lag refuses it, Status counts its age from its data, and VerifyBackup's
    /// --max-backup-age refuses it by its data's age.
    /// </summary>
    [Test]
    public void ABackupOnAStandbyRecordsHowRecentItsDataAreAndItsAgeIsJudgedFromThat()
    {
        using (var connection = primary.Connection.Open(database))
            Sql.Execute(connection, "CREATE TABLE IF NOT EXISTS public.heartbeat (at timestamptz); INSERT INTO public.heartbeat VALUES (now())");
        using var onStandby = standby.Connection.Open(database);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool Replayed() => Sql.Scalar<bool>(onStandby, "SELECT to_regclass('public.heartbeat') IS NOT NULL") &&
                           Sql.Scalar<long>(onStandby, "SELECT count(*) FROM public.heartbeat") > 0;
        while (!Replayed() && clock.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(50);
        Sql.Execute(onStandby, "SELECT pg_wal_replay_pause()");
        var replayed = Sql.Scalar<DateTime>(onStandby, "SELECT pg_last_xact_replay_timestamp()").ToUniversalTime();
        Thread.Sleep(TimeSpan.FromSeconds(3));
        using (var connection = primary.Connection.Open(database)) Sql.Execute(connection, "INSERT INTO public.heartbeat VALUES (now())");
        var folder = Directory.CreateTempSubdirectory("stocksrebuild-standby-backups-").FullName;
        try
        {
            var refused = BuildScript.Run(standby.Connection, "--target=Backup", $"--database={database}", $"--backup-dir={folder}", "--max-replay-lag=2s");
            Assert.That(refused.ExitCode, Is.Not.Zero, refused.ToString());
            Assert.That(refused.Output, Does.Match(@"Backup refused: the standby's data are [\d.]+s behind this run's clock, beyond --max-replay-lag=2\.0s"));
            Assert.That(Directory.GetFiles(folder), Is.Empty.Or.All.EndsWith(".lock"));

            var backup = BuildScript.Run(standby.Connection, "--target=Backup", $"--database={database}", $"--backup-dir={folder}");
            Assert.That(backup.ExitCode, Is.Zero, backup.ToString());
            Assert.That(backup.Output, Does.Contain($"is a standby of host=127.0.0.1 port={primary.Connection.Port}: its data are as of the last " +
                $"transaction it had replayed, committed at {replayed:yyyy-MM-dd HH:mm:ss} UTC"));
            var manifest = StocksRebuild.Backups.BackupManifest.ReadFor(Directory.GetFiles(folder, "full_*.dump").Single())!;
            Assert.That(manifest.Standby!.LastReplayedUtc, Is.EqualTo(replayed).Within(TimeSpan.FromMilliseconds(1)));
            Assert.That(manifest.Standby.ReplayLsn, Does.Match("^[0-9A-F]+/[0-9A-F]+$"));
            Assert.That(manifest.CreatedUtc - replayed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(3)));
            Assert.That(Sql.Scalar<long>(onStandby, "SELECT count(*) FROM public.heartbeat"), Is.EqualTo(1), "the later row is not in the standby");

            var status = BuildScript.Run(standby.Connection, "--target=Status", $"--database={database}", $"--backup-dir={folder}", "--max-backup-age=2s",
                $"--report-dir={Directory.CreateTempSubdirectory("stocksrebuild-standby-reports-").FullName}");
            Assert.That(status.Output, Does.Match(@"CRITICAL\s+backup\s+newest full_\d{8}_\d{4}\.dump, [\d,]+ bytes, taken on a standby, its data [\d.]+s old"));
            Assert.That(status.Output, Does.Contain("is a standby of host=127.0.0.1").And.Contain("(read-only)"));

            var verify = BuildScript.Run(standby.Connection, "--target=VerifyBackup", $"--backup-dir={folder}", "--max-backup-age=2s");
            Assert.That(verify.ExitCode, Is.Not.Zero, verify.ToString());
            Assert.That(verify.Output, Does.Contain("it was taken on a standby whose last replayed transaction committed"));
        }
        finally
        {
            Sql.Execute(onStandby, "SELECT pg_wal_replay_resume()");
        }
    }
    /// <summary>
    /// The primary's run lock does not reach a standby: a Backup there during an Ingest on the primary would hold some jobs'
    /// rows and not the others'. Each job's 'running' row replicates, and the Backup refuses while it shows one; once the
    /// Ingest has finished and replayed, it backs up. (An application's lock holds the Ingest at corporate_actions.)
    /// </summary>
    [Test]
    public void ABackupOnAStandbyDuringAnIngestOnThePrimaryIsRefused()
    {
        var target = Databases.Migrated("standby-ingest", primary.Connection);
        using var application = primary.Connection.Open(target, applicationName: "app");
        using (var hold = application.BeginTransaction())
        {
            Sql.Execute(application, "LOCK TABLE stocks_research.corporate_actions IN ACCESS EXCLUSIVE MODE", transaction: hold);
            var ingest = Task.Run(() => StocksRebuild.Ingestion.Ingestor.Ingest(TestServer.Run(new TestLog(), primary.Connection), target,
                new StocksRebuild.Ingestion.IngestOptions { SourceDirectory = Path.Combine(BuildScript.RepositoryRoot, "sample") }));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            bool Running()
            {
                try
                {
                    using var onStandby = standby.Connection.Open(target);
                    return Sql.Scalar<long>(onStandby, "SELECT count(*) FROM stocks_research.ingestion_log WHERE job = 'corporate_actions' AND " +
                        "status = 'running'") > 0;
                }
                catch (Npgsql.NpgsqlException) { return false; } // the database not replayed yet
            }
            while (!Running() && clock.Elapsed < TimeSpan.FromSeconds(25)) Thread.Sleep(50);
            var folder = Directory.CreateTempSubdirectory("stocksrebuild-standby-ingest-").FullName;

            var refused = BuildScript.Run(standby.Connection, "--target=Backup", $"--database={target}", $"--backup-dir={folder}");

            Assert.That(refused.ExitCode, Is.Not.Zero, refused.ToString());
            Assert.That(refused.Output, Does.Contain($"Backup refused: the standby's \"{target}\" shows ingestion running on the primary " +
                "(corporate_actions since "));
            Assert.That(Directory.GetFiles(folder, "full_*"), Is.Empty);
            hold.Rollback();
            ingest.GetAwaiter().GetResult();
        }
        var done = System.Diagnostics.Stopwatch.StartNew();
        using (var onStandby = standby.Connection.Open(target))
            while (Sql.Scalar<long>(onStandby, "SELECT count(*) FROM stocks_research.ingestion_log WHERE status = 'running'") > 0
                   && done.Elapsed < TimeSpan.FromSeconds(25)) Thread.Sleep(50);
        var after = Directory.CreateTempSubdirectory("stocksrebuild-standby-ingested-").FullName;
        var backup = BuildScript.Run(standby.Connection, "--target=Backup", $"--database={target}", $"--backup-dir={after}");
        Assert.That(backup.ExitCode, Is.Zero, backup.ToString());
    }
}
