using System.Globalization;
using StocksRebuild.Ingestion;

namespace StocksRebuild.FastTests;

/// <summary>
/// The reader's own parsing of the common decimal and date shapes gives exactly what .NET's parsers give (value, scale,
/// sign), and every other shape goes to them: no value read differently from before the fast path.
/// </summary>
[TestFixture]
public sealed class CsvNumberTests
{
    static readonly CsvColumn[] Columns = [new("price", CsvType.Numeric, Nullable: true), new("day", CsvType.Date, Nullable: true)];

    static (List<(decimal? price, DateOnly? day)> rows, IReadOnlyList<string> errors) Read(IEnumerable<string> lines)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-csv-").FullName, "file.csv");
        File.WriteAllLines(path, lines.Prepend("price,day"));
        var errors = new IngestErrors(1000);
        var rows = new List<(decimal?, DateOnly?)>();
        CsvSource.Read(path, "file.csv", new CsvReading(Columns, errors, _ => { },
            row => rows.Add((row.IsNull(0) ? null : row.Decimal(0), row.IsNull(1) ? null : row.Date(1)))));
        return (rows, errors.Lines);
    }

    [Test]
    public void DecimalsAreReadAsDecimalTryParseReadsThem()
    {
        string[] shapes =
        [
            "298.7248", "93.9273000", "0.000001", "-1.50", "-0.00", "0", "007.50", "+1.5", "5.", ".5", "1234567890123456789",
            "123456789012345678.9", "12345678901234567890.5", "99999999999999999999999999.99", "1e5", "1.2.3", "-", "--1", "12a",
        ];
        var (rows, errors) = Read(shapes.Select(s => s + ",2024-01-02"));
        var expected = shapes.Select(s => decimal.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
            CultureInfo.InvariantCulture, out var d) ? d : (decimal?)null).ToList();

        Assert.That(rows.Select(r => r.price), Is.EqualTo(expected.Where(d => d is not null)));
        Assert.That(rows.Select(r => (r.price!.Value.Scale, decimal.IsNegative(r.price.Value))),
            Is.EqualTo(expected.Where(d => d is not null).Select(d => (d!.Value.Scale, decimal.IsNegative(d.Value)))), "scale and sign kept");
        Assert.That(errors, Has.Count.EqualTo(expected.Count(d => d is null)));
        Assert.That(errors, Has.Some.EqualTo("file.csv:16: price: '1e5' is not a decimal number"));
    }

    [Test]
    public void DatesAreReadAsTheIsoParserReadsThem()
    {
        string[] shapes = ["2024-02-29", "2023-02-29", "0001-01-01", "0000-01-01", "9999-12-31", "2024-13-01", "2024-1-01", "2024/01/01", "24-01-01"];
        var (rows, errors) = Read(shapes.Select(s => "1," + s));
        var expected = shapes.Select(s => DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d : (DateOnly?)null).ToList();

        Assert.That(rows.Select(r => r.day), Is.EqualTo(expected.Where(d => d is not null)));
        Assert.That(errors, Has.Count.EqualTo(expected.Count(d => d is null)));
        Assert.That(errors, Has.Some.EqualTo("file.csv:3: day: '2023-02-29' is not an ISO date YYYY-MM-DD"));
    }
}
