using StocksRebuild.Backups;

namespace StocksRebuild.Offsite;

/// <summary>One backup off-site: its name's timestamp, its size, and the size its manifest beside it records (null: no manifest).</summary>
public sealed record OffsiteBackup(string Name, DateTime Utc, long SizeBytes, bool HasManifest);

/// <summary>The remote folder as rclone lists it: the tool's own names only (full_YYYYMMDD_HHMM.dump), as a local folder is read.</summary>
public static class OffsiteListing
{
    /// <summary>The backups off-site, newest first. An empty or not yet created folder has none; an unreachable remote is refused.</summary>
    public static IReadOnlyList<OffsiteBackup> Backups(OffsiteRemote remote, CancellationToken cancellation = default)
    {
        var entries = Entries(remote, ["full_*.dump", "full_*.manifest.json"], hashType: null, cancellation);
        var manifests = entries.Where(e => e.Name.EndsWith(".manifest.json", StringComparison.Ordinal)).Select(e => e.Name).ToHashSet();
        return entries
            .Select(e => (entry: e, ok: BackupName.TryParse(e.Name, out var utc), utc))
            .Where(c => c.ok)
            .Select(c => new OffsiteBackup(c.entry.Name, c.utc, c.entry.Size, manifests.Contains(BackupName.ManifestPathFor(c.entry.Name))))
            .OrderByDescending(b => b.Utc)
            .ToList();
    }

    /// <summary>The manifest beside a backup off-site, read without downloading the backup; null when it cannot be read.</summary>
    public static BackupManifest? ManifestOf(OffsiteRemote remote, string name)
    {
        var read = Rclone.Run(["cat", remote.PathOf(BackupName.ManifestPathFor(name))]);
        if (!read.Succeeded) return null;
        try { return BackupManifest.Parse(string.Join("\n", read.StdOut)); }
        catch (RunbookException) { return null; }
    }

    public static RemoteEntry? Find(OffsiteRemote remote, string name, CancellationToken cancellation = default) =>
        Entries(remote, [name], hashType: null, cancellation).FirstOrDefault(e => e.Name == name);

    /// <summary>The files of the folder matching the patterns (rclone filter globs, anchored to the folder), with one hash when asked.</summary>
    public static IReadOnlyList<RemoteEntry> Entries(OffsiteRemote remote, IEnumerable<string> patterns, string? hashType,
        CancellationToken cancellation = default)
    {
        string[] hash = hashType is null ? [] : ["--hash", "--hash-type", hashType];
        var entries = Rclone.List(["--files-only", .. hash, remote.Spec, .. patterns.SelectMany(p => new[] { "--include", "/" + p })],
            out var error, cancellation);
        if (entries is not null) return entries;
        // A folder nobody has written to yet is an empty one (object stores have no folders; SFTP and disks do).
        if (error.Contains("directory not found", StringComparison.Ordinal)) return [];
        throw new RunbookException($"Off-site {remote}: rclone cannot list it: {error}");
    }
}
