using System.Globalization;
using System.Text;

namespace StocksRebuild.Monitoring;

/// <summary>The Nagios convention: the exit code of a check is 0 OK, 1 warning, 2 critical.</summary>
public enum StatusLevel { Ok = 0, Warning = 1, Critical = 2 }

/// <summary>One line of Status: what was looked at, how it stands, and why.</summary>
public sealed record StatusFinding(string Check, StatusLevel Level, string Detail);

/// <summary>What Status found, for the operator (a table), a monitor (the exit code) and Prometheus (the metrics file).</summary>
public sealed record StatusReport
{
    public required string Database { get; init; }
    public required IReadOnlyList<StatusFinding> Findings { get; init; }
    public int BackupsTotal { get; init; }
    public double? NewestBackupAgeSeconds { get; init; }
    public long? NewestBackupSizeBytes { get; init; }
    /// <summary>--offsite: backups in the remote folder, and the age of the newest (null: not asked, or unreadable).</summary>
    public int? OffsiteBackupsTotal { get; init; }
    public double? OffsiteNewestAgeSeconds { get; init; }
    public DateTime? RehearsalLastSuccessUtc { get; init; }
    public double? RehearsalLastRtoSeconds { get; init; }
    public double? RehearsalLastRpoSeconds { get; init; }
    public bool? RehearsalLastPassed { get; init; }
    public int? MigrationsPending { get; init; }

    public StatusLevel Level => Findings.Count == 0 ? StatusLevel.Ok : Findings.Max(f => f.Level);
    public int ExitCode => (int)Level;

    public string FormatTable()
    {
        var text = new StringBuilder($"Status of \"{Database}\": {Level.ToString().ToUpperInvariant()}\n");
        foreach (var finding in Findings)
            text.Append(CultureInfo.InvariantCulture, $"  {finding.Level.ToString().ToUpperInvariant(),-8} {finding.Check,-12} {finding.Detail}\n");
        return text.ToString().TrimEnd();
    }

    /// <summary>
    /// Prometheus text exposition (what node_exporter's textfile collector reads): # HELP and # TYPE per metric,
    /// a database label, and no sample for a value that is unknown (absent, rather than a misleading 0).
    /// </summary>
    public string ToPrometheus()
    {
        var text = new StringBuilder();
        var label = $"{{database=\"{Escape(Database)}\"}}";
        void Gauge(string name, string help, double? value)
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n");
            if (value is { } v) text.Append(CultureInfo.InvariantCulture, $"{name}{label} {v.ToString("R", CultureInfo.InvariantCulture)}\n");
        }
        Gauge("stocksrebuild_status", "Overall status: 0 OK, 1 warning, 2 critical (the exit code of --target=Status).", (int)Level);
        Gauge("stocksrebuild_backups_total", "Full backups (full_YYYYMMDD_HHMM.dump) in the backup folder.", BackupsTotal);
        Gauge("stocksrebuild_backup_newest_age_seconds", "Age of the newest backup by the creation time pg_dump wrote into it.",
            NewestBackupAgeSeconds);
        Gauge("stocksrebuild_backup_newest_size_bytes", "Size of the newest backup.", NewestBackupSizeBytes);
        if (OffsiteBackupsTotal is not null || Findings.Any(f => f.Check == "offsite"))
        {
            Gauge("stocksrebuild_offsite_backups_total", "Full backups in the off-site folder (--offsite).", OffsiteBackupsTotal);
            Gauge("stocksrebuild_offsite_newest_age_seconds", "Age of the newest usable off-site backup by its manifest (the time its Backup started).",
                OffsiteNewestAgeSeconds);
        }
        Gauge("stocksrebuild_rehearsal_last_success_timestamp_seconds", "Unix time at which the last passing recovery rehearsal started.",
            RehearsalLastSuccessUtc is { } success ? new DateTimeOffset(success, TimeSpan.Zero).ToUnixTimeSeconds() : null);
        Gauge("stocksrebuild_rehearsal_last_rto_seconds", "Recovery time (verify + restore + validate) of the last rehearsal.",
            RehearsalLastRtoSeconds);
        Gauge("stocksrebuild_rehearsal_last_rpo_seconds", "Age of the backup the last rehearsal restored.", RehearsalLastRpoSeconds);
        Gauge("stocksrebuild_rehearsal_last_passed", "1 when the last rehearsal passed, 0 when it failed or was interrupted.",
            RehearsalLastPassed is { } passed ? (passed ? 1 : 0) : null);
        Gauge("stocksrebuild_migrations_pending", "Scripts in sql/migrations not yet applied to the database.", MigrationsPending);
        return text.ToString();
    }

    static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
