
namespace StocksRebuild.Tools;

/// <summary>--progress: a live line in a terminal (auto), a line every few seconds (line, and auto without a terminal), or none.</summary>
public enum ProgressMode { Auto, Line, Off }

/// <summary>How a long step reports: progress, and where the tools' complete verbose output goes (null: to the log, as it comes).</summary>
public sealed record RunOutput
{
    public ProgressMode Progress { get; init; } = ProgressMode.Line;
    /// <summary>artifacts/logs in a Cake run: pg_restore/pg_dump --verbose go there whole; warnings and errors still reach the console.</summary>
    public string? ToolLogDirectory { get; init; }
    /// <summary>How often a line is printed without a terminal.</summary>
    public TimeSpan Every { get; init; } = TimeSpan.FromSeconds(5);

    public static RunOutput Default { get; } = new();

    public ProgressLine Start(string step, IRunbookLog log) => new(step, this, log);
}

/// <summary>
/// One long step's progress: "Restore: 45% (27 of 60 objects), loading stocks_research.prices_daily, 12s elapsed,
/// about 15s left". In a terminal the line is rewritten in place; otherwise one is logged every few seconds; the
/// last one (100%) is always printed.
/// </summary>
public sealed class ProgressLine
{
    readonly string step;
    readonly RunOutput output;
    readonly IRunbookLog log;
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly bool live;
    TimeSpan? last;
    readonly object gate = new();

    internal ProgressLine(string step, RunOutput output, IRunbookLog log)
    {
        (this.step, this.output, this.log) = (step, output, log);
        live = output.Progress == ProgressMode.Auto && !Console.IsOutputRedirected;
    }

    public TimeSpan Elapsed => clock.Elapsed;

    /// <summary>Reports <paramref name="done"/> of <paramref name="total"/> (in <paramref name="unit"/>); printed when it is time.</summary>
    public void Report(double done, double total, string unit, string? doing = null)
    {
        if (output.Progress == ProgressMode.Off) return;
        lock (gate)
        {
            var now = clock.Elapsed;
            if (last is { } previous && now - previous < (live ? TimeSpan.FromMilliseconds(200) : output.Every)) return;
            last = now;
            Print(Format(done, total, unit, doing), final: false);
        }
    }

    /// <summary>The closing line, always printed (but with --progress=off).</summary>
    public void Done(double total, string unit, string? summary = null)
    {
        if (output.Progress == ProgressMode.Off) return;
        lock (gate) Print(Format(total, total, unit, summary), final: true);
    }

    public string Format(double done, double total, string unit, string? doing)
    {
        var share = total <= 0 ? 1 : Math.Clamp(done / total, 0, 1);
        var elapsed = clock.Elapsed;
        var left = share is > 0.02 and < 1 ? TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - share) / share) : (TimeSpan?)null;
        return $"{step}: {share * 100:0}% ({done:N0} of {total:N0} {unit})" + (doing is null ? "" : $", {doing}") +
               $", {Durations.Format(elapsed)} elapsed" + (left is { } l ? $", about {Durations.Format(l)} left" : "");
    }

    void Print(string line, bool final)
    {
        if (!live) { log.Info(line); return; }
        // In place: carriage return, the line, erase to its end; a newline only when the step ends.
        Console.Out.Write("\r" + line + "\u001b[K" + (final ? Environment.NewLine : ""));
        Console.Out.Flush();
    }
}
