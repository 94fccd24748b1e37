using StocksRebuild.Backups;
using StocksRebuild.Database;
using System.Globalization;
using StocksRebuild.Migrations;
using StocksRebuild.Monitoring;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Operations;

/// <summary>
/// Status through ./build.sh from constructed states: the exit code a monitor sees (0 OK, 1 warning, 2 critical) and the metrics file parsed
/// back.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[TestFixture]
public sealed class StatusTests
{
    static string History(string database, string status, double? rto = 2.5, double? rpo = 3600)
    {
        var folder = Directory.CreateTempSubdirectory("stocksrebuild-status-report-").FullName;
        var line = $"{{\"startedUtc\": \"{DateTime.UtcNow.AddHours(-1):O}\", \"status\": \"{status}\", \"database\": \"{database}\", \"backup\": " +
            $"\"x\", " +
                   $"\"rtoSeconds\": {(rto?.ToString(CultureInfo.InvariantCulture) ?? "null")}, \"rpoSeconds\": " +
                       $"{(rpo?.ToString(CultureInfo.InvariantCulture) ?? "null")}}}";
        File.WriteAllText(Path.Combine(folder, "history.jsonl"), line + "\n");
        return folder;
    }

    static string FreshBackupFolder(string database) => Path.GetDirectoryName(Databases.Dump(database))!;

    static BuildRun Status(string database, string backups, string reports, params string[] extra) =>
        BuildScript.Run(["--target=Status", $"--database={database}", $"--backup-dir={backups}", $"--report-dir={reports}", .. extra]);

