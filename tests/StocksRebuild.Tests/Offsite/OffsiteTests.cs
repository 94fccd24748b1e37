using System.Security.Cryptography;
using System.Text;
using StocksRebuild.Backups;
using StocksRebuild.Offsite;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Offsite;

/// <summary>
/// Backups that survive the host: real rclone against a real S3-protocol server (s3rver) on loopback, every command
/// through ./build.sh. The live database is only read, or restored from what went off-site into a database of its own.
/// </summary>
[TestFixture, Category("Offsite")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes are a Unix matter
public sealed class OffsiteTests : SeededLive
{
    S3Server s3 = null!;

    [OneTimeSetUp]
    public void StartS3() => s3 = S3Server.Start();

    [OneTimeTearDown]
    public void StopS3() => s3?.Dispose();

    static string Folder() => Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-offsite-").FullName, "backups");

    static string NewRemote(string remote = "OFFSITE") =>
        remote == "VAULT" ? $"VAULT:{Guid.NewGuid():N}" : $"OFFSITE:{S3Server.Bucket}/{Guid.NewGuid():N}";

    static IReadOnlyList<RemoteEntry> Listed(string remote, bool recursive = false)
    {
        var listed = Rclone.List(["--files-only", "--hash", .. recursive ? new[] { "--recursive" } : [], remote], out var error);
        Assert.That(listed, Is.Not.Null, error);
        return listed!;
    }

    static string Md5(string path) => Convert.ToHexString(MD5.HashData(File.ReadAllBytes(path))).ToLowerInvariant();

    static string Key(string remote, string name) => remote[$"OFFSITE:{S3Server.Bucket}/".Length..] + "/" + name;

    [Test]
    public void BackupCopiesTheDumpAndItsManifestOffSiteAndProvesThemThere()
    {
        var (folder, remote) = (Folder(), NewRemote());

        var run = BuildScript.Run("--target=Backup", $"--database={Live}", $"--backup-dir={folder}", $"--offsite={remote}");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output);
        var dump = Directory.GetFiles(folder, "full_*.dump").Single();
        var manifest = BackupName.ManifestPathFor(dump);
        var listed = Listed(remote);
        Assert.That(listed.Select(e => e.Name), Is.EquivalentTo(new[] { Path.GetFileName(dump), Path.GetFileName(manifest) }),
            "the dump and its manifest, nothing partial");
        var remoteDump = listed.Single(e => e.Name == Path.GetFileName(dump));
        Assert.That((remoteDump.Size, remoteDump.Hashes!["md5"]), Is.EqualTo((new FileInfo(dump).Length, Md5(dump))));
        Assert.That(File.ReadAllBytes(s3.ObjectFile(Key(remote, Path.GetFileName(dump)))), Is.EqualTo(File.ReadAllBytes(dump)),
            "the bytes the server stored");
        Assert.That(File.ReadAllText(s3.ObjectFile(Key(remote, Path.GetFileName(manifest)))), Is.EqualTo(File.ReadAllText(manifest)));
        Assert.That(run.Output, Does.Contain($"{remote}/{Path.GetFileName(dump)} verified (size and md5 equal the local file's)"));
        Assert.That(Databases.Fingerprint(Live), Is.EqualTo(Before));
    }

    [Test, Category("Fault")]
    public void ABackupOfTheSameMinuteFromAnotherFolderNeverOverwritesTheRemoteObject()
    {
        var remote = NewRemote();
        var minute = DateTime.UtcNow;
        var first = BackupWriter.Backup(TestServer.Run() with { UtcNow = () => minute }, Live, Folder());
        // Another database's backup of the same minute: the same name, other bytes (another host's, or another --backup-dir's).
        var second = BackupWriter.Backup(TestServer.Run() with { UtcNow = () => minute }, Databases.SourceWithBackup.Database, Folder());
        var secondSha = BackupManifest.Sha256Of(second);
        Assert.That(Path.GetFileName(second), Is.EqualTo(Path.GetFileName(first)));
        Assert.That(secondSha, Is.Not.EqualTo(BackupManifest.Sha256Of(first)));
        Assert.That(BuildScript.Run("--target=OffsiteCopy", $"--backup={first}", $"--offsite={remote}").ExitCode, Is.EqualTo(0));

        var run = BuildScript.Run("--target=OffsiteCopy", $"--backup={second}", $"--offsite={remote}");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.Output);
        Assert.That(run.Output, Does.Contain("already exists").And.Contain("not overwritten").And.Contain("The local backup is intact"));
        Assert.That(Listed(remote).Single(e => e.Name == Path.GetFileName(first)).Hashes!["md5"], Is.EqualTo(Md5(first)), "still the first");
        Assert.That(BackupManifest.Sha256Of(second), Is.EqualTo(secondSha));
        Assert.That(BackupManifest.ReadFor(second)!.Sha256, Is.EqualTo(secondSha));
    }

    /// <summary>An object store makes a missing bucket on the first upload: a misspelt one is refused before pg_dump, and not created.</summary>
    [Test]
    public void ABucketThatDoesNotExistIsRefusedBeforeTheDumpAndNeverCreated()
    {
        var folder = Folder();
        var remote = $"OFFSITE:no-such-bucket-{Guid.NewGuid():N}"[..40] + "/prod";

        var run = BuildScript.Run("--target=Backup", $"--database={Live}", $"--backup-dir={folder}", $"--offsite={remote}");

        Assert.That(run.ExitCode, Is.Not.Zero, run.Output);
        Assert.That(run.Output, Does.Contain($"Off-site {remote}: the bucket \"{remote["OFFSITE:".Length..remote.IndexOf('/')]}\" does not exist on " +
            "OFFSITE; a Backup never creates one"));
        Assert.That(run.Output, Does.Not.Contain("Backup: pg_dump -Fc of"), "refused before the dump");
        Assert.That(Directory.Exists(folder) ? Directory.GetFiles(folder, "full_*") : [], Is.Empty);
        Assert.That(S3Server.Rclone("lsf", "OFFSITE:").StdOut, Is.EqualTo(new[] { S3Server.Bucket + "/" }), "no bucket was created");
    }

    [Test]
    public void RestoreFromOffsiteOnAHostThatLostItsBackupsGivesTheSourcesExactContents()
    {
        var (folder, remote) = (Folder(), NewRemote());
        Assert.That(BuildScript.Run("--target=Backup", $"--database={Live}", $"--backup-dir={folder}", $"--offsite={remote}").ExitCode,
            Is.EqualTo(0));
        Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true); // the host's disk is gone
        var restored = Databases.NewName("fromoffsite");

        string[] restore = ["--target=Restore", $"--database={restored}", $"--confirm={restored}", $"--backup-dir={folder}", $"--offsite={remote}",
            "--from-offsite"];
        // A dry run names the copy it would fetch from the listing, and downloads nothing.
        var dryRun = BuildScript.Run([.. restore, "--dryrun"]);
        Assert.That(dryRun.ExitCode, Is.EqualTo(0), dryRun.Output);
        Assert.That(dryRun.Output, Does.Contain($"Restore --dryrun: the off-site copy {remote}/full_").And.Contain("a dry run downloads nothing"));
        Assert.That(Directory.Exists(Path.Combine(folder, "offsite-cache")) ? Directory.GetFiles(Path.Combine(folder, "offsite-cache"), "full_*") : [],
            Is.Empty);

        var run = BuildScript.Run(restore);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output);
        Assert.That(Databases.Fingerprint(restored), Is.EqualTo(Before));
        Assert.That(run.Output, Does.Contain($"the off-site copy {remote}/full_").And.Contain("size and sha256 equal the manifest's"));
        var cache = Path.Combine(folder, "offsite-cache");
        Assert.That(File.GetUnixFileMode(cache), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        Assert.That(File.GetUnixFileMode(folder), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        foreach (var file in Directory.GetFiles(cache, "full_*"))
            Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), file);

        var again = BuildScript.Run(restore);
        Assert.That(again.ExitCode, Is.EqualTo(0), again.Output);
        Assert.That(again.Output, Does.Contain("reusing").And.Contain("nothing downloaded"));
        Assert.That(Databases.Fingerprint(restored), Is.EqualTo(Before));
    }

    /// <summary>
    /// Status --offsite judges the remote's backups as --from-offsite would pick and prove them, from the listing and the
    /// manifests alone: newer copies Restore would refuse are critical, each with the reason, and the age is the usable one's.
    /// </summary>
    [Test]
    public void NewerOffsiteBackupsRestoreWouldRefuseAreCriticalAndTheAgeIsTheNewestUsableOnes()
    {
        var remote = NewRemote();
        var folder = Folder();
        var usable = BackupWriter.Backup(TestServer.Run(), Live, folder);
        var usableManifest = BackupManifest.ReadFor(usable)!;
        void Put(string local, string name) => Assert.That(Rclone.Run(["copyto", local, $"{remote}/{name}"]).Succeeded, Is.True, name);
        void PutWith(string dump, BackupManifest manifest, string name)
        {
            Put(dump, name);
            var file = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-manifest-").FullName, BackupName.ManifestPathFor(name));
            File.WriteAllText(file, manifest.ToJson());
            Put(file, BackupName.ManifestPathFor(name));
        }
        Put(usable, Path.GetFileName(usable));
        Put(BackupName.ManifestPathFor(usable), Path.GetFileName(BackupName.ManifestPathFor(usable)));
        var later = DateTime.UtcNow.AddMinutes(30);
        // A renamed copy: its manifest says it was made half an hour before its name.
        var renamed = BackupName.For(later);
        PutWith(usable, usableManifest, renamed);
        // Cut short off-site: the manifest's size is the whole file's.
        var truncated = BackupName.For(later.AddMinutes(1));
        var half = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-half-").FullName, truncated);
        File.WriteAllBytes(half, File.ReadAllBytes(usable)[..(int)(new FileInfo(usable).Length / 2)]);
        PutWith(half, usableManifest with { File = truncated, CreatedUtc = later.AddMinutes(1) }, truncated);
        // The newest: whole, but its manifest says prices_daily was empty when it was dumped.
        var empty = BackupName.For(later.AddMinutes(2));
        var counts = usableManifest.RowCounts.ToDictionary();
        counts["stocks_research.prices_daily"] = 0;
        PutWith(usable, usableManifest with { File = empty, CreatedUtc = later.AddMinutes(2), RowCounts = counts }, empty);
        var metrics = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-metrics-").FullName, "stocksrebuild.prom");

        var run = BuildScript.Run("--target=Status", $"--database={Live}", $"--backup-dir={folder}", $"--offsite={remote}",
            $"--metrics-file={metrics}", $"--report-dir={Directory.CreateTempSubdirectory("stocksrebuild-reports-").FullName}");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Output, Does.Contain($"{remote}/{empty}: it cannot pass Validate after the restore, as its manifest says: row count > 0 " +
            "stocks_research.prices_daily: 0 rows in the manifest: Restore --from-offsite would refuse it (it is the newest, which Restore picks)"));
        Assert.That(run.Output, Does.Contain($"{remote}/{truncated}: it is {new FileInfo(half).Length:N0} bytes off-site, its manifest says " +
            $"{usableManifest.SizeBytes:N0}: changed or damaged off-site"));
        Assert.That(run.Output, Does.Contain($"{remote}/{renamed}: its manifest says it was created at").And.Contain("before the time in its name"));
        Assert.That(run.Output, Does.Contain($"newest usable {remote}/{Path.GetFileName(usable)}"));
        var age = File.ReadAllLines(metrics).Single(l => l.StartsWith("stocksrebuild_offsite_newest_age_seconds{", StringComparison.Ordinal));
        var seconds = double.Parse(age[(age.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(seconds, Is.EqualTo((DateTime.UtcNow - usableManifest.CreatedUtc).TotalSeconds).Within(60), "the usable backup's age");
    }

    [Test, Category("Fault")]
    public void ARewrittenRemoteObjectIsRefusedBeforeDropCreateAndTheDatabaseIsUnchanged()
    {
        var remote = NewRemote();
        var dump = BackupWriter.Backup(TestServer.Run(), Live, Folder());
        Assert.That(BuildScript.Run("--target=OffsiteCopy", $"--backup={dump}", $"--offsite={remote}").ExitCode, Is.EqualTo(0));
        var stored = s3.ObjectFile(Key(remote, Path.GetFileName(dump)));
        var bytes = File.ReadAllBytes(stored);
        for (var i = bytes.Length / 2; i < bytes.Length / 2 + 64; i++) bytes[i] ^= 0x5A; // same size, other bytes
        File.WriteAllBytes(stored, bytes);
        var folder = Folder();

        var run = BuildScript.Run("--target=Restore", $"--database={Live}", $"--confirm={Live}", $"--backup-dir={folder}", $"--offsite={remote}",
            "--from-offsite");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.Output);
        Assert.That(run.Output, Does.Contain("VerifyBackup refused the off-site copy").And.Contain("changed or damaged off-site"));
        Assert.That(run.Output, Does.Not.Contain("DropCreate: dropping"));
        Assert.That(Databases.Fingerprint(Live), Is.EqualTo(Before));
        Assert.That(Directory.GetFiles(Path.Combine(folder, "offsite-cache"), "*.dump"), Is.Empty, "the damaged download is not kept");
    }

    [Test, Category("Fault")]
    public void TheServerGoingDownDuringTheUploadLeavesTheLocalBackupAndNoObjectUnderItsName()
    {
        var (folder, remote) = (Folder(), NewRemote());
        using var proxy = new CuttingProxy(s3.Port, cutAfter: 64 * 1024);
        var flaky = S3Server.Remote("FLAKY", proxy.Port);
        flaky["RCLONE_RETRIES"] = "1";
        flaky["RCLONE_LOW_LEVEL_RETRIES"] = "1";

        var run = BuildScript.RunWith(flaky, "--target=Backup", $"--database={Live}", $"--backup-dir={folder}",
            $"--offsite=FLAKY:{remote["OFFSITE:".Length..]}");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.Output);
        Assert.That(proxy.HasCut, Is.True, "the server went away during the upload, not before it");
        Assert.That(run.Output, Does.Contain("Off-site copy of full_").And.Contain("failed").And.Contain("The local backup is intact"));
        var dump = Directory.GetFiles(folder, "full_*.dump").Single();
        Assert.That(BackupManifest.Sha256Of(dump), Is.EqualTo(BackupManifest.ReadFor(dump)!.Sha256), "the local backup is whole");
        var left = Listed(remote).Select(e => e.Name).ToList();
        Assert.That(left.Where(n => n.StartsWith("full_", StringComparison.Ordinal)), Is.Empty,
            "no object under a backup's name, and no manifest of a dump that is not there");
        Assert.That(left, Has.All.Match("^\\.full_.*\\.partial$"), "at most the temporary object the cut upload was writing");
        Assert.That(Databases.Fingerprint(Live), Is.EqualTo(Before));
    }

    [Test]
    public void PruneOffsiteKeepsTheNewestProvenBackupWhateverTheRulesSay()
    {
        var remote = NewRemote();
        var (_, backup) = Databases.SourceWithBackup;
        foreach (var stamp in new[] { "20260101_0000", "20260102_0000", "20260103_0000" })
        {
            Assert.That(S3Server.Rclone("copyto", backup, $"{remote}/full_{stamp}.dump").Succeeded);
            // The newest was never proven there: no manifest beside it.
            if (stamp != "20260103_0000")
                Assert.That(S3Server.Rclone("copyto", BackupName.ManifestPathFor(backup), $"{remote}/full_{stamp}.manifest.json").Succeeded);
        }
        var folder = Folder();
        File.Copy(backup, PrivateFolder(folder, Path.GetFileName(backup)));
        var localBefore = Databases.Listing(folder);
        var before = Listed(remote).Select(e => e.Name).ToList();

        var dryRun = BuildScript.Run("--target=Prune", $"--backup-dir={folder}", $"--offsite={remote}", "--offsite-keep=1");
        Assert.That(dryRun.ExitCode, Is.EqualTo(0), dryRun.Output);
        Assert.That(dryRun.Output, Does.Contain($"would delete {remote}/full_20260101_0000.dump"));
        Assert.That(Listed(remote).Select(e => e.Name), Is.EquivalentTo(before), "without --confirm=prune nothing goes");

        var run = BuildScript.Run("--target=Prune", $"--backup-dir={folder}", $"--offsite={remote}", "--offsite-keep=1", "--confirm=prune");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output);
        Assert.That(Listed(remote).Select(e => e.Name), Is.EquivalentTo(new[]
            { "full_20260103_0000.dump", "full_20260102_0000.dump", "full_20260102_0000.manifest.json" }));
        Assert.That(run.Output, Does.Contain("full_20260102_0000.dump: kept by the floor: the newest backup proven off-site"));
        Assert.That(run.Output, Does.Contain("full_20260103_0000.dump: kept by --offsite-keep=1"));
        Assert.That(Databases.Listing(folder), Is.EqualTo(localBefore), "--offsite-keep is the remote's rule; the local folder is untouched");
    }

    [Test]
    public void ThroughACryptRemoteTheStoreHoldsNoReadableArchiveAndRestoreWorksUnchanged()
    {
        var (folder, remote) = (Folder(), NewRemote("VAULT"));
        Assert.That(BuildScript.Run("--target=Backup", $"--database={Live}", $"--backup-dir={folder}", $"--offsite={remote}").ExitCode,
            Is.EqualTo(0));

        var stored = Directory.GetFiles(Path.Combine(s3.DataDirectory, S3Server.Bucket, "vault"), "*._S3rver_object", SearchOption.AllDirectories);
        Assert.That(stored, Has.Length.GreaterThanOrEqualTo(2));
        foreach (var file in stored)
        {
            Assert.That(file, Does.Not.Contain("full_"), "names are encrypted too");
            Assert.That(ArchiveHeader.Read(file), Is.Null, "not a pg_dump archive");
            Assert.That(Encoding.Latin1.GetString(File.ReadAllBytes(file)), Does.Not.Contain("stocks_research"));
        }
        Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
        var restored = Databases.NewName("fromvault");

        var run = BuildScript.Run("--target=Restore", $"--database={restored}", $"--confirm={restored}", $"--backup-dir={folder}",
            $"--offsite={remote}", "--from-offsite");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output);
        Assert.That(Databases.Fingerprint(restored), Is.EqualTo(Before));
    }

    [Test, Category("Security")]
    public void RemoteSecretsNeverReachTheOutputNorTheCommandLine()
    {
        var (secret, token, keyId) = ($"wrong-secret-{Guid.NewGuid():N}", $"session-token-{Guid.NewGuid():N}", $"KEYID{Guid.NewGuid():N}");
        var leaky = S3Server.Remote("LEAKY", s3.Port, secret);
        leaky["RCLONE_CONFIG_LEAKY_SESSION_TOKEN"] = token;
        leaky["RCLONE_CONFIG_LEAKY_ACCESS_KEY_ID"] = keyId; // unknown to the server: refused with 403
        // An operator debugging rclone: -vv prints each config value it reads from the environment, --dump headers each request.
        leaky["RCLONE_VERBOSE"] = "2";
        leaky["RCLONE_DUMP"] = "headers";
        var folder = Folder();

        var run = BuildScript.RunWith(leaky, "--target=Backup", $"--database={Live}", $"--backup-dir={folder}", "--offsite=LEAKY:backups/leaky");
        var inline = BuildScript.Run("--target=Backup", $"--database={Live}", $"--backup-dir={folder}",
            $"--offsite=:s3,provider=Other,secret_access_key={secret}:backups/x");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.Output);
        Assert.That(run.Output, Does.Contain("rclone cannot").And.Contain("********"), "rclone's relayed lines, masked");
        Assert.That(run.Output, Does.Not.Contain(secret).And.Not.Contain(token).And.Not.Contain(keyId));
        Assert.That(Directory.Exists(folder) ? Directory.GetFiles(folder, "full_*") : [], Is.Empty, "refused before pg_dump ran");
        Assert.That(inline.ExitCode, Is.EqualTo(1), inline.Output);
        Assert.That(inline.Output, Does.Contain("connection string is refused").And.Not.Contain(secret));
        Assert.That(Databases.Fingerprint(Live), Is.EqualTo(Before));
    }

    static string PrivateFolder(string folder, string name)
    {
        StocksRebuild.Tools.PrivateFiles.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }
}
