using StocksRebuild.Database;
using StocksRebuild.Backups;
using StocksRebuild.Connection;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Preflight;

/// <summary>
/// Nothing is destroyed until everything the run needs is proven: each case runs the real ./build.sh
/// --target=Restore with --confirm against a seeded live database, and the database (fingerprint) and the
/// backup's folder (every file, hidden ones included, with its sha256) must be exactly as they were.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[TestFixture, Category("BadInput")]
public sealed class PreflightTests : SeededLive
{
    BuildRun Restore(string backup, params string[] extra) =>
        BuildScript.Run(["--target=Restore", $"--database={Live}", $"--confirm={Live}", $"--backup={backup}", .. extra]);

    /// <summary>Runs the refused command and proves the live database and the backup folder untouched.</summary>
    void AssertRefused(string backup, Func<BuildRun> run, params string[] expected)
    {
        var folder = Path.GetDirectoryName(backup)!;
        var listing = Databases.Listing(folder);
        var result = run();
        Assert.That(result.ExitCode, Is.Not.Zero, result.ToString());
        foreach (var text in expected) Assert.That(result.Output, Does.Contain(text), result.ToString());
        Assert.That(result.Output, Does.Not.Contain("DropCreate: ending"), "DropCreate must not run");
        Assert.That(Databases.Fingerprint(Live), Is.EqualTo(Before), "the live database changed");
        Assert.That(Databases.Listing(folder), Is.EqualTo(listing), "the backup folder changed");
    }

    [TestCase("")]
    [TestCase("--in-place")]
    public void ABackupWhoseManifestSaysPricesDailyIsEmptyIsRefusedBeforeDropCreate(string mode)
    {
        // Validate's rule "row count > 0" would fail after the restore: in place, with live already dropped. The manifest knows now.
        var backup = Databases.CopyOfBackup();
        var manifest = BackupName.ManifestPathFor(backup);
        var json = File.ReadAllText(manifest);
        var edited = System.Text.RegularExpressions.Regex.Replace(json, "\"stocks_research.prices_daily\": \\d+", "\"stocks_research.prices_daily\": 0");
        Assert.That(edited, Is.Not.EqualTo(json));
        File.WriteAllText(manifest, edited);
        string[] extra = mode.Length == 0 ? [] : [mode];

        AssertRefused(backup, () => Restore(backup, extra), $"Preflight refused: {Path.GetFileName(backup)} cannot pass Validate after the " +
            "restore, as its manifest says: row count > 0 stocks_research.prices_daily: 0 rows in the manifest. Choose another backup");
        Assert.That(Databases.Admin.WithPrefix(Live + "_incoming_"), Is.Empty);

        var dryRun = BuildScript.Run("--target=Restore", $"--database={Live}", $"--backup={backup}", "--dryrun");
        Assert.That(dryRun.Output, Does.Contain("Restore --dryrun: it would be refused:"));
    }

    [Test]
    public void ABackupWhoseTablesAreInPublicIsRefusedNamingWhatItHolds()
    {
        var other = Databases.NewName("public");
        Databases.Admin.DropCreate(other, Consent.None, new TestLog());
        Databases.Execute(other, "CREATE TABLE public.securities (id int PRIMARY KEY); INSERT INTO public.securities VALUES (1); CREATE TABLE " +
            "public.notes (t text)");
        var backup = Databases.Dump(other);
        AssertRefused(backup, () => Restore(backup),
            "lacks schema stocks_research, table stocks_research.securities", "schema and data, tables 2 in public", "Nothing was changed.");
    }

    [TestCase("--schema-only", "the rows of stocks_research.securities (no TABLE DATA entry)", "schema-only")]
    [TestCase("--data-only", "table stocks_research.securities", "data-only")]
    [TestCase("--exclude-table=stocks_research.corporate_actions", "table stocks_research.corporate_actions", "schema and data")]
    [TestCase("--exclude-table-data=stocks_research.prices_daily", "the rows of stocks_research.prices_daily", "schema and data")]
    public void AnArchiveWithoutTheRunbooksTablesAndTheirRowsIsRefused(string option, string missing, string kind)
    {
        var backup = Databases.Dump(Databases.SourceWithBackup.Database, options: option);
        AssertRefused(backup, () => Restore(backup), $"VerifyBackup refused {backup}: it lacks", missing, $"the archive is {kind}");
    }

    [Test]
    public void AnOldDumpCopiedToANewNameIsRefusedForItsRealAge()
    {
        var old = Databases.Dump(Databases.SourceWithBackup.Database, ago: TimeSpan.FromDays(3));
        var renamed = Path.Combine(Path.GetDirectoryName(old)!, BackupName.For(DateTime.UtcNow));
        File.Move(old, renamed);
        AssertRefused(renamed, () => Restore(renamed, "--max-backup-age=26h"), "before the time in its name", "a renamed copy of another backup?");
    }

