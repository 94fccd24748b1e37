using System.Security.Cryptography;
using System.Text.Json;
using StocksRebuild.Backups;

namespace StocksRebuild.Offsite;

/// <summary>What rclone says of the remote before anything is sent: the hashes it keeps (md5 on S3, none through crypt).</summary>
public sealed record OffsiteStore(OffsiteRemote Remote, IReadOnlyList<string> Hashes);

/// <summary>Where a backup went off-site, how it was proven there, and how long the copy and the proof took.</summary>
public sealed record OffsiteUpload(OffsiteRemote Remote, IReadOnlyList<string> Objects, string Verification, TimeSpan Took);

/// <summary>
/// Backup's off-site copy: the dump and its manifest sent with rclone, never over an existing object, then proven
/// there (size, and a hash the backend keeps compared with the local file's; through crypt, rclone cryptcheck).
/// An upload that fails or cannot be proven leaves the local backup as it was and nothing under the final name.
/// </summary>
public static class OffsiteCopy
{
    /// <summary>Before pg_dump: rclone is installed, the remote is configured, answers and can be listed with these credentials.</summary>
    public static OffsiteStore Preflight(OffsiteRemote remote, CancellationToken cancellation)
    {
        var features = Rclone.Run(["backend", "features", remote.Spec], cancellation);
        if (!features.Succeeded)
            throw new RunbookException($"Off-site {remote}: rclone cannot use the remote: {features.ErrorText}");
        using var document = JsonDocument.Parse(string.Join("\n", features.StdOut));
        var root = document.RootElement;
        var hashes = root.GetProperty("Hashes").EnumerateArray().Select(h => h.GetString()!).ToList();
        var store = new OffsiteStore(remote, hashes);
        if (root.TryGetProperty("Features", out var kinds) && kinds.TryGetProperty("BucketBased", out var bucketBased) && bucketBased.GetBoolean())
            RequireBucket(remote, cancellation);
        OffsiteListing.Backups(remote, cancellation);
        return store;
    }

    /// <summary>
    /// An object store creates a missing bucket on the first upload: a misspelt --offsite would send the backups to a new
    /// bucket nobody watches, with the lifecycle and access rules of none. A Backup never creates one; it names it instead.
    /// </summary>
    static void RequireBucket(OffsiteRemote remote, CancellationToken cancellation)
    {
        var bucket = remote.Folder.TrimStart('/').Split('/')[0];
        if (bucket.Length == 0) return;
        var listed = Rclone.List(["--files-only", "--max-depth", "1", $"{remote.Remote}:{bucket}"], out var error, cancellation);
        if (listed is null && error.Contains("directory not found", StringComparison.Ordinal))
            throw new RunbookException($"Off-site {remote}: the bucket \"{bucket}\" does not exist on {remote.Remote}; a Backup never creates one (a " +
                $"misspelt name would send the backups to a new bucket nobody watches). Create it with its retention and access rules " +
                $"(e.g. rclone mkdir {remote.Remote}:{bucket}), or correct --offsite. Nothing was written.");
    }

