using StocksRebuild.Database;
using System.Diagnostics;
using Npgsql;
using StocksRebuild.Backups;
using StocksRebuild.Connection;
using StocksRebuild.Ingestion;
using StocksRebuild.Migrations;
using StocksRebuild.Restore;
using StocksRebuild.Sandbox;
using StocksRebuild.Tests.Support;
using StocksRebuild.Tools;
using StocksRebuild.Validation;

namespace StocksRebuild.Tests.Reliability;

/// <summary>Faults on a real server, with the data compared before and after, and a rerun that completes.</summary>
[TestFixture, Category("Fault")]
public sealed class FaultTests
{
    static Process WaitForProcess(string name, Task work)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(1) && !work.IsCompleted)
        {
            if (Processes.Running(name).FirstOrDefault() is { } process) return process;
            Thread.Sleep(10);
        }
        Assert.Fail($"{name} never ran");
        return null!;
    }

    static string LastLog(string database, ServerConnection? server = null)
    {
        using var connection = (server ?? TestServer.Connection).Open(database);
        using var command = new NpgsqlCommand("SELECT job || ' ' || status || ': ' || coalesce(error, '') FROM stocks_research.ingestion_log ORDER " +
            "BY run_id DESC LIMIT 1", connection);
        return (string)command.ExecuteScalar()!;
    }

    [Test]
    public void PgRestoreKilledMidRestoreFailsClearlyAndARestoreAfterwardsSucceeds()
    {
        var target = Databases.NewName("killed");
        Databases.Admin.DropCreate(target, Consent.None, new TestLog());
        var restore = Task.Run(() => BackupRestorer.Restore(TestServer.Run(), Databases.MediumBackup.Backup, target, 1));

        Databases.WaitForStatement(TestServer.Connection, target, "COPY", restore);
        WaitForProcess("pg_restore", restore).Kill();

        var error = Assert.ThrowsAsync<RunbookException>(async () => await restore);
        Assert.That(error!.Message, Does.StartWith("Restore failed: pg_restore was killed by signal 9").And.Contain($"\"{target}\" is incomplete"));

        Databases.Admin.DropCreate(target, Consent.Given(target), new TestLog());
        BackupRestorer.Restore(TestServer.Run(), Databases.MediumBackup.Backup, target, 2);
        Assert.That(Databases.Fingerprint(target), Is.EqualTo(Databases.Fingerprint(Databases.Medium)));
    }

    [Test]
    public void AConnectionCutDuringAJobRollsItBackLogsItFailedAndARerunCompletes()
    {
        var database = Databases.Migrated("fault");
        var log = new TestLog();
        var ingest = Task.Run(() => Ingestor.Ingest(TestServer.Run(log), database, new IngestOptions { SourceDirectory = Drops.Medium }));

        var backend = Databases.WaitForStatement(TestServer.Connection, database, "COPY \"stocks_research\".\"prices_daily\"", ingest);
        Databases.Execute("postgres", $"SELECT pg_terminate_backend({backend})");

        Assert.ThrowsAsync<RunbookException>(async () => await ingest);
        Assert.That(LastLog(database), Does.StartWith("prices_daily failed: "));
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily"), Is.Zero, "the job's transaction is gone");

        Ingestor.Ingest(TestServer.Run(), database, new IngestOptions { SourceDirectory = Drops.Medium });
        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(Databases.DataFingerprint(Databases.Medium)));
    }

    [Test]
    public void AServerRestartDuringAJobLeavesNothingOfItAndTheNextRunClosesItsLogRow()
    {
        var root = Directory.CreateTempSubdirectory("stocksrebuild-restart-").FullName;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        using var sandbox = SandboxServer.Start(root, new TestLog());
        var database = Databases.Migrated("fault", sandbox.Connection);
        var ingest = Task.Run(() => Ingestor.Ingest(TestServer.Run(new TestLog(), sandbox.Connection), database,
            new IngestOptions { SourceDirectory = Drops.Medium }));

        Databases.WaitForStatement(sandbox.Connection, database, "COPY \"stocks_research\".\"prices_daily\"", ingest);
        sandbox.Restart();

        Assert.ThrowsAsync<RunbookException>(async () => await ingest);
        Assert.That(LastLog(database, sandbox.Connection), Is.EqualTo("prices_daily running: "), "the server died before the failure could be " +
            "written");

        var log = new TestLog();
        Ingestor.Ingest(TestServer.Run(log, sandbox.Connection), database, new IngestOptions { SourceDirectory = Drops.Medium });

        Assert.That(log.Text, Does.Contain("of prices_daily").And.Contain("never finished; marked failed"));
        using var connection = sandbox.Connection.Open(database);
        using var command = new NpgsqlCommand("SELECT count(*) FROM stocks_research.ingestion_log WHERE status = 'running'", connection);
        Assert.That((long)command.ExecuteScalar()!, Is.Zero);
        var counts = new NpgsqlCommand("SELECT (SELECT count(*) FROM stocks_research.prices_daily) || '/' || (SELECT count(*) FROM " +
            "stocks_research.fundamentals_yoy)", connection).ExecuteScalar();
        Assert.That(counts, Is.EqualTo(Databases.Scalar<string>(Databases.Medium,
            "SELECT (SELECT count(*) FROM stocks_research.prices_daily) || '/' || (SELECT count(*) FROM stocks_research.fundamentals_yoy)")));
    }

    [Test]
    public void ADiskFullBackupFolderFailsCleanlyAndKeepsTheOlderBackups()
    {
        var folder = Directory.CreateTempSubdirectory("stocksrebuild-full-").FullName;
        var mount = ToolRun.Run("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", folder]);
        if (!mount.Succeeded) Assert.Ignore($"cannot mount a small tmpfs here ({mount.ErrorText}); the disk-full case needs one");
        try
        {
            var older = Path.Combine(folder, "full_20200101_0000.dump");
            File.WriteAllBytes(older, Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray());

            var error = Assert.Throws<RunbookException>(() => BackupWriter.Backup(TestServer.Run(), Databases.Medium, folder));

            Assert.That(error!.Message,
                Does.StartWith("Backup failed: pg_dump exited with 1").And.Contain("No space left on device").And.Contain("No backup was written"));
            Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName).Where(n => !n!.StartsWith(".stocksrebuild.lock",
                StringComparison.Ordinal)),
                Is.EqualTo(new[] { "full_20200101_0000.dump" }), "nothing half-written remains");
            Assert.That(File.ReadAllBytes(older), Is.EqualTo(Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray()));
        }
        finally
        {
            ToolRun.Run("umount", [folder]);
        }
    }

    /// <summary>
    /// kill -9 of the run alone, as the OOM killer takes the biggest process, and of its whole group as an operator's kill
    /// does: pg_restore, in a session of its own (out of the group's reach, so that the run can stop it at a safe point),
    /// dies with the run instead of restoring on unsupervised, and its server session with it.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void KillNineDuringRestoreLeavesNoPgRestoreRunning(bool wholeGroup)
    {
        var target = Databases.NewName("killed");
        var run = BuildScript.LaunchInOwnGroup("--target=Restore", $"--database={target}", $"--confirm={target}",
            $"--backup-dir={Databases.SlowBackup.Folder}", "--jobs=1");
        Assert.That(run.WaitForOutput("Restore: pg_restore --jobs=1", TimeSpan.FromMinutes(1)), Is.True, run.OutputSoFar);
        Databases.WaitForStatement(TestServer.Connection, target, "COPY", Task.Run(() => run.Process.WaitForExit()));
        var restoring = Processes.Running("pg_restore").Select(p => p.Id).ToList();
        Assert.That(restoring, Is.Not.Empty, "pg_restore is running");

        if (wholeGroup) run.SignalGroup("KILL"); else run.Signal("KILL");
        run.Finish();

        Assert.That(() => restoring.Where(Processes.IsRunning).ToList(), Is.Empty.After(5000, 100), "no pg_restore outlives the run");
        Assert.That(() => Databases.Scalar<long>("postgres", $"SELECT count(*) FROM pg_stat_activity WHERE datname = '{target}'"),
            Is.Zero.After(5000, 100), "nor its session on the server");
    }

    /// <summary>
    /// kill -9 of a Backup's process group while pg_dump writes: pg_dump dies with it and its partial file stays. Status
    /// names it (not a backup); the next Backup, holding the folder's lock, removes it and says so, and writes a whole one.
    /// </summary>
    [Test]
    public void ABackupKilledMidDumpLeavesAPartialThatStatusNamesAndTheNextBackupRemoves()
    {
        var folder = Directory.CreateTempSubdirectory("stocksrebuild-killed-backup-").FullName;
        var run = BuildScript.LaunchInOwnGroup("--target=Backup", $"--database={Databases.SlowToDump}", $"--backup-dir={folder}");
        Assert.That(run.WaitForOutput("Backup: pg_dump -Fc of", TimeSpan.FromMinutes(1)), Is.True, run.OutputSoFar);
        Databases.WaitForStatement(TestServer.Connection, Databases.SlowToDump, "COPY", Task.Run(() => run.Process.WaitForExit()));
        run.SignalGroup("KILL");
        run.Finish();
        var partial = Directory.GetFiles(folder, ".full_*.partial").Select(Path.GetFileName).Single();
        Assert.That(() => Processes.Running("pg_dump"), Is.Empty.After(5000, 100), "pg_dump died with the run");

        var status = BuildScript.Run("--target=Status", $"--database={Databases.SlowToDump}", $"--backup-dir={folder}",
            $"--report-dir={Directory.CreateTempSubdirectory("stocksrebuild-killed-reports-").FullName}");
        Assert.That(status.Output, Does.Contain($"{partial} (").And.Contain("left by a Backup that did not finish"), status.ToString());

        var next = BuildScript.Run("--target=Backup", $"--database={Databases.SlowToDump}", $"--backup-dir={folder}");
        Assert.That(next.ExitCode, Is.Zero, next.ToString());
        Assert.That(next.Output, Does.Contain($"Backup: removed {partial} ("));
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName).Where(n => n!.Contains(".partial", StringComparison.Ordinal)), Is.Empty);
        Assert.That(Directory.GetFiles(folder, "full_*.dump"), Has.Length.EqualTo(1), "the new backup, whole");
    }

    /// <summary>
    /// kill -9 of an in-place Restore while pg_restore builds an index leaves live partial: rows, but not all its indexes
    /// and keys. The database says so until a Validate proves it equal to the backup: Validate alone (comparing it with the
    /// backup the restore was restoring) fails, Backup refuses it, Status is critical; the next Restore makes it whole and
    /// its Validate removes the mark.
    /// </summary>
    [Test]
    public void AnInPlaceRestoreKilledMidwayLeavesADatabaseThatSaysItIsPartial()
    {
        var live = Databases.Seeded();
        var (folder, backup) = Databases.SlowBackup;
        string[] restore = ["--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup={backup}", "--in-place", "--jobs=1"];
        var run = BuildScript.LaunchInOwnGroup(restore);
        Databases.WaitForStatement(TestServer.Connection, live, "CREATE INDEX", Task.Run(() => run.Process.WaitForExit()));
        run.SignalGroup("KILL");
        run.Finish();
        var partial = $"\"{live}\" is partial: a Restore of {backup} into it began at ";
        var publicMayConnect = $"SELECT has_database_privilege('public', {Statements.Literal(live)}, 'CONNECT')";
        Assert.That(Databases.Scalar<bool>("postgres", publicMayConnect), Is.False, "closed to other roles while partial, after the kill too");

        var validate = BuildScript.Run("--target=Validate", $"--database={live}");
        Assert.That(validate.ExitCode, Is.Not.Zero, validate.ToString());
        Assert.That(validate.Output, Does.Contain($"restore finished {live}: {partial}"));
        Assert.That(validate.Output, Does.Contain("= backup schema").And.Contain("in the backup, missing here"), "compared with that backup");
        var elsewhere = Directory.CreateTempSubdirectory("stocksrebuild-partial-backups-").FullName;
        var refused = BuildScript.Run("--target=Backup", $"--database={live}", $"--backup-dir={elsewhere}");
        Assert.That(refused.ExitCode, Is.Not.Zero, refused.ToString());
        Assert.That(refused.Output, Does.Contain($"Backup refused: {partial}"));
        Assert.That(Directory.GetFiles(elsewhere, "full_*"), Is.Empty);
        var status = BuildScript.Run("--target=Status", $"--database={live}", $"--backup-dir={folder}",
            $"--report-dir={Directory.CreateTempSubdirectory("stocksrebuild-partial-reports-").FullName}");
        Assert.That(status.ExitCode, Is.EqualTo(2), status.ToString());
        Assert.That(status.Output, Does.Contain(partial));

        var again = BuildScript.Run(restore);
        Assert.That(again.ExitCode, Is.Zero, again.ToString());
        Assert.That(again.Output, Does.Match(@"restore finished\s+\S+\s+ok\s+equal to full_\d{8}_\d{4}\.dump by every check above"));
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(Databases.Fingerprint(Databases.SlowToDump)));
        Assert.That(Databases.Scalar<string>("postgres", "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database " +
            $"WHERE datname = '{live}'"), Is.Empty, "the mark is removed");
        Assert.That(Databases.Scalar<bool>("postgres", publicMayConnect), Is.True, "and it is open again");
        Assert.That(BuildScript.Run("--target=Backup", $"--database={live}", $"--backup-dir={elsewhere}").ExitCode, Is.Zero);
    }

    /// <summary>
    /// An application that reconnects to live's name while an in-place Restore rebuilds it must not use the half-restored
    /// database: another role is refused at connect (CONNECT is revoked from PUBLIC until Validate passes), and a session
    /// of the run's own role (here the superuser, as an application named "app") is ended on sight and fails Validate,
    /// since what it did there cannot be told. The next Restore, with the application stopped, is green and opens it again.
    /// </summary>
    [Test]
    public void AnApplicationReconnectingDuringAnInPlaceRestoreIsKeptOutAndNamed()
    {
        var live = Databases.Seeded();
        var role = "sr_app_" + Guid.NewGuid().ToString("N")[..8];
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        Databases.Execute("postgres", $"CREATE ROLE {role} LOGIN PASSWORD {Statements.Literal(password)}");
        var (_, backup) = Databases.SlowBackup;
        string[] restore = ["--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup={backup}", "--in-place", "--jobs=1"];
        string Application(ServerConnection server) =>
            new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString(live)) { ApplicationName = "app", Options = null }.ConnectionString;
        var otherRole = Application(TestServer.Connection with { User = role, Password = password, PassFile = null });

        var run = BuildScript.Launch(restore);
        Databases.WaitForStatement(TestServer.Connection, live, "COPY", Task.Run(() => run.Process.WaitForExit()));
        var refused = Assert.Throws<Npgsql.PostgresException>(() => { using var c = new Npgsql.NpgsqlConnection(otherRole); c.Open(); })!;
        Assert.That(refused.SqlState, Is.EqualTo("42501"), "permission denied for database: CONNECT is not PUBLIC's while it is restored");
        using (var owner = new Npgsql.NpgsqlConnection(Application(TestServer.Connection)))
        {
            // Ended on sight: while it logs in (57P01 from Open) or at one of its next statements.
            var ended = Assert.Catch<Exception>(() =>
            {
                owner.Open();
                for (var i = 0; i < 100; i++) { Sql.Scalar<int>(owner, "SELECT 1"); Thread.Sleep(50); }
            });
            Assert.That(ended, Is.InstanceOf<Npgsql.NpgsqlException>(), "the application's session was ended within 5 s");
        }
        var result = run.Finish();

        Assert.That(result.ExitCode, Is.Not.Zero, result.ToString());
        Assert.That(result.Output, Does.Match($@"only this run\s+{live}\s+FAILED\s+pid \d+ of role {TestServer.Connection.User} \(application app, " +
            @"from [^)]+\): connected during the restore and ended; what it did there cannot be told"));
        Assert.That(result.Output, Does.Contain($"Ended session pid "));

        var again = BuildScript.Run(restore);
        Assert.That(again.ExitCode, Is.Zero, again.ToString());
        Assert.That(again.Output, Does.Match(@"only this run\s+\S+\s+ok"));
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(Databases.Fingerprint(Databases.SlowToDump)));
        using (var app = new Npgsql.NpgsqlConnection(otherRole))
        {
            app.Open();
            Assert.That(Sql.Scalar<int>(app, "SELECT 1"), Is.EqualTo(1), "open to PUBLIC again, as a new database is");
        }
        Databases.Execute("postgres", $"DROP ROLE {role}");
    }

    [Test]
    public void SigtermDuringRestoreKillsPgRestoreAndSaysWhatToRunNext()
    {
        var target = Databases.NewName("sigterm");
        var run = BuildScript.Launch("--target=Restore", $"--database={target}", $"--confirm={target}",
            $"--backup-dir={Databases.MediumBackup.Folder}", "--jobs=1");
        var result = run.TerminateDuringRestore(() => target);

        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.Output, Does.Contain("Received SIGTERM: stopping at the next safe point"));
        Assert.That(result.Output, Does.Contain($"Interrupted during RestoreBackup: pg_restore was stopped; \"{target}\" is partially restored and " +
            $"must not be used. Next: run --target=Restore again"));
        Assert.That(Processes.Running("pg_restore"), Is.Empty, "no pg_restore is left running");

        var again = BuildScript.Run("--target=Restore", $"--database={target}", $"--confirm={target}",
            $"--backup-dir={Databases.MediumBackup.Folder}");
        Assert.That(again.ExitCode, Is.Zero, again.ToString());
    }

    [Test]
    public void SigtermDuringIngestRollsTheJobBackAndARerunCompletes()
    {
        var database = Databases.Migrated("fault");
        var run = BuildScript.Launch("--target=Ingest", $"--database={database}", $"--source={Drops.Medium}");
        // Signalled while the prices are being COPYed, seen from the server, however fast the machine.
        Databases.WaitForStatement(TestServer.Connection, database, "COPY \"stocks_research\".\"prices_daily\"",
            Task.Run(() => run.Process.WaitForExit()));
        run.Signal("TERM");
        var result = run.Finish();

        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.Output, Does.Contain("Interrupted during Ingest: job prices_daily was rolled back and its tables are as they were; the " +
            "jobs before it are committed. Next: run --target=Ingest again"));
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily"), Is.Zero);
        Assert.That(LastLog(database), Does.StartWith("prices_daily failed: Interrupted during Ingest"));

        var again = BuildScript.Run("--target=Ingest", $"--database={database}", $"--source={Drops.Medium}");
        Assert.That(again.ExitCode, Is.Zero, again.ToString());
        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(Databases.DataFingerprint(Databases.Medium)));
    }

    [Test]
    public void SigtermDuringARerunsComparisonStopsItOnTheServerAndChangesNothing()
    {
        var database = Databases.Migrated("fault");
        Ingestor.Ingest(TestServer.Run(), database, new IngestOptions { SourceDirectory = Drops.Large });
        var before = Databases.DataFingerprint(database);
        var run = BuildScript.Launch("--target=Ingest", $"--database={database}", $"--source={Drops.Large}");
        // Signalled while the server sums the table's rows to compare them with the drop's.
        Databases.WaitForStatement(TestServer.Connection, database, "SELECT t.\"security_id\", count(*)", Task.Run(() => run.Process.WaitForExit()));
        run.Signal("TERM");
        var result = run.Finish();

        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.Output, Does.Contain("Interrupted during Ingest: job prices_daily was rolled back and its tables are as they were; the " +
            "jobs before it are committed. Next: run --target=Ingest again"));
        Assert.That(Databases.Scalar<long>("postgres", "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%hash_record_extended%' AND " +
            "state = 'active' AND pid <> pg_backend_pid()"), Is.Zero, "the comparison does not run on after the run");
        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(before));
        Assert.That(LastLog(database), Does.StartWith("prices_daily failed: Interrupted during Ingest"));
    }

    [Test]
    public void AnInterruptedMigrateStopsBetweenScriptsWithTheJournalTellingWhere()
    {
        var database = Databases.NewName("migstop");
        Databases.Admin.DropCreate(database, Consent.None, new TestLog());
        using var interruption = new CancellationTokenSource();
        var log = new CallbackLog(line => { if (line.Contains("V900__slow.sql", StringComparison.Ordinal)) interruption.Cancel(); });
        var scripts = Migrator.Scripts()
            .Append(new DbUp.Engine.SqlScript("V900__slow.sql", "SELECT pg_sleep(0.3); CREATE TABLE stocks_research.slow (id int PRIMARY KEY);"))
            .Append(new DbUp.Engine.SqlScript("V901__after.sql", "CREATE TABLE stocks_research.after (id int PRIMARY KEY);"))
            .ToList();

        var error = Assert.Throws<RunInterruptedException>(() => Migrator.Migrate(TestServer.Run(log) with { Cancellation = interruption.Token },
            database, Consent.None, scripts));

        Assert.That(error!.Message, Is.EqualTo($"Interrupted during Migrate: \"{database}\" has every script up to V900__slow.sql applied and " +
            $"journalled; V901__after.sql and later did not run. Next: run --target=Migrate again to apply the rest."));
        Assert.That(Migrator.Plan(TestServer.Connection, database, scripts).Pending, Is.EqualTo(new[] { "V901__after.sql" }));
        Assert.That(Databases.Scalar<bool>(database, "SELECT to_regclass('stocks_research.slow') IS NOT NULL AND " +
            "to_regclass('stocks_research.after') IS NULL"), Is.True);
    }

    sealed class CallbackLog(Action<string> onLine) : IRunbookLog
    {
        public void Info(string message) { TestContext.Progress.WriteLine(message); onLine(message); }
        public void Warning(string message) => Info(message);
    }
}
