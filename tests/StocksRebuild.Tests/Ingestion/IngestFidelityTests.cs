using StocksRebuild.Ingestion;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Ingestion;

/// <summary>
/// No value is changed, dropped or skipped silently, through the real ./build.sh on both load paths: Ingest into
/// a database that holds the sample (staged upsert) and ColdRebuild into a new one (direct COPY into empty tables).
/// Tables are fingerprinted before and after every refusal.
/// </summary>
[TestFixture, Category("BadInput")]
public sealed class IngestFidelityTests
{
    const string Prices = "prices/2024_by_id.csv";
    string populated = "";

    [OneTimeSetUp]
    public void Seed() => populated = Databases.Seeded();

    /// <summary>
    /// Runs the drop through both paths; each must refuse with <paramref name="expected"/> and leave the failing job's
    /// <paramref name="table"/> as it was (jobs before it commit, as the runbook's idempotent jobs do).
    /// </summary>
    static void RefusedOnBothPaths(string populated, string drop, string table, params string[] expected)
    {
        Ingestor.Ingest(TestServer.Run(), populated, new IngestOptions { SourceDirectory = Drops.Sample }); // the sample, whatever ran before
        var before = Databases.DataFingerprint(populated);
        var staged = BuildScript.Run("--target=Ingest", $"--database={populated}", $"--source={drop}");
        Assert.That(staged.ExitCode, Is.Not.Zero, staged.ToString());
        foreach (var text in expected) Assert.That(staged.Output, Does.Contain(text), staged.ToString());
        Assert.That(Databases.DataFingerprint(populated)[$"stocks_research.{table}"], Is.EqualTo(before[$"stocks_research.{table}"]), "the failing " +
            "job's table is unchanged");

        var cold = Databases.NewName("cold");
        var direct = BuildScript.Run("--target=ColdRebuild", $"--database={cold}", $"--source={drop}");
        Assert.That(direct.ExitCode, Is.Not.Zero, direct.ToString());
        foreach (var text in expected) Assert.That(direct.Output, Does.Contain(text), direct.ToString());
        if (Databases.Exists(cold))
            Assert.That(Databases.Scalar<long>(cold, $"SELECT count(*) FROM stocks_research.{table}"), Is.Zero, "nothing of the failed job stays");
    }

    [TestCase("93.9273001", 7)]
    [TestCase("93.927300000001", 12)]
    public void APriceWithMoreDecimalsThanTheColumnKeepsIsRefusedNotRounded(string open, int decimals)
    {
        var drop = Drops.CopyOfSample();
        Drops.ReplaceLine(drop, Prices, 10, $"1,2024-01-11,{open},93.9373,90.6632,91.0818,901564");
        RefusedOnBothPaths(populated, drop, "prices_daily", $"{Prices}:10: open: {open} has {decimals} decimals; prices_daily.open keeps 6 (it " +
            $"would be rounded)");
    }

    [Test]
    public void TrailingZerosBeyondTheScaleAreExactAndAccepted()
    {
        var drop = Drops.CopyOfSample();
        Drops.ReplaceLine(drop, Prices, 10, "1,2024-01-11,93.40520000,93.8373,90.6632,91.0818,901564");
        var run = BuildScript.Run("--target=Ingest", $"--database={populated}", $"--source={drop}");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
    }

    [Test]
    public void APriceWithMoreIntegerDigitsThanThePrecisionAllowsIsRefusedWithItsLine()
    {
        var drop = Drops.CopyOfSample();
        Drops.ReplaceLine(drop, Prices, 10, "1,2024-01-11,93.4052,1234567890123.5,90.6632,91.0818,901564");
        RefusedOnBothPaths(populated, drop, "prices_daily", $"{Prices}:10: high: 1234567890123.5 has 13 integer digits; prices_daily.high " +
            $"(numeric(18,6)) holds at most 12");
    }

    [Test]
    public void AVolumeBeyondBigintIsRefusedWithItsLine()
    {
        var drop = Drops.CopyOfSample();
        Drops.ReplaceLine(drop, Prices, 10, "1,2024-01-11,93.4052,93.8373,90.6632,91.0818,99999999999999999999");
        RefusedOnBothPaths(populated, drop, "prices_daily", $"{Prices}:10: volume: 99999999999999999999 is outside the range of a whole number the " +
            $"database holds");
    }

    [Test]
    public void AFileWithAnUpperCaseExtensionIsLoadedNotSkipped()
    {
        var drop = Drops.CopyOfSample();
        File.Move(Path.Combine(drop, "prices", "2025_by_id.csv"), Path.Combine(drop, "prices", "2025_by_id.CSV"));
        var cold = Databases.NewName("upper");
        var run = BuildScript.Run("--target=ColdRebuild", $"--database={cold}", $"--source={drop}");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(Databases.DataFingerprint(cold)["stocks_research.prices_daily"],
            Is.EqualTo(Databases.DataFingerprint(Databases.SourceWithBackup.Database)["stocks_research.prices_daily"]), "every price of the drop " +
                "is loaded");
        Assert.That(Databases.Scalar<string>(cold, "SELECT string_agg(f->>'file', ',' ORDER BY f->>'file') FROM stocks_research.ingestion_log, " +
            "jsonb_array_elements(source_files) f WHERE job = 'prices_daily'"),
            Does.Contain("prices/2025_by_id.CSV"), "the ingestion log names the file it read");
    }

