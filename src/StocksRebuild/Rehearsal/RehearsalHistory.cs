using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StocksRebuild.Rehearsal;

/// <summary>One line of history.jsonl: enough of a past rehearsal to draw the RTO/RPO trend.</summary>
public sealed record HistoryEntry(DateTime StartedUtc, RehearsalStatus Status, string Database, string? Backup, double? RtoSeconds,
    double? RpoSeconds)
{
    /// <summary>The checks that failed, by name: each panel is coloured by its own check. Lines written before have none.</summary>
    public IReadOnlyList<string> FailedChecks { get; init; } = [];
    public double? MaxRtoSeconds { get; init; }
    public double? MaxBackupAgeSeconds { get; init; }
}

/// <summary>
/// Past rehearsals, one JSON line each (appending never rewrites what is there), and the trend drawn from them: an SVG
/// for report.md (a browser or GitHub shows it) and, for the CI job summary, where a relative image shows nothing, a
/// Mermaid chart and a table.
/// </summary>
public static class RehearsalHistory
{
    public const string FileName = "history.jsonl";
    public const string ChartName = "trend.svg";
    const int Shown = 30;
    const string Blue = "#1f77b4", Red = "#d62728";

    public static IReadOnlyList<HistoryEntry> Append(string directory, RehearsalReport report)
    {
        var path = Path.Combine(directory, FileName);
        var entry = new HistoryEntry(report.StartedUtc, report.Status, report.Database, report.Backup?.File, report.RtoSeconds, report.RpoSeconds)
        {
            FailedChecks = [.. report.Failures.Select(c => c.Name)],
            MaxRtoSeconds = report.MaxRtoSeconds,
            MaxBackupAgeSeconds = report.MaxBackupAgeSeconds,
        };
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

    /// <summary>What one panel draws: a measure of each run, its limit, and whether that run failed on it.</summary>
    sealed record Series(string Title, string Check, Func<HistoryEntry, double?> Value, Func<HistoryEntry, double?> Limit, string Flag)
    {
        /// <summary>Failed on this measure: its own check, or (a line written before checks were kept) the run.</summary>
        public bool FailedIn(HistoryEntry run) =>
            run.FailedChecks.Count > 0 ? run.FailedChecks.Contains(Check) : run.Status == RehearsalStatus.Failed;
    }

    static readonly Series[] Measures =
    [
        new("RTO: verify + restore + validate", "RTO", r => r.RtoSeconds, r => r.MaxRtoSeconds, "--max-rto"),
        new("RPO: age of the rehearsed backup", "RPO", r => r.RpoSeconds, r => r.MaxBackupAgeSeconds, "--max-backup-age"),
    ];

    static IReadOnlyList<HistoryEntry> Drawn(IReadOnlyList<HistoryEntry> history) =>
        history.Where(h => h.Status != RehearsalStatus.Interrupted).TakeLast(Shown).ToList();

    /// <summary>A unit a person reads a span in: seconds, minutes, hours or days, by the largest value shown.</summary>
    static (string name, double seconds) UnitFor(double largest) =>
        largest < 120 ? ("s", 1) : largest < 7200 ? ("min", 60) : largest < 172_800 ? ("h", 3600) : ("d", 86_400);

    /// <summary>A round step (1, 2 or 5 × 10^k) giving about four ticks up to the largest value.</summary>
    static double TickStep(double largest)
    {
        var rough = Math.Max(largest, 1e-9) / 4;
        var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        return new[] { 1, 2, 5, 10 }.Select(m => m * power).First(step => step >= rough);
    }

    /// <summary>
    /// Two panels, RTO and RPO, each in the unit its values read best in, over the last 30 rehearsals placed by date: a
    /// point per run, red where that run failed this check and labelled with it, a red × at zero where a failed run
    /// never got to measure it, and the limit (--max-rto, --max-backup-age) as a dashed line.
    /// </summary>
    public static string TrendSvg(IReadOnlyList<HistoryEntry> history)
    {
        var runs = Drawn(history);
        const int width = 680, panel = 150, left = 64, right = 24, top = 34, axis = 34;
        var plotWidth = width - left - right;
        var svg = new StringBuilder();
        svg.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{2 * (panel + top + axis) + 24}\" " +
            "font-family=\"sans-serif\" font-size=\"11\">");
        svg.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        var first = runs.FirstOrDefault()?.StartedUtc ?? DateTime.UtcNow;
        var span = (runs.LastOrDefault()?.StartedUtc ?? first) - first;
        double X(DateTime at) => left + (span <= TimeSpan.Zero ? plotWidth / 2.0 : (at - first) / span * plotWidth);
        for (var m = 0; m < Measures.Length; m++) Panel(Measures[m], top + m * (panel + top + axis));
        svg.AppendLine($"<text x=\"{left}\" y=\"{2 * (panel + top + axis) + 2}\" fill=\"#555\">{runs.Count} rehearsal(s)" +
            (runs.Count == 0 ? "" : $", {first:yyyy-MM-dd HH:mm} to {runs[^1].StartedUtc:yyyy-MM-dd HH:mm} UTC") +
            " (interrupted runs left out)</text>");
        svg.AppendLine($"<text x=\"{left}\" y=\"{2 * (panel + top + axis) + 18}\" fill=\"#555\">blue: the check passed; red: it failed " +
            "(named); ×: the run failed before measuring it; dashed: the limit</text>");
        svg.AppendLine("</svg>");
        return svg.ToString();

        void Panel(Series series, int y)
        {
            var values = runs.Select(series.Value).ToList();
            var limit = runs.Select(series.Limit).LastOrDefault(l => l is not null);
            var largest = values.Where(v => v is not null).Select(v => v!.Value).Append(limit ?? 0).Max();
            var (unit, perUnit) = UnitFor(largest);
            var step = TickStep(largest / perUnit * 1.05);
            var ceiling = Math.Max(step, Math.Ceiling(largest / perUnit * 1.05 / step) * step);
            double Y(double seconds) => y + panel - seconds / perUnit / ceiling * panel;

            svg.AppendLine($"<text x=\"{left}\" y=\"{y - 10}\" font-weight=\"bold\">{series.Title} ({Unit(unit)})</text>");
            for (var tick = 0.0; tick <= ceiling + step / 2; tick += step)
            {
                var ty = Number(y + panel - tick / ceiling * panel);
                svg.AppendLine($"<line x1=\"{left}\" y1=\"{ty}\" x2=\"{width - right}\" y2=\"{ty}\" stroke=\"#e5e5e5\"/>");
                svg.AppendLine($"<text x=\"{left - 6}\" y=\"{ty}\" dy=\"4\" text-anchor=\"end\">{Number(tick)} {unit}</text>");
            }
            svg.AppendLine($"<line x1=\"{left}\" y1=\"{y + panel}\" x2=\"{width - right}\" y2=\"{y + panel}\" stroke=\"#999\"/>");
            svg.AppendLine($"<line x1=\"{left}\" y1=\"{y}\" x2=\"{left}\" y2=\"{y + panel}\" stroke=\"#999\"/>");
            var (ticks, daily) = DateTicks(runs);
            foreach (var at in ticks)
            {
                var tx = Number(X(at));
                svg.AppendLine($"<line x1=\"{tx}\" y1=\"{y + panel}\" x2=\"{tx}\" y2=\"{y + panel + 4}\" stroke=\"#999\"/>");
                svg.AppendLine($"<text x=\"{tx}\" y=\"{y + panel + 16}\" text-anchor=\"middle\" fill=\"#555\">" +
                    $"{at.ToString(daily ? "MM-dd" : "MM-dd HH:mm", CultureInfo.InvariantCulture)}</text>");
            }
            if (limit is { } max)
            {
                var ly = Number(Y(max));
                svg.AppendLine($"<line x1=\"{left}\" y1=\"{ly}\" x2=\"{width - right}\" y2=\"{ly}\" stroke=\"{Red}\" stroke-dasharray=\"5,4\"/>");
                svg.AppendLine($"<text x=\"{width - right}\" y=\"{ly}\" dy=\"-4\" text-anchor=\"end\" fill=\"{Red}\">limit " +
                    $"{Durations.Format(TimeSpan.FromSeconds(max))} ({series.Flag})</text>");
            }
            var measured = runs.Select((r, i) => (run: r, value: values[i])).Where(p => p.value is not null).ToList();
            if (measured.Count > 1)
                svg.AppendLine($"<polyline fill=\"none\" stroke=\"{Blue}\" stroke-width=\"1.5\" points=\"" +
                    $"{string.Join(' ', measured.Select(p => $"{Number(X(p.run.StartedUtc))},{Number(Y(p.value!.Value))}"))}\"/>");
            foreach (var run in runs)
            {
                var failed = series.FailedIn(run);
                var why = run.FailedChecks.FirstOrDefault() ?? "failed";
                var (cx, value) = (Number(X(run.StartedUtc)), series.Value(run));
                var when = $"{run.StartedUtc:yyyy-MM-dd HH:mm}";
                if (value is null)
                {
                    if (run.Status != RehearsalStatus.Failed) continue;
                    // A run that failed before measuring this (VerifyBackup refused the backup): shown, not dropped.
                    svg.AppendLine($"<text x=\"{cx}\" y=\"{y + panel}\" dy=\"4\" text-anchor=\"middle\" fill=\"{Red}\" font-size=\"14\">×" +
                        $"<title>{when} failed at {why}: no {series.Check} measured</title></text>");
                    svg.AppendLine($"<text x=\"{cx}\" y=\"{y + panel}\" dx=\"5\" dy=\"-8\" fill=\"{Red}\">{why}</text>");
                    continue;
                }
                var cy = Number(Y(value.Value));
                var shown = $"{Number(value.Value / perUnit)} {unit}";
                svg.AppendLine($"<circle cx=\"{cx}\" cy=\"{cy}\" r=\"3.5\" fill=\"{(failed ? Red : Blue)}\"><title>{when} " +
                    $"{(failed ? $"failed ({series.Check})" : run.Status.ToString().ToLowerInvariant())}: {shown}</title></circle>");
                if (failed) svg.AppendLine($"<text x=\"{cx}\" y=\"{cy}\" dx=\"5\" dy=\"-5\" fill=\"{Red}\">{series.Check}</text>");
            }
        }
    }

