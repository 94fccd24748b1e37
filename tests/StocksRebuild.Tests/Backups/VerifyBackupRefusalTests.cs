using StocksRebuild.Backups;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Backups;

/// <summary>
/// Every VerifyBackup refusal, run through the real ./build.sh --target=Restore against an existing target
/// database with --confirm given: the run must stop at VerifyBackup, name the file and the reason, and
/// leave the target exactly as it was (nothing is destroyed before the backup is known to be good).
/// </summary>
[TestFixture, Category("BadInput")]
public sealed class VerifyBackupRefusalTests : SeededLive
{
    BuildRun Restore(params string[] extra) =>
        BuildScript.Run(["--target=Restore", $"--database={Live}", $"--confirm={Live}", .. extra]);

    void AssertRefusedUnchanged(BuildRun run, params string[] expected)
    {
        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        foreach (var text in expected) Assert.That(run.Output, Does.Contain(text), run.ToString());
        Assert.That(run.Output, Does.Not.Contain("DropCreate: ending"), "DropCreate must not run after a failed VerifyBackup");
        Assert.That(Databases.Fingerprint(Live), Is.EqualTo(Before), "the existing target database changed");
    }

    [Test]
    public void NoBackupInTheFolder()
    {
        var empty = Directory.CreateTempSubdirectory("empty-backups-").FullName;
        AssertRefusedUnchanged(Restore($"--backup-dir={empty}"), "No backup matching full_YYYYMMDD_HHMM.dump", empty);
    }

    [Test]
    public void ExplicitFileNameBreaksThePattern()
    {
        var renamed = Databases.CopyOfBackup("nightly.dump");
        AssertRefusedUnchanged(Restore($"--backup={renamed}"), renamed, "does not follow full_YYYYMMDD_HHMM.dump");
    }

    [Test]
    public void NameWithAnImpossibleDate()
    {
        var impossible = Databases.CopyOfBackup("full_20210230_1200.dump");
        AssertRefusedUnchanged(Restore($"--backup={impossible}"), impossible, "with a real date and time");
    }

    [Test]
    public void EmptyFile()
    {
        var path = Databases.CopyOfBackup();
        File.WriteAllBytes(path, []);
        AssertRefusedUnchanged(Restore($"--backup={path}"), path, "empty (0 bytes)");
    }

    [Test]
    public void PlainSqlDumpRenamedDump()
    {
        var path = Databases.CopyOfBackup();
        File.WriteAllText(path, "--\n-- PostgreSQL database dump\n--\nCREATE TABLE x (id int);\n");
        AssertRefusedUnchanged(Restore($"--backup={path}"), path, "not a pg_dump archive");
    }

