using System.Globalization;
using System.Text;

namespace StocksRebuild.Sample;

public sealed record SampleSpec
{
    public int Securities { get; init; } = 40;
    public int Years { get; init; } = 2;
    /// <summary>The last calendar year of the drop; fixed so that a seed always gives the same files.</summary>
    public int LastYear { get; init; } = 2025;
    public int Seed { get; init; } = 20251231;
}

/// <summary>
/// Writes a source drop of the Scenario B contract: weekday prices as a random walk per security, split
/// over prices/YEAR_by_id.csv and prices/YEAR_by_ticker.csv (some securities are given by ticker), plus
/// the cases the jobs must get right: every tenth security from 3 changes ticker and the old ticker is
/// reused by a company listed later (8, 18, …); every tenth from 5 splits; every fourth pays quarterly
/// dividends; every security reports quarterly fundamentals. Same spec, same files.
/// </summary>
public static class SampleGenerator
{
    static readonly string[] Exchanges = ["NYSE", "NASDAQ", "LSE", "XETRA"];
    static readonly string[] Currencies = ["USD", "USD", "GBP", "EUR"];
    static readonly string[] Sectors = ["Energy", "Financials", "Health Care", "Industrials", "Technology"];
    static readonly decimal[] SplitRatios = [2m, 3m, 1.5m];

    public static void Generate(SampleSpec spec, string outDirectory, IRunbookLog log)
    {
        if (spec.Securities < 1) throw new RunbookException($"--securities={spec.Securities}: at least 1.");
        if (spec.Years < 1 || spec.Years > 50) throw new RunbookException($"--years={spec.Years}: between 1 and 50.");
        if (Directory.Exists(outDirectory) && Directory.EnumerateFileSystemEntries(outDirectory).Any())
            throw new RunbookException($"GenerateSample refused: {outDirectory} is not empty; name a new folder (--out) so no drop is mixed with " +
                $"another.");

        // Written beside the target and moved in whole: a drop is never seen half-written.
        var full = Path.GetFullPath(outDirectory).TrimEnd(Path.DirectorySeparatorChar);
        var partial = $"{full}.partial-{Environment.ProcessId}";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(Path.Combine(partial, "prices"));
        var counts = new Writer(spec, partial).WriteAll();
        if (Directory.Exists(full)) Directory.Delete(full);
        Directory.Move(partial, full);
        log.Info($"GenerateSample: {spec.Securities:N0} securities, {spec.Years} year(s) to {spec.LastYear}, seed {spec.Seed}: " +
                 $"{counts.prices:N0} prices, {counts.actions:N0} corporate actions, {counts.fundamentals:N0} fundamentals in {outDirectory}");
    }

    static string Ticker(int security) => Letters(security * 7919 % 456976, 4); // 7919 is prime to 26^4: one ticker per id
    static string NewTicker(int security) => Ticker(security) + "N";

    static string Letters(int n, int width)
    {
        var chars = new char[width];
        for (var i = width - 1; i >= 0; i--) { chars[i] = (char)('A' + n % 26); n /= 26; }
        return new string(chars);
    }

    sealed class Writer(SampleSpec spec, string directory)
    {
        readonly Random random = new(spec.Seed);
        readonly DateOnly first = new(spec.LastYear - spec.Years + 1, 1, 1);
        readonly DateOnly last = new(spec.LastYear, 12, 31);

        DateOnly At(double fraction) => Weekday(first.AddDays((int)(fraction * (last.DayNumber - first.DayNumber))));
        DateOnly TickerChange => At(0.55);
        DateOnly ReuseListing => Weekday(TickerChange.AddDays(91));
        DateOnly SplitDate => At(0.40);

        static bool ChangesTicker(int s) => s % 10 == 3;
        bool ReusesTicker(int s) => s % 10 == 8 && s - 5 >= 1;
        static bool Splits(int s) => s % 10 == 5;
        static bool PaysDividends(int s) => s % 4 == 0;
        bool ByTicker(int s) => s % 3 == 0 || ChangesTicker(s) || ReusesTicker(s);
        DateOnly ListedOn(int s) => ReusesTicker(s) ? ReuseListing : first;

