using StocksRebuild.Backups;

namespace StocksRebuild.Offsite;

/// <summary>--from-offsite: the remote to pick from and the private local cache (0700, files 0600) the pick is downloaded into.</summary>
public sealed record OffsiteSource(OffsiteRemote Remote, string CacheDirectory);

/// <summary>
/// Restore's off-site path: the remote's backups are picked exactly as a local folder's (--backup=NAME, else the
/// newest by its name), downloaded with its manifest into a private cache (reused when the cached file's sha256 is
/// the manifest's), and handed to VerifyBackup, which proves it as it proves a local file before anything is destroyed.
/// </summary>
public static class OffsiteFetch
{
    /// <summary>--dryrun: the off-site copy Restore would download, from the remote's listing alone; nothing is downloaded.</summary>
    public static void Describe(OffsiteSource source, string? wanted, IRunbookLog log, CancellationToken cancellation)
    {
        var chosen = Choose(source.Remote, wanted, cancellation);
        log.Info($"Restore --dryrun: the off-site copy {source.Remote.PathOf(chosen.Name)} ({(wanted is null ? "newest off-site" : "--backup")}, " +
            $"{chosen.SizeBytes:N0} bytes{(chosen.HasManifest ? ", with its manifest" : ", without a manifest")}) would be downloaded into " +
            $"{source.CacheDirectory} and verified there before anything is changed; a dry run downloads nothing.");
    }

    static OffsiteBackup Choose(OffsiteRemote remote, string? wanted, CancellationToken cancellation)
    {
        var backups = OffsiteListing.Backups(remote, cancellation);
        var name = wanted is null ? null : Path.GetFileName(wanted);
        return name is null
            ? backups.FirstOrDefault() ?? throw new RunbookException($"No backup matching {BackupName.Pattern} off-site in {remote}. Nothing was " +
                "changed.")
            : backups.FirstOrDefault(b => b.Name == name) ?? throw new RunbookException($"--backup={name}: no such backup off-site in {remote} " +
                $"({backups.Count} there{(backups.Count > 0 ? $", the newest {backups[0].Name}" : "")}). Nothing was changed.");
    }

    /// <summary>The local path of the chosen backup, whole and with its manifest beside it when the remote has one.</summary>
    public static string Fetch(OffsiteSource source, string? wanted, IRunbookLog log, CancellationToken cancellation)
    {
        var started = Stopwatch.StartNew();
        var remote = source.Remote;
        var chosen = Choose(remote, wanted, cancellation);
        log.Info($"VerifyBackup: the off-site copy {remote.PathOf(chosen.Name)} ({(wanted is null ? "newest off-site" : "--backup")}, " +
            $"{chosen.SizeBytes:N0} bytes) is the one used");

        PrivateFiles.CreateDirectory(source.CacheDirectory);
        using var cacheLock = BackupFolderLock.Acquire(source.CacheDirectory);
        var path = Path.Combine(source.CacheDirectory, chosen.Name);
        var manifestPath = BackupName.ManifestPathFor(path);
        foreach (var stale in Directory.EnumerateFiles(source.CacheDirectory, "full_*").Where(f => f != path && f != manifestPath))
            File.Delete(stale);
        File.Delete(manifestPath);
        try
        {
            // The manifest comes down beside the dump; it decides first only when a cached copy could be reused.
            var cached = File.Exists(path);
            var fetching = Task.Run(() => chosen.HasManifest ? FetchManifest(remote, path, cancellation) : null);
            if (cached && fetching.GetAwaiter().GetResult() is { } known && new FileInfo(path).Length == known.SizeBytes
                && BackupManifest.Sha256Of(path) == known.Sha256)
            {
                log.Info($"VerifyBackup: reusing {path}: the cached copy's sha256 is the manifest's; nothing downloaded.");
                return path;
            }
            File.Delete(path);
            var downloading = Task.Run(() => Download(remote.PathOf(chosen.Name), path, cancellation));
            OffsiteCopy.WaitAll([fetching, downloading]);
            var (manifest, sha256) = (fetching.Result, downloading.Result);
            if (manifest is null) log.Warning($"VerifyBackup: {chosen.Name} has no manifest off-site: its size and sha256 cannot be compared.");
            var size = new FileInfo(path).Length;
            if (size != chosen.SizeBytes || manifest is not null && (size != manifest.SizeBytes || sha256 != manifest.Sha256))
            {
                File.Delete(path);
                var expected = manifest is null
                    ? $"the listing said {chosen.SizeBytes:N0}"
                    : $"its manifest says {manifest.SizeBytes:N0} bytes with sha256 {manifest.Sha256}";
                throw new RunbookException($"VerifyBackup refused the off-site copy {remote.PathOf(chosen.Name)}: downloaded, it is {size:N0} " +
                    $"bytes with sha256 {sha256}; {expected}: changed or damaged off-site. Nothing was changed.");
            }
            log.Info($"VerifyBackup: downloaded {size:N0} bytes to {path} in {started.Elapsed.TotalSeconds:0.00}s (listing and manifest included)" +
                (manifest is null ? "." : "; size and sha256 equal the manifest's."));
            return path;
        }
        catch (OperationCanceledException e)
        {
            throw new RunInterruptedException("the off-site download", "rclone was stopped before the backup was whole; nothing was changed.",
                "run the same command again.", e);
        }
    }

    /// <summary>The manifest of the cached dump at <paramref name="path"/>, downloaded beside it and read as a local one is.</summary>
    static BackupManifest FetchManifest(OffsiteRemote remote, string path, CancellationToken cancellation)
    {
        var manifestPath = BackupName.ManifestPathFor(path);
        Download(remote.PathOf(Path.GetFileName(manifestPath)), manifestPath, cancellation);
        return BackupManifest.ReadFor(path) ?? throw new RunbookException($"{manifestPath}: the manifest vanished from the cache while it was read.");
    }

    /// <summary>rclone cat into a file that is 0600 from its first byte, hashed as it is written, renamed into place only when whole.</summary>
    static string Download(string remotePath, string path, CancellationToken cancellation)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.partial");
        try
        {
            var sha256 = "";
            using (var file = PrivateFiles.CreateNew(temporary))
            {
                var result = Rclone.Stream(["cat", remotePath], stdout =>
                {
                    using var hashing = new HashingStream(stdout);
                    hashing.CopyTo(file);
                    sha256 = hashing.Sha256();
                }, cancellation);
                // Not flushed to disk: a cached copy is proven against its manifest again before it is reused.
                if (!result.Succeeded)
                    throw new RunbookException($"Off-site: rclone could not download {remotePath}: {result.ErrorText}. Nothing was changed.");
            }
            File.Move(temporary, path);
            return sha256;
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