    [Test]
    public void Garbage()
    {
        var path = Databases.CopyOfBackup();
        File.WriteAllBytes(path, Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 % 251)).ToArray());
        AssertRefusedUnchanged(Restore($"--backup={path}"), path, "not a pg_dump archive");
    }

    [Test]
    public void DirectoryFormatDump()
    {
        var directory = Path.Combine(Directory.CreateTempSubdirectory("dirdump-").FullName, "full_20260101_0000.dump");
        var dump = Tools.ToolRun.Run(Tools.PgTools.Find("pg_dump"), ["--format=directory", $"--file={directory}",
            "--dbname=" + Connection.LibpqConnInfo.ForDatabase(Live)],
            TestServer.Connection.ClientEnvironment(Live));
        Assert.That(dump.Succeeded, dump.ErrorText);
        AssertRefusedUnchanged(Restore($"--backup={directory}"), directory, "is a directory");
    }

    /// <summary>A truncated archive whose cheap checks pass: only reading its data exposes it.</summary>
    static string TruncatedBackup()
    {
        var path = Databases.CopyOfBackup(withManifest: false);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
        Assert.That(Tools.ToolRun.Run(Tools.PgTools.Find("pg_restore"), ["--list", path]).Succeeded, Is.True);
        return path;
    }

    /// <summary>A whole backup whose manifest names another sha256 (same size): the file is not the one Backup wrote.</summary>
    static string BackupWithAnotherChecksum()
    {
        var path = Databases.CopyOfBackup();
        var manifest = BackupManifest.ReadFor(path)!;
        File.WriteAllText(BackupName.ManifestPathFor(path), (manifest with { Sha256 = new string('0', 64) }).ToJson());
        return path;
    }

    // Where nothing is restored beside live, the full read and the sha256 come before DropCreate.
    [Test]
    public void TruncatedArchive()
    {
        var path = TruncatedBackup();
        var verify = BuildScript.Run("--target=VerifyBackup", $"--backup={path}");
        Assert.That(verify.ExitCode, Is.Not.Zero, verify.ToString());
        Assert.That(verify.Output, Does.Contain($"VerifyBackup refused {path}: truncated or corrupt"));
        AssertRefusedUnchanged(Restore($"--backup={path}", "--in-place"), path, "truncated or corrupt");
    }

    [Test]
    public void ChecksumDiffersFromTheManifest()
    {
        var path = BackupWithAnotherChecksum();
        AssertRefusedUnchanged(Restore($"--backup={path}", "--in-place"), path, "its sha256", "differs from its manifest's 0000");
    }

    // Beside live the restore into the incoming database is the full read and the sha256 is read while it runs: the
    // refusal comes before Validate and the swap, costs only the incoming copy and names the cause.
    [Test]
    public void TruncatedArchiveBesideLive()
    {
        var path = TruncatedBackup();
        var listing = Databases.Listing(Path.GetDirectoryName(path)!);
        var run = Restore($"--backup={path}");
        AssertRefusedBeside(run, "The backup cannot be read whole: it is truncated or corrupt");
        Assert.That(Databases.Listing(Path.GetDirectoryName(path)!), Is.EqualTo(listing));
    }

    [Test]
    public void ChecksumDiffersFromTheManifestBesideLive()
    {
        var path = BackupWithAnotherChecksum();
        var listing = Databases.Listing(Path.GetDirectoryName(path)!);
        var run = Restore($"--backup={path}");
        AssertRefusedBeside(run, $"VerifyBackup refused {path}: its sha256", "differs from its manifest's 0000");
        Assert.That(run.Output, Does.Not.Contain("Validate: \""), "Validate does not begin before the checksum is green");
        Assert.That(Databases.Listing(Path.GetDirectoryName(path)!), Is.EqualTo(listing));
    }

    void AssertRefusedBeside(BuildRun run, params string[] expected)
    {
        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        foreach (var text in expected) Assert.That(run.Output, Does.Contain(text), run.ToString());
        Assert.That(run.Output, Does.Contain($"The live \"{Live}\" was not touched and keeps serving"));
        Assert.That(run.Output, Does.Not.Contain("Swap: "), "nothing is swapped");
        Assert.That(Databases.Fingerprint(Live), Is.EqualTo(Before), "live changed");
        Assert.That(Databases.Admin.WithPrefix(StocksRebuild.Restore.SwapRestore.IncomingPrefix(Live)), Is.Empty, "the incoming copy is removed");
        Assert.That(Databases.Admin.WithPrefix(StocksRebuild.Restore.SwapRestore.PreviousPrefix(Live)), Is.Empty);
    }

    [Test]
    public void ArchiveFromANewerPgDump()
    {
        var path = Databases.CopyOfBackup(withManifest: false);
        var bytes = File.ReadAllBytes(path);
        bytes[6] = 99; // archive format 1.99: what a future pg_dump writes
        File.WriteAllBytes(path, bytes);
        AssertRefusedUnchanged(Restore($"--backup={path}"), path, "newer than the local pg_restore");
    }

    [Test]
    public void TimestampDiffersFromTheExpectedOne()
    {
        var path = Databases.CopyOfBackup();
        AssertRefusedUnchanged(Restore($"--backup={path}", "--expect-backup=20200101_0000"), path, "is not the expected 20200101_0000");
    }

    [Test]
    public void ANameThatDisagreesWithTheArchivesCreationTime()
    {
        // Named years before pg_dump wrote it: the name cannot be trusted for --expect-backup or for age.
        var renamed = Databases.CopyOfBackup("full_20200101_0000.dump");
        AssertRefusedUnchanged(Restore($"--backup={renamed}", "--max-backup-age=26h"), renamed, "after the time in its name; a renamed copy of " +
            "another backup?");
    }

    [Test]
    public void SizeDiffersFromTheManifest()
    {
        var path = Databases.CopyOfBackup();
        File.AppendAllText(path, "x"); // pg_restore ignores a trailing byte; the manifest does not
        AssertRefusedUnchanged(Restore($"--backup={path}"), path, "differs from its manifest");
    }

    [Test]
    public void BackupFlagPointsToAFolderThatIsNotADump()
    {
        var folder = Directory.CreateTempSubdirectory("not-a-dump-").FullName;
        AssertRefusedUnchanged(Restore($"--backup={folder}"), folder, "is a directory");
    }

    [Test]
    public void BackupFlagPointsToASymlinkLoop()
    {
        var folder = Directory.CreateTempSubdirectory("symlink-loop-").FullName;
        var (a, b) = (Path.Combine(folder, "full_20251125_1200.dump"), Path.Combine(folder, "other.dump"));
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);
        AssertRefusedUnchanged(Restore($"--backup={a}"), $"VerifyBackup refused {a}: cannot be read: Too many levels of symbolic links");
    }

    [Test]
    public void BackupFileWithoutReadPermission()
    {
        if (Environment.IsPrivilegedProcess) Assert.Ignore("root reads any file: the refusal needs an unprivileged run");
        var copy = Databases.CopyOfBackup(withManifest: false);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(copy, UnixFileMode.None);
        AssertRefusedUnchanged(Restore($"--backup={copy}"), copy, "cannot be read");
    }

    [TestCase("0")]
    [TestCase("abc")]
    public void JobsThatIsNotAPositiveWholeNumber(string jobs) =>
        AssertRefusedUnchanged(Restore($"--backup={Databases.SourceWithBackup.Backup}", $"--jobs={jobs}"), $"--jobs={jobs} is not a whole number " +
            $"of at least 1");

    [Test]
    public void AnUnknownFlag() =>
        AssertRefusedUnchanged(Restore("--backpu-dir=somewhere"), "Unknown flag --backpu-dir; did you mean --backup-dir?", "Nothing was run.");

    [Test]
    public void MaximumAgeThatIsNotADuration()
    {
        AssertRefusedUnchanged(Restore($"--backup={Databases.CopyOfBackup()}", "--max-backup-age=banana"), "--max-backup-age=banana is not a " +
            "duration");
    }
}
