using StocksRebuild.Database;
using StocksRebuild.Ingestion;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Ingestion;

/// <summary>The jobs' promises on a real server: idempotent, correcting without deleting, stopping at the first failing job, rerunnable.</summary>
[TestFixture]
public sealed class IngestTests
{
    static IReadOnlyList<JobResult> Ingest(string database, string drop, int maxErrors = 20) =>
        Ingestor.Ingest(TestServer.Run(), database, new IngestOptions { SourceDirectory = drop, MaxErrors = maxErrors });

    static List<(string job, string status)> LogAfter(string database, long runId) =>
        Rows(database, $"SELECT job, status FROM stocks_research.ingestion_log WHERE run_id > {runId} ORDER BY run_id")
            .Select(r => (r[0], r[1])).ToList();

    static long LastRun(string database) => Databases.Scalar<long>(database, "SELECT coalesce(max(run_id), 0) FROM stocks_research.ingestion_log");

    static List<string[]> Rows(string database, string sql)
    {
        using var connection = TestServer.Connection.Open(database);
        using var command = new Npgsql.NpgsqlCommand(sql, connection);
        using var reader = command.ExecuteReader();
        var rows = new List<string[]>();
        while (reader.Read()) rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i)
            ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!).ToArray());
        return rows;
    }

    [Test]
    public void RerunningTheSameDropChangesNothing()
    {
        var database = Databases.Seeded();
        var before = Databases.DataFingerprint(database);

        var results = Ingest(database, Drops.Sample);

        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(before));
        Assert.That(results.Select(r => (r.Job, r.Inserted, r.Updated)), Is.All.Matches<(string, long inserted,
            long updated)>(r => r.inserted == 0 && r.updated == 0));
        Assert.That(results.Single(r => r.Job == "prices_daily").Unchanged, Is.EqualTo(19_512));
        Assert.That(results.Where(r => r.Job is "prices_daily" or "fundamentals_raw").Select(r => r.Staged), Is.EqualTo(new[] { 0L, 0L }),
            "the digests prove the rows equal: nothing staged");
    }

    [Test]
    public void ARerunFindsRowsChangedByHandAndCorrectsThemStagingOnlyTheirSecurities()
    {
        var database = Databases.Seeded();
        var before = Databases.DataFingerprint(database);
        var lastRun = LastRun(database);
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily WHERE security_id IN (3, 5, 7) AND " +
            "trade_date = '2024-03-01'"), Is.EqualTo(3), "each change below hits one row");
        // What a DBA might do by hand, and two changes PostgreSQL's hashes alone do not see: a numeric's sign, and a bigint
        // whose halves XOR to the same word (the digest adds a term for each).
        Databases.Execute(database, """
            UPDATE stocks_research.prices_daily SET low = low - 0.0001 WHERE security_id = 3 AND trade_date = '2024-03-01';
            DELETE FROM stocks_research.prices_daily WHERE security_id = 5 AND trade_date = '2024-03-01';
            UPDATE stocks_research.prices_daily SET volume = 4294967296 + (volume # 1) WHERE security_id = 7 AND trade_date = '2024-03-01';
            UPDATE stocks_research.fundamentals_raw SET net_income = -net_income
            WHERE (security_id, fiscal_year, fiscal_quarter) = (SELECT security_id, fiscal_year, fiscal_quarter FROM stocks_research.fundamentals_raw
                                                                WHERE security_id = 9 AND net_income <> 0 ORDER BY 2, 3 LIMIT 1);
            """);
        Assert.That(Databases.DataFingerprint(database), Is.Not.EqualTo(before));

        var run = BuildScript.Run("--target=Ingest", $"--database={database}", $"--source={Drops.Sample}");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(before), "every change found and put back");
        var counts = Rows(database, "SELECT job, rows_inserted, rows_updated FROM stocks_research.ingestion_log " +
            $"WHERE run_id > {lastRun} AND job IN ('prices_daily', 'fundamentals_raw') ORDER BY job");
        Assert.That(counts.Select(r => string.Join(" ", r)), Is.EqualTo(new[] { "fundamentals_raw 0 1", "prices_daily 1 2" }));
        var securityRows = Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily WHERE security_id IN (3, 5, 7)");
        Assert.That(run.Output, Does.Contain($"prices_daily: compared 19,512 rows in 40 group(s) by security_id with the table").And.Contain(
            $"3 group(s) differ (a new or changed row, or rows only the table holds); staging their {securityRows:N0} rows for the upsert"));
    }

    /// <summary>
    /// Swaps values between two rows of one group, trying neighbouring pairs until one leaves the plain sum of
    /// hash_record_extended (the digest before its mix) exactly equal, the edit that sum cannot see: what the digest must catch.
    /// </summary>
    static void SwapUnseenByALinearSum(string database, string job, long security, Func<int, string> swapPairAt)
    {
        using var connection = TestServer.Connection.Open(database);
        var catalog = StocksRebuild.Catalog.SchemaCatalog.Read(connection);
        var fields = ((CsvJob)IngestJobs.InOrder.Single(j => j.Name == job)).Fields;
        var rowHash = RowDigest.For(catalog[job], CsvColumn.Bind(fields, catalog[job]))!.RowHashSql;
        var linearSum = $"SELECT sum({rowHash}) FROM stocks_research.{job} t WHERE t.security_id = {security}";
        for (var pair = 0; pair < 40; pair++)
        {
            using var transaction = connection.BeginTransaction();
            object? Scalar(string sql) => new Npgsql.NpgsqlCommand(sql, connection, transaction).ExecuteScalar();
            var before = Scalar(linearSum);
            Assert.That(new Npgsql.NpgsqlCommand(swapPairAt(pair), connection, transaction).ExecuteNonQuery(), Is.EqualTo(2), swapPairAt(pair));
            if (Equals(Scalar(linearSum), before))
            {
                transaction.Commit();
                return;
            }
            transaction.Rollback();
        }
        Assert.Fail($"no swap among 40 pairs of {job} for security {security} left the linear sum equal");
    }

    [Test]
    public void ARerunFindsValuesAndRowsSwappedWithinASecurityAndPutsThemBack()
    {
        var database = Databases.Seeded();
        var before = Databases.DataFingerprint(database);
        var lastRun = LastRun(database);
        const string Pair = """
            WITH two AS (SELECT *, row_number() OVER (ORDER BY trade_date) AS n FROM stocks_research.prices_daily
                         WHERE security_id = {0} ORDER BY trade_date OFFSET {1} LIMIT 2)
            """;
        // Two days' volumes swapped; then two days' rows (every value but the key); then two quarters' revenues.
        SwapUnseenByALinearSum(database, "prices_daily", 11, pair => string.Format(Pair, 11, pair) + """
            UPDATE stocks_research.prices_daily p SET volume = o.volume
            FROM two t JOIN two o ON o.n <> t.n WHERE p.security_id = 11 AND p.trade_date = t.trade_date AND t.volume <> o.volume
            """);
        SwapUnseenByALinearSum(database, "prices_daily", 13, pair => string.Format(Pair, 13, pair) + """
            UPDATE stocks_research.prices_daily p SET open = o.open, high = o.high, low = o.low, close = o.close, volume = o.volume
            FROM two t JOIN two o ON o.n <> t.n WHERE p.security_id = 13 AND p.trade_date = t.trade_date
            """);
        SwapUnseenByALinearSum(database, "fundamentals_raw", 15, pair => $"""
            WITH two AS (SELECT *, row_number() OVER (ORDER BY fiscal_year, fiscal_quarter) AS n FROM stocks_research.fundamentals_raw
                         WHERE security_id = 15 AND revenue IS NOT NULL ORDER BY fiscal_year, fiscal_quarter OFFSET {pair} LIMIT 2)
            UPDATE stocks_research.fundamentals_raw f SET revenue = o.revenue
            FROM two t JOIN two o ON o.n <> t.n
            WHERE f.security_id = 15 AND (f.fiscal_year, f.fiscal_quarter) = (t.fiscal_year, t.fiscal_quarter) AND t.revenue <> o.revenue
            """);
        Assert.That(Databases.DataFingerprint(database), Is.Not.EqualTo(before), "the swaps changed the tables");

        var run = BuildScript.Run("--target=Ingest", $"--database={database}", $"--source={Drops.Sample}");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(before), "every swap found and put back");
        var counts = Rows(database, "SELECT job, rows_inserted, rows_updated FROM stocks_research.ingestion_log " +
            $"WHERE run_id > {lastRun} AND job IN ('prices_daily', 'fundamentals_raw') ORDER BY job");
        Assert.That(counts.Select(r => string.Join(" ", r)), Is.EqualTo(new[] { "fundamentals_raw 0 2", "prices_daily 0 4" }));
        var securityRows = Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily WHERE security_id IN (11, 13)");
        Assert.That(run.Output, Does.Contain(
            $"2 group(s) differ (a new or changed row, or rows only the table holds); staging their {securityRows:N0} rows for the upsert"),
            "only the two securities swapped in are staged");
    }

    [Test]
    public void ALaterDropAddsAndCorrectsRowsAndDeletesNone()
    {
        var database = Databases.Seeded();
        var pricesBefore = Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily");
        var drop = Drops.CopyOfSample();
        // A corrected close for security 1 on 2024-01-02, a new day for it, and security 2's 2024 rows gone from the drop.
        Drops.ReplaceLine(drop, "prices/2024_by_id.csv", 3, "1,2024-01-02,93.4680,94.7363,92.8520,94.0000,896693");
        Drops.Write(drop, "prices/2024_by_id.csv", Drops.Lines(drop, "prices/2024_by_id.csv").Where(l => !l.StartsWith("2,",
            StringComparison.Ordinal))
            .Append("1,2026-01-02,95,96,94,95.5,1000"));

        var prices = Ingest(database, drop).Single(r => r.Job == "prices_daily");

        Assert.That((prices.Inserted, prices.Updated), Is.EqualTo((1L, 1L)));
        Assert.That(Databases.Scalar<decimal>(database, "SELECT close FROM stocks_research.prices_daily WHERE security_id = 1 AND trade_date = " +
            "'2024-01-02'"), Is.EqualTo(94m));
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily"), Is.EqualTo(pricesBefore + 1),
            "rows absent from the drop stay");
    }

    [Test]
    public void ATickerPassingToAnotherSecurityInALaterDropIsAccepted()
    {
        var database = Databases.Seeded();
        var drop = Drops.CopyOfSample();
        // Security 1 gives up ALSP on 2025-12-01 and security 2 takes it: one row ends a period, one starts one, in any order.
        var history = Drops.Lines(drop, "ticker_history.csv");
        history.Insert(1, "2,ALSP,2025-12-01,");
        history[history.IndexOf("1,ALSP,2024-01-01,")] = "1,ALSP,2024-01-01,2025-12-01";
        Drops.Write(drop, "ticker_history.csv", history);

        var tickers = Ingest(database, drop).Single(r => r.Job == "ticker_history");

        Assert.That((tickers.Inserted, tickers.Updated), Is.EqualTo((1L, 1L)));
        Assert.That(Databases.Scalar<long>(database, "SELECT security_id FROM stocks_research.ticker_history WHERE ticker = 'ALSP' AND valid_to IS " +
            "NULL"), Is.EqualTo(2));
    }

    [Test]
    public void AFailingJobStopsTheRunLogsItsFailureAndARerunAfterTheFixCompletes()
    {
        var database = Databases.Migrated("rerun");
        var drop = Drops.CopyOfSample();
        Drops.ReplaceLine(drop, "corporate_actions.csv", 5, "4,2024-12-16,merger,,0.91");

        var error = Assert.Throws<IngestException>(() => Ingest(database, drop));

        Assert.That(error!.Message, Does.Contain("corporate_actions.csv:5: action_type: 'merger' is neither split nor dividend"));
        Assert.That(LogAfter(database, 0), Is.EqualTo(new[]
        {
            ("securities", "succeeded"), ("ticker_history", "succeeded"), ("prices_daily", "succeeded"), ("corporate_actions", "failed"),
        }), "later jobs do not start");
        Assert.That(Databases.Scalar<string>(database, "SELECT error FROM stocks_research.ingestion_log WHERE status = 'failed'"),
            Does.Contain("corporate_actions.csv:5"));
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.corporate_actions"), Is.Zero);

        var lastRun = LastRun(database);
        Drops.ReplaceLine(drop, "corporate_actions.csv", 5, "4,2024-12-16,dividend,,0.91");
        var results = Ingest(database, drop);

        Assert.That(results.Single(r => r.Job == "prices_daily").Unchanged, Is.EqualTo(19_512), "the jobs already done change nothing");
        Assert.That(LogAfter(database, lastRun).Select(l => l.status), Is.EqualTo(Enumerable.Repeat("succeeded", 7)));
        Assert.That(StocksRebuild.Validation.Validator.Validate(TestServer.Connection, database).Passed, Is.True);
    }

    [Test, Category("BadInput")]
    public void InAColdRebuildADuplicateAndAnUnknownSecurityAreNamedByLineToo()
    {
        // Into empty tables rows go straight in and keys are built at the end; a refusal there must still name the lines.
        var database = Databases.Migrated("coldbad");
        var drop = Drops.CopyOfSample();
        var prices = "prices/2024_by_id.csv";
        var duplicateLine = Drops.Lines(drop, prices).Count + 1;
        Drops.Append(drop, prices, Drops.Lines(drop, prices)[1], "999,2024-01-02,10,11,9,10,100");
        var log = new TestLog();

        var error = Assert.Throws<IngestException>(() => Ingestor.Ingest(TestServer.Run(log), database,
            new IngestOptions { SourceDirectory = drop }));

        Assert.That(error!.Lines, Is.EqualTo(new[]
        {
            $"{prices}:{duplicateLine}: security_id, trade_date: (1, 2024-01-01) is also at {prices}:2",
            $"{prices}:{duplicateLine + 1}: security_id: 999 is not in securities",
        }));
        Assert.That(log.Text, Does.Contain("Ingest prices_daily: the database refused the direct load"));
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily"), Is.Zero);
        Assert.That(Databases.Scalar<bool>(database, "SELECT to_regclass('stocks_research.prices_daily_trade_date_idx') IS NOT NULL"), Is.True,
            "the rolled-back job left its index in place");
    }

    [Test, Category("BadInput")]
    public void InAColdRebuildABadRowStopsTheDirectLoadAndLeavesTheTableEmpty()
    {
        var database = Databases.Migrated("coldrow");
        var drop = Drops.CopyOfSample();
        Drops.ReplaceLine(drop, "prices/2025_by_id.csv", 40, "1,2025-02-25,23.00,22.40,23.04,23.00,100");

        var error = Assert.Throws<IngestException>(() => Ingestor.Ingest(TestServer.Run(), database, new IngestOptions { SourceDirectory = drop }));

        Assert.That(error!.Lines, Is.EqualTo(new[] { "prices/2025_by_id.csv:40: high: 22.40 is below low 23.04" }));
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily"), Is.Zero);
        Assert.That(Databases.Scalar<bool>(database, "SELECT to_regclass('stocks_research.prices_daily_pkey') IS NOT NULL"), Is.True, "the dropped " +
            "key came back with the rollback");
    }

    [Test]
    public void IngestRefusesADatabaseThatIsNotMigrated()
    {
        var database = Databases.NewName("unmigrated");
        Databases.Admin.DropCreate(database, Consent.None, new TestLog());

        var error = Assert.Throws<RunbookException>(() => Ingest(database, Drops.Sample));

        Assert.That(error!.Message, Does.Contain("lacks migrations V001__create_schema.sql").And.Contain("run --target=Migrate first"));
    }

    [Test]
    public void ADropMissingAFileIsRefusedBeforeAnyJobRuns()
    {
        var database = Databases.Seeded();
        var lastRun = LastRun(database);
        var drop = Drops.CopyOfSample();
        File.Delete(Path.Combine(drop, "fundamentals.csv"));

        var error = Assert.Throws<RunbookException>(() => Ingest(database, drop));

        Assert.That(error!.Message, Does.Contain($"the source folder {drop} lacks fundamentals.csv"));
        Assert.That(LastRun(database), Is.EqualTo(lastRun), "no job started");
    }

    [Test]
    public void ValidateFindsADerivedTableThatNoLongerMatchesItsSources()
    {
        var database = Databases.Seeded();
        Databases.Execute(database, "UPDATE stocks_research.adjustment_factors SET factor = factor * 2 WHERE security_id = 5 AND valid_from = " +
            "'-infinity'");
        Databases.Execute(database, "DELETE FROM stocks_research.fundamentals_yoy WHERE security_id = 1 AND fiscal_year = 2025 AND fiscal_quarter " +
            "= 4");

        var report = StocksRebuild.Validation.Validator.Validate(TestServer.Connection, database);

        var failures = report.Failures.Where(f => f.Check == "= derivation").ToDictionary(f => f.Subject, f => f.Detail);
        Assert.That(failures.Keys, Is.EquivalentTo(new[] { "stocks_research.adjustment_factors", "stocks_research.fundamentals_yoy" }));
        Assert.That(failures["stocks_research.adjustment_factors"], Does.StartWith("1 row(s) not derived from the sources, 1 derived row(s) " +
            "missing or different"));
        Assert.That(failures["stocks_research.fundamentals_yoy"], Does.StartWith("0 row(s) not derived from the sources, 1 derived row(s) missing"));
    }

    /// <summary>The sample split in two drops by year: the first holds 2024's prices, the next 2025's (the other files in both).</summary>
    static (string First, string Next) DropsByYear()
    {
        var (first, next) = (Drops.CopyOfSample(), Drops.CopyOfSample());
        foreach (var file in Directory.GetFiles(Path.Combine(first, "prices"), "2025_*")) File.Delete(file);
        foreach (var file in Directory.GetFiles(Path.Combine(next, "prices"), "2024_*")) File.Delete(file);
        return (first, next);
    }

    [Test]
    public void ANextDropOfNewDaysIsAppendedByCopyAndEqualsTheWholeDropLoadedAtOnce()
    {
        var (first, next) = DropsByYear();
        var database = Databases.Seeded(drop: first);
        var whole = Databases.Seeded();

        var run = BuildScript.Run("--target=Ingest", $"--database={database}", $"--source={next}");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output);
        Assert.That(run.Output, Does.Contain("Ingest prices_daily: every file's first row is a new key: appended by COPY"));
        Assert.That(Databases.DataFingerprint(database), Is.EqualTo(Databases.DataFingerprint(whole)));
        Assert.That(Rows(database, "SELECT rows_inserted, rows_updated FROM stocks_research.ingestion_log WHERE job = 'prices_daily' " +
            "ORDER BY run_id DESC LIMIT 1").Single(), Is.EqualTo(new[] { "10080", "0" }));
    }

    [Test]
    public void AnExistingKeyBehindANewFirstRowFallsBackToTheUpsertAndCorrectsIt()
    {
        var (first, next) = DropsByYear();
        var database = Databases.Seeded(drop: first);
        // 2025's file, and at its end a 2024 day already loaded, with another volume: a correction.
        Drops.Append(next, "prices/2025_by_id.csv", "1,2024-01-02,93.4680,94.7363,92.8520,94.4786,777");

        var run = BuildScript.Run("--target=Ingest", $"--database={database}", $"--source={next}");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output);
        Assert.That(run.Output, Does.Contain("a key the files hold exists after all").And.Contain("staging the files for the upsert"));
        Assert.That(Databases.Scalar<long>(database, "SELECT volume FROM stocks_research.prices_daily WHERE security_id = 1 AND trade_date = " +
            "'2024-01-02'"), Is.EqualTo(777));
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM stocks_research.prices_daily"), Is.EqualTo(19_512));
        Assert.That(Rows(database, "SELECT rows_inserted, rows_updated FROM stocks_research.ingestion_log WHERE job = 'prices_daily' " +
            "ORDER BY run_id DESC LIMIT 1").Single(), Is.EqualTo(new[] { "10080", "1" }));
    }
}
