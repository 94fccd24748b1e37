using StocksRebuild.Backups;
using StocksRebuild.Connection;
using StocksRebuild.Database;
using StocksRebuild.Validation;

namespace StocksRebuild.FastTests;

/// <summary>Pure logic, no server: flags, durations, names, and the SQL text Validate generates.</summary>
[TestFixture]
public sealed class OptionsTests
{
    [TestCase("confrim", "confirm")]
    [TestCase("databse", "database")]
    [TestCase("backupdir", "backup-dir")]
    [TestCase("job", "jobs")]
    public void AMisspeltFlagNamesTheClosestKnownOne(string given, string expected)
    {
        var error = Assert.Throws<RunbookException>(() => Flags.RefuseUnknown([given]));
        Assert.That(error!.Message, Does.StartWith($"Unknown flag --{given}; did you mean --{expected}?"));
    }

    [Test]
    public void KnownFlagsPass() => Assert.DoesNotThrow(() => Flags.RefuseUnknown(["target", "confirm", "backup-dir", "sandbox", "verbosity"]));

    [TestCase("0")]
    [TestCase("abc")]
    [TestCase("-2")]
    public void JobsMustBeAPositiveWholeNumber(string value) =>
        Assert.That(() => Flags.PositiveInt(value, "jobs"), Throws.TypeOf<RunbookException>().With.Message.Contains($"--jobs={value}"));

    [TestCase("26h", 26 * 60)]
    [TestCase("90s", 1.5)]
    [TestCase("1d12h", 36 * 60)]
    [TestCase("45m", 45)]
    public void DurationsReadAsADbaWritesThem(string text, double minutes) =>
        Assert.That(Durations.Parse(text, "max-backup-age"), Is.EqualTo(TimeSpan.FromMinutes(minutes)));

    [TestCase("banana")]
    [TestCase("")]
    [TestCase("26")]
    public void ADurationThatIsNotOneIsRefused(string text) =>
        Assert.That(() => Durations.Parse(text, "max-backup-age"), Throws.TypeOf<RunbookException>().With.Message.Contains("--max-backup-age"));

    [TestCase("full_20261125_1030.dump", true)]
    [TestCase("full_20210230_1200.dump", false)]
    [TestCase("full_20261125_2460.dump", false)]
    [TestCase("full_20261125_1030.dump.bak", false)]
    [TestCase("backup.dump", false)]
    public void BackupNamesFollowThePatternWithARealTime(string name, bool valid) =>
        Assert.That(BackupName.TryParse(name, out _), Is.EqualTo(valid));

    [Test]
    public void OrphanSqlQuotesEveryIdentifierAndHonoursCompositeKeys()
    {
        var fk = new ForeignKey("fk\"x", "s", "child table", ["a", "b\"c"], "s", "parent", ["x", "y"], Validated: false);
        Assert.That(fk.OrphanCountSql(), Is.EqualTo(
            "SELECT count(*) FROM \"s\".\"child table\" c WHERE c.\"a\" IS NOT NULL AND c.\"b\"\"c\" IS NOT NULL " +
            "AND NOT EXISTS (SELECT 1 FROM \"s\".\"parent\" p WHERE p.\"x\" = c.\"a\" AND p.\"y\" = c.\"b\"\"c\")"));
        Assert.That(fk.Describe(), Does.EndWith("NOT VALID"));
        Assert.That(fk.OrphanRowsSql("stage_x"), Is.EqualTo(
            "SELECT c.src_file, c.src_line, concat_ws(', ', c.\"a\"::text, c.\"b\"\"c\"::text) FROM pg_temp.\"stage_x\" c " +
            "WHERE c.\"a\" IS NOT NULL AND c.\"b\"\"c\" IS NOT NULL " +
            "AND NOT EXISTS (SELECT 1 FROM \"s\".\"parent\" p WHERE p.\"x\" = c.\"a\" AND p.\"y\" = c.\"b\"\"c\") ORDER BY c.src_file, c.src_line " +
                "LIMIT @limit"));
    }

    [Test]
    public void DuplicateSqlPartitionsByTheQuotedKey() =>
        Assert.That(StocksRebuild.Ingestion.StagingDiagnosis.DuplicatesSql("stage_y", ["id", "day \"d\""]), Does.Contain(
            "FROM \"pg_temp\".\"stage_y\" WINDOW same_key AS (PARTITION BY \"id\", \"day \"\"d\"\"\" ORDER BY src_file, src_line)")
            .And.StartWith("SELECT src_file, src_line, concat_ws(', ', d.\"id\"::text, d.\"day \"\"d\"\"\"::text), first_file, first_line FROM ("));

    [Test]
    public void ADatabaseNameIsQuotedForLibpqSoItStaysAName() =>
        Assert.That(LibpqConnInfo.ForDatabase("x' host=evil \\"), Is.EqualTo("dbname='x\\' host=evil \\\\'"));

    [Test]
    public void ConsentIsTheExactNameAndNothingElse()
    {
        Assert.DoesNotThrow(() => Consent.Given("stocks_research").Require("DropCreate", "stocks_research"));
        Assert.Throws<RunbookException>(() => Consent.Given("STOCKS_RESEARCH").Require("DropCreate", "stocks_research"));
        Assert.Throws<RunbookException>(() => Consent.Given(null).Require("DropCreate", "stocks_research"));
        Assert.Throws<RunbookException>(() => Consent.None.Require("DropCreate", "stocks_research"));
        Assert.DoesNotThrow(() => Consent.Throwaway.Require("DropCreate", "stocks_research"));
    }

    [TestCase(15, "16.4 (Debian 16.4-1)", true)]
    [TestCase(15, "15.18 (Debian 15.18-0+deb12u1)", false)]
    [TestCase(17, "15.18", false)]
    public void BackupRefusesAPgDumpOlderThanTheServer(int pgDumpMajor, string serverVersion, bool refused)
    {
        TestDelegate check = () => BackupWriter.RequirePgDumpNotOlderThanServer(new Version(pgDumpMajor, 0), serverVersion);
        if (refused) Assert.That(check, Throws.TypeOf<RunbookException>().With.Message.Contains("older than the server"));
        else Assert.That(check, Throws.Nothing);
    }

    [Test]
    public void SecretsAreMaskedInAnyText()
    {
        var server = new ServerConnection { Password = "Tr0ub4dor&3" };
        Assert.That(Secrets.Mask("password=Tr0ub4dor&3 failed", server), Is.EqualTo("password=******** failed"));
    }
}
