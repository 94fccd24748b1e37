using StocksRebuild.Database;
using System.Text.Json;
using System.Xml;
using StocksRebuild.Backups;
using StocksRebuild.Migrations;
using StocksRebuild.Rehearsal;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Rehearsal;

/// <summary>The DR rehearsal on a real server: green when all is well, red naming the object when not, never a scratch database left.</summary>
[TestFixture]
public sealed class RehearsalTests
{
    static RehearsalOptions Options(string live, string? backup = null, string? backupDirectory = null) => new()
    {
        Database = live,
        BackupFile = backup,
        BackupDirectory = backupDirectory ?? Directory.CreateTempSubdirectory("stocksrebuild-rehearsal-backups-").FullName,
        ReportDirectory = Directory.CreateTempSubdirectory("stocksrebuild-rehearsal-report-").FullName,
        Jobs = 2,
    };

    static IReadOnlyList<string> ScratchOf(string live) => Databases.Admin.WithPrefix(ScratchDatabases.PrefixFor(live));

    static RehearsalCheck Check(RehearsalReport report, string name) => report.Checks.Single(c => c.Name == name);

    /// <summary>A database migrated by the first <paramref name="scripts"/> migrations only, no rows.</summary>
    static string MigratedUpTo(int scripts)
    {
        var name = Databases.NewName("partial");
        Databases.Admin.DropCreate(name, Consent.None, new TestLog());
        Migrator.Migrate(TestServer.Run(), name, Consent.None, Migrator.Scripts().Take(scripts).ToList());
        return name;
    }

