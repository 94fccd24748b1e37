using StocksRebuild.Backups;
using StocksRebuild.Database;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Reliability;

/// <summary>Two runs against one database never interleave: the second fails fast saying who holds the lock, or waits when told to.</summary>
[TestFixture, Category("Fault")]
public sealed class ConcurrencyTests
{
    [Test]
    public void ASecondRunFailsFastNamingTheHolder()
    {
        var database = Databases.Seeded();
        var before = Databases.DataFingerprint(database);
        using var held = RunLock.Acquire(TestServer.Connection, database, new TestLog());

        var run = BuildScript.Run("--target=Ingest", $"--database={database}");

        Assert.That(run.ExitCode, Is.Not.Zero);
        Assert.That(run.Output, Does.Contain($"another StocksRebuild run holds the lock on \"{database}\" (pid {Environment.ProcessId} host " +
            $"{Environment.MachineName}, writing, connected from"));
        Assert.That(run.Output, Does.Contain("give --wait-for-lock=DURATION"));
        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(before));
    }

    [Test]
    public void WithWaitForLockTheSecondRunWaitsAndThenRuns()
    {
        var database = Databases.Migrated("lock");
        var held = RunLock.Acquire(TestServer.Connection, database, new TestLog());
        var second = BuildScript.Launch("--target=Ingest", $"--database={database}", "--wait-for-lock=2m");

        Assert.That(second.WaitForOutput($"Waiting for the lock on \"{database}\"", TimeSpan.FromMinutes(1)), Is.True, second.OutputSoFar);
        held.Dispose();
        var run = second.Finish();

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily"), Is.EqualTo(19_512));
    }

    [Test]
    public void TwoIngestRunsStartedOneSecondApartEndAsOneCleanRun()
    {
        var database = Databases.Migrated("lock");
        var clean = Databases.DataFingerprint(Databases.Seeded(drop: Drops.Large));

        var first = BuildScript.Launch("--target=Ingest", $"--database={database}", $"--source={Drops.Large}");
        Assert.That(first.WaitForOutput("Ingest: 7 jobs", TimeSpan.FromMinutes(1)), Is.True, first.OutputSoFar);
        Thread.Sleep(TimeSpan.FromSeconds(1));
        var second = BuildScript.Run("--target=Ingest", $"--database={database}", $"--source={Drops.Large}");
        var firstRun = first.Finish();

        Assert.That(firstRun.ExitCode, Is.Zero, firstRun.ToString());
        Assert.That(second.ExitCode, Is.Not.Zero);
        Assert.That(second.Output, Does.Contain($"another StocksRebuild run holds the lock on \"{database}\""));
        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(clean));
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.ingestion_log"), Is.EqualTo(7), "the second run wrote " +
            "nothing, not even a log row");
    }

    [Test]
    public void ABackupIntoAFolderAnotherRunIsWritingIsRefused()
    {
        var folder = Directory.CreateTempSubdirectory("stocksrebuild-folderlock-").FullName;
        using var held = BackupFolderLock.Acquire(folder);

        var run = BuildScript.Run("--target=Backup", $"--database={Databases.SourceWithBackup.Database}", $"--backup-dir={folder}");

        Assert.That(run.ExitCode, Is.Not.Zero);
        Assert.That(run.Output, Does.Contain($"another StocksRebuild run holds the lock on the backup folder {folder} (pid {Environment.ProcessId}"));
        Assert.That(Directory.GetFiles(folder, "full_*"), Is.Empty);
    }
}
