using StocksRebuild.Database;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Preflight;

/// <summary>One lock per target database, whatever the route: --maintenance-db, the target name's case, readers against writers.</summary>
[TestFixture, Category("Fault")]
public sealed class LockTests
{
    [Test]
    public void ABackupAFreshBackupRehearsalOrASecondRestoreDuringARestoreIsRefusedAndWritesNothing()
    {
        var target = Databases.NewName("restoring");
        var restore = BuildScript.Launch("--target=Restore", $"--database={target}", $"--backup={Databases.SlowBackup.Backup}", "--jobs=1");
        Databases.WaitForStatement(TestServer.Connection, target, "COPY", Task.Run(() => restore.Process.WaitForExit()));

        var folder = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-during-").FullName, "backups");
        // Both at once, so both ask while the restore still runs.
        var backupRun = Task.Run(() => BuildScript.Run("--target=Backup", $"--database={target}", $"--backup-dir={folder}"));
        var rehearsalRun = Task.Run(() => BuildScript.Run("--target=Rehearsal", $"--database={target}", $"--backup-dir={folder}", "--fresh-backup"));
        // A second Restore of the same database through another maintenance database takes the same lock.
        var secondRun = Task.Run(() => BuildScript.Run("--target=Restore", "--maintenance-db=template1", $"--database={target}",
            $"--confirm={target}",
            $"--backup={Databases.SourceWithBackup.Backup}"));
        var (backup, rehearsal, second) = (backupRun.GetAwaiter().GetResult(), rehearsalRun.GetAwaiter().GetResult(),
            secondRun.GetAwaiter().GetResult());

        Assert.That(restore.Process.HasExited, Is.False, "the restore must still run while the others are refused; the test needs a slower restore");
        foreach (var refused in new[] { backup, rehearsal, second })
        {
            Assert.That(refused.ExitCode, Is.Not.Zero, refused.ToString());
            Assert.That(refused.Output, Does.Contain($"another StocksRebuild run holds the lock on \"{target}\"").And.Contain(", writing, " +
                "connected from"));
            Assert.That(refused.Output, Does.Not.Contain("   at "), "no stack trace");
        }
        Assert.That(Directory.Exists(folder), Is.False, "nothing was written, not even the folder");

        var restored = restore.Finish();
        Assert.That(restored.ExitCode, Is.Zero, restored.ToString());
        Assert.That(Databases.DataFingerprint(target), Is.EqualTo(Databases.DataFingerprint(Databases.SlowToDump)));
    }

    [TestCase("--maintenance-db=template1", "--target=Restore")]
    [TestCase("--maintenance-db=postgres", "--target=restore")]
    [TestCase("--maintenance-db=template1", "--target=RESTOREBACKUP")]
    public void ARunHoldingTheLockExcludesAnotherWhateverItsMaintenanceDatabaseOrSpelling(string maintenance, string target)
    {
        var database = Databases.Seeded();
        var before = Databases.Fingerprint(database);
        using (RunLock.Acquire(TestServer.Connection, database, new TestLog()))
        {
            var run = BuildScript.Run(target, maintenance, $"--database={database}", $"--confirm={database}",
                $"--backup={Databases.SourceWithBackup.Backup}");
            Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
            Assert.That(run.Output, Does.Contain($"another StocksRebuild run holds the lock on \"{database}\""));
        }
        Assert.That(Databases.Fingerprint(database), Is.EqualTo(before));
    }

    [Test]
    public void ReadersShareTheLockAndWaitForAWriter()
    {
        var database = Databases.SourceWithBackup.Database;
        using (RunLock.Acquire(TestServer.Run(), database, LockMode.Shared))
        {
            var validate = BuildScript.Run("--target=Validate", $"--database={database}");
            Assert.That(validate.ExitCode, Is.Zero, "a reader runs beside another reader\n" + validate);
        }
        using (RunLock.Acquire(TestServer.Connection, database, new TestLog()))
        {
            var validate = BuildScript.Run("--target=Validate", $"--database={database}");
            Assert.That(validate.ExitCode, Is.Not.Zero, validate.ToString());
            Assert.That(validate.Output, Does.Contain($"another StocksRebuild run holds the lock on \"{database}\""));
        }
    }
}