    [Test]
    public void NewerBackupsRestoreWouldRefuseAreCriticalAndTheAgeIsTheNewestUsableOnes()
    {
        var database = Databases.SourceWithBackup.Database;
        var folder = Directory.CreateTempSubdirectory("stocksrebuild-status-unusable-").FullName;
        // The usable one: the shared backup with its manifest, older than the three below.
        var usable = Path.Combine(folder, Path.GetFileName(Databases.SourceWithBackup.Backup));
        File.Copy(Databases.SourceWithBackup.Backup, usable);
        File.Copy(BackupName.ManifestPathFor(Databases.SourceWithBackup.Backup), BackupName.ManifestPathFor(usable));
        var usableCreated = BackupVerifier.Judge(usable).CreatedUtc!.Value;
        var soon = DateTime.UtcNow.AddMinutes(2);
        // A dump of another database, written under a backup's name.
        var other = Databases.NewName("appdb");
        Databases.Admin.DropCreate(other, Consent.None, new TestLog());
        Databases.Execute(other, "CREATE TABLE notes (t text); INSERT INTO notes VALUES ('x')");
        var foreign = BackupName.For(soon);
        File.Move(Databases.Dump(other, name: foreign), Path.Combine(folder, foreign));
        // A dump pg_dump wrote three days ago, renamed as if it were new.
        var renamed = BackupName.For(soon.AddMinutes(1));
        File.Move(Databases.Dump(database, ago: TimeSpan.FromDays(3), name: renamed), Path.Combine(folder, renamed));
        // The newest: cut short after Backup wrote it and its manifest.
        var truncated = BackupName.For(soon.AddMinutes(2));
        File.Move(Databases.Dump(database, name: truncated), Path.Combine(folder, truncated));
        var manifest = BackupManifest.ReadFor(usable)! with { File = truncated, SizeBytes = new FileInfo(Path.Combine(folder, truncated)).Length };
        File.WriteAllText(BackupName.ManifestPathFor(Path.Combine(folder, truncated)), manifest.ToJson());
        using (var stream = new FileStream(Path.Combine(folder, truncated), FileMode.Open)) stream.SetLength(stream.Length / 2);
        var metrics = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-metrics-").FullName, "stocksrebuild.prom");

        var run = Status(database, folder, History(database, "passed"), $"--metrics-file={metrics}");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Output, Does.Contain($"{truncated}: its size").And.Contain("differs from its manifest's").And.Contain(
            "Restore would refuse it (it is the newest, which Restore picks)"));
        Assert.That(run.Output, Does.Contain($"{renamed}: pg_dump created it at").And.Contain("before the time in its name"));
        Assert.That(run.Output, Does.Contain($"{foreign}: it lacks schema stocks_research"));
        Assert.That(run.Output, Does.Contain($"newest usable {Path.GetFileName(usable)}"));
        var age = File.ReadAllLines(metrics).Single(l => l.StartsWith("stocksrebuild_backup_newest_age_seconds{", StringComparison.Ordinal));
        var seconds = double.Parse(age[(age.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        Assert.That(seconds, Is.EqualTo((DateTime.UtcNow - usableCreated).TotalSeconds).Within(60), "the usable backup's age");
    }

    [Test]
    public void HealthyIsZeroAndTheMetricsFileReadsBack()
    {
        var database = Databases.SourceWithBackup.Database;
        var metrics = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-metrics-").FullName, "stocksrebuild.prom");
        var run = Status(database, FreshBackupFolder(database), History(database, "passed"), "--max-backup-age=1h", $"--metrics-file={metrics}");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());

        var lines = File.ReadAllLines(metrics);
        var samples = lines.Where(l => !l.StartsWith('#'))
            .ToDictionary(l => l[..l.IndexOf('{')], l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        foreach (var name in new[]
                 {
                     "stocksrebuild_backup_newest_age_seconds", "stocksrebuild_backup_newest_size_bytes", "stocksrebuild_backups_total",
                     "stocksrebuild_rehearsal_last_success_timestamp_seconds", "stocksrebuild_rehearsal_last_rto_seconds",
                     "stocksrebuild_rehearsal_last_rpo_seconds", "stocksrebuild_rehearsal_last_passed",
                 })
        {
            Assert.That(lines, Does.Contain($"# TYPE {name} gauge"), name);
            Assert.That(lines.Any(l => l.StartsWith($"# HELP {name} ", StringComparison.Ordinal)), name);
            Assert.That(lines, Has.Some.StartsWith($"{name}{{database=\"{database}\"}} "), name);
        }
        Assert.That(samples["stocksrebuild_backups_total"], Is.EqualTo(1));
        Assert.That(samples["stocksrebuild_backup_newest_age_seconds"], Is.InRange(0, 120));
        Assert.That(samples["stocksrebuild_rehearsal_last_rto_seconds"], Is.EqualTo(2.5));
        Assert.That(samples["stocksrebuild_rehearsal_last_passed"], Is.EqualTo(1));
        Assert.That(samples["stocksrebuild_status"], Is.Zero);
        Assert.That(File.GetUnixFileMode(metrics), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public void ABackupRefreshesTheMetricsFileWhenItEnds()
    {
        var database = Databases.SourceWithBackup.Database;
        var folder = Directory.CreateTempSubdirectory("stocksrebuild-refresh-").FullName;
        var metrics = Path.Combine(folder, "stocksrebuild.prom");
        var run = BuildScript.Run("--target=Backup", $"--database={database}", $"--backup-dir={Path.Combine(folder, "backups")}",
            $"--metrics-file={metrics}");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(File.ReadAllLines(metrics), Does.Contain($"stocksrebuild_backups_total{{database=\"{database}\"}} 1"));
    }

    [Test]
    public void NoBackupIsCritical()
    {
        var database = Databases.SourceWithBackup.Database;
        var run = Status(database, Directory.CreateTempSubdirectory("stocksrebuild-nobackup-").FullName, History(database, "passed"));
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Output, Does.Contain("CRITICAL backup       no backup in"));
    }

    [Test]
    public void ABackupOlderThanTheLimitIsCriticalByItsRealAge()
    {
        var database = Databases.SourceWithBackup.Database;
        var old = Path.GetDirectoryName(Databases.Dump(database, ago: TimeSpan.FromDays(3)))!;
        var run = Status(database, old, History(database, "passed"), "--max-backup-age=26h");
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Output, Does.Contain("created 3d0h00m ago (limit 1d2h00m, --max-backup-age: backups have stopped?)"));
    }

    [Test]
    public void ARedLastRehearsalIsCritical()
    {
        var database = Databases.SourceWithBackup.Database;
        var run = Status(database, FreshBackupFolder(database), History(database, "failed"));
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Output, Does.Contain("CRITICAL rehearsal").And.Contain("failed, RTO 2.5s, RPO 1h00m; never passed"));
    }

    [Test]
    public void APendingMigrationIsAWarning()
    {
        var database = Databases.NewName("pending");
        Databases.Admin.DropCreate(database, Consent.None, new TestLog());
        var scripts = Migrator.Scripts();
        Migrator.Migrate(TestServer.Run(), database, Consent.None, scripts.Take(scripts.Count - 1).ToList());
        var run = Status(database, FreshBackupFolder(database), History(database, "passed"));
        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Output, Does.Contain($"WARNING  migrations   1 pending: {scripts[^1].Name} (--target=Migrate)"));
    }

    [Test]
    public void MetricsEscapeTheDatabaseLabelAndLeaveUnknownValuesOut()
    {
        var report = new StatusReport { Database = "a\"b\\c", Findings = [new("backup", StatusLevel.Critical, "none")] };
        var text = report.ToPrometheus();
        Assert.That(text, Does.Contain("stocksrebuild_status{database=\"a\\\"b\\\\c\"} 2"));
        Assert.That(text, Does.Not.Contain("stocksrebuild_backup_newest_age_seconds{"), "an unknown value has no sample");
        Assert.That(text, Does.Contain("# TYPE stocksrebuild_backup_newest_age_seconds gauge"));
    }
}
