using System.Globalization;
using System.Text.RegularExpressions;

namespace StocksRebuild;

/// <summary>Durations as a DBA types them: 90s, 45m, 26h, 7d, or combined as 1d12h.</summary>
public static partial class Durations
{
    public static TimeSpan Parse(string text, string flag)
    {
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success || text.Trim().Length == 0)
            throw new RunbookException($"--{flag}={text} is not a duration; write it like 90s, 45m, 26h, 7d or 1d12h.");
        var total = TimeSpan.Zero;
        foreach (Capture capture in match.Groups["part"].Captures)
        {
            var unit = capture.Value[^1];
            var amount = double.Parse(capture.Value[..^1], CultureInfo.InvariantCulture);
            total += unit switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromDays(amount),
            };
        }
        return total;
    }

    public static string Format(TimeSpan span)
    {
        var sign = span < TimeSpan.Zero ? "-" : "";
        span = span.Duration();
        if (span.TotalDays >= 1) return $"{sign}{(int)span.TotalDays}d{span.Hours}h{span.Minutes:00}m";
        if (span.TotalHours >= 1) return $"{sign}{(int)span.TotalHours}h{span.Minutes:00}m";
        if (span.TotalMinutes >= 1) return $"{sign}{(int)span.TotalMinutes}m{span.Seconds:00}s";
        return $"{sign}{span.TotalSeconds:0.0}s";
    }

    [GeneratedRegex(@"^(?<part>\d+(?:\.\d+)?[smhd])+$")]
    private static partial Regex DurationPattern();
}
