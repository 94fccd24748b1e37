using StocksRebuild.Backups;

namespace StocksRebuild.Offsite;

/// <summary>
/// Prune --offsite: the local folder's retention applied to the remote (--offsite-keep, --offsite-keep-for, --keep-backup),
/// with the same floor. Off-site, "passes VerifyBackup" cannot be proven without downloading every candidate, so the floor
/// is the newest backup the upload proved: Backup removes what it could not verify, so a dump whose manifest lies beside it
/// with the size it records is one that was proven there. With no such backup, the newest is kept all the same.
/// </summary>
public static class OffsiteRetention
{
    public static IReadOnlyList<PruneDecision> Prune(OffsiteRemote remote, RetentionPolicy policy, RetentionMode mode, IRunbookLog log)
    {
        if (policy.Keep is null && policy.KeepFor is null)
            throw new RunbookException("Prune --offsite needs a rule: --offsite-keep=N and/or --offsite-keep-for=DURATION. Nothing was deleted.");
        var backups = OffsiteListing.Backups(remote);
        var floor = Floor(remote, backups, log);
        var decisions = BackupRetention.Decide(backups.Select(b => (b.Name, b.Utc)),
            policy with { KeepFlag = "--offsite-keep", FloorRule = "the newest backup proven off-site" }, DateTime.UtcNow, floor);
        var apply = mode == RetentionMode.Delete;
        foreach (var decision in decisions)
        {
            if (!decision.Delete) { log.Info($"Prune: keep   {remote.PathOf(decision.File)}: {decision.Reason}"); continue; }
            if (!apply) { log.Info($"Prune: would delete {remote.PathOf(decision.File)}: {decision.Reason}"); continue; }
            // The manifest first, as locally: a dump without its manifest is still a backup, a manifest alone is not.
            foreach (var object_ in new[] { BackupName.ManifestPathFor(decision.File), decision.File })
            {
                var deleted = Rclone.Run(["deletefile", remote.PathOf(object_)]);
                if (!deleted.Succeeded && (object_ == decision.File || OffsiteListing.Find(remote, object_) is not null))
                    throw new RunbookException($"Prune: rclone could not delete {remote.PathOf(object_)}: {deleted.ErrorText}");
            }
            log.Info($"Prune: deleted {remote.PathOf(decision.File)} and its manifest: {decision.Reason}");
        }
        RemoveAbandonedUploads(remote, apply, log);
        var deleting = decisions.Count(d => d.Delete);
        log.Info(apply
            ? $"Prune: deleted {deleting} of {decisions.Count} backup(s) off-site in {remote}; {decisions.Count - deleting} kept."
            : $"Prune: {deleting} of {decisions.Count} backup(s) off-site in {remote} would be deleted; nothing was deleted (give --confirm=prune " +
              "to delete).");
        return decisions;
    }

    static string? Floor(OffsiteRemote remote, IReadOnlyList<OffsiteBackup> newestFirst, IRunbookLog log)
    {
        foreach (var backup in newestFirst.Where(b => b.HasManifest))
        {
            var manifest = OffsiteListing.ManifestOf(remote, backup.Name)?.SizeBytes;
            if (manifest == backup.SizeBytes) return backup.Name;
            log.Warning($"Prune: {remote.PathOf(backup.Name)} is {backup.SizeBytes:N0} bytes, its manifest says {manifest:N0}: it cannot be " +
                "the floor.");
        }
        if (newestFirst.Count > 0)
            log.Warning($"Prune: no backup off-site has a manifest matching it; the newest, {newestFirst[0].Name}, is kept as the floor all " +
                "the same.");
        return newestFirst.FirstOrDefault()?.Name;
    }

    /// <summary>
    /// A copy cut short (the store went down, kill -9) can leave its temporary object (.full_….partial, never a backup's
    /// name). One older than a day belongs to no running copy: Prune removes it with --confirm=prune, else lists it.
    /// </summary>
    static void RemoveAbandonedUploads(OffsiteRemote remote, bool apply, IRunbookLog log)
    {
        foreach (var entry in OffsiteListing.Entries(remote, [".full_*.partial"], hashType: null)
                     .Where(e => DateTime.UtcNow - e.ModTime.ToUniversalTime() > TimeSpan.FromDays(1)))
        {
            if (apply && Rclone.Run(["deletefile", remote.PathOf(entry.Name)]).Succeeded)
                log.Info($"Prune: deleted {remote.PathOf(entry.Name)}, the leftover of a copy cut short ({entry.Size:N0} bytes, {entry.ModTime:u}).");
            else
                log.Info($"Prune: {(apply ? "could not delete" : "would delete")} {remote.PathOf(entry.Name)}, the leftover of a copy cut short.");
        }
    }
}
