using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StocksRebuild.Rehearsal;

public enum CheckStatus { Passed, Failed, Skipped }

/// <summary>How a rehearsal ended: interrupted (Ctrl-C/SIGTERM: cleaned up) is not a verdict on the backup.</summary>
public enum RehearsalStatus { Passed, Failed, Interrupted }

/// <summary>One step of the rehearsal: what it proved (or why it could not), how long it took, what it found.</summary>
public sealed record RehearsalCheck(string Name, CheckStatus Status, double Seconds, string Detail, IReadOnlyList<string> Findings);

public sealed record BackupFacts(string File, string Path, long SizeBytes, string Sha256, DateTime TimestampUtc, bool TakenByRehearsal,
    bool HasManifest);

public sealed record TableCounts(string Table, long? Live, long? Backup, long? Manifest);

/// <summary>What a rehearsal proved, as JSON for machines and Markdown for people (and the CI job summary).</summary>
public sealed record RehearsalReport
{
    public required string Database { get; init; }
    public required string Server { get; init; }
    public required DateTime StartedUtc { get; init; }
    public required DateTime FinishedUtc { get; init; }
    /// <summary>Written "passed", "failed" or "interrupted" in report.json and history.jsonl.</summary>
    public required RehearsalStatus Status { get; init; }
    public BackupFacts? Backup { get; init; }
    /// <summary>Recovery point: the rehearsed backup's age when the rehearsal started.</summary>
    public double? RpoSeconds { get; init; }
    public double? MaxBackupAgeSeconds { get; init; }
    /// <summary>Recovery time: VerifyBackup + Restore + Validate, as a DBA would live it.</summary>
    public double? RtoSeconds { get; init; }
    public double? MaxRtoSeconds { get; init; }
    public required IReadOnlyList<RehearsalCheck> Checks { get; init; }
    public required IReadOnlyList<TableCounts> RowCounts { get; init; }
    public required IReadOnlyList<string> SchemaDifferences { get; init; }
    public required IReadOnlyList<string> SchemaCompared { get; init; }
    public int SchemaObjects { get; init; }
    public required IReadOnlyList<string> ScratchDatabases { get; init; }
    /// <summary>--scratch: where the restore, its Validate and the rebuild ran.</summary>
    public ScratchMode Scratch { get; init; }
    /// <summary>That server, as the report names it, and its version.</summary>
    public string? ScratchServer { get; init; }
    public required IReadOnlyDictionary<string, string> Versions { get; init; }

    public bool Passed => Status == RehearsalStatus.Passed;

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RehearsalReport FromJson(string json) =>
        JsonSerializer.Deserialize<RehearsalReport>(json, Json) ?? throw new JsonException("empty report");

    public IEnumerable<RehearsalCheck> Failures => Checks.Where(c => c.Status == CheckStatus.Failed);

    /// <summary>One line per red check with its first findings: the exception message of a red rehearsal.</summary>
    public string FailureSummary() =>
        string.Join("; ", Failures.Select(f => $"{f.Name}: {f.Detail}" + (f.Findings.Count == 0 ? "" :
            " — " + string.Join("; ", f.Findings.Take(5)) + (f.Findings.Count > 5 ? $"; and {f.Findings.Count - 5} more" : ""))));

    public string ToMarkdown(string? trendChart = null)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Recovery rehearsal of \"{Database}\": {Status.ToString().ToUpperInvariant()}").AppendLine();
        md.AppendLine($"{StartedUtc:yyyy-MM-dd HH:mm:ss}Z to {FinishedUtc:HH:mm:ss}Z on {Server}.").AppendLine();
        md.AppendLine("| | |").AppendLine("|---|---|");
        var taken = Backup?.TakenByRehearsal == true ? ", taken by this rehearsal" : "";
        md.AppendLine($"| Backup | {(Backup is null ? "none" : $"`{Backup.File}` ({Backup.SizeBytes:N0} bytes{taken})")} |");
        if (Backup is not null) md.AppendLine($"| sha256 | `{Backup.Sha256}` |");
        md.AppendLine($"| RPO (backup age) | {Seconds(RpoSeconds)}{Limit(MaxBackupAgeSeconds, "--max-backup-age")} |");
        md.AppendLine($"| RTO (verify + restore + validate) | {Seconds(RtoSeconds)}{Limit(MaxRtoSeconds, "--max-rto")} |");
        md.AppendLine($"| Scratch server (--scratch={Scratch.ToString().ToLowerInvariant()}) | {Cell(ScratchServer ?? "not started")} |");
        md.AppendLine();

        md.AppendLine("## Checks").AppendLine().AppendLine("| Check | Result | Time | Detail |").AppendLine("|---|---|---:|---|");
        foreach (var c in Checks)
            md.AppendLine($"| {c.Name} | {Verdict(c.Status)} | {c.Seconds.ToString("0.00", CultureInfo.InvariantCulture)} s | {Cell(c.Detail)} |");
        var findings = Checks.Where(c => c.Findings.Count > 0).ToList();
        if (findings.Count > 0)
        {
            md.AppendLine().AppendLine("## Findings").AppendLine();
            foreach (var c in findings)
            foreach (var f in c.Findings)
                md.AppendLine($"- {(c.Status == CheckStatus.Failed ? "**" + c.Name + "**" : c.Name)}: {f}");
        }

        md.AppendLine().AppendLine("## Schema").AppendLine();
        md.AppendLine(SchemaCompared.Count < 2
            ? "Not compared: fewer than two schemas were available."
            : SchemaDifferences.Count == 0
                ? $"{SchemaObjects:N0} objects compared across {string.Join(", ", SchemaCompared)}: identical."
                : $"{SchemaDifferences.Count} difference(s) across {string.Join(", ", SchemaCompared)} (see Findings).");

        if (RowCounts.Count > 0)
        {
            md.AppendLine().AppendLine("## Row counts").AppendLine();
            md.AppendLine("| Table | Live | Backup (restored) | Manifest |").AppendLine("|---|---:|---:|---:|");
            foreach (var t in RowCounts) md.AppendLine($"| {t.Table} | {Count(t.Live)} | {Count(t.Backup)} | {Count(t.Manifest)} |");
        }

        md.AppendLine().AppendLine("## Versions").AppendLine();
        foreach (var (name, version) in Versions) md.AppendLine($"- {name}: {version}");
        if (ScratchDatabases.Count > 0)
            md.AppendLine().AppendLine($"Scratch databases (dropped at the end): {string.Join(", ", ScratchDatabases.Select(s => $"`{s}`"))}.");
        if (trendChart is not null) md.AppendLine().AppendLine($"![RTO and RPO of past rehearsals]({trendChart})");
        return md.ToString();
    }

    static string Verdict(CheckStatus status) => status switch
    {
        CheckStatus.Passed => "pass",
        CheckStatus.Failed => "**FAIL**",
        _ => "skipped",
    };

    static string Count(long? n) => n is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "—";
    static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");
    static string Seconds(double? s) => s is { } v ? Durations.Format(TimeSpan.FromSeconds(v)) : "not measured";
    static string Limit(double? s, string flag) => s is { } v ? $" (limit {Durations.Format(TimeSpan.FromSeconds(v))}, {flag})" : "";
}
