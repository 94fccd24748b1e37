using StocksRebuild.Backups;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Operations;

/// <summary>Prune through ./build.sh on real backups, the folder listed before and after (its decisions alone: the fast tier).</summary>
[TestFixture]
public sealed class RetentionTests
{
    [Test, Category("Fault")]
    public void WithoutConsentItListsAndDeletesNothingAndARunningBackupRefusesIt()
    {
        var folder = Folder();
        var listing = Listing(folder);
        var run = BuildScript.Run("--target=Prune", $"--backup-dir={folder}", "--keep=1");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("3 of 4 backup(s) would be deleted; nothing was deleted (give --confirm=prune to delete)"));
        Assert.That(Listing(folder), Is.EqualTo(listing));

        var dry = BuildScript.Run("--target=Prune", $"--backup-dir={folder}", "--keep=1", "--confirm=prune", "--dryrun");
        Assert.That(dry.ExitCode, Is.Zero, dry.ToString());
        Assert.That(dry.Output, Does.Contain("Prune: would delete ").And.Contain("nothing was deleted"));
        Assert.That(Listing(folder), Is.EqualTo(listing), "--dryrun deletes nothing, consent or not");

        using (BackupFolderLock.Acquire(folder))
        {
            var locked = BuildScript.Run("--target=Prune", $"--backup-dir={folder}", "--keep=1", "--confirm=prune");
            Assert.That(locked.ExitCode, Is.Not.Zero, locked.ToString());
            Assert.That(locked.Output, Does.Contain("another StocksRebuild run holds the lock on the backup folder"));
        }
        Assert.That(Listing(folder), Is.EqualTo(listing));
    }

    /// <summary>Every file but the folder's (empty) lock file, which any run that locks the folder leaves.</summary>
    static Dictionary<string, string> Listing(string folder) =>
        Databases.Listing(folder).Where(f => !f.Key.StartsWith(".stocksrebuild.lock", StringComparison.Ordinal)).ToDictionary();

    [Test, Category("Fault")]
    public void ItDeletesWhatTheRulesAllowKeepsTheNewestVerifiedAndNeverTouchesForeignFiles()
    {
        var folder = Folder();
        var dumps = Dumps(folder); // oldest first
        // What a killed Backup leaves: not a backup, its space counted, removed under the folder's lock with consent.
        File.WriteAllBytes(Path.Combine(folder, ".full_20991231_2359.dump.partial"), new byte[12345]);
        // The newest no longer passes VerifyBackup: the floor is the next one, even though --keep-for lets it go.
        File.WriteAllBytes(Path.Combine(folder, dumps[^1]), File.ReadAllBytes(Path.Combine(folder, dumps[^1]))[..4000]);
        var run = BuildScript.Run("--target=Prune", $"--backup-dir={folder}", "--keep-for=1d", "--confirm=prune");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain($"Prune: keep   {dumps[^2]}: kept by the floor: the newest backup that passes VerifyBackup"));
        Assert.That(run.Output, Does.Contain($"Prune: deleted {dumps[0]} and its manifest: allowed by --keep-for=1d0h00m"));
        Assert.That(run.Output, Does.Contain("Prune: removed .full_20991231_2359.dump.partial (12,345 bytes), left by a Backup that did not finish")
            .And.Contain("Prune: 1 partial file(s), 12,345 bytes, removed."));
        Assert.That(File.Exists(Path.Combine(folder, ".full_20991231_2359.dump.partial")), Is.False);
        Assert.That(Dumps(folder), Is.EqualTo(new[] { dumps[^2] }));
        Assert.That(File.Exists(BackupName.ManifestPathFor(Path.Combine(folder, dumps[0]))), Is.False, "the manifest went with its dump");
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName), Is.SupersetOf(new[] { "notes.txt", "full_manual.dump",
            "full_20000101_0000.manifest.json" }));

        // The only backup left is never deleted.
        var again = BuildScript.Run("--target=Prune", $"--backup-dir={folder}", "--keep-for=1h", "--confirm=prune");
        Assert.That(again.ExitCode, Is.Zero, again.ToString());
        Assert.That(Dumps(folder), Is.EqualTo(new[] { dumps[^2] }));
    }

    /// <summary>A folder of real backups, 2 to 5 days old by their archives, plus files the tool did not write.</summary>
    static string Folder()
    {
        var folder = Directory.CreateTempSubdirectory("stocksrebuild-prune-").FullName;
        foreach (var days in new[] { 2, 3, 4, 5 })
        {
            var dump = Databases.Dump(Databases.SourceWithBackup.Database, ago: TimeSpan.FromDays(days));
            File.Move(dump, Path.Combine(folder, Path.GetFileName(dump)));
            var path = Path.Combine(folder, Path.GetFileName(dump));
            File.WriteAllText(BackupName.ManifestPathFor(path), new BackupManifest // a manifest goes with its dump
            {
                File = Path.GetFileName(path), SizeBytes = new FileInfo(path).Length, Sha256 = BackupManifest.Sha256Of(path), Database = "x",
                CreatedUtc = DateTime.UtcNow.AddDays(-days), PgDumpVersion = "15", ServerVersion = "15", RowCounts = new Dictionary<string, long>(),
            }.ToJson());
        }
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(folder, "full_manual.dump"), "not the tool's name");
        File.WriteAllText(Path.Combine(folder, "full_20000101_0000.manifest.json"), "{}");
        return folder;
    }

    static string[] Dumps(string folder) => Directory.GetFiles(folder, "full_2*.dump").Select(Path.GetFileName).Order().ToArray()!;
}