        string TickerOn(int s, DateOnly day) =>
            ReusesTicker(s) ? Ticker(s - 5)
            : ChangesTicker(s) && day >= TickerChange ? NewTicker(s)
            : Ticker(s);

        public (long prices, long actions, long fundamentals) WriteAll()
        {
            WriteSecurities();
            WriteTickerHistory();
            var (prices, dividends) = WritePrices();
            var actions = WriteCorporateActions(dividends);
            var fundamentals = WriteFundamentals();
            return (prices, actions, fundamentals);
        }

        void WriteSecurities()
        {
            using var csv = Csv("securities.csv", "security_id,name,exchange,currency,sector,listed_on,delisted_on");
            for (var s = 1; s <= spec.Securities; s++)
            {
                // Names carry commas and quotes, as real ones do, so the drop exercises CSV quoting.
                var name = s % 25 == 0 ? $"The \"{Ticker(s)}\" Trust" : $"Sample Company {s}, Inc.";
                csv.Row(s.ToString(CultureInfo.InvariantCulture), name, Exchanges[s % 4], Currencies[s % 4], Sectors[s % 5], Date(ListedOn(s)), "");
            }
        }

        void WriteTickerHistory()
        {
            using var csv = Csv("ticker_history.csv", "security_id,ticker,valid_from,valid_to");
            for (var s = 1; s <= spec.Securities; s++)
            {
                var id = s.ToString(CultureInfo.InvariantCulture);
                if (ChangesTicker(s))
                {
                    // The old ticker ends here; a company listed later (s + 5) takes it over.
                    csv.Row(id, Ticker(s), Date(first), Date(TickerChange));
                    csv.Row(id, NewTicker(s), Date(TickerChange), "");
                }
                else csv.Row(id, TickerOn(s, ListedOn(s)), Date(ListedOn(s)), "");
            }
        }

        (long rows, List<(int security, DateOnly exDate, decimal cash)> dividends) WritePrices()
        {
            var price = new double[spec.Securities + 1];
            for (var s = 1; s <= spec.Securities; s++) price[s] = 10 + random.NextDouble() * 190;
            var dividends = new List<(int, DateOnly, decimal)>();
            var rows = 0L;
            for (var year = first.Year; year <= last.Year; year++)
            {
                using var byId = Csv($"prices/{year}_by_id.csv", "security_id,trade_date,open,high,low,close,volume");
                using var byTicker = Csv($"prices/{year}_by_ticker.csv", "ticker,trade_date,open,high,low,close,volume");
                for (var s = 1; s <= spec.Securities; s++)
                {
                    var exDates = PaysDividends(s) ? QuarterlyExDates(year) : [];
                    for (var day = Weekday(new DateOnly(year, 1, 1)); day.Year == year; day = Weekday(day.AddDays(1)))
                    {
                        if (day < ListedOn(s)) continue;
                        if (Splits(s) && day == SplitDate) price[s] /= (double)SplitRatios[s / 10 % 3];
                        if (exDates.Contains(day)) dividends.Add((s, day, Math.Max(0.01m, Math.Round((decimal)price[s] * 0.005m, 2))));
                        var open = price[s] * (1 + 0.004 * Gaussian());
                        price[s] *= Math.Exp(0.0002 + 0.015 * Gaussian());
                        var (o, c) = (Money(open), Money(price[s]));
                        var high = Math.Max(Math.Max(o, c), Money(Math.Max(open, price[s]) * (1 + Math.Abs(0.006 * Gaussian()))));
                        var low = Math.Min(Math.Min(o, c), Money(Math.Min(open, price[s]) * (1 - Math.Abs(0.006 * Gaussian()))));
                        var volume = (10_000 + random.Next(990_000)).ToString(CultureInfo.InvariantCulture);
                        if (ByTicker(s)) byTicker.Row(TickerOn(s, day), Date(day), Text(o), Text(high), Text(low), Text(c), volume);
                        else byId.Row(s.ToString(CultureInfo.InvariantCulture), Date(day), Text(o), Text(high), Text(low), Text(c), volume);
                        rows++;
                    }
                }
            }
            return (rows, dividends);
        }

