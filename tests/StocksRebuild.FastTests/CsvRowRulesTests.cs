using StocksRebuild.Ingestion;

namespace StocksRebuild.FastTests;

/// <summary>A job's source contract on files written here: FILE:LINE: COLUMN: reason for every row it refuses, no server.</summary>
[TestFixture]
public sealed class CsvRowRulesTests
{
    static IReadOnlyList<string> Refusals(string jobName, string csv)
    {
        var job = Tables.Job(jobName);
        var path = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-csv-").FullName, "file.csv");
        File.WriteAllText(path, csv);
        var errors = new IngestErrors(50);
        var rows = 0;
        CsvSource.Read(path, "file.csv", new CsvReading(Tables.Columns(jobName), errors, _ => { }, row => { job.RowRules(row, errors); rows++; }));
        Assert.That(rows, Is.GreaterThan(0), "the parser read no row: the rules were not exercised");
        return errors.Lines;
    }

    [Test]
    public void APriceRowBreakingTheTablesChecksIsNamedByLineAndColumn() =>
        Assert.That(Refusals("prices_daily",
            "security_id,trade_date,open,high,low,close,volume\n" +
            "1,2025-01-02,10,11,9,10.5,100\n" +
            "1,2025-01-03,10,9,11,10,100\n" +
            "1,2025-01-06,0,11,9,10,-5\n"), Is.EqualTo(new[]
        {
            "file.csv:3: high: 9 is below low 11",
            "file.csv:4: open: 0 is not above 0",
            "file.csv:4: volume: -5 is negative",
        }));

    [Test]
    public void ASplitNeedsARatioAndADividendCash() =>
        Assert.That(Refusals("corporate_actions",
            "security_id,ex_date,action_type,split_ratio,cash_amount\n" +
            "1,2025-01-02,split,,\n" +
            "1,2025-01-03,dividend,2,0.5\n" +
            "1,2025-01-06,merger,,\n"), Is.EqualTo(new[]
        {
            "file.csv:2: split_ratio: a split needs a split_ratio",
            "file.csv:3: split_ratio: a dividend carries no split_ratio",
            "file.csv:4: action_type: 'merger' is neither split nor dividend",
        }));

    [Test]
    public void TypesAreCheckedWhileReading()
    {
        var job = Tables.Job("securities");
        var path = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-csv-").FullName, "securities.csv");
        File.WriteAllText(path, "security_id,name,exchange,currency\nabc,Acme,XNYS,usd\n2,Beta,XNYS,EUR\n");
        var errors = new IngestErrors(50);
        var good = new List<long>();
        CsvSource.Read(path, "securities.csv", new CsvReading(Tables.Columns("securities"), errors, _ => { }, row => { job.RowRules(row,
            errors); good.Add(row.Integer(0)); }));
        Assert.That(errors.Lines, Is.EqualTo(new[] { "securities.csv:2: security_id: 'abc' is not a whole number" }));
        Assert.That(good, Is.EqualTo(new[] { 2L }));
    }

    [Test]
    public void AValueTheColumnCannotHoldExactlyIsRefusedNotRounded()
    {
        Assert.That(ColumnLimits.Numeric(93.927300000001m, 18, 6, "prices_daily.open"),
            Is.EqualTo("93.927300000001 has 12 decimals; prices_daily.open keeps 6 (it would be rounded)"));
        Assert.That(ColumnLimits.Numeric(93.9273000m, 18, 6, "prices_daily.open"), Is.Null, "trailing zeros are not digits");
        Assert.That(ColumnLimits.Numeric(1234567890123m, 18, 6, "prices_daily.open"), Does.Contain("13 integer digits"));
    }
}