    [Test]
    public void AFileNoJobReadsIsRefusedOrWithTheFlagListedAsIgnored()
    {
        var drop = Drops.CopyOfSample();
        File.WriteAllText(Path.Combine(drop, "prices", "2026_by_id.txt"), "security_id,trade_date,open,high,low,close,volume\n");
        File.WriteAllText(Path.Combine(drop, "notes.xlsx"), "not csv");
        RefusedOnBothPaths(populated, drop, "securities", "Ingest refused: no job reads notes.xlsx, prices/2026_by_id.txt in",
            "--ignore-extra-files");

        var run = BuildScript.Run("--target=Ingest", $"--database={populated}", $"--source={drop}", "--ignore-extra-files");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("Ingest: notes.xlsx is read by no job and ignored (--ignore-extra-files)"));
        Assert.That(run.Output, Does.Contain("Ingest: prices/2026_by_id.txt is read by no job and ignored (--ignore-extra-files)"));
    }

    [Test]
    public void SpacesInsideQuotesAreKept()
    {
        var drop = Drops.CopyOfSample();
        Drops.ReplaceLine(drop, "securities.csv", 2, "1,\"  Sample Company 1, Inc.  \",NASDAQ , USD,Financials,2024-01-01,");
        var run = BuildScript.Run("--target=Ingest", $"--database={populated}", $"--source={drop}");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(Databases.Scalar<string>(populated, "SELECT name || '|' || exchange || '|' || currency FROM stocks_research.securities WHERE " +
            "security_id = 1"),
            Is.EqualTo("  Sample Company 1, Inc.  |NASDAQ|USD"), "quoted spaces are data; unquoted ones around a field are not");
        BuildScript.Run("--target=Ingest", $"--database={populated}", $"--source={Drops.Sample}"); // back to the sample for the other tests
    }

    [Test]
    public void AnUnclosedQuoteIsNamedWhereItOpened()
    {
        var drop = Drops.CopyOfSample();
        Drops.ReplaceLine(drop, "securities.csv", 3, "2,\"Sample Company 2, Inc.,LSE,GBP,Health Care,2024-01-01,");
        RefusedOnBothPaths(populated, drop, "securities", "securities.csv:3: a quoted field starting on this line is never closed");
    }

    /// <summary>The sample as a vendor writing valid_to as the last day held would deliver it.</summary>
    static string InclusiveDrop()
    {
        var drop = Drops.CopyOfSample();
        Drops.Write(drop, "ticker_history.csv", Drops.Lines(drop, "ticker_history.csv").Select(l => l.EndsWith(",2025-02-05",
            StringComparison.Ordinal) ? l[..^10] + "2025-02-04" : l));
        return drop;
    }

    [Test]
    public void AnInclusiveValidToDropIsRefusedWithTheBoundaryHint() =>
        RefusedOnBothPaths(populated, InclusiveDrop(), "prices_daily",
            "prices/2025_by_ticker.csv:26: ticker: BJDT names no security on 2025-02-04: security 3 held it until 2025-02-04, exclusive (valid_to " +
                "is the first day it no longer applies");

    [Test]
    public void AnInclusiveValidToDropLoadsWithTheInclusiveOptionIncludingAOneDayTicker()
    {
        var drop = InclusiveDrop();
        Drops.Append(drop, "ticker_history.csv", "1,ONEDAY,2023-06-01,2023-06-01");
        var refused = BuildScript.Run("--target=ColdRebuild", $"--database={Databases.NewName("oneday")}", $"--source={drop}");
        Assert.That(refused.Output, Does.Contain("ticker_history.csv:46: valid_to: 2023-06-01 is not after valid_from 2023-06-01"),
            refused.ToString());

        var cold = Databases.NewName("inclusive");
        var run = BuildScript.Run("--target=ColdRebuild", $"--database={cold}", $"--source={drop}", "--ticker-valid-to=inclusive");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var sample = Databases.DataFingerprint(Databases.SourceWithBackup.Database);
        Assert.That(Databases.DataFingerprint(cold)["stocks_research.prices_daily"], Is.EqualTo(sample["stocks_research.prices_daily"]),
            "every price resolved as in the sample");
        Assert.That(Databases.Scalar<long>(cold, "SELECT count(*) FROM stocks_research.ticker_history WHERE valid_to = '2025-02-05'"),
            Is.EqualTo(Databases.Scalar<long>(Databases.SourceWithBackup.Database, "SELECT count(*) FROM stocks_research.ticker_history WHERE " +
                "valid_to = '2025-02-05'")));
        Assert.That(Databases.Scalar<string>(cold, "SELECT valid_from || '..' || valid_to FROM stocks_research.ticker_history WHERE ticker = " +
            "'ONEDAY'"),
            Is.EqualTo("2023-06-01..2023-06-02"), "a one-day ticker, stored exclusive");
        Assert.That(Databases.Scalar<string>(cold, "SELECT options::text FROM stocks_research.ingestion_log WHERE job = 'ticker_history' ORDER BY " +
            "run_id DESC LIMIT 1"),
            Is.EqualTo("{\"ticker_valid_to\": \"inclusive\"}"), "the log says how valid_to was read");
    }

    [Test]
    public void ALowerCaseTickerInTickerHistoryIsRefusedNamingTheOther()
    {
        var drop = Drops.CopyOfSample();
        Drops.Append(drop, "ticker_history.csv", "2,axle,2023-01-01,2023-06-01");
        RefusedOnBothPaths(populated, drop, "ticker_history", "ticker_history.csv:46: ticker: axle differs from AXLE (ticker_history.csv:3) only " +
            "by case; tickers are matched exactly, case included");
    }

    [Test]
    public void ALowerCaseTickerInPricesIsRefusedWithTheCaseHint()
    {
        var drop = Drops.CopyOfSample();
        Drops.ReplaceLine(drop, "prices/2024_by_ticker.csv", 3, "bjdt,2024-01-02,15.4817,15.5296,15.0214,15.0681,387157");
        RefusedOnBothPaths(populated, drop, "prices_daily", "prices/2024_by_ticker.csv:3: ticker: bjdt names no security on 2024-01-02: " +
            "ticker_history has BJDT, and tickers are matched exactly, case included");
    }

    [Test]
    public void AServerErrorNoCheckForesawNamesTheJobAndFilesAndWhyNoLineIs()
    {
        var database = Databases.Migrated("trigger");
        Databases.Execute(database, """
            CREATE FUNCTION stocks_research.refuse_all() RETURNS trigger LANGUAGE plpgsql
                AS $$ BEGIN RAISE EXCEPTION 'a site rule refused the row'; END $$;
            CREATE TRIGGER refuse_all BEFORE INSERT ON stocks_research.prices_daily FOR EACH ROW EXECUTE FUNCTION stocks_research.refuse_all();
            """);
        var run = BuildScript.Run("--target=Ingest", $"--database={database}", $"--source={Drops.Sample}");
        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("Ingest prices_daily failed and was rolled back: P0001: a site rule refused the row"));
        Assert.That(run.Output, Does.Contain("so no line of prices/2024_by_id.csv, prices/2024_by_ticker.csv, prices/2025_by_id.csv, " +
            "prices/2025_by_ticker.csv can be named"));
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily"), Is.Zero);
    }

    [Test]
    public void ExactnessIsDecidedByTheCatalogsLimits()
    {
        Assert.That(ColumnLimits.Numeric(93.9273000m, 18, 6, "t.c"), Is.Null);
        Assert.That(ColumnLimits.Numeric(-0.0000001m, 18, 6, "t.c"), Is.EqualTo("-0.0000001 has 7 decimals; t.c keeps 6 (it would be rounded)"));
        Assert.That(ColumnLimits.Numeric(999999999999.999999m, 18, 6, "t.c"), Is.Null);
        Assert.That(ColumnLimits.Numeric(-1000000000000m, 18, 6, "t.c"), Is.EqualTo("-1000000000000 has 13 integer digits; t.c (numeric(18,6)) " +
            "holds at most 12"));
    }

    [Test]
    public void TheFirstAndLastDatesAreStoredAsDatesNotInfinity()
    {
        // Npgsql's default writes DateOnly.MinValue/MaxValue as -infinity/infinity; 9999-12-31 is a common "open" date in vendor files.
        var drop = Drops.CopyOfSample();
        Drops.ReplaceLine(drop, "securities.csv", 2, "1,\"Sample Company 1, Inc.\",NASDAQ,USD,Financials,0001-01-01,9999-12-31");
        var cold = Databases.NewName("cold");

        var runs = new[]
        {
            BuildScript.Run("--target=Ingest", $"--database={populated}", $"--source={drop}"),
            BuildScript.Run("--target=ColdRebuild", $"--database={cold}", $"--source={drop}"),
        };

        foreach (var (run, database) in runs.Zip(new[] { populated, cold }))
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(Databases.Scalar<string>(database, "SELECT listed_on::text || ' ' || delisted_on::text FROM stocks_research.securities " +
                "WHERE security_id = 1"), Is.EqualTo("0001-01-01 9999-12-31"), database);
        }
        Ingestor.Ingest(TestServer.Run(), populated, new IngestOptions { SourceDirectory = Drops.Sample }); // the sample again, for the others
    }
}
