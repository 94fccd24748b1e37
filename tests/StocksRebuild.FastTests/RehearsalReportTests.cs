using System.Xml;
using StocksRebuild.Rehearsal;

namespace StocksRebuild.FastTests;

/// <summary>The report's and the chart's shape from given data: what a red rehearsal shows, and how history is drawn.</summary>
[TestFixture]
public sealed class RehearsalReportTests
{
    static RehearsalReport Red() => new()
    {
        Database = "stocks_research",
        Server = "dba@db1:5432",
        StartedUtc = new DateTime(2026, 11, 25, 4, 17, 0, DateTimeKind.Utc),
        FinishedUtc = new DateTime(2026, 11, 25, 4, 18, 0, DateTimeKind.Utc),
        Status = RehearsalStatus.Failed,
        RpoSeconds = 30 * 3600,
        MaxBackupAgeSeconds = 26 * 3600,
        Checks =
        [
            new("RPO", CheckStatus.Failed, 0, "backup age 1d6h00m (limit 1d2h00m, --max-backup-age)", []),
            new("Schema identity", CheckStatus.Failed, 0.2, "130 objects: 1 difference(s)", ["column stocks_research.securities.isin: in live, " +
                "missing in backup | migrations"]),
            new("Restore", CheckStatus.Skipped, 0, "the backup was not verified: nothing is restored from it", []),
        ],
        RowCounts = [],
        SchemaDifferences = ["column stocks_research.securities.isin: in live, missing in backup | migrations"],
        SchemaCompared = ["live", "migrations"],
        SchemaObjects = 130,
        ScratchDatabases = [],
        Versions = new Dictionary<string, string> { ["server"] = "PostgreSQL 15.18" },
    };

    [Test]
    public void ARedReportLeadsWithItsVerdictAndListsEveryFindingUnderItsCheck()
    {
        var markdown = Red().ToMarkdown();

        Assert.That(markdown, Does.StartWith("# Recovery rehearsal of \"stocks_research\": FAILED"));
        Assert.That(markdown, Does.Contain("| RPO (backup age) | 1d6h00m (limit 1d2h00m, --max-backup-age) |"));
        Assert.That(markdown, Does.Contain("| RTO (verify + restore + validate) | not measured |"));
        Assert.That(markdown, Does.Contain("| RPO | **FAIL** |").And.Contain("| Restore | skipped |"));
        Assert.That(markdown, Does.Contain("- **Schema identity**: column stocks_research.securities.isin: in live, missing in backup | migrations"));
        Assert.That(markdown, Does.Contain("1 difference(s) across live, migrations"));
        Assert.That(Red().FailureSummary(), Does.StartWith("RPO: backup age 1d6h00m").And.Contain("Schema identity: 130 objects: 1 difference(s) — " +
            "column stocks_research.securities.isin"));
        Assert.That(RehearsalReport.FromJson(Red().ToJson()).Checks[1].Findings, Is.EqualTo(Red().Checks[1].Findings));
    }

    [Test]
    public void TheTrendDrawsPassedRunsBlueFailedRunsRedAndLeavesInterruptedRunsOut()
    {
        var day = new DateTime(2026, 11, 20, 4, 17, 0, DateTimeKind.Utc);
        var history = new List<HistoryEntry>
        {
            new(day, RehearsalStatus.Passed, "stocks_research", "full_20261120_0300.dump", 20.5, 4800),
            new(day.AddDays(1), RehearsalStatus.Interrupted, "stocks_research", "full_20261121_0300.dump", null, 4700),
            new(day.AddDays(2), RehearsalStatus.Failed, "stocks_research", "full_20261122_0300.dump", 31.0, 98000),
            new(day.AddDays(3), RehearsalStatus.Passed, "stocks_research", "full_20261123_0300.dump", 19.4, 4900),
        };

        var svg = new XmlDocument();
        svg.LoadXml(RehearsalHistory.TrendSvg(history));

        var circles = svg.GetElementsByTagName("circle").Cast<XmlElement>().ToList();
        Assert.That(circles, Has.Count.EqualTo(6), "three runs drawn, each with an RTO and an RPO point");
        Assert.That(circles.Count(c => c.GetAttribute("fill") == "#d62728"), Is.EqualTo(2), "the failed run, in both panels");
        Assert.That(svg.GetElementsByTagName("polyline"), Has.Count.EqualTo(2));
        Assert.That(circles.Select(c => c.InnerText), Does.Contain("2026-11-22 04:17 failed (RTO): 31 s"));
        Assert.That(svg.OuterXml, Does.Contain("3 rehearsal(s), 2026-11-20 04:17 to 2026-11-23 04:17 UTC"));
    }

    /// <summary>
    /// What the chart looked like before: an RPO axis of "0…0" hours, no dates, no limits, a run red on RTO because it
    /// failed on RPO, a failed run without RTO missing. Each is now drawn as a reader needs it.
    /// </summary>
    [Test]
    public void EachPanelIsInItsOwnUnitColouredByItsOwnCheckWithDatesLimitsAndRunsThatMeasuredNothing()
    {
        var day = new DateTime(2026, 11, 20, 4, 0, 0, DateTimeKind.Utc);
        HistoryEntry Run(int d, RehearsalStatus status, double? rto, double? rpo, params string[] failed) =>
            new(day.AddDays(d), status, "stocks_research", null, rto, rpo)
                { FailedChecks = failed, MaxRtoSeconds = 60, MaxBackupAgeSeconds = 26 * 3600 };
        var history = new List<HistoryEntry>
        {
            Run(0, RehearsalStatus.Passed, 12, 4),
            Run(1, RehearsalStatus.Failed, 13, 30 * 3600, "RPO"),
            Run(2, RehearsalStatus.Failed, null, null, "VerifyBackup"),
            Run(3, RehearsalStatus.Passed, 11, 5 * 3600),
        };

        var svg = new XmlDocument();
        svg.LoadXml(RehearsalHistory.TrendSvg(history));
        var circles = svg.GetElementsByTagName("circle").Cast<XmlElement>().ToList();
        var texts = svg.GetElementsByTagName("text").Cast<XmlElement>().Select(t => t.InnerText).ToList();

        Assert.That(circles.Where(c => c.GetAttribute("fill") == "#d62728").Select(c => c.InnerText),
            Is.EqualTo(new[] { "2026-11-21 04:00 failed (RPO): 30 h" }), "red on the RPO panel only, where that run failed");
        Assert.That(texts, Does.Contain("RTO: verify + restore + validate (seconds)").And.Contain("RPO: age of the rehearsed backup (hours)"));
        Assert.That(texts, Does.Contain("10 h").And.Contain("30 h"), "hour ticks for the RPO, not 0…0");
        Assert.That(texts, Does.Contain("11-21").And.Contain("11-22").And.Contain("11-23"), "midnights (UTC) on the time axis");
        Assert.That(texts, Does.Contain("limit 1m00s (--max-rto)").And.Contain("limit 1d2h00m (--max-backup-age)"));
        Assert.That(texts.Count(t => t.StartsWith("×2026-11-22 04:00 failed at VerifyBackup: no ")), Is.EqualTo(2), "shown in both panels");

        var markdown = RehearsalHistory.TrendMarkdown(history);
        Assert.That(markdown, Does.Contain("```mermaid\nxychart-beta\n    title \"RTO: verify + restore + validate (seconds), limit 1m00s\""));
        Assert.That(markdown, Does.Contain("    line [12, 13, 11]"), "the runs that measured an RTO");
        Assert.That(markdown, Does.Contain("| 2026-11-22 04:00 | failed | not measured | not measured | VerifyBackup |"));
    }
}
