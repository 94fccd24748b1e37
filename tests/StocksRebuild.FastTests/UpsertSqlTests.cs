using StocksRebuild.Catalog;
using StocksRebuild.Ingestion;

namespace StocksRebuild.FastTests;

/// <summary>The upserts generated from a table as the catalog describes it: the natural key is its primary key, every name quoted.</summary>
[TestFixture]
public sealed class UpsertSqlTests
{
    static readonly CatalogTable Prices = new("prices_daily",
        [new("security_id", "int8"), new("trade_date", "date"), new("open", "numeric", 18, 6), new("volume", "int8")],
        ["security_id", "trade_date"]);

    [Test]
    public void StagedRowsWriteOnlyWhatIsNewOrDifferent()
    {
        var sql = UpsertSql.FromStage(Prices, "stage_prices_daily", ["security_id", "trade_date", "open", "volume"]);
        Assert.That(sql, Does.Contain("FROM \"pg_temp\".\"stage_prices_daily\" s"));
        Assert.That(sql, Does.Contain("LEFT JOIN \"stocks_research\".\"prices_daily\" t USING (\"security_id\", \"trade_date\")"));
        Assert.That(sql, Does.Contain("WHERE t.\"security_id\" IS NULL\n")
            .And.Contain("OR (t.\"open\", t.\"volume\") IS DISTINCT FROM (s.\"open\", s.\"volume\")"));
        Assert.That(sql, Does.Contain(
            "ON CONFLICT (\"security_id\", \"trade_date\") DO UPDATE SET \"open\" = EXCLUDED.\"open\", \"volume\" = EXCLUDED.\"volume\""));
        Assert.That(sql, Does.Not.Contain("SET CONSTRAINTS"));
    }

    [Test]
    public void DeferrableConstraintsAreCheckedOnceEveryRowIsIn()
    {
        var tickers = new CatalogTable("ticker_history",
            [new("security_id", "int8"), new("ticker", "text"), new("valid_from", "date"), new("valid_to", "date")],
            ["security_id", "ticker", "valid_from"]) { DeferrableConstraints = ["ticker_history_no_overlap"] };
        var sql = UpsertSql.FromStage(tickers, "stage_ticker_history", ["security_id", "ticker", "valid_from", "valid_to"]);
        Assert.That(sql, Does.StartWith("SET CONSTRAINTS \"stocks_research\".\"ticker_history_no_overlap\" DEFERRED;\n"));
        Assert.That(sql, Does.EndWith("\nSET CONSTRAINTS \"stocks_research\".\"ticker_history_no_overlap\" IMMEDIATE;"));
    }

    [Test]
    public void ADerivedTableTakesEveryColumnOfItsViewAndUpdatesOnlyWhatChanged()
    {
        var yoy = new CatalogTable("fundamentals_yoy",
            [new("security_id", "int8"), new("fiscal_year", "int2"), new("fiscal_quarter", "int2"), new("eps_growth", "numeric", 20, 8)],
            ["security_id", "fiscal_year", "fiscal_quarter"]);
        var sql = UpsertSql.FromView(yoy, "v_fundamentals_yoy_derived");
        Assert.That(sql, Does.Contain("SELECT * FROM \"stocks_research\".\"v_fundamentals_yoy_derived\""));
        Assert.That(sql, Does.Contain("WHERE (t.\"eps_growth\") IS DISTINCT FROM (EXCLUDED.\"eps_growth\")"));
        Assert.That(sql, Does.Contain("SELECT (SELECT count(*) FROM derived), count(*) FILTER (WHERE inserted)"));
    }

    [Test]
    public void ATableWithoutAKeyOrAKeyNotLoadedIsRefused()
    {
        var keyless = Prices with { PrimaryKey = [] };
        Assert.That(() => UpsertSql.FromStage(keyless, "s", ["open"]), Throws.InstanceOf<RunbookException>().With.Message.Contains("no primary key"));
        Assert.That(() => UpsertSql.FromStage(Prices, "s", ["security_id", "open"]),
            Throws.InstanceOf<RunbookException>().With.Message.Contains("key column(s) trade_date not loaded"));
    }

    [Test]
    public void ExactValueChecksComeFromTheCatalogsTypes()
    {
        var columns = Tables.Columns("prices_daily");
        var limits = ColumnLimits.For(Tables.PricesDaily, columns);
        var path = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-limits-").FullName, "p.csv");
        File.WriteAllText(path, "security_id,trade_date,open,high,low,close,volume\n1,2025-01-02,10.1234567,11,9,10,100\n");
        var errors = new IngestErrors(10);
        CsvSource.Read(path, "p.csv", new CsvReading(columns, errors, _ => { }, row => limits.Check(row, errors)));
        Assert.That(errors.Lines, Is.EqualTo(new[] { "p.csv:2: open: 10.1234567 has 7 decimals; prices_daily.open keeps 6 (it would be rounded)" }));
    }

    [Test]
    public void TheContractTakesTypesAndNullabilityFromTheTable()
    {
        var prices = Tables.Columns("prices_daily").ToDictionary(c => c.Name);
        Assert.That((prices["security_id"].Type, prices["security_id"].Nullable), Is.EqualTo((CsvType.BigInt, true)), "resolved from the ticker");
        Assert.That((prices["ticker"].Type, prices["ticker"].StagedOnly), Is.EqualTo((CsvType.Text, true)));
        Assert.That((prices["open"].Type, prices["open"].Nullable), Is.EqualTo((CsvType.Numeric, false)));
        Assert.That(Tables.Columns("securities").Single(c => c.Name == "sector").Nullable, Is.True);
        var renamed = Tables.PricesDaily with { Columns = [.. Tables.PricesDaily.Columns.Where(c => c.Name != "volume")] };
        Assert.That(() => CsvColumn.Bind(Tables.Job("prices_daily").Fields, renamed),
            Throws.InstanceOf<RunbookException>().With.Message.Contains("has no column volume"));
    }
}