    [Test]
    public void ADumpOlderThanTheMaximumAgeIsRefusedByItsCreationTime()
    {
        var old = Databases.Dump(Databases.SourceWithBackup.Database, ago: TimeSpan.FromDays(3));
        AssertRefused(old, () => Restore(old, "--max-backup-age=26h"), "longer than --max-backup-age=1d2h00m", "created it 3d0h00m ago");
    }

    [Test]
    public void ASymlinkIsJudgedAsTheFileItPointsTo()
    {
        // An old backup behind a new name: the link's name would pass --max-backup-age, the target's does not.
        var old = Databases.Dump(Databases.SourceWithBackup.Database, ago: TimeSpan.FromDays(3));
        var link = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-link-").FullName, BackupName.For(DateTime.UtcNow));
        File.CreateSymbolicLink(link, old);
        AssertRefused(link, () => Restore(link, "--max-backup-age=26h"), $"VerifyBackup refused {old}", $"(--backup={link} is a link to it)",
            "longer than --max-backup-age");

        // A link to a good backup restores that backup, with the target's manifest checked.
        var goodLink = Path.Combine(Path.GetDirectoryName(link)!, "latest.dump");
        File.CreateSymbolicLink(goodLink, Databases.SourceWithBackup.Backup);
        var target = Databases.NewName("linked");
        var run = BuildScript.Run("--target=Restore", $"--database={target}", $"--backup={goodLink}");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain($"Manifest:        size and sha256 match " +
            $"{BackupName.ManifestPathFor(Databases.SourceWithBackup.Backup)}"));
        Assert.That(Databases.DataFingerprint(target), Is.EqualTo(Databases.DataFingerprint(Databases.SourceWithBackup.Database)));
    }

    [TestCase("0644")]
    [TestCase("0640")]
    public void APasswordFileLibpqIgnoresIsRefusedBeforeDropCreate(string mode)
    {
        var server = TestServer.Connection;
        var passFile = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-pgpass-").FullName, "pgpass");
        File.WriteAllText(passFile, $"*:*:*:{server.User}:{server.Password}\n");
        File.SetUnixFileMode(passFile, (UnixFileMode)Convert.ToInt32(mode, 8));
        var withPassFile = server with { Password = null, PassFile = passFile };
        var backup = Databases.CopyOfBackup();

        AssertRefused(backup, () => BuildScript.Run(withPassFile, "--target=Restore", $"--database={Live}", $"--confirm={Live}",
            $"--backup={backup}"),
            "Preflight refused: RestoreBackup (pg_restore) needs the PostgreSQL client tools to log in", $"has mode {mode}: libpq ignores a " +
                $"password file",
            $"chmod 0600 {passFile}");
        Assert.That(Databases.Fingerprint(Live), Is.EqualTo(Before));
    }

    [Test]
    public void DryRunSaysWhatThePreflightFound()
    {
        var backup = Databases.CopyOfBackup();
        var listing = Databases.Listing(Path.GetDirectoryName(backup)!);
        var run = BuildScript.Run("--target=Restore", $"--database={Live}", $"--backup={backup}", "--dryrun");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("Created:         ").And.Contain("by pg_dump (age "));
        Assert.That(run.Output, Does.Contain("Contents:        schema and data, tables 10 in stocks_research"));
        Assert.That(run.Output, Does.Contain("the client tools log in to"));
        Assert.That(run.Output, Does.Contain($"\"{Live}\" exists: the backup is restored beside it into \"{Live}_incoming_"));
        Assert.That(run.Output, Does.Match($"Plan: VerifyBackup → Preflight → DropCreate of \"{Live}_incoming_\\d{{14}}\" → RestoreBackup into it → " +
            $"Validate it → Swap; it needs --confirm={Live}, which is not given"));
        Assert.That(Databases.Fingerprint(Live), Is.EqualTo(Before));
        Assert.That(Databases.Listing(Path.GetDirectoryName(backup)!), Is.EqualTo(listing));
        Assert.That(Databases.Admin.WithPrefix(Live + "_incoming_"), Is.Empty, "a dry run creates nothing");

        var inPlace = BuildScript.Run("--target=Restore", $"--database={Live}", $"--backup={backup}", "--dryrun", "--in-place", $"--confirm={Live}");
        Assert.That(inPlace.ExitCode, Is.Zero, inPlace.ToString());
        Assert.That(inPlace.Output, Does.Contain($"--in-place: \"{Live}\" is dropped before the backup is restored; if that or Validate " +
            "fails, the live database is gone"));
        Assert.That(inPlace.Output, Does.Contain($"Plan: VerifyBackup → Preflight → DropCreate of \"{Live}\" (dropped first) → RestoreBackup → " +
            $"Validate; --confirm={Live} is given."));
        Assert.That(Databases.Fingerprint(Live), Is.EqualTo(Before));
    }
}
