using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StocksRebuild.Rehearsal;

/// <summary>One line of history.jsonl: enough of a past rehearsal to draw the RTO/RPO trend.</summary>
public sealed record HistoryEntry(DateTime StartedUtc, RehearsalStatus Status, string Database, string? Backup, double? RtoSeconds,
    double? RpoSeconds);

/// <summary>
/// Past rehearsals, one JSON line each (appending never rewrites what is there), and the trend chart drawn
/// from them: RTO and RPO over the last runs, failed runs marked, as an SVG a browser or GitHub shows.
/// </summary>
public static class RehearsalHistory
{
    public const string FileName = "history.jsonl";
    public const string ChartName = "trend.svg";
    const int Shown = 30;

    public static IReadOnlyList<HistoryEntry> Append(string directory, RehearsalReport report)
    {
        var path = Path.Combine(directory, FileName);
        var entry = new HistoryEntry(report.StartedUtc, report.Status, report.Database, report.Backup?.File, report.RtoSeconds, report.RpoSeconds);
        PrivateFiles.AppendAllText(path, JsonSerializer.Serialize(entry, RehearsalReport.Json).ReplaceLineEndings("") + "\n");
        return Read(path);
    }

    public static IReadOnlyList<HistoryEntry> Read(string path)
    {
        var entries = new List<HistoryEntry>();
        foreach (var (line, number) in File.ReadLines(path).Select((l, i) => (l, i + 1)))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try { entries.Add(JsonSerializer.Deserialize<HistoryEntry>(line, RehearsalReport.Json)!); }
            catch (JsonException e) { throw new RunbookException($"{path}:{number}: not a rehearsal history line ({e.Message}). Move the file away " +
                $"to start a new history."); }
        }
        return entries;
    }

    /// <summary>Two panels, RTO in seconds and RPO in hours, over the last 30 rehearsals; red dots are failed runs.</summary>
    public static string TrendSvg(IReadOnlyList<HistoryEntry> history)
    {
        var runs = history.Where(h => h.Status != RehearsalStatus.Interrupted).TakeLast(Shown).ToList();
        const int width = 640, panel = 150, left = 60, right = 20, top = 30;
        var svg = new StringBuilder();
        svg.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{2 * panel + 2 * top + 20}\" " +
            $"font-family=\"sans-serif\" font-size=\"11\">");
        svg.AppendLine($"<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        Panel("RTO (seconds): verify + restore + validate", runs.Select(r => r.RtoSeconds).ToList(), top);
        Panel("RPO (hours): age of the rehearsed backup", runs.Select(r => r.RpoSeconds / 3600).ToList(), 2 * top + panel);
        var first = runs.FirstOrDefault()?.StartedUtc; var last = runs.LastOrDefault()?.StartedUtc;
        svg.AppendLine($"<text x=\"{left}\" y=\"{2 * panel + 2 * top + 15}\" fill=\"#555\">{runs.Count} " +
            $"rehearsal(s){(first is null ? "" : $", {first:yyyy-MM-dd HH:mm} to {last:yyyy-MM-dd HH:mm} UTC")}; red: failed</text>");
        svg.AppendLine("</svg>");
        return svg.ToString();

        void Panel(string title, IReadOnlyList<double?> values, int y)
        {
            var max = Math.Max(values.Where(v => v is not null).Select(v => v!.Value).DefaultIfEmpty(0).Max(), 1e-9) * 1.1;
            var plotWidth = width - left - right;
            svg.AppendLine($"<text x=\"{left}\" y=\"{y - 8}\" font-weight=\"bold\">{title}</text>");
            svg.AppendLine($"<line x1=\"{left}\" y1=\"{y + panel}\" x2=\"{width - right}\" y2=\"{y + panel}\" stroke=\"#999\"/>");
            svg.AppendLine($"<line x1=\"{left}\" y1=\"{y}\" x2=\"{left}\" y2=\"{y + panel}\" stroke=\"#999\"/>");
            svg.AppendLine($"<text x=\"{left - 5}\" y=\"{y + 4}\" text-anchor=\"end\">{Number(max)}</text>");
            svg.AppendLine($"<text x=\"{left - 5}\" y=\"{y + panel}\" text-anchor=\"end\">0</text>");
            var points = values.Select((v, i) => v is { } value
                    ? (x: left + (values.Count == 1 ? plotWidth / 2.0 : i * plotWidth / (double)(values.Count - 1)),
                        y: y + panel - value / max * panel, i)
                    : ((double x, double y, int i)?)null)
                .Where(p => p is not null).Select(p => p!.Value).ToList();
            if (points.Count > 1)
                svg.AppendLine($"<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" " +
                    $"points=\"{string.Join(' ', points.Select(p => $"{Number(p.x)},{Number(p.y)}"))}\"/>");
            foreach (var p in points)
            {
                var entry = runs[p.i];
                var colour = entry.Status == RehearsalStatus.Passed ? "#1f77b4" : "#d62728";
                var tip = $"{entry.StartedUtc:yyyy-MM-dd HH:mm} {entry.Status.ToString().ToLowerInvariant()}: {Number(values[p.i]!.Value)}";
                svg.AppendLine($"<circle cx=\"{Number(p.x)}\" cy=\"{Number(p.y)}\" r=\"3.5\" fill=\"{colour}\"><title>{tip}</title></circle>");
            }
        }
    }

    static string Number(double value) => value.ToString(value >= 100 ? "0" : "0.##", CultureInfo.InvariantCulture);
}
