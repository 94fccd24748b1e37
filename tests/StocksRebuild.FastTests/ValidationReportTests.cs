using StocksRebuild.Validation;

namespace StocksRebuild.FastTests;

/// <summary>Validate's verdict from its checks: a warning passes, --strict makes it a failure, a failure always fails.</summary>
[TestFixture]
public sealed class ValidationReportTests
{
    static readonly ValidationCheck Ok = new("row count > 0", "stocks_research.securities", true, "40 rows");
    static readonly ValidationCheck Warned = new("primary key", "stocks_research.site_notes", false, "table has no primary key") { Warning = true };
    static readonly ValidationCheck Failed = new("no orphans", "stocks_research.prices_daily.fk", false, "1 orphaned row(s)");

    [Test]
    public void AWarningPassesAndStrictFailsIt()
    {
        var report = new ValidationReport("db", [Ok, Warned], TimeSpan.Zero);
        Assert.That((report.Passed, report.Warnings.Count(), report.Failures.Count()), Is.EqualTo((true, 1, 0)));
        var strict = report.Strict();
        Assert.That((strict.Passed, strict.Warnings.Count(), strict.Failures.Single().Subject), Is.EqualTo((false, 0, "stocks_research.site_notes")));
        Assert.That(report.FormatTable(), Does.Contain("stocks_research.site_notes  warn    table has no primary key"));
    }

    [Test]
    public void AFailureFailsWhateverElsePassed()
    {
        var report = new ValidationReport("db", [Ok, Warned, Failed], TimeSpan.Zero);
        Assert.That(report.Passed, Is.False);
        Assert.That(report.FailureMessage(), Is.EqualTo(
            "Validation failed — stop and investigate. no orphans stocks_research.prices_daily.fk: 1 orphaned row(s)"));
    }
}
