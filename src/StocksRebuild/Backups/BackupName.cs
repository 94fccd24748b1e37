using System.Globalization;
using System.Text.RegularExpressions;

namespace StocksRebuild.Backups;

/// <summary>The runbook's backup name, full_YYYYMMDD_HHMM.dump, whose timestamp is the backup's UTC time.</summary>
public static partial class BackupName
{
    public const string Pattern = "full_YYYYMMDD_HHMM.dump";
    public const string TimestampFormat = "yyyyMMdd_HHmm";

    public static string For(DateTime utc) => $"full_{utc.ToString(TimestampFormat, CultureInfo.InvariantCulture)}.dump";

    /// <summary>The manifest that Backup writes beside a backup: full_YYYYMMDD_HHMM.manifest.json.</summary>
    public static string ManifestPathFor(string backupPath) => Path.ChangeExtension(backupPath, ".manifest.json");

    public static bool TryParse(string fileName, out DateTime utc)
    {
        utc = default;
        var match = NamePattern().Match(fileName);
        return match.Success && TryParseTimestamp(match.Groups[1].Value, out utc);
    }

    /// <summary>The backups in a folder (files named full_YYYYMMDD_HHMM.dump, nothing else), newest first; none when the folder is missing.</summary>
    public static IReadOnlyList<(string Path, DateTime Utc)> InFolder(string directory) =>
        !Directory.Exists(directory) ? [] :
        Directory.EnumerateFiles(directory, "full_*.dump")
            .Select(path => (path, ok: TryParse(Path.GetFileName(path), out var utc), utc))
            .Where(c => c.ok)
            .Select(c => (c.path, c.utc))
            .OrderByDescending(c => c.utc)
            .ToList();

    /// <summary>Parses YYYYMMDD_HHMM; an impossible date such as 20210230 is refused, not rolled over.</summary>
    public static bool TryParseTimestamp(string text, out DateTime utc) =>
        DateTime.TryParseExact(text, TimestampFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out utc);

    [GeneratedRegex(@"^full_(\d{8}_\d{4})\.dump$")]
    private static partial Regex NamePattern();
}
