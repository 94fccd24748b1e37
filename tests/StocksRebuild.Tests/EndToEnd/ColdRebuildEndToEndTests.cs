using System.Security.Cryptography;
using System.Text.Json;
using StocksRebuild.Tests.Support;
using StocksRebuild.Tools;

namespace StocksRebuild.Tests.EndToEnd;

/// <summary>Scenario B through the real ./build.sh: one cold rebuild of the shipped sample, then questions to it.</summary>
[TestFixture]
public sealed class ColdRebuildEndToEndTests
{
    string database = null!;
    BuildRun run = null!;

    [OneTimeSetUp]
    public void RebuildTheSample()
    {
        database = Databases.NewName("cold");
        Databases.Execute("postgres", $"CREATE DATABASE \"{database}\""); // an existing database: DropCreate must need consent and get it
        Databases.Execute(database, "CREATE TABLE stale (id int)");
        run = BuildScript.Run("--target=ColdRebuild", $"--database={database}", $"--confirm={database}");
    }

    static long Count(string database, string table) => Databases.Scalar<long>(database, $"SELECT count(*) FROM stocks_research.{table}");

    [Test]
    public void EveryStepRanInRunbookOrderAndValidatePassed()
    {
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var steps = new[] { "DropCreate", "Migrate", "VerifyEmptySchema", "Ingest", "Validate", "Swap" }
            .Select(step => run.Output.IndexOf($" {step} ", StringComparison.Ordinal)).ToList();
        Assert.That(steps, Is.All.GreaterThanOrEqualTo(0), run.Output);
        Assert.That(steps, Is.Ordered, run.Output);
        // The database existed: rebuilt beside it, validated there, then swapped in; the old one kept as the previous copy.
        Assert.That(run.Output, Does.Contain($"ColdRebuild: \"{database}\" exists: the database is rebuilt beside it into \"{database}_incoming_"));
        Assert.That(run.Output, Does.Match($"Validate: \"{database}_incoming_\\d{{14}}\" passed"));
        Assert.That(Databases.Scalar<bool>(database, "SELECT to_regclass('public.stale') IS NULL"), Is.True, "the old database was replaced");
        var previous = Databases.Admin.WithPrefix(StocksRebuild.Restore.SwapRestore.PreviousPrefix(database)).Single();
        Assert.That(Databases.Scalar<bool>(previous, "SELECT to_regclass('public.stale') IS NOT NULL"), Is.True, "and kept as the previous copy");
    }

    [Test]
    public void EveryTableHoldsWhatTheSampleFilesHold()
    {
        var sample = Drops.Sample;
        Assert.That(Count(database, "securities"), Is.EqualTo(Drops.DataRows(Path.Combine(sample, "securities.csv"))).And.EqualTo(40));
        Assert.That(Count(database, "ticker_history"), Is.EqualTo(Drops.DataRows(Path.Combine(sample, "ticker_history.csv"))).And.EqualTo(44));
        Assert.That(Count(database, "prices_daily"),
            Is.EqualTo(Directory.GetFiles(Path.Combine(sample, "prices")).Sum(Drops.DataRows)).And.EqualTo(19_512));
        Assert.That(Count(database, "corporate_actions"), Is.EqualTo(Drops.DataRows(Path.Combine(sample, "corporate_actions.csv"))).And.EqualTo(74));
        Assert.That(Count(database, "fundamentals_raw"), Is.EqualTo(Drops.DataRows(Path.Combine(sample, "fundamentals.csv"))).And.EqualTo(300));
        // Derived: a year-over-year row for each quarter that has the same quarter a year before.
        Assert.That(Count(database, "fundamentals_yoy"), Is.EqualTo(144));
        // One -infinity range per security with actions, plus one per distinct ex-date.
        Assert.That(Count(database, "adjustment_factors"), Is.EqualTo(14 + 74));
    }

    [Test]
    public void SpotValuesAreThoseOfTheFiles()
    {
        Assert.That(Databases.Scalar<string>(database,
            "SELECT concat_ws(',', open, high, low, close, volume) FROM stocks_research.prices_daily WHERE security_id = 1 AND trade_date = " +
                "'2024-01-01'"),
            Is.EqualTo("94.021100,94.602800,93.664600,93.927300,29620"));
        Assert.That(Databases.Scalar<string>(database, "SELECT name FROM stocks_research.securities WHERE security_id = 25"),
            Is.EqualTo("The \"LGWL\" Trust"), "quoted quotes in a CSV field");
        Assert.That(Databases.Scalar<string>(database, "SELECT name FROM stocks_research.securities WHERE security_id = 1"),
            Is.EqualTo("Sample Company 1, Inc."), "a quoted comma");
    }

