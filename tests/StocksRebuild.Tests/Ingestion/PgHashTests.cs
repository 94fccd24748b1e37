using System.Globalization;
using StocksRebuild.Ingestion;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Ingestion;

/// <summary>
/// The digest's hashes against the server's own hash_record_extended of the same values, for every type the digest
/// hashes, edges included. A hash that differed would only stage a group that is equal; one computed from the wrong
/// bytes could also equal another value's, so the ROW hashes must be PostgreSQL's, not merely well spread.
/// </summary>
[TestFixture]
public sealed class PgHashTests
{
    static List<long> Server(string type, Array values)
    {
        using var connection = TestServer.Connection.Open("postgres");
        using var command = new Npgsql.NpgsqlCommand(
            $"SELECT hash_record_extended(ROW(v), 0) FROM unnest(@values::{type}[]) WITH ORDINALITY AS u(v, i) ORDER BY i", connection);
        command.Parameters.AddWithValue("values", values);
        using var reader = command.ExecuteReader();
        var hashes = new List<long>();
        while (reader.Read()) hashes.Add(reader.GetInt64(0));
        return hashes;
    }

    static IEnumerable<long> Ours<T>(IEnumerable<T> values, Func<T, ulong> hash) => values.Select(v => (long)PgHash.Combine(0, hash(v)));

    [Test]
    public void NumericsHashAsTheServerHashesThem()
    {
        var random = new Random(20261127);
        var values = new List<decimal>
        {
            0m, 1m, -1m, 1.5m, 15m, 10000m, 0.0001m, 0.00012m, 298.724800m, 93.9273000m, 0.000001m, 99999999999.999999m,
            decimal.MaxValue, decimal.MinValue, 0.0000000000000000000000000001m, 12345678901234567890.123456789m, -0.5m, 100000000m,
        };
        for (var i = 0; i < 2000; i++)
        {
            var high = random.Next(4) == 0 ? random.Next() : 0; // a quarter beyond 64 bits
            values.Add(new decimal(random.Next(), random.Next(), high, random.Next(2) == 0, (byte)random.Next(29)));
        }

        Assert.That(Ours(values, PgHash.Numeric), Is.EqualTo(Server("numeric", values.ToArray())));
    }

    [Test]
    public void IntegersDatesBooleansAndTextHashAsTheServerHashesThem()
    {
        var random = new Random(7);
        long[] bigints = [0, 1, -1, 4294967296, -4294967297, long.MaxValue, long.MinValue, .. Enumerable.Range(0, 500).Select(_ => random.NextInt64(
            long.MinValue, long.MaxValue))];
        int[] integers = [0, 1, -1, int.MaxValue, int.MinValue, .. Enumerable.Range(0, 200).Select(_ => random.Next(int.MinValue, int.MaxValue))];
        short[] smallints = [0, 1, -1, short.MaxValue, short.MinValue, 2024];
        DateOnly[] dates = [new(2000, 1, 1), new(1999, 12, 31), new(1, 1, 1), new(9999, 12, 31), .. Enumerable.Range(0, 200).Select(_ =>
            DateOnly.FromDayNumber(random.Next(DateOnly.MaxValue.DayNumber)))];
        string[] texts =
            ["", "a", "abcd", "abcdefghijk", "abcdefghijkl", "NYSE", "Ünïcødé €", "a,b \"c\"", new string('x', 300), "日本語テキスト"];

        Assert.That(Ours(bigints, v => PgHash.Int8(v)), Is.EqualTo(Server("bigint", bigints)));
        Assert.That(Ours(integers, PgHash.Int4), Is.EqualTo(Server("integer", integers)));
        Assert.That(Ours(smallints, v => PgHash.Int4(v)), Is.EqualTo(Server("smallint", smallints)));
        Assert.That(Ours(dates, PgHash.Date), Is.EqualTo(Server("date", dates)));
        Assert.That(Ours([true, false], PgHash.Bool), Is.EqualTo(Server("boolean", new[] { true, false })));
        Assert.That(Ours(texts, PgHash.Text), Is.EqualTo(Server("text", texts)));
    }

    [Test]
    public void ARowHashesAsTheServerHashesTheSameRow()
    {
        var server = Databases.Scalar<long>("postgres",
            "SELECT hash_record_extended(ROW(7::bigint, DATE '2024-03-01', 93.9273::numeric(18,6), NULL::numeric, 'NYSE'::text, false), 0)");
        ulong[] columns = [PgHash.Int8(7), PgHash.Date(new DateOnly(2024, 3, 1)), PgHash.Numeric(93.9273m), 0, PgHash.Text("NYSE"),
            PgHash.Bool(false)];

        Assert.That((long)columns.Aggregate(0UL, PgHash.Combine), Is.EqualTo(server), string.Join(",", columns.Select(c => c.ToString(
            CultureInfo.InvariantCulture))));
    }

    [Test]
    public void TheMixOfARowHashIsTheServersHashint8extendedSeededWithIt()
    {
        var random = new Random(20261205);
        long[] hashes = [0, 1, -1, long.MaxValue, long.MinValue, 4294967296, .. Enumerable.Range(0, 2000).Select(_ => random.NextInt64(
            long.MinValue, long.MaxValue))];
        using var connection = TestServer.Connection.Open("postgres");
        using var command = new Npgsql.NpgsqlCommand(
            $"SELECT {PgHash.ScatterSql("h")} FROM unnest(@values::bigint[]) WITH ORDINALITY AS u(h, i) ORDER BY i", connection);
        command.Parameters.AddWithValue("values", hashes);
        using var reader = command.ExecuteReader();
        var server = new List<long>();
        while (reader.Read()) server.Add(reader.GetInt64(0));

        Assert.That(hashes.Select(h => (long)PgHash.Scatter((ulong)h)), Is.EqualTo(server));
        Assert.That(server.Distinct().Count(), Is.EqualTo(hashes.Length), "no two of these row hashes mix alike");
    }
}