    /// <summary>
    /// The trend for the CI job summary, which cannot show a relative image: a Mermaid chart per measure (GitHub draws
    /// it from the Markdown) of the runs that measured it, and a table of the last ten runs, failures named.
    /// </summary>
    public static string TrendMarkdown(IReadOnlyList<HistoryEntry> history)
    {
        var runs = Drawn(history);
        var md = new StringBuilder().AppendLine($"## Trend of the last {runs.Count} rehearsal(s)").AppendLine();
        foreach (var series in Measures)
        {
            var measured = runs.Where(r => series.Value(r) is not null).ToList();
            if (measured.Count == 0) continue;
            var limit = measured.Select(series.Limit).LastOrDefault(l => l is not null);
            var (unit, perUnit) = UnitFor(measured.Max(r => series.Value(r)!.Value));
            var labels = string.Join(", ", measured.Select(r => $"\"{r.StartedUtc.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture)}\""));
            md.AppendLine("```mermaid").AppendLine("xychart-beta");
            var limitText = limit is { } l ? $", limit {Durations.Format(TimeSpan.FromSeconds(l))}" : "";
            md.AppendLine($"    title \"{series.Title} ({Unit(unit)}){limitText}\"");
            md.AppendLine($"    x-axis [{labels}]");
            md.AppendLine($"    y-axis \"{unit}\" 0 --> {Number(Math.Max(measured.Max(r => series.Value(r)!.Value), limit ?? 0) / perUnit * 1.1)}");
            md.AppendLine($"    line [{string.Join(", ", measured.Select(r => Number(series.Value(r)!.Value / perUnit)))}]");
            if (limit is { } max) md.AppendLine($"    line [{string.Join(", ", measured.Select(_ => Number(max / perUnit)))}]");
            md.AppendLine("```").AppendLine();
        }
        md.AppendLine("| Started (UTC) | Result | RTO | RPO | Failed checks |").AppendLine("|---|---|---:|---:|---|");
        foreach (var run in runs.TakeLast(10).Reverse())
            md.AppendLine($"| {run.StartedUtc:yyyy-MM-dd HH:mm} | {run.Status.ToString().ToLowerInvariant()} | {Span(run.RtoSeconds)} | " +
                $"{Span(run.RpoSeconds)} | {(run.FailedChecks.Count == 0 ? "" : string.Join(", ", run.FailedChecks))} |");
        return md.ToString();
    }