    [Test]
    public void AReusedTickerResolvesToTheSecurityThatHeldItOnTheTradeDate()
    {
        // BJDT was security 3's ticker until 2025-02-05 and security 8's from 2025-05-07 (prices/2025_by_ticker.csv).
        Assert.That(Databases.Scalar<decimal>(database, "SELECT open FROM stocks_research.prices_daily WHERE security_id = 3 AND trade_date = " +
            "'2025-01-06'"), Is.EqualTo(15.3126m));
        Assert.That(Databases.Scalar<decimal>(database, "SELECT open FROM stocks_research.prices_daily WHERE security_id = 8 AND trade_date = " +
            "'2025-06-02'"), Is.EqualTo(39.9477m));
        Assert.That(Databases.Scalar<decimal>(database, "SELECT open FROM stocks_research.prices_daily WHERE security_id = 3 AND trade_date = " +
            "'2025-06-02'"), Is.EqualTo(17.0586m), "under its new ticker BJDTN");
        Assert.That(Databases.Scalar<string>(database, "SELECT ticker FROM stocks_research.v_current_ticker WHERE security_id = 8"),
            Is.EqualTo("BJDT"));
    }

    [Test]
    public void TheSplitHalvesAdjustedPricesBeforeItsExDate()
    {
        // Security 5 splits 2:1 on 2024-10-21 and pays no dividend.
        Assert.That(Databases.Scalar<decimal>(database, "SELECT close FROM stocks_research.v_prices_adjusted WHERE security_id = 5 AND trade_date " +
            "= '2024-10-18'"), Is.EqualTo(25.105m));
        Assert.That(Databases.Scalar<decimal>(database, "SELECT close FROM stocks_research.v_prices_adjusted WHERE security_id = 5 AND trade_date " +
            "= '2024-10-21'"), Is.EqualTo(24.4295m));
        // A dividend payer's factor before its first ex-date is below 1: every later dividend lowers it.
        Assert.That(Databases.Scalar<decimal>(database, "SELECT factor FROM stocks_research.adjustment_factors WHERE security_id = 4 AND " +
            "valid_from = '-infinity'"),
            Is.LessThan(1m).And.GreaterThan(0.9m));
    }

    [Test]
    public void IngestionLogRecordsEveryJobWithTheSha256OfItsFiles()
    {
        using var connection = TestServer.Connection.Open(database);
        using var command = new Npgsql.NpgsqlCommand("SELECT job, status, source_files::text, rows_read, rows_inserted FROM " +
            "stocks_research.ingestion_log ORDER BY run_id", connection);
        using var reader = command.ExecuteReader();
        var jobs = new List<string>();
        while (reader.Read())
        {
            jobs.Add(reader.GetString(0));
            Assert.That(reader.GetString(1), Is.EqualTo("succeeded"));
            Assert.That(reader.GetInt64(3), Is.EqualTo(reader.GetInt64(4)), "an empty schema: every row read is inserted");
            foreach (var file in JsonDocument.Parse(reader.GetString(2)).RootElement.EnumerateArray())
            {
                var path = Path.Combine(Drops.Sample, file.GetProperty("file").GetString()!);
                Assert.That(file.GetProperty("sha256").GetString(),
                    Is.EqualTo(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant()), path);
            }
        }
        Assert.That(jobs, Is.EqualTo(new[] { "securities", "ticker_history", "prices_daily", "corporate_actions", "adjustment_factors",
            "fundamentals_raw", "fundamentals_yoy" }));
    }

    [Test]
    public void TheRebuiltSchemaIsExactlyTheMigrationsSchema()
    {
        // Ingestion must add, drop or alter no object: compare with a database that only ran the migrations.
        var migratedOnly = Databases.Migrated("schema");

        Assert.That(SchemaOf(database), Is.EqualTo(SchemaOf(migratedOnly)));
        Assert.That(SchemaOf(database), Does.Contain("CREATE VIEW stocks_research.v_prices_adjusted").And.Contain("ticker_history_no_overlap"));
    }

    static string SchemaOf(string database)
    {
        var output = new System.Text.StringBuilder();
        // Newer pg_dump releases wrap the script in \restrict KEY … \unrestrict KEY with a random key.
        var result = ToolRun.Run(PgTools.Find("pg_dump"), ["--schema-only", "--no-owner", "--schema=stocks_research"],
            TestServer.Connection.ClientEnvironment(database),
            new ToolRunOptions { OnStdOut = line => { if (!line.StartsWith("\\restrict",
                StringComparison.Ordinal) && !line.StartsWith("\\unrestrict", StringComparison.Ordinal)) output.AppendLine(line); } });
        Assert.That(result.ExitCode, Is.Zero);
        return output.ToString();
    }
}