        long WriteCorporateActions(List<(int security, DateOnly exDate, decimal cash)> dividends)
        {
            using var csv = Csv("corporate_actions.csv", "security_id,ex_date,action_type,split_ratio,cash_amount");
            var rows = 0L;
            var dividendsOf = dividends.ToLookup(d => d.security);
            for (var s = 1; s <= spec.Securities; s++)
            {
                var id = s.ToString(CultureInfo.InvariantCulture);
                if (Splits(s)) { csv.Row(id, Date(SplitDate), "split", Text(SplitRatios[s / 10 % 3]), ""); rows++; }
                foreach (var d in dividendsOf[s]) { csv.Row(id, Date(d.exDate), "dividend", "", Text(d.cash)); rows++; }
            }
            return rows;
        }

        long WriteFundamentals()
        {
            using var csv = Csv("fundamentals.csv",
                "security_id,fiscal_year,fiscal_quarter,period_end,revenue,net_income,eps_diluted,shares_outstanding");
            var rows = 0L;
            for (var s = 1; s <= spec.Securities; s++)
            {
                var revenue = 1_000_000m * (1 + random.Next(500));
                var shares = 1_000_000L * (1 + random.Next(200));
                for (var year = first.Year; year <= last.Year; year++)
                for (var quarter = 1; quarter <= 4; quarter++)
                {
                    var periodEnd = new DateOnly(year, quarter * 3, 1).AddMonths(1).AddDays(-1);
                    if (periodEnd < ListedOn(s)) continue;
                    revenue = Math.Round(revenue * (decimal)(1 + 0.02 + 0.05 * Gaussian()), 2);
                    // Every seventh company runs at a loss some quarters: growth of a negative base must be right.
                    var margin = s % 7 == 0 ? -0.05 + 0.1 * random.NextDouble() : 0.05 + 0.15 * random.NextDouble();
                    var netIncome = Math.Round(revenue * (decimal)margin, 2);
                    csv.Row(s.ToString(CultureInfo.InvariantCulture), year.ToString(CultureInfo.InvariantCulture),
                        quarter.ToString(CultureInfo.InvariantCulture),
                        Date(periodEnd), Text(revenue), Text(netIncome), Text(Math.Round(netIncome / shares, 4)),
                        shares.ToString(CultureInfo.InvariantCulture));
                    rows++;
                }
            }
            return rows;
        }

        List<DateOnly> QuarterlyExDates(int year) => [.. new[] { 3, 6, 9, 12 }.Select(m => Weekday(new DateOnly(year, m, 15)))];

        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

        static decimal Money(double value) => Math.Max(0.0001m, Math.Round((decimal)value, 4));

        CsvOut Csv(string relative, string header) => new(Path.Combine(directory, relative), header);
    }

    static DateOnly Weekday(DateOnly day) => day.DayOfWeek switch
    {
        DayOfWeek.Saturday => day.AddDays(2),
        DayOfWeek.Sunday => day.AddDays(1),
        _ => day,
    };

    static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    static string Text(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>RFC 4180 output: a field with a comma, quote or line break is quoted, quotes doubled.</summary>
    sealed class CsvOut : IDisposable
    {
        readonly StreamWriter writer;

        public CsvOut(string path, string header)
        {
            writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 16) { NewLine = "\n" };
            writer.WriteLine(header);
        }

        public void Row(params string[] fields)
        {
            for (var i = 0; i < fields.Length; i++)
            {
                if (i > 0) writer.Write(',');
                var f = fields[i];
                if (f.AsSpan().IndexOfAny(",\"\r\n") >= 0) writer.Write('"' + f.Replace("\"", "\"\"") + '"');
                else writer.Write(f);
            }
            writer.WriteLine();
        }

        public void Dispose() => writer.Dispose();
    }
}