    /// <summary>
    /// The x axis's ticks: whole hours or midnights (UTC), at a round step giving at most six over the runs' span; a
    /// single run gets its own time. Daily ticks are labelled by date, hourly ones by date and time.
    /// </summary>
    static (IReadOnlyList<DateTime> ticks, bool daily) DateTicks(IReadOnlyList<HistoryEntry> runs)
    {
        if (runs.Count == 0) return ([], false);
        var (first, last) = (runs[0].StartedUtc, runs[^1].StartedUtc);
        if (last <= first) return ([first], false);
        int[] hours = [1, 2, 3, 6, 12, 24, 48, 168, 336, 720];
        var step = TimeSpan.FromHours(hours.FirstOrDefault(h => (last - first) / TimeSpan.FromHours(h) <= 5, hours[^1]));
        var start = new DateTime(first.Ticks - first.Ticks % step.Ticks + (first.Ticks % step.Ticks == 0 ? 0 : step.Ticks), DateTimeKind.Utc);
        var ticks = new List<DateTime>();
        for (var at = start; at <= last; at += step) ticks.Add(at);
        return (ticks, step >= TimeSpan.FromDays(1));
    }

    static string Unit(string unit) => unit switch { "s" => "seconds", "min" => "minutes", "h" => "hours", _ => "days" };

    static string Span(double? seconds) => seconds is { } s ? Durations.Format(TimeSpan.FromSeconds(s)) : "not measured";

    static string Number(double value) => value.ToString(value >= 100 ? "0" : "0.##", CultureInfo.InvariantCulture);
}
