using System.Text;
using StocksRebuild.Ingestion;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Ingestion;

/// <summary>
/// Each bad input is refused with FILE:LINE: COLUMN: reason, and every data table is left as it was
/// (compared by fingerprint); the job's failure is in ingestion_log. Accepted variants change nothing either.
/// </summary>
[TestFixture, Category("BadInput")]
public sealed class IngestRefusalTests
{
    string database = null!;

    [OneTimeSetUp]
    public void SeedOnce() => database = Databases.Seeded();

    IngestException Refused(Action<string> damage, int maxErrors = 20)
    {
        var drop = Drops.CopyOfSample();
        damage(drop);
        var before = Databases.DataFingerprint(database);

        var error = Assert.Throws<IngestException>(() =>
            Ingestor.Ingest(TestServer.Run(), database, new IngestOptions { SourceDirectory = drop, MaxErrors = maxErrors }))!;

        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(before), "every table unchanged");
        Assert.That(Databases.Scalar<string>(database, "SELECT status || ' ' || job || ': ' || error FROM stocks_research.ingestion_log ORDER BY " +
            "run_id DESC LIMIT 1"),
            Is.EqualTo($"failed {error.Job}: {error.Message}"));
        return error;
    }

    void Accepted(Action<string> vary)
    {
        var drop = Drops.CopyOfSample();
        vary(drop);
        var before = Databases.DataFingerprint(database);

        var results = Ingestor.Ingest(TestServer.Run(), database, new IngestOptions { SourceDirectory = drop });

        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(before), "the same rows, however written");
        Assert.That(results.Sum(r => r.Inserted + r.Updated), Is.Zero);
        // Unchanged tables alone would also pass if the files were read as empty: every row must have been read.
        Assert.That(results.ToDictionary(r => r.Job, r => r.Read),
            Is.EqualTo(results.ToDictionary(r => r.Job, r => Databases.Scalar<long>(database, $"SELECT count(*) FROM stocks_research.{r.Job}"))));
    }

    const string Prices = "prices/2024_by_id.csv";
    const string PricesByTicker = "prices/2024_by_ticker.csv";

    [Test]
    public void AMissingRequiredColumn() =>
        Assert.That(Refused(drop => Drops.Write(drop, "ticker_history.csv",
                Drops.Lines(drop, "ticker_history.csv").Select(l => string.Join(",", l.Split(',').Take(3))))).Lines,
            Is.EqualTo(new[] { "ticker_history.csv:1: valid_to: required column is missing (the header has: security_id, ticker, valid_from)" }));

    [Test]
    public void ANonNumericPrice() =>
        Assert.That(Refused(drop => Drops.ReplaceLine(drop, Prices, 10, "1,2024-01-11,abc,94.7,92.8,94.4,1000")).Lines,
            Is.EqualTo(new[] { $"{Prices}:10: open: 'abc' is not a decimal number" }));

    [Test]
    public void ANegativeAndAZeroPrice() =>
        Assert.That(Refused(drop =>
            {
                Drops.ReplaceLine(drop, Prices, 11, "1,2024-01-12,93,94,-1,93.5,1000");
                Drops.ReplaceLine(drop, Prices, 12, "1,2024-01-15,0,94,92,93.5,1000");
            }).Lines,
            Is.EqualTo(new[] { $"{Prices}:11: low: -1 is not above 0", $"{Prices}:12: open: 0 is not above 0" }));

    [Test]
    public void HighBelowLow() =>
        Assert.That(Refused(drop => Drops.ReplaceLine(drop, Prices, 500, "2,2024-03-01,23.00,22.40,23.04,23.00,100")).Lines,
            Is.EqualTo(new[] { $"{Prices}:500: high: 22.40 is below low 23.04" }));

    [Test]
    public void AnUnknownSecurity() =>
        Assert.That(Refused(drop => Drops.ReplaceLine(drop, Prices, 20, "999,2024-01-26,93,94,92,93.5,1000")).Lines,
            Is.EqualTo(new[] { $"{Prices}:20: security_id: 999 is not in securities" }));

    [Test]
    public void AnUnresolvableTicker() =>
        Assert.That(Refused(drop => Drops.ReplaceLine(drop, PricesByTicker, 7, "ZZZZ,2024-01-09,15.6,15.7,15.1,15.2,246910")).Lines,
            Is.EqualTo(new[] { $"{PricesByTicker}:7: ticker: ZZZZ names no security on 2024-01-09: ticker_history has no period for it" }));

    [Test]
    public void AReusedTickerOnADateNobodyHeldIt() =>
        // BJDT: security 3 until 2025-02-05, security 8 from 2025-05-07; on 2025-03-03 it named nobody.
        Assert.That(Refused(drop => Drops.Append(drop, "prices/2025_by_ticker.csv", "BJDT,2025-03-03,15,16,14,15,100")).Lines,
            Is.EqualTo(new[] { $"prices/2025_by_ticker.csv:{Drops.Lines(Drops.Sample, "prices/2025_by_ticker.csv").Count + 1}: ticker: BJDT names " +
                $"no security on 2025-03-03 (ticker_history: security 3 from 2024-01-01 to 2025-02-05 (exclusive), security 8 from 2025-05-07 to " +
                    $"now)" }));

    [Test]
    public void ADuplicateKeyWithinOneFile()
    {
        var line = Drops.Lines(Drops.Sample, Prices).Count + 1;
        Assert.That(Refused(drop => Drops.Append(drop, Prices, Drops.Lines(drop, Prices)[1])).Lines,
            Is.EqualTo(new[] { $"{Prices}:{line}: security_id, trade_date: (1, 2024-01-01) is also at {Prices}:2" }));
    }

    [Test]
    public void ADuplicateKeyAcrossFiles()
    {
        var line = Drops.Lines(Drops.Sample, "prices/2025_by_id.csv").Count + 1;
        Assert.That(Refused(drop => Drops.Append(drop, "prices/2025_by_id.csv", Drops.Lines(drop, Prices)[1])).Lines,
            Is.EqualTo(new[] { $"prices/2025_by_id.csv:{line}: security_id, trade_date: (1, 2024-01-01) is also at {Prices}:2" }));
    }

    [Test]
    public void AnEmptyFile() =>
        Assert.That(Refused(drop => File.WriteAllText(Path.Combine(drop, "corporate_actions.csv"), "")).Lines,
            Is.EqualTo(new[] { "corporate_actions.csv:1: the file is empty; a header row is expected" }));

    [Test]
    public void AHeaderOnly() =>
        Assert.That(Refused(drop => Drops.Write(drop, "corporate_actions.csv", Drops.Lines(drop, "corporate_actions.csv").Take(1))).Lines,
            Is.EqualTo(new[] { "corporate_actions.csv:2: the file has a header but no data rows" }));

    [Test]
    public void AnImpossibleDate() =>
        Assert.That(Refused(drop => Drops.ReplaceLine(drop, "corporate_actions.csv", 3, "4,2021-02-30,dividend,,0.91")).Lines,
            Is.EqualTo(new[] { "corporate_actions.csv:3: ex_date: '2021-02-30' is not an ISO date YYYY-MM-DD" }));

    [Test]
    public void AWrongNumberOfFields() =>
        Assert.That(Refused(drop => Drops.ReplaceLine(drop, "ticker_history.csv", 4, "3,BJDT,2024-01-01")).Lines,
            Is.EqualTo(new[] { "ticker_history.csv:4: 3 fields where the header has 4" }));

    [Test]
    public void AnOverlappingTickerPeriod() =>
        Assert.That(Refused(drop => Drops.Append(drop, "ticker_history.csv", "2,BJDT,2025-01-01,2025-03-01")).Lines,
            Is.EqualTo(new[] { "ticker_history.csv:46: ticker: BJDT from 2025-01-01 to 2025-03-01 overlaps its period for security 3 from " +
                "2024-01-01 to 2025-02-05 (ticker_history.csv:4)" }));

    [Test]
    public void ADividendAsLargeAsThePreviousClose() =>
        Assert.That(Refused(drop => Drops.ReplaceLine(drop, "corporate_actions.csv", 2, "4,2024-03-15,dividend,,5000")).Lines.Single(),
            Does.StartWith("corporate_actions.csv:2: cash_amount: dividend 5000 is not below the close"));

    [Test]
    public void ALineOfOneMegabyte()
    {
        var error = Refused(drop => Drops.ReplaceLine(drop, "securities.csv", 6, "5,\"" + new string('x',
            1 << 20) + "\",NYSE,USD,Energy,2024-01-01,"));
        Assert.That(error.Lines.Single(), Does.StartWith("securities.csv:6: the row is 1,048,").And.Contain("the limit is 65,536"));
    }

    [Test]
    public void BytesThatAreNotUtf8()
    {
        var error = Refused(drop =>
        {
            var bytes = File.ReadAllBytes(Path.Combine(drop, "securities.csv")).ToList();
            bytes.InsertRange(bytes.IndexOf((byte)'\n') + 3, [0xFF, 0xFE]);
            File.WriteAllBytes(Path.Combine(drop, "securities.csv"), bytes.ToArray());
        });
        Assert.That(error.Lines.Single(), Does.StartWith("securities.csv:").And.Contain("0xFF").And.Contain("is not UTF-8"));
    }

    [Test]
    public void EveryBadRowIsReportedUpToTheLimit()
    {
        var error = Refused(drop => Drops.Write(drop, Prices,
            Drops.Lines(drop, Prices).Select((l, i) => i is >= 1 and <= 30 ? string.Join(",", l.Split(',').Select((f,
                c) => c == 2 ? "x" : f)) : l)), maxErrors: 5);
        Assert.That(error.Lines, Has.Count.EqualTo(5));
        Assert.That(error.Lines[0], Does.StartWith($"{Prices}:2: "));
        Assert.That(error.Message, Does.Contain("First 5 problems (the limit, --max-errors)"));
    }

    [Test]
    public void ReorderedAndExtraColumnsAreAccepted() =>
        Accepted(drop => Drops.Write(drop, "ticker_history.csv", Drops.Lines(drop, "ticker_history.csv").Select(l =>
        {
            var f = l.Split(',');
            return string.Join(",", f[3], f[1], l.StartsWith("security_id", StringComparison.Ordinal) ? "comment" : "note", f[2], f[0]);
        })));

    [Test]
    public void ABomCrlfAndTrailingBlankLinesAreAccepted() =>
        Accepted(drop =>
        {
            var path = Path.Combine(drop, "securities.csv");
            var text = File.ReadAllText(path).Replace("\n", "\r\n") + "\r\n\r\n";
            File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
            Assert.That(File.ReadAllBytes(path)[..3], Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }));
        });

    [Test]
    public void ThroughBuildShTheRefusalIsPrintedAndTheExitCodeIsNotZero()
    {
        var drop = Drops.CopyOfSample();
        Drops.ReplaceLine(drop, Prices, 500, "2,2024-03-01,23.00,22.40,23.04,23.00,100");
        var before = Databases.DataFingerprint(database);

        var run = BuildScript.Run("--target=Ingest", $"--database={database}", $"--source={drop}");

        Assert.That(run.ExitCode, Is.Not.Zero);
        Assert.That(run.Output, Does.Contain($"{Prices}:500: high: 22.40 is below low 23.04"));
        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(before));
    }
}
