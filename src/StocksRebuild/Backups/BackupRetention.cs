using System.Globalization;

namespace StocksRebuild.Backups;

/// <summary>--keep=N and/or --keep-for=DURATION, and the backups that stay whatever the rules say.</summary>
/// <summary>Prune lists what it would delete, or deletes it (only with --confirm=prune).</summary>
public enum RetentionMode { List, Delete }

public sealed record RetentionPolicy
{
    /// <summary>--keep=N: the newest N backups stay.</summary>
    public int? Keep { get; init; }
    /// <summary>--keep-for=30d: backups younger than this stay.</summary>
    public TimeSpan? KeepFor { get; init; }
    /// <summary>--keep-backup=YYYYMMDD_HHMM: this one stays.</summary>
    public string? KeepBackup { get; init; }
    /// <summary>How the rules are named where the decisions are read: "--keep", or "--offsite-keep" for the remote's own.</summary>
    public string KeepFlag { get; init; } = "--keep";
    /// <summary>Which backup the floor is, as said in the decisions.</summary>
    public string FloorRule { get; init; } = "the newest backup that passes VerifyBackup";
}

/// <summary>One backup and what Prune decides for it, with the rule that decided.</summary>
public sealed record PruneDecision(string File, DateTime TimestampUtc, bool Delete, string Reason);

/// <summary>
/// Retention with a safety floor, as pgBackRest and Barman keep backups: a backup goes only when every rule
/// given lets it go, and never the newest one that passes VerifyBackup (the newest at all when none passes),
/// nor one named by --keep-backup. Only the tool's own names (full_YYYYMMDD_HHMM.dump) are candidates; a
/// dump and its manifest go together; anything else in the folder is never touched.
/// </summary>
public static class BackupRetention
{
    /// <summary>The decisions, newest first. Pure: the caller found the backups and the floor.</summary>
    public static IReadOnlyList<PruneDecision> Decide(IEnumerable<(string file, DateTime utc)> backups, RetentionPolicy policy, DateTime nowUtc,
        string? floor)
    {
        if (policy.Keep is null && policy.KeepFor is null)
            throw new RunbookException(
                "Prune needs a rule: --keep=N (the newest N stay) and/or --keep-for=DURATION (e.g. 30d). Nothing was deleted.");
        var decisions = new List<PruneDecision>();
        var index = 0;
        foreach (var (file, utc) in backups.OrderByDescending(b => b.utc))
        {
            var age = nowUtc - utc;
            var stamp = utc.ToString(BackupName.TimestampFormat, CultureInfo.InvariantCulture);
            string? keptBy =
                file == floor ? $"the floor: {policy.FloorRule}" :
                stamp == policy.KeepBackup ? $"--keep-backup={policy.KeepBackup}" :
                policy.Keep is { } keep && index < keep ? $"{policy.KeepFlag}={keep}: number {index + 1} of the newest" :
                policy.KeepFor is { } keepFor && age <= keepFor ? $"{policy.KeepFlag}-for={Durations.Format(keepFor)}: {Durations.Format(age)} old" :
                null;
            var allowedBy = string.Join(" and ", new[]
            {
                policy.Keep is { } k ? $"{policy.KeepFlag}={k} (number {index + 1})" : null,
                policy.KeepFor is { } f ? $"{policy.KeepFlag}-for={Durations.Format(f)} ({Durations.Format(age)} old)" : null,
            }.Where(r => r is not null));
            decisions.Add(new PruneDecision(file, utc, keptBy is null, keptBy is null ? $"allowed by {allowedBy}" : $"kept by {keptBy}"));
            index++;
        }
        return decisions;
    }

    /// <summary>
    /// Prune of a folder: under its lock (a running Backup refuses it), decided, and applied only with consent.
    /// </summary>
    public static IReadOnlyList<PruneDecision> Prune(string directory, RetentionPolicy policy, RetentionMode mode, IRunbookLog log)
    {
        if (!Directory.Exists(directory)) throw new RunbookException($"--backup-dir={directory}: no such folder. Nothing was deleted.");
        if (policy.KeepBackup is { } keep && !BackupName.TryParseTimestamp(keep, out _))
            throw new RunbookException($"--keep-backup={keep} is not a timestamp YYYYMMDD_HHMM. Nothing was deleted.");
        using var folderLock = BackupFolderLock.Acquire(directory);
        var now = DateTime.UtcNow;
        var apply = mode == RetentionMode.Delete;
        var backups = BackupName.InFolder(directory).Select(b => (file: Path.GetFileName(b.Path), utc: b.Utc)).ToList();
        var floor = Floor(directory, backups.Select(b => b.file), log);
        var decisions = Decide(backups, policy, now, floor);

        foreach (var decision in decisions)
        {
            if (!decision.Delete) { log.Info($"Prune: keep   {decision.File}: {decision.Reason}"); continue; }
            if (!apply) { log.Info($"Prune: would delete {decision.File}: {decision.Reason}"); continue; }
            var path = Path.Combine(directory, decision.File);
            // The manifest first: a dump without its manifest is still a backup, a manifest alone is not.
            File.Delete(BackupName.ManifestPathFor(path));
            File.Delete(path);
            log.Info($"Prune: deleted {decision.File} and its manifest: {decision.Reason}");
        }
        // Under the folder's lock no Backup is writing: a partial file is what a killed one left, and its space is counted.
        var leftovers = BackupWriter.Leftovers(directory).Select(f => (path: f, bytes: new FileInfo(f).Length)).ToList();
        foreach (var (path, bytes) in leftovers)
        {
            var what = $"{Path.GetFileName(path)} ({bytes:N0} bytes), left by a Backup that did not finish; not a backup";
            if (!apply) { log.Info($"Prune: would remove {what}"); continue; }
            File.Delete(path);
            log.Info($"Prune: removed {what}");
        }
        if (leftovers.Count > 0)
            log.Info($"Prune: {leftovers.Count} partial file(s), {leftovers.Sum(f => f.bytes):N0} bytes, " + (apply ? "removed." : "would be removed."));
        var deleting = decisions.Count(d => d.Delete);
        log.Info(apply
            ? $"Prune: deleted {deleting} of {decisions.Count} backup(s) in {directory}; {decisions.Count - deleting} kept."
            : $"Prune: {deleting} of {decisions.Count} backup(s) would be deleted; nothing was deleted (give --confirm=prune to delete).");
        return decisions;
    }

    /// <summary>The newest backup that passes VerifyBackup now; the newest at all when none does (said so).</summary>
    static string? Floor(string directory, IEnumerable<string> newestFirst, IRunbookLog log)
    {
        var all = newestFirst.ToList();
        foreach (var file in all)
        {
            try
            {
                BackupVerifier.Verify(new VerifyBackupOptions { BackupFile = Path.Combine(directory, file), BackupDirectory = directory },
                    RunbookLog.Silent);
                return file;
            }
            catch (RunbookException e)
            {
                log.Warning($"Prune: {file} does not pass VerifyBackup ({e.Message}); it cannot be the floor.");
            }
        }
        if (all.Count > 0) log.Warning($"Prune: no backup passes VerifyBackup; the newest, {all[0]}, is kept as the floor all the same.");
        return all.FirstOrDefault();
    }
}
