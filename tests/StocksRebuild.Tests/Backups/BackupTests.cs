using StocksRebuild.Database;
using Npgsql;
using StocksRebuild.Backups;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Backups;

[TestFixture]
public sealed class BackupTests
{
    static readonly DateTime At = new(2026, 11, 25, 10, 30, 0, DateTimeKind.Utc);

    [Test]
    public void WritesTheRunbooksNameAndAManifestThatVerifyBackupAccepts()
    {
        var (database, _) = Databases.SourceWithBackup;
        var directory = Directory.CreateTempSubdirectory("backup-").FullName;

        var now = DateTime.UtcNow;
        var path = BackupWriter.Backup(TestServer.Run() with { UtcNow = () => now }, database, directory);

        Assert.That(Path.GetFileName(path), Is.EqualTo(BackupName.For(now)));
        var manifest = BackupManifest.ReadFor(path)!;
        Assert.That(manifest.SizeBytes, Is.EqualTo(new FileInfo(path).Length));
        Assert.That(manifest.Sha256, Is.EqualTo(BackupManifest.Sha256Of(path)));
        Assert.That(manifest.Database, Is.EqualTo(database));
        Assert.That(manifest.RowCounts["stocks_research.prices_daily"],
            Is.EqualTo(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily")));
        if (!OperatingSystem.IsWindows()) Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite),
            "backups are private to their owner");
        Assert.That(Directory.GetFiles(directory, "*.partial"), Is.Empty);
        if (!OperatingSystem.IsWindows())
            Assert.That(File.GetUnixFileMode(Path.Combine(directory, ".stocksrebuild.lock")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite),
                "the folder's lock file is private too");

        var verified = BackupVerifier.Verify(new VerifyBackupOptions { BackupDirectory = directory, NowUtc = now.AddHours(1) }, new TestLog());
        Assert.That(verified.Path, Is.EqualTo(path));
        Assert.That(verified.CreatedUtc, Is.EqualTo(now).Within(TimeSpan.FromMinutes(1)), "the archive's own creation time");
        Assert.That(verified.Age, Is.EqualTo(TimeSpan.FromHours(1)).Within(TimeSpan.FromMinutes(1)));
        Assert.That(verified.Contents.Kind, Is.EqualTo("schema and data"));
        Assert.That(verified.TableCount, Is.EqualTo(10), "eight data tables and the two migration journal tables");
        Assert.That(verified.SourceDatabase, Is.EqualTo(database));
        Assert.That(verified.Manifest, Is.Not.Null);
    }

    [Test]
    [Category("Fault")]
    public void NeverOverwritesAnExistingBackup()
    {
        var (database, _) = Databases.SourceWithBackup;
        var directory = Directory.CreateTempSubdirectory("backup-").FullName;
        var first = BackupWriter.Backup(TestServer.Run() with { UtcNow = () => At }, database, directory);
        var sha = BackupManifest.Sha256Of(first);
        Databases.Execute(database, "SELECT 1"); // the database may have moved on; the old file must not

        var error = Assert.Throws<RunbookException>(() => BackupWriter.Backup(TestServer.Run() with { UtcNow = () => At }, database, directory));

        Assert.That(error!.Message, Does.Contain("append-only"));
        Assert.That(BackupManifest.Sha256Of(first), Is.EqualTo(sha));
    }

    [Test]
    [Category("Fault")]
    public void AKilledPgDumpLeavesNoFileUnderTheFinalNameAndOlderBackupsIntact()
    {
        var database = Databases.Seeded();
        // Enough rows that pg_dump is still writing when it is killed.
        Databases.Execute(database, """
            CREATE TABLE stocks_research.bulk (id bigint PRIMARY KEY, payload text);
            INSERT INTO stocks_research.bulk SELECT i, repeat(md5(i::text), 8) FROM generate_series(1, 1500000) AS i;
            """);
        var directory = Directory.CreateTempSubdirectory("backup-killed-").FullName;
        var older = BackupWriter.Backup(TestServer.Run() with { UtcNow = () => At.AddDays(-1) }, database, directory);
        var olderSha = BackupManifest.Sha256Of(older);

        using var cancel = new CancellationTokenSource();
        var backup = Task.Run(() => BackupWriter.Backup(TestServer.Run() with { UtcNow = () => At, Cancellation = cancel.Token }, database,
            directory));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Directory.EnumerateFiles(directory, "*.partial", new EnumerationOptions { AttributesToSkip = 0 }).Any() && !backup.IsCompleted
            && DateTime.UtcNow < deadline)
            Thread.Sleep(5);
        Assert.That(backup.IsCompleted, Is.False, "pg_dump finished before it could be killed; the test needs more rows");
        cancel.Cancel();

        Assert.That(() => backup.GetAwaiter().GetResult(), Throws.InstanceOf<RunInterruptedException>().With.Message.Contains("no backup was " +
            "written and the older backups are intact"));
        Assert.That(File.Exists(Path.Combine(directory, BackupName.For(At))), Is.False);
        Assert.That(Directory.GetFiles(directory, "*.partial*", new EnumerationOptions { AttributesToSkip = 0 }), Is.Empty);
        Assert.That(BackupManifest.Sha256Of(older), Is.EqualTo(olderSha));
        Assert.That(Directory.GetFiles(directory).Select(Path.GetFileName).Where(n => n != ".stocksrebuild.lock"),
            Is.EquivalentTo(new[] { BackupName.For(At.AddDays(-1)), "full_20261124_1030.manifest.json" }));
    }

    [Test]
    public void ARestoreHoldsWhatTheManifestCountedNotWhatChangedAfter()
    {
        var copy = Databases.Seeded();
        var atBackup = Databases.Fingerprint(copy);
        var directory = Directory.CreateTempSubdirectory("backup-").FullName;
        var path = BackupWriter.Backup(TestServer.Run() with { UtcNow = () => At }, copy, directory);

        Databases.Execute(copy, "DELETE FROM stocks_research.fundamentals_yoy");
        var restored = Databases.NewName("restored");
        Databases.Admin.DropCreate(restored, Consent.None, new TestLog());
        StocksRebuild.Restore.BackupRestorer.Restore(TestServer.Run(), path, restored, 2);

        Assert.That(Databases.Scalar<long>(restored, "SELECT count(*) FROM stocks_research.fundamentals_yoy"),
            Is.EqualTo(BackupManifest.ReadFor(path)!.RowCounts["stocks_research.fundamentals_yoy"]));
        Assert.That(Databases.Fingerprint(restored), Is.EqualTo(atBackup));
    }
}