    public static OffsiteUpload Upload(RunContext run, OffsiteStore store, string backupPath)
    {
        var (remote, cancellation) = (store.Remote, run.Cancellation);
        var started = Stopwatch.StartNew();
        var name = Path.GetFileName(backupPath);
        var manifestPath = BackupName.ManifestPathFor(backupPath);
        var files = File.Exists(manifestPath) ? new[] { backupPath, manifestPath } : [backupPath];
        // The hash the backend keeps, to prove the copy by.
        var hashType = store.Hashes.FirstOrDefault(LocalHashes.ContainsKey);
        // The manifest's md5 when it has one (Backup writes it in the same read as the sha256, and VerifyBackup has
        // proven the file against that manifest), else computed here while rclone sends the file.
        var recorded = hashType == "md5" ? BackupManifest.ReadFor(backupPath)?.Md5 : null;
        var localHash = hashType is null ? Task.FromResult<string?>(null)
            : recorded is not null ? Task.FromResult<string?>(recorded)
            : Task.Run<string?>(() => LocalHash(hashType, backupPath));
        run.Log.Info($"Off-site: copying {name}{(files.Length > 1 ? " and its manifest" : "")} off-site to {remote}");
        var uploads = files.Select(f => new PendingObject(remote, f)).ToList();
        var created = new List<string>();
        try
        {
            // Each file goes up under a temporary name while the names they will take are looked up: a copy cut short
            // leaves at most a temporary object, never a partial one under a backup's name (measured: s3rver keeps the
            // bytes it received under the name being written; file-like backends write in place).
            var existing = Task.Run(() => OffsiteListing.Entries(remote, files.Select(f => Path.GetFileName(f)!), hashType, cancellation));
            WaitAll([existing, .. uploads.Select(u => Task.Run(() => u.Send(cancellation)))]);
            var same = uploads.Select(u => u.IsAlreadyThere(existing.Result, hashType, () => u.File == backupPath
                ? localHash.GetAwaiter().GetResult() : LocalHash(hashType!, u.File))).ToList();
            // The dump takes its name first; the manifest only once the dump is there, while the dump is proven.
            if (!same[0] && uploads[0].Rename(cancellation)) created.Add(name);
            var manifestPlaced = Task.Run(() => uploads.Count > 1 && !same[1] && uploads[1].Rename(cancellation));
            var proven = Task.Run(() => Verify(store, backupPath, hashType, localHash.GetAwaiter().GetResult(), cancellation));
            // Counted before a failed proof is thrown: the manifest that took its name is removed with the dump.
            try { WaitAll([manifestPlaced, proven]); }
            finally { if (manifestPlaced.IsCompletedSuccessfully && manifestPlaced.Result) created.Add(Path.GetFileName(manifestPath)); }
            // Success is said only of what is there: both final names listed again, each of its local size.
            var placed = OffsiteListing.Entries(remote, files.Select(f => Path.GetFileName(f)!), hashType: null, cancellation);
            foreach (var file in files)
                if (placed.FirstOrDefault(e => e.Name == Path.GetFileName(file)) is not { } entry || entry.Size != new FileInfo(file).Length)
                    throw new OffsiteUnproven($"{remote.PathOf(Path.GetFileName(file))} is not there with its {new FileInfo(file).Length:N0} bytes " +
                        "after the copy");
            var upload = new OffsiteUpload(remote, files.Select(f => Path.GetFileName(f)!).ToList(), proven.Result, started.Elapsed);
            run.Log.Info($"Off-site: {remote.PathOf(name)} verified ({proven.Result}) in {started.Elapsed.TotalSeconds:0.00}s.");
            return upload;
        }
        catch (OffsiteUnproven e)
        {
            // Only a proven copy may carry a backup's name off-site; what this run created is removed, nothing else: an object
            // under one of those names that is no longer the size this run sent is another's, and stays.
            var now = OffsiteListing.Entries(remote, created, hashType: null);
            foreach (var object_ in created.OrderBy(n => n.EndsWith(".dump", StringComparison.Ordinal)))
                if (now.FirstOrDefault(e => e.Name == object_) is { } entry && entry.Size == new FileInfo(files.Single(f => Path.GetFileName(f) == object_)).Length)
                    Rclone.Run(["deletefile", remote.PathOf(object_)]);
            throw new RunbookException($"Off-site copy of {name} to {remote} could not be verified: {e.Message}. " +
                (created.Count > 0 ? $"The objects this run sent ({string.Join(", ", created)}) were removed" : "Nothing was sent") +
                "; the local backup is intact.");
        }
        catch (RunbookException e) when (e is not RunInterruptedException && !e.Message.StartsWith("Off-site copy of", StringComparison.Ordinal))
        {
            // The folder's listing fails too when the store goes away mid-copy: the same account as a failed upload.
            throw Refused(remote, name, e.Message);
        }
        catch (OperationCanceledException e)
        {
            throw new RunInterruptedException("the off-site copy", $"rclone was stopped; the local backup {backupPath} is " +
                "whole (its manifest holds its sha256), and " +
                $"no object carries its final name off-site unless the copy had finished.",
                $"copy it again with --target=OffsiteCopy --backup={backupPath} --offsite={remote}.", e);
        }
        finally
        {
            // A temporary object left by a failure goes when the remote still answers (Prune removes it later otherwise).
            foreach (var upload in uploads.Where(u => u.IsTemporaryLeft)) Rclone.Run(["deletefile", remote.PathOf(upload.Temporary)]);
        }
    }

    /// <summary>Waits for every task, then throws the first one's own exception (a refusal, an interruption), not an AggregateException.</summary>
    internal static void WaitAll(Task[] tasks)
    {
        try { Task.WaitAll(tasks); }
        catch (AggregateException) { }
        var failed = tasks.FirstOrDefault(t => t.Exception?.InnerException is OperationCanceledException)
                     ?? tasks.FirstOrDefault(t => t.IsFaulted);
        if (failed is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failed.Exception!.InnerException!).Throw();
    }

    /// <summary>
    /// One file off-site: sent under a temporary name, then renamed to its own. An object already under that name is never
    /// replaced: the same file is left as it is, another one refuses the copy (rclone's --immutable alone let a server-side
    /// move replace an object of the same size).
    /// </summary>
    sealed class PendingObject(OffsiteRemote remote, string file)
    {
        public string File { get; } = file;
        public string Name { get; } = Path.GetFileName(file);
        // This run's own: host, pid and a random token, so that a run deletes only what it sent (two containers share pid 1
        // and often a host name).
        public string Temporary { get; } =
            $".{Path.GetFileName(file)}.{Environment.MachineName}-{Environment.ProcessId}-{RandomNumberGenerator.GetHexString(8, lowercase: true)}.partial";
        public bool IsTemporaryLeft { get; private set; }

