
namespace StocksRebuild.Ingestion;

/// <summary>
/// A price given by ticker belongs to the security that held the ticker on its trade date. ticker_history
/// (already ingested) is read once into memory: its size follows the number of securities, not of prices,
/// and the exclusion constraint guarantees at most one holder per ticker and day.
/// </summary>
public sealed class TickerResolver
{
    readonly Dictionary<string, List<(DateOnly from, DateOnly? to, long security)>> periods = new(StringComparer.Ordinal);

    public static TickerResolver Load(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        var resolver = new TickerResolver();
        using var command = new NpgsqlCommand(SqlFiles.Read("ingest/prices_daily/ticker_periods.sql"), connection, transaction);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var ticker = reader.GetString(0);
            if (!resolver.periods.TryGetValue(ticker, out var list)) resolver.periods[ticker] = list = [];
            list.Add((reader.GetFieldValue<DateOnly>(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<DateOnly>(2), reader.GetInt64(3)));
        }
        return resolver;
    }

    public long? SecurityOn(string ticker, DateOnly day)
    {
        if (!periods.TryGetValue(ticker, out var list)) return null;
        foreach (var (from, to, security) in list)
            if (from <= day && (to is null || day < to)) return security;
        return null;
    }

    /// <summary>Why a ticker names no security on a day, in the words a DBA needs to fix the drop.</summary>
    public string Unresolved(string ticker, DateOnly day)
    {
        var reason = $"{ticker} names no security on {day:yyyy-MM-dd}";
        if (!periods.TryGetValue(ticker, out var list))
        {
            var other = periods.Keys.FirstOrDefault(k => k.Equals(ticker, StringComparison.OrdinalIgnoreCase));
            return other is null
                ? $"{reason}: ticker_history has no period for it"
                : $"{reason}: ticker_history has {other}, and tickers are matched exactly, case included";
        }
        if (list.FirstOrDefault(p => p.to == day) is { to: not null } ended)
            return $"{reason}: security {ended.security} held it until {day:yyyy-MM-dd}, exclusive (valid_to is the first day it no longer " +
                   "applies; a drop whose valid_to is the last day held loads with --ticker-valid-to=inclusive)";
        var held = string.Join(", ", list.OrderBy(p => p.from).Take(3).Select(p => $"security {p.security} from {p.from:yyyy-MM-dd} to " +
            $"{(p.to is { } t ? $"{t:yyyy-MM-dd} (exclusive)" : "now")}"));
        return $"{reason} (ticker_history: {held})";
    }
}
