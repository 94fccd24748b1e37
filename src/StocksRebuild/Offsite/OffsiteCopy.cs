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
        OffsiteListing.Backups(remote, cancellation);
        return store;
    }

    public static OffsiteUpload Upload(RunContext run, OffsiteStore store, string backupPath)
    {
        var remote = store.Remote;
        var started = Stopwatch.StartNew();
        var name = Path.GetFileName(backupPath);
        var manifestPath = BackupName.ManifestPathFor(backupPath);
        var files = File.Exists(manifestPath) ? new[] { backupPath, manifestPath } : [backupPath];
        // The hash the backend keeps, computed here while rclone sends the file (two cores: it costs no time).
        var hashType = store.Hashes.FirstOrDefault(LocalHashes.ContainsKey);
        var localHash = hashType is null ? null : Task.Run(() => LocalHash(hashType, backupPath));
        run.Log.Info($"Off-site: copying {name}{(files.Length > 1 ? " and its manifest" : "")} off-site to {remote}");
        var created = new List<string>();
        try
        {
            // The dump first and the manifest only once the dump is there: a failed copy never leaves a manifest that
            // names a backup the remote does not hold. The manifest is sent while the dump is being proven.
            string? Hash() => localHash?.GetAwaiter().GetResult();
            if (Send(remote, backupPath, () => hashType == "md5" ? Hash() : null, run.Cancellation)) created.Add(name);
            // The manifest only once the dump is there: a failed copy never leaves a manifest naming a dump the remote lacks.
            var manifestSent = files.Length > 1
                ? Task.Run(() => Send(remote, manifestPath, () => LocalHash("md5", manifestPath), run.Cancellation))
                : Task.FromResult(false);
            var proven = Task.Run(() => Verify(store, backupPath, hashType, Hash(), run.Cancellation));
            try { Task.WaitAll(manifestSent, proven); } catch (AggregateException) { } // each task's own exception is thrown below
            if (manifestSent.IsCompletedSuccessfully && manifestSent.Result) created.Add(Path.GetFileName(manifestPath));
            var verification = proven.GetAwaiter().GetResult();
            manifestSent.GetAwaiter().GetResult();
            var upload = new OffsiteUpload(remote, files.Select(f => Path.GetFileName(f)!).ToList(), verification, started.Elapsed);
            run.Log.Info($"Off-site: {remote.PathOf(name)} verified ({verification}) in {started.Elapsed.TotalSeconds:0.0}s.");
            return upload;
        }
        catch (OffsiteUnproven e)
        {
            // Only a proven copy may carry a backup's name off-site; what this run created is removed, nothing else.
            foreach (var object_ in created.OrderBy(n => n.EndsWith(".dump", StringComparison.Ordinal)))
                Rclone.Run(["deletefile", remote.PathOf(object_)]);
            throw new RunbookException($"Off-site copy of {name} to {remote} could not be verified: {e.Message}. " +
                (created.Count > 0 ? $"The objects this run sent ({string.Join(", ", created)}) were removed" : "Nothing was sent") +
                "; the local backup is intact.");
        }
        catch (OperationCanceledException e)
        {
            throw new RunInterruptedException("the off-site copy", $"rclone was stopped; the local backup {backupPath} is whole and verified, and " +
                $"no object carries its final name off-site unless the copy had finished.",
                $"copy it again with --target=OffsiteCopy --backup={backupPath} --offsite={remote}.", e);
        }
    }

    /// <summary>
    /// One file to its final name, by way of a temporary name and a rename once the upload is whole: an upload cut short
    /// leaves at most the temporary object, never a partial one under a backup's name (measured: s3rver keeps the bytes
    /// it received under the name being written, and file-like backends write in place). An object already there under
    /// the name is never replaced: the same file is left as it is (false), another one refuses the copy (rclone's
    /// --immutable alone lets a server-side move replace an object of the same size).
    /// </summary>
    static bool Send(OffsiteRemote remote, string file, Func<string?> localMd5, CancellationToken cancellation)
    {
        var name = Path.GetFileName(file);
        if (OffsiteListing.Entries(remote, [name], "md5", cancellation).FirstOrDefault() is { } existing)
        {
            var same = existing.Size == new FileInfo(file).Length
                       && (existing.Hashes?.GetValueOrDefault("md5") is not { Length: > 0 } md5 || localMd5() is not { } local || md5 == local);
            if (same) return false;
            throw Refused(remote, name, $"{remote.PathOf(name)} already exists off-site ({existing.Size:N0} bytes) and is another backup of the " +
                "same minute; backups are append-only and it was not overwritten");
        }
        var temporary = $".{name}.{Environment.MachineName}-{Environment.ProcessId}.partial";
        try
        {
            var sent = Rclone.Run(["copyto", file, remote.PathOf(temporary)], cancellation);
            if (!sent.Succeeded) throw Refused(remote, name, Cause(remote, sent));
            var moved = Rclone.Run(["moveto", "--immutable", remote.PathOf(temporary), remote.PathOf(name)], cancellation);
            if (!moved.Succeeded) throw Refused(remote, name, Cause(remote, moved));
            return true;
        }
        finally
        {
            // Gone after a rename; after a failure, removed when the remote still answers (Prune never lists it: not a backup's name).
            Rclone.Run(["deletefile", remote.PathOf(temporary)]);
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
