using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StocksRebuild.Benchmarks;

/// <summary>
/// One row of the benchmark: our figure, the baseline measured in the same run, their ratio and the goal
/// the ratio must meet (none for figures that are information only).
/// </summary>
public sealed record Figure(string Name, double Ours, string Unit, string? BaselineName = null, double? Baseline = null, double? Goal = null,
    string Detail = "")
{
    public double? Ratio => Baseline is > 0 ? Ours / Baseline : null;

    /// <summary>Against the ratio when there is a baseline, else against the figure itself (e.g. seconds of a warm start).</summary>
    public bool? Passed => Goal is not { } goal ? null : (Ratio ?? Ours) <= goal;
}

public sealed record BenchmarkReport(IReadOnlyDictionary<string, string> Environment, IReadOnlyList<Figure> Figures)
{
    public bool Passed => Figures.All(f => f.Passed != false);

    static string Number(double? value, string unit) => value is not { } v ? "" : unit switch
    {
        "s" => v.ToString("0.00", CultureInfo.InvariantCulture) + " s",
        "MB" => v.ToString("0", CultureInfo.InvariantCulture) + " MB",
        "rows/s" => v.ToString("N0", CultureInfo.InvariantCulture) + " rows/s",
        _ => v.ToString("0.##", CultureInfo.InvariantCulture) + " " + unit,
    };

    static string Goal(Figure f)
        => f.Goal is not { } g ? "" : (f.Baseline is null ? $"≤ {Number(g, f.Unit)}" : $"≤ {g.ToString("0.0#", CultureInfo.InvariantCulture)}×");

    static string Verdict(Figure f) => f.Passed switch { true => "pass", false => "MISSED", null => "" };

    IEnumerable<string[]> Rows() => Figures.Select(f => new[]
    {
        f.Name, Number(f.Ours, f.Unit), f.BaselineName ?? "", Number(f.Baseline, f.Unit),
        f.Ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "", Goal(f), Verdict(f), f.Detail,
    });

    static readonly string[] Header = ["figure", "ours", "baseline", "baseline time", "ratio", "goal", "result", "detail"];

    public string FormatTable()
    {
        var rows = Rows().Prepend(Header).ToList();
        var widths = Enumerable.Range(0, Header.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
            text.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        return text.ToString();
    }

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("# StocksRebuild benchmark").AppendLine();
        foreach (var (key, value) in Environment) text.AppendLine($"- {key}: {value}");
        text.AppendLine().AppendLine("| " + string.Join(" | ", Header) + " |");
        text.AppendLine("|" + string.Concat(Header.Select(_ => "---|")));
        foreach (var row in Rows()) text.AppendLine("| " + string.Join(" | ", row) + " |");
        text.AppendLine().AppendLine(Passed ? "Every goal met." : "Goals missed: " + string.Join(", ",
            Figures.Where(f => f.Passed == false).Select(f => f.Name)) + ".");
        return text.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(new
    {
        environment = Environment,
        passed = Passed,
        figures = Figures.Select(f => new
        {
            name = f.Name, ours = f.Ours, unit = f.Unit, baseline_name = f.BaselineName, baseline = f.Baseline,
            ratio = f.Ratio, goal = f.Goal, passed = f.Passed, detail = f.Detail,
        }),
    }, new JsonSerializerOptions { WriteIndented = true });
}