    [Test]
    public void AHealthyDatabaseRehearsesGreenWithACompleteReportAndNoScratchDatabaseLeft()
    {
        var (live, backup) = Databases.SourceWithBackup;
        var before = Databases.Fingerprint(live);
        var summary = Path.GetTempFileName();
        var options = Options(live, backup) with
        {
            MaxBackupAge = TimeSpan.FromDays(1), MaxRto = TimeSpan.FromMinutes(10), Deep = true, StepSummaryFile = summary,
        };

        var report = RecoveryRehearsal.Run(TestServer.Run(), options);

        Assert.That(report.Status, Is.EqualTo(RehearsalStatus.Passed), report.FailureSummary());
        Assert.That(report.Checks.Select(c => c.Name), Is.EqualTo(new[]
        {
            "Scratch server", "Leftovers", "Backup to rehearse", "VerifyBackup", "RPO", "Restore", "Validate", "RTO", "Deep validation",
            "Cold rebuild", "Schema identity", "Row counts", "Cleanup",
        }));
        Assert.That(report.Checks.Where(c => c.Status != CheckStatus.Passed), Is.Empty);
        Assert.That(report.Scratch, Is.EqualTo(ScratchMode.Live));
        Assert.That($"{report.ScratchServer} on {TestServer.Connection.Host}:{TestServer.Connection.Port}", Is.EqualTo(
            $"the live server {TestServer.Connection.Host}:{TestServer.Connection.Port}, {report.Versions["server"]}"));
        Assert.That(Check(report, "Deep validation").Detail, Does.Match(@"^\d+ B-tree index\(es\) checked by amcheck, 10 table\(s\) read in full$"));
        Assert.That(Check(report, "Deep validation").Detail, Does.Not.StartWith("0 "), "amcheck ran on the indexes");
        Assert.That(report.SchemaCompared, Is.EqualTo(new[] { "live", "backup", "migrations" }));
        Assert.That(report.SchemaObjects, Is.GreaterThan(100));
        Assert.That(report.RtoSeconds, Is.GreaterThan(0));
        Assert.That(report.RpoSeconds, Is.GreaterThanOrEqualTo(0));
        Assert.That(report.Backup!.Sha256, Is.EqualTo(BackupManifest.Sha256Of(backup)));
        Assert.That(report.RowCounts, Has.Count.EqualTo(10));
        Assert.That(report.RowCounts.Where(t => t.Live != t.Backup || t.Backup != t.Manifest), Is.Empty);
        Assert.That(report.RowCounts.Single(t => t.Table == "stocks_research.prices_daily").Backup, Is.EqualTo(19_512));

        // The files: report.json round-trips, report.md, history with this run, the chart, the job summary.
        var json = RehearsalReport.FromJson(File.ReadAllText(Path.Combine(options.ReportDirectory, "report.json")));
        Assert.That(json.Checks, Has.Count.EqualTo(report.Checks.Count));
        Assert.That(json.Versions.Keys, Is.SupersetOf(new[] { "server", "pg_dump", "pg_restore", "StocksRebuild" }));
        var markdown = File.ReadAllText(Path.Combine(options.ReportDirectory, "report.md"));
        Assert.That(markdown, Does.Contain($"# Recovery rehearsal of \"{live}\": PASSED").And.Contain(report.Backup.Sha256)
            .And.Contain("| RTO (verify + restore + validate) |"));
        Assert.That(RehearsalHistory.Read(Path.Combine(options.ReportDirectory, RehearsalHistory.FileName)).Single().RtoSeconds,
            Is.EqualTo(report.RtoSeconds));
        var chart = new XmlDocument();
        chart.Load(Path.Combine(options.ReportDirectory, RehearsalHistory.ChartName));
        Assert.That(chart.GetElementsByTagName("circle"), Has.Count.EqualTo(2), "one RTO and one RPO point");
        var jobSummary = File.ReadAllText(summary);
        Assert.That(jobSummary, Does.Contain($"# Recovery rehearsal of \"{live}\": PASSED"));
        Assert.That(jobSummary, Does.Contain("```mermaid\nxychart-beta").And.Not.Contain(RehearsalHistory.ChartName),
            "the job summary shows the trend without a relative image link");

        Assert.That(ScratchOf(live), Is.Empty, "both scratch databases were dropped");
        Assert.That(report.ScratchDatabases, Has.Count.EqualTo(2));
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before), "the live database was only read");
    }

    [Test]
    public void ABackupFromBeforeAMigrationIsRedNamingWhatTheBackupLacks()
    {
        var live = MigratedUpTo(7);
        var directory = Directory.CreateTempSubdirectory("stocksrebuild-stale-").FullName;
        var stale = BackupWriter.Backup(TestServer.Run(), live, directory);
        Migrator.Migrate(TestServer.Run(), live, Consent.None);

        var report = RecoveryRehearsal.Run(TestServer.Run(), Options(live, stale));

        Assert.That(report.Status, Is.EqualTo(RehearsalStatus.Failed));
        var schema = Check(report, "Schema identity");
        Assert.That(schema.Status, Is.EqualTo(CheckStatus.Failed));
        Assert.That(schema.Findings, Does.Contain("view stocks_research.v_adjustment_factors_derived: in live, missing in backup, in migrations"));
        Assert.That(schema.Findings, Does.Contain("aggregate stocks_research.product(numeric): in live, missing in backup, in migrations"));
        Assert.That(ScratchOf(live), Is.Empty);
    }

    [Test]
    public void AMigrationScriptNotAppliedToLiveIsRedNamingWhatLiveLacks()
    {
        var live = MigratedUpTo(7);
        var report = RecoveryRehearsal.Run(TestServer.Run(), Options(live) with { FreshBackup = true });

        Assert.That(Check(report, "Backup to rehearse").Detail, Does.StartWith("took ").And.EndWith("(--fresh-backup)"));
        var schema = Check(report, "Schema identity");
        Assert.That(schema.Status, Is.EqualTo(CheckStatus.Failed));
        Assert.That(schema.Findings, Does.Contain("view stocks_research.v_fundamentals_yoy_derived: missing in live, missing in backup, in " +
            "migrations"));
        // V008 made the ticker exclusion deferrable: a changed definition shows both.
        Assert.That(schema.Findings.Single(f => f.StartsWith("constraint stocks_research.ticker_history.ticker_history_no_overlap: ")),
            Does.Contain("in live").And.Contain("DEFERRABLE\" in migrations"));
        Assert.That(report.Status, Is.EqualTo(RehearsalStatus.Failed));
        Assert.That(ScratchOf(live), Is.Empty);
    }

    [Test, Category("BadInput")]
    public void ATruncatedBackupIsRedWithoutRestoringAnything()
    {
        var live = Databases.SourceWithBackup.Database;
        var truncated = Databases.CopyOfBackup(withManifest: false);
        using (var file = new FileStream(truncated, FileMode.Open)) file.SetLength(file.Length / 2);

        var report = RecoveryRehearsal.Run(TestServer.Run(), Options(live, truncated));

        Assert.That(report.Status, Is.EqualTo(RehearsalStatus.Failed));
        Assert.That(Check(report, "VerifyBackup").Status, Is.EqualTo(CheckStatus.Failed));
        Assert.That(Check(report, "VerifyBackup").Detail, Does.Contain("truncated or corrupt").And.Contain(truncated));
        Assert.That(Check(report, "Restore").Status, Is.EqualTo(CheckStatus.Skipped));
        Assert.That(report.ScratchDatabases.Where(d => d.EndsWith("_backup")), Is.Empty, "no database was restored into");
        Assert.That(Check(report, "Schema identity").Status, Is.EqualTo(CheckStatus.Passed), "live and migrations are still compared");
        Assert.That(ScratchOf(live), Is.Empty);
    }

    [Test, Category("BadInput")]
    public void ABackupOtherThanTheExpectedOneIsRedWithoutRestoringIt()
    {
        var (live, backup) = Databases.SourceWithBackup;

        var report = RecoveryRehearsal.Run(TestServer.Run(), Options(live, backup) with { ExpectBackup = "20200101_0000" });

        Assert.That(report.Status, Is.EqualTo(RehearsalStatus.Failed));
        Assert.That(Check(report, "VerifyBackup").Detail, Does.Contain("is not the expected 20200101_0000 (--expect-backup)"));
        Assert.That(Check(report, "Restore").Status, Is.EqualTo(CheckStatus.Skipped));
    }

    [Test]
    public void RpoAndRtoBeyondTheirLimitsAreRedAndTheRestoreIsStillRehearsed()
    {
        var live = Databases.SourceWithBackup.Database;
        var old = Databases.Dump(live, ago: TimeSpan.FromHours(3));

        var report = RecoveryRehearsal.Run(TestServer.Run(), Options(live, old) with { MaxBackupAge = TimeSpan.FromHours(1),
            MaxRto = TimeSpan.FromMilliseconds(1) });

        Assert.That(report.Status, Is.EqualTo(RehearsalStatus.Failed));
        Assert.That(Check(report, "RPO").Status, Is.EqualTo(CheckStatus.Failed));
        Assert.That(Check(report, "RPO").Detail, Does.StartWith("backup age 3h00m").And.Contain("(limit 1h00m, --max-backup-age)"));
        Assert.That(Check(report, "RTO").Status, Is.EqualTo(CheckStatus.Failed));
        Assert.That(Check(report, "RTO").Detail, Does.Contain("--max-rto"));
        Assert.That(Check(report, "Restore").Status, Is.EqualTo(CheckStatus.Passed));
        Assert.That(Check(report, "Validate").Status, Is.EqualTo(CheckStatus.Passed));
        Assert.That(report.RpoSeconds, Is.GreaterThan(3 * 3600 - 60));
    }

    /// <summary>A backup stamped by a clock ahead of the rehearsal's: its age is 0, never negative, and the skew is said.</summary>
    [Test]
    public void ABackupFromAClockAheadHasAnRpoOfZeroAndTheSkewIsSaid()
    {
        var live = Databases.SourceWithBackup.Database;
        var ahead = Databases.Dump(live, ago: -TimeSpan.FromHours(2));

        var report = RecoveryRehearsal.Run(TestServer.Run(), Options(live, ahead));

        Assert.That(report.RpoSeconds, Is.Zero);
        Assert.That(Check(report, "RPO").Status, Is.EqualTo(CheckStatus.Passed));
        Assert.That(Check(report, "RPO").Detail, Does.Match(@"^backup age 0\.0s \(no limit given: --max-backup-age\); the archive is stamped " +
            @"1h59m after this rehearsal started: the clock of the machine that ran pg_dump is ahead of this one's"));
    }

    [Test, Category("Fault")]
    public void AReportThatCannotBeWrittenTurnsAGreenRehearsalRedAndTheScratchDatabasesStillGo()
    {
        var (live, backup) = Databases.SourceWithBackup;
        var notAFolder = Path.GetTempFileName(); // a file where the report folder should be

        var report = RecoveryRehearsal.Run(TestServer.Run(), Options(live, backup) with { ReportDirectory = notAFolder });

        Assert.That(report.Status, Is.EqualTo(RehearsalStatus.Failed));
        Assert.That(report.Failures.Select(f => f.Name), Is.EqualTo(new[] { "Report" }));
        Assert.That(report.Failures.Single().Detail, Does.StartWith($"cannot write to {notAFolder}"));
        Assert.That(ScratchOf(live), Is.Empty);
    }

    [Test]
    public void ATableEmptyInTheBackupButFullInLiveIsAFinding()
    {
        var live = Databases.Seeded();
        var directory = Directory.CreateTempSubdirectory("stocksrebuild-counts-").FullName;
        Databases.Execute(live, "DELETE FROM stocks_research.fundamentals_yoy");
        var backup = BackupWriter.Backup(TestServer.Run(), live, directory);
        Databases.Execute(live, "INSERT INTO stocks_research.fundamentals_yoy SELECT * FROM stocks_research.v_fundamentals_yoy_derived");

        var report = RecoveryRehearsal.Run(TestServer.Run(), Options(live, backup));

        var counts = Check(report, "Row counts");
        Assert.That(counts.Status, Is.EqualTo(CheckStatus.Failed));
        Assert.That(counts.Findings, Does.Contain("stocks_research.fundamentals_yoy: empty in the backup, 144 rows in live"));
    }
}
