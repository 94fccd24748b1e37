using StocksRebuild.Database;
using StocksRebuild.Ingestion;

namespace StocksRebuild.FastTests;

/// <summary>The SQL whose text carries names: every identifier quoted, whatever it holds.</summary>
[TestFixture]
public sealed class StatementsTests
{
    [Test]
    public void EveryIdentifierIsQuotedAndItsQuotesDoubled()
    {
        Assert.That(Statements.RenameDatabase("a\"b", "Live DB"), Is.EqualTo("ALTER DATABASE \"a\"\"b\" RENAME TO \"Live DB\""));
        Assert.That(Statements.DropDatabase("x; DROP DATABASE postgres"), Is.EqualTo("DROP DATABASE IF EXISTS \"x; DROP DATABASE postgres\" WITH " +
            "(FORCE)"));
        Assert.That(Statements.AllowConnections("db", false), Is.EqualTo("ALTER DATABASE \"db\" WITH ALLOW_CONNECTIONS false"));
        Assert.That(Statements.Table("prices_daily"), Is.EqualTo("\"stocks_research\".\"prices_daily\""));
    }

    [Test]
    public void CopyNamesItsColumnsQuotedSoAHeaderCannotBecomeSql()
    {
        Assert.That(Statements.CopyBinary(Statements.Table("prices_daily"), ["trade_date", "open", "x\") FROM PROGRAM 'id' --"]),
            Is.EqualTo("COPY \"stocks_research\".\"prices_daily\" (\"trade_date\", \"open\", \"x\"\") FROM PROGRAM 'id' --\") FROM STDIN (FORMAT " +
                "BINARY)"));
    }

    [Test]
    public void TheStagingTableIsTheJobsTableWithSourcePositions()
    {
        var columns = Tables.Columns("prices_daily");
        Assert.That(StagingTable.Create("prices_daily", columns), Does.StartWith(
            "CREATE TEMP TABLE \"stage_prices_daily\" (LIKE \"stocks_research\".\"prices_daily\") ON COMMIT DROP; " +
            "ALTER TABLE \"stage_prices_daily\" ADD COLUMN src_file smallint NOT NULL, ADD COLUMN src_line bigint NOT NULL, ADD COLUMN \"ticker\" " +
                "text"));
        Assert.That(StagingTable.Copy("prices_daily", columns), Does.StartWith("COPY \"stage_prices_daily\" (\"src_file\", \"src_line\", " +
            "\"security_id\", \"ticker\""));
    }

    [Test]
    public void VerifyEmptySchemaExpectsEveryJobsTableAndTheLog() =>
        Assert.That(Validation.EmptySchemaCheck.ExpectedTables, Is.EqualTo(new[]
        {
            "stocks_research.securities", "stocks_research.ticker_history", "stocks_research.prices_daily",
            "stocks_research.corporate_actions", "stocks_research.adjustment_factors", "stocks_research.fundamentals_raw",
            "stocks_research.fundamentals_yoy", "stocks_research.ingestion_log",
        }));
}
