using System.Diagnostics;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Preflight;

/// <summary>
/// Signals as operators send them: SIGTERM to the process group (systemd, timeout, CI cancel), once or twice
/// in quick succession, and SIGINT to the pid build.sh became (Ctrl-C, kill -INT). Every case ends in the same
/// safe stop: its message, nothing half-written left, and an exit code that says interrupted (128 + signal).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[TestFixture, Category("Fault")]
public sealed class SignalTests
{
    const int ByTerm = 143, ByInt = 130;

    static void Send(RunningBuild run, string how)
    {
        switch (how)
        {
            case "group TERM": run.SignalGroup("TERM"); break;
            case "group TERM twice": run.SignalGroup("TERM"); run.SignalGroup("TERM"); break;
            case "pid INT": run.Signal("INT"); break;
            case "pid INT twice": run.Signal("INT"); Thread.Sleep(300); run.Signal("INT"); break;
        }
    }

    static int Expected(string how) => how.Contains("TERM") ? ByTerm : ByInt;

    static void AssertNoneLeft(string program) =>
        Assert.That(Processes.Running(program), Is.Empty, $"no {program} is left running");

    [TestCase("group TERM")]
    [TestCase("group TERM twice")]
    [TestCase("pid INT")]
    public void BackupStopsRemovingItsPartialFileAndLockNote(string how)
    {
        // A folder the tool did not create, readable by others: the partial dump must still be private.
        var folder = Directory.CreateTempSubdirectory("stocksrebuild-signal-backup-").FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)Convert.ToInt32("755", 8));
        var run = BuildScript.LaunchInOwnGroup("--target=Backup", $"--database={Databases.SlowToDump}", $"--backup-dir={folder}");
        Databases.WaitForStatement(TestServer.Connection, Databases.SlowToDump, "COPY stocks_research.bulk",
            Task.Run(() => run.Process.WaitForExit()));

        foreach (var file in Directory.GetFiles(folder, "*", new EnumerationOptions { AttributesToSkip = 0 }).Where(f
            => !f.EndsWith(".stocksrebuild.lock", StringComparison.Ordinal)))
            Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{file} is private from its first " +
                $"byte");
        Send(run, how);
        var result = run.Finish();

        Assert.That(result.ExitCode, Is.EqualTo(Expected(how)), result.ToString());
        Assert.That(result.Output, Does.Contain("Interrupted during Backup: pg_dump was stopped; no backup was written and the older backups are " +
            "intact. Next: run --target=Backup again."));
        Assert.That(Directory.GetFiles(folder, "*", new EnumerationOptions { AttributesToSkip = 0 }).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { ".stocksrebuild.lock" }), "no partial dump, manifest or lock note is left (the empty lock file stays by design)");
        AssertNoneLeft("pg_dump");
    }

    [TestCase("group TERM twice")]
    [TestCase("pid INT")]
    public void RestoreStopsSayingTheTargetIsPartiallyRestored(string how)
    {
        var target = Databases.NewName("sig");
        var run = BuildScript.LaunchInOwnGroup("--target=Restore", $"--database={target}", $"--backup={Databases.SlowBackup.Backup}", "--jobs=1");
        Databases.WaitForStatement(TestServer.Connection, target, "COPY", Task.Run(() => run.Process.WaitForExit()));
        Send(run, how);
        var result = run.Finish();

        Assert.That(result.ExitCode, Is.EqualTo(Expected(how)), result.ToString());
        Assert.That(result.Output, Does.Contain($"Interrupted during RestoreBackup: pg_restore was stopped; \"{target}\" is partially restored and " +
            $"must not be used. Next: run --target=Restore again"));
        AssertNoneLeft("pg_restore");
    }

    [TestCase("group TERM twice")]
    [TestCase("pid INT")]
    public void IngestStopsWithTheJobRolledBack(string how)
    {
        var database = Databases.Migrated("sigingest");
        var run = BuildScript.LaunchInOwnGroup("--target=Ingest", $"--database={database}", $"--source={Drops.Medium}");
        Databases.WaitForStatement(TestServer.Connection, database, "COPY \"stocks_research\".\"prices_daily\"",
            Task.Run(() => run.Process.WaitForExit()));
        Send(run, how);
        var result = run.Finish();

        Assert.That(result.ExitCode, Is.EqualTo(Expected(how)), result.ToString());
        Assert.That(result.Output, Does.Contain("Interrupted during Ingest: job prices_daily was rolled back"));
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily"), Is.Zero);
    }

    [Test]
    public void ASignalWhileWaitingForTheLockStopsAtOnceAndChangesNothing()
    {
        var database = Databases.Seeded();
        var before = Databases.Fingerprint(database);
        using var held = StocksRebuild.Database.RunLock.Acquire(TestServer.Connection, database, new TestLog());
        var run = BuildScript.LaunchInOwnGroup("--target=Ingest", $"--database={database}", "--wait-for-lock=10m");
        Assert.That(run.WaitForOutput($"Waiting for the lock on \"{database}\"", TimeSpan.FromMinutes(1)), Is.True, run.OutputSoFar);
        Send(run, "pid INT");
        var result = run.Finish(TimeSpan.FromSeconds(30));

        Assert.That(result.ExitCode, Is.EqualTo(ByInt), result.ToString());
        Assert.That(result.Output, Does.Contain("Interrupted during the wait for the lock: nothing was changed"));
        Assert.That(Databases.Fingerprint(database), Is.EqualTo(before));
    }

    [TestCase("pid INT twice")]
    [TestCase("group TERM")]
    public void RehearsalStopsDroppingItsScratchDatabasesAndNeverSuggestsARestore(string how)
    {
        var live = Databases.SlowToDump;
        var before = Databases.Fingerprint(live);
        var prefix = StocksRebuild.Rehearsal.ScratchDatabases.PrefixFor(live);
        var report = Directory.CreateTempSubdirectory("stocksrebuild-sig-report-").FullName;
        var run = BuildScript.LaunchInOwnGroup("--target=Rehearsal", $"--database={live}", $"--backup={Databases.SlowBackup.Backup}", "--jobs=1",
            $"--report-dir={report}");
        Assert.That(run.WaitForOutput("Restore: pg_restore --jobs=1", TimeSpan.FromMinutes(1)), Is.True, run.OutputSoFar);
        var scratch = Databases.Admin.WithPrefix(prefix).Single();
        Databases.WaitForStatement(TestServer.Connection, scratch, "COPY", Task.Run(() => run.Process.WaitForExit()));
        Send(run, how);
        var result = run.Finish();

        Assert.That(result.ExitCode, Is.EqualTo(Expected(how)), result.ToString());
        Assert.That(result.Output, Does.Contain($"Interrupted during Rehearsal: the live database \"{live}\" was only read, never changed; its " +
            $"scratch database(s) \"{scratch}\""));
        Assert.That(result.Output, Does.Not.Contain("--target=Restore"), "a rehearsal never suggests the destructive command");
        Assert.That(Databases.Admin.WithPrefix(prefix), Is.Empty, "no scratch database is left");
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before));
        foreach (var file in Directory.GetFiles(report))
            Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{file} is private");
        AssertNoneLeft("pg_restore");
    }
}
