using StocksRebuild.Ingestion;

namespace StocksRebuild.FastTests;

/// <summary>
/// The rerun digest of one security's rows must change with every edit that leaves the rows different from the drop,
/// including those a plain sum of hash_record_extended cannot see because that hash is linear: a value swapped between
/// two rows, two days' rows swapped. Each edit is checked against the linear sum too, so the test shows what it guards.
/// </summary>
[TestFixture]
public sealed class RowDigestTests
{
    // security_id, trade_date, open, high, low, close, volume
    public sealed record Price(long Security, DateOnly Day, decimal Open, decimal High, decimal Low, decimal Close, long Volume);

    static List<Price> Rows()
    {
        var random = new Random(20261205);
        return Enumerable.Range(0, 40).Select(i =>
        {
            var close = Math.Round(50m + (decimal)random.NextDouble() * 50m, 4);
            return new Price(7, new DateOnly(2024, 1, 2).AddDays(i), close - 1, close + 1, close - 2, close, random.NextInt64(1_000, 5_000_000));
        }).ToList();
    }

    static (long, Int128) Digest(IEnumerable<Price> rows)
    {
        var columns = Tables.Columns("prices_daily");
        var digest = RowDigest.For(Tables.PricesDaily, columns) ?? throw new InvalidOperationException("no digest for prices_daily");
        var names = columns.Select(c => c.Name).ToList();
        var record = new CsvRecord(columns.Count);
        foreach (var row in rows)
        {
            record.Set(names.IndexOf("security_id"), row.Security);
            record.Set(names.IndexOf("trade_date"), row.Day);
            record.Set(names.IndexOf("open"), row.Open);
            record.Set(names.IndexOf("high"), row.High);
            record.Set(names.IndexOf("low"), row.Low);
            record.Set(names.IndexOf("close"), row.Close);
            record.Set(names.IndexOf("volume"), row.Volume);
            digest.Add(record);
        }
        return digest.Of(new RowDigest.GroupKey(7, null));
    }

    /// <summary>
    /// What the digest summed before: hash_record_extended per row, unmixed, here modulo 2⁶⁴ where the hash is exactly
    /// linear (the exact sum the old digest kept differs only when a row's hash happens to wrap differently).
    /// </summary>
    static (long, ulong) Linear(IEnumerable<Price> rows)
    {
        ulong sum = 0;
        long count = 0;
        foreach (var r in rows)
        {
            ulong[] columns = [PgHash.Int8(r.Security), PgHash.Date(r.Day), PgHash.Numeric(r.Open), PgHash.Numeric(r.High), PgHash.Numeric(r.Low),
                PgHash.Numeric(r.Close), PgHash.Int8(r.Volume)];
            sum += columns.Aggregate(0UL, PgHash.Combine);
            count++;
        }
        return (count, sum);
    }

    static IEnumerable<TestCaseData> Edits()
    {
        yield return Edit("one value changed", rows => rows[3] = rows[3] with { Volume = rows[3].Volume + 1 }, linearSees: true);
        yield return Edit("volumes swapped between two days", rows =>
            (rows[3], rows[9]) = (rows[3] with { Volume = rows[9].Volume }, rows[9] with { Volume = rows[3].Volume }), linearSees: false);
        yield return Edit("closes swapped between two days", rows =>
            (rows[0], rows[39]) = (rows[0] with { Close = rows[39].Close }, rows[39] with { Close = rows[0].Close }), linearSees: false);
        yield return Edit("two days' rows swapped", rows =>
            (rows[5], rows[6]) = (rows[6] with { Day = rows[5].Day }, rows[5] with { Day = rows[6].Day }), linearSees: false);
        yield return Edit("a row duplicated over another", rows => rows[12] = rows[11] with { Day = rows[12].Day }, linearSees: true);
        yield return Edit("a row deleted", rows => rows.RemoveAt(20), linearSees: true);
    }

    static TestCaseData Edit(string name, Action<List<Price>> edit, bool linearSees) => new TestCaseData(edit, linearSees).SetName(
        $"TheDigestSees: {name}");

    [TestCaseSource(nameof(Edits))]
    public void AnEditOfOneSecuritysRowsChangesItsDigest(Action<List<Price>> edit, bool linearSees)
    {
        var drop = Rows();
        var table = Rows();
        edit(table);

        Assert.That(Digest(table), Is.Not.EqualTo(Digest(drop)));
        Assert.That(Linear(table) != Linear(drop), Is.EqualTo(linearSees), "what the linear sum sees, to show what this edit tests");
    }

    [Test]
    public void TheSameRowsInAnotherOrderHaveTheSameDigest()
    {
        var rows = Rows();
        Assert.That(Digest(Enumerable.Reverse(rows)), Is.EqualTo(Digest(rows)));
    }
}