        public void Send(CancellationToken cancellation)
        {
            IsTemporaryLeft = true;
            var sent = Rclone.Run(["copyto", File, remote.PathOf(Temporary)], cancellation);
            if (!sent.Succeeded) throw Refused(remote, Name, Cause(remote, sent));
        }

        /// <summary>True when the object under the name is this file; a different one refuses the copy.</summary>
        public bool IsAlreadyThere(IReadOnlyList<RemoteEntry> listed, string? hashType, Func<string?> localHash)
        {
            if (listed.FirstOrDefault(e => e.Name == Name) is not { } existing) return false;
            var same = existing.Size == new FileInfo(File).Length
                       && (hashType is null || existing.Hashes?.GetValueOrDefault(hashType) is not { Length: > 0 } hash || hash == localHash());
            if (same) return true;
            throw Refused(remote, Name, $"{remote.PathOf(Name)} already exists off-site ({existing.Size:N0} bytes) and is another backup of the " +
                "same minute; backups are append-only and it was not overwritten");
        }

        /// <summary>The whole upload takes its name; true when this run created the object.</summary>
        public bool Rename(CancellationToken cancellation)
        {
            var moved = Rclone.Run(["moveto", "--immutable", remote.PathOf(Temporary), remote.PathOf(Name)], cancellation);
            if (!moved.Succeeded) throw Refused(remote, Name, Cause(remote, moved));
            IsTemporaryLeft = false;
            return true;
        }
    }

    static string Cause(OffsiteRemote remote, ToolResult result) =>
        result.ErrorText.Contains("immutable file modified", StringComparison.Ordinal)
            ? $"an object of the same name already exists in {remote} and differs; backups are append-only and it was not overwritten"
            : $"rclone {result.HowItEnded}: {string.Join(" ", result.StdErr.Where(l => l.Contains("ERROR", StringComparison.Ordinal)
                || l.Contains("Failed", StringComparison.Ordinal)).TakeLast(3).DefaultIfEmpty(result.ErrorText))}";

    /// <summary>The dump as the remote lists it, against the local file (the manifest, small, rclone's own check covers).</summary>
    static string Verify(OffsiteStore store, string file, string? hashType, string? localHash, CancellationToken cancellation)
    {
        var remote = store.Remote;
        var name = Path.GetFileName(file);
        var size = new FileInfo(file).Length;
        var dump = OffsiteListing.Entries(remote, [name], hashType, cancellation).FirstOrDefault(e => e.Name == name)
            ?? throw new OffsiteUnproven($"{remote.PathOf(name)} is not listed after the copy");
        if (dump.Size != size) throw new OffsiteUnproven($"{remote.PathOf(name)} holds {dump.Size:N0} bytes, the local file {size:N0}");
        if (hashType is not null && dump.Hashes?.GetValueOrDefault(hashType) is { Length: > 0 } remoteHash)
        {
            if (!string.Equals(remoteHash, localHash, StringComparison.OrdinalIgnoreCase))
                throw new OffsiteUnproven($"its {hashType} off-site is {remoteHash}, the local file's {localHash}");
            return $"size and {hashType} equal the local file's";
        }
        // No hash kept (a crypt remote): rclone cryptcheck encrypts the local file with the object's nonce and compares
        // hashes of the encrypted bytes; any other remote without hashes is read back whole.
        var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        string[] only = ["--one-way", "--include", "/" + name];
        var crypt = Rclone.Run(["cryptcheck", folder, remote.Spec, .. only], cancellation);
        if (crypt.Succeeded) return "size, and rclone cryptcheck: the local file encrypted with the object's nonce hashes as the stored object";
        if (!crypt.ErrorText.Contains("not a crypt remote", StringComparison.Ordinal))
            throw new OffsiteUnproven($"rclone cryptcheck found differences: {crypt.ErrorText}");
        var download = Rclone.Run(["check", "--download", folder, remote.Spec, .. only], cancellation);
        if (!download.Succeeded) throw new OffsiteUnproven($"read back, it differs: {download.ErrorText}");
        return "size, and read back whole: the bytes equal the local file's";
    }

    static readonly Dictionary<string, Func<HashAlgorithm>> LocalHashes = new()
    {
        ["md5"] = MD5.Create, ["sha1"] = SHA1.Create, ["sha256"] = SHA256.Create,
    };

    static string LocalHash(string type, string path)
    {
        using var algorithm = LocalHashes[type]();
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(algorithm.ComputeHash(stream)).ToLowerInvariant();
    }

    static RunbookException Refused(OffsiteRemote remote, string name, string reason) =>
        new($"Off-site copy of {name} to {remote} failed: {reason}. The local backup is intact.");

    sealed class OffsiteUnproven(string reason) : Exception(reason);
}
