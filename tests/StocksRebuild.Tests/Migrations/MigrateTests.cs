using StocksRebuild.Database;
using DbUp.Engine;
using StocksRebuild.Migrations;
using StocksRebuild.Tests.Support;
using StocksRebuild.Validation;

namespace StocksRebuild.Tests.Migrations;

[TestFixture]
public sealed class MigrateTests
{
    static string EmptyDatabase()
    {
        var database = Databases.NewName("migrate");
        Databases.Admin.DropCreate(database, Consent.None, new TestLog());
        return database;
    }

    static string JournalOf(string database) =>
        Databases.Scalar<string>(database, "SELECT string_agg(scriptname, ',' ORDER BY scriptname) FROM stocks_research.schemaversions");

    [Test]
    public void ThroughBuildShAFreshDatabaseGetsEveryTableEmpty()
    {
        var database = EmptyDatabase();

        var migrate = BuildScript.Run("--target=Migrate", $"--database={database}");
        var verify = BuildScript.Run("--target=VerifyEmptySchema", $"--database={database}");

        Assert.That(migrate.ExitCode, Is.Zero, migrate.ToString());
        Assert.That(verify.ExitCode, Is.Zero, verify.ToString());
        Assert.That(Migrator.Plan(TestServer.Connection, database).Pending, Is.Empty);
        Assert.That(Migrator.DataTables(TestServer.Connection, database), Is.EquivalentTo(EmptySchemaCheck.ExpectedTables));
        Assert.That(JournalOf(database), Is.EqualTo(string.Join(",", Migrator.Scripts().Select(s => s.Name))));
    }

    [Test]
    public void DryRunListsThePendingScriptsAndAppliesNone()
    {
        var database = EmptyDatabase();
        var all = Migrator.Scripts();
        Migrator.Migrate(TestServer.Run(), database, Consent.None, all.Take(all.Count - 1).ToList());
        var journal = JournalOf(database);

        var run = BuildScript.Run("--target=Migrate", $"--database={database}", "--dryrun");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain($"Migrate --dryrun: 1 script(s) would run on \"{database}\", {all.Count - 1} already applied:"));
        Assert.That(run.Output, Does.Contain("  " + all[^1].Name));
        Assert.That(JournalOf(database), Is.EqualTo(journal), "a dry run applies nothing");
    }

    [Test]
    [Category("BadInput")]
    public void AnEditedAppliedScriptIsRefusedBeforeAnythingRuns()
    {
        var database = Databases.Migrated("migrate");
        var edited = Migrator.Scripts()
            .Select(s => s.Name == "V003__prices_daily.sql" ? new SqlScript(s.Name, s.Contents + "\n-- tweaked\n") : s)
            .Append(new SqlScript("V900__new_table.sql", "CREATE TABLE stocks_research.later (id int PRIMARY KEY);"))
            .ToList();

        var error = Assert.Throws<RunbookException>(() => Migrator.Migrate(TestServer.Run(), database, Consent.None, edited));

        Assert.That(error!.Message, Does.Contain("V003__prices_daily.sql was changed after it was applied"));
        Assert.That(Databases.Scalar<bool>(database, "SELECT to_regclass('stocks_research.later') IS NULL"), Is.True, "the new script must not " +
            "have run");
    }

    [Test]
    [Category("Fault")]
    public void AMigrationFailingAtItsSecondStatementLeavesNothingAndStops()
    {
        var database = EmptyDatabase();
        var scripts = Migrator.Scripts()
            .Append(new SqlScript("V900__half_done.sql",
                "CREATE TABLE stocks_research.half (id int PRIMARY KEY);\nINSERT INTO stocks_research.no_such_table VALUES (1);\nCREATE TABLE " +
                    "stocks_research.never (id int PRIMARY KEY);\n"))
            .Append(new SqlScript("V901__after.sql", "CREATE TABLE stocks_research.after (id int PRIMARY KEY);"))
            .ToList();

        var error = Assert.Throws<RunbookException>(() => Migrator.Migrate(TestServer.Run(), database, Consent.None, scripts));

        Assert.That(error!.Message, Does.Contain("Migrate stopped at V900__half_done.sql: line 2: 42P01"));
        Assert.That(error.Message, Does.Contain("(statement: INSERT INTO stocks_research.no_such_table VALUES (1))"));
        Assert.That(Databases.Scalar<bool>(database, "SELECT to_regclass('stocks_research.half') IS NULL"), Is.True, "the failed script must roll " +
            "back whole");
        Assert.That(Databases.Scalar<bool>(database, "SELECT to_regclass('stocks_research.after') IS NULL"), Is.True, "later scripts must not run");
        Assert.That(JournalOf(database), Does.Not.Contain("V900"));
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.schema_checksums WHERE script_name LIKE 'V900%'"),
            Is.Zero);
    }

    [Test]
    public void MigratingADatabaseWithRowsNeedsConsent()
    {
        var database = Databases.Seeded();
        var before = Databases.Fingerprint(database);
        var scripts = Migrator.Scripts().Append(new SqlScript("V900__new_table.sql",
            "CREATE TABLE stocks_research.later (id int PRIMARY KEY);")).ToList();

        var error = Assert.Throws<RunbookException>(() => Migrator.Migrate(TestServer.Run(), database, Consent.None, scripts));

        Assert.That(error!.Message, Does.Contain($"--confirm={database}"));
        Assert.That(Databases.Fingerprint(database), Is.EqualTo(before));
        Migrator.Migrate(TestServer.Run(), database, Consent.Given(database), scripts);
        Assert.That(Databases.Scalar<bool>(database, "SELECT to_regclass('stocks_research.later') IS NOT NULL"), Is.True);
    }

    [Test]
    public void VerifyEmptySchemaNamesATableWithRows()
    {
        var database = Databases.Seeded();
        var result = EmptySchemaCheck.Check(TestServer.Connection, database);
        Assert.That(result.Passed, Is.False);
        Assert.That(result.Missing, Is.Empty);
        Assert.That(result.WithRows, Does.Contain("stocks_research.securities").And.Contain("stocks_research.prices_daily"));
        // Through ./build.sh the red result is the run's failure, in the words a DBA reads.
        var run = BuildScript.Run("--target=VerifyEmptySchema", $"--database={database}");
        Assert.That(run.ExitCode, Is.Not.Zero);
        Assert.That(run.Output, Does.Contain($"table(s) not empty in \"{database}\""));
    }

    [Test]
    public void VerifyEmptySchemaNamesAMissingTable()
    {
        var database = Databases.Migrated("migrate");
        Databases.Execute(database, "DROP VIEW stocks_research.v_latest_fundamentals; DROP TABLE stocks_research.fundamentals_yoy");
        var result = EmptySchemaCheck.Check(TestServer.Connection, database);
        Assert.That((result.Passed, result.Missing), Is.EqualTo((false, new[] { "stocks_research.fundamentals_yoy" })));
    }
}
