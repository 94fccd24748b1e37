using System.Text.RegularExpressions;
using StocksRebuild.Backups;

namespace StocksRebuild.Restore;

/// <summary>Runbook step 3: pg_restore --no-owner --no-privileges, stopping at the first error.</summary>
public static partial class BackupRestorer
{
    public static IReadOnlyList<string> Arguments(string backupPath, string database, int jobs) =>
    [
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--verbose",
        $"--jobs={jobs}",
        "--dbname=" + LibpqConnInfo.ForDatabase(database),
        backupPath,
    ];

    /// <param name="live">When restoring beside live: the live database's name, which a failure leaves untouched.</param>
    public static void Restore(RunContext run, string backupPath, string database, int jobs, string? live = null)
    {
        var (server, log, output, cancellation) = (run.Server, run.Log, run.Output, run.Cancellation);
        if (jobs < 1) throw new RunbookException($"--jobs={jobs}: pg_restore needs at least one job.");
        using var runLock = RunLock.Acquire(server, database, log);
        if (cancellation.IsCancellationRequested)
            throw new RunInterruptedException("RestoreBackup", $"nothing was restored into \"{database}\".", "run --target=Restore again.");
        log.Info($"Restore: pg_restore --jobs={jobs} {backupPath} into {server.Describe(database)}");
        var total = ArchiveContents.Read(backupPath, out _)?.Entries ?? 0;
        var progress = output.Start("Restore", log);
        using var toolLog = ToolLog.Create(output.ToolLogDirectory, $"restore-{database}");
        if (toolLog is not null) log.Info($"Restore: pg_restore's complete output goes to {toolLog.Path}; its warnings and errors come here too.");
        var done = 0;
        string? loading = null;
        void OnLine(string raw)
        {
            var line = Secrets.Mask(raw, server);
            toolLog?.WriteLine(line);
            if (ObjectLine().Match(line) is { Success: true } match)
            {
                if (match.Groups["table"].Success) loading = match.Groups["table"].Value;
                progress.Report(Interlocked.Increment(ref done), total, "objects", loading is null ? null : $"loading {loading}");
                if (toolLog is not null) return; // the object-by-object account is in the file
            }
            log.Info(line);
        }
        ToolResult result;
        try
        {
            result = ToolRun.Run(PgTools.Find("pg_restore"), Arguments(backupPath, database, jobs), server.ClientEnvironment(database),
                new ToolRunOptions { OnStdOut = OnLine, OnStdErr = OnLine, Cancellation = cancellation });
        }
        catch (OperationCanceledException e)
        {
            throw new RunInterruptedException("RestoreBackup", live is null
                    ? $"pg_restore was stopped; \"{database}\" is partially restored and must not be used."
                    : $"pg_restore was stopped; the incoming \"{database}\" is partially restored; the live \"{live}\" was not touched.",
                live is null ? "run --target=Restore again (it drops and recreates the database)." : "run --target=Restore again.", e);
        }
        if (!result.Succeeded)
        {
            var error = FirstError(result);
            var full = DiskFull().IsMatch(error) || result.StdErr.Any(l => DiskFull().IsMatch(l));
            // Beside live the restore is the backup's full read: a block it cannot read is the backup's fault, not the server's.
            var unreadable = ArchiveUnreadable().IsMatch(error) ? " The backup cannot be read whole: it is truncated or corrupt; choose another " +
                "(--backup=FILE)." : "";
            var disk = !full ? unreadable : live is null
                ? " The server ran out of disk space: free space where its data directory (and tablespaces) are."
                : $" The server ran out of disk space for a second copy beside \"{live}\": free space, or on a server without room for two " +
                  $"copies restore with --in-place --confirm={live} (it drops \"{live}\" first).";
            throw new RunbookException($"Restore failed: pg_restore {result.HowItEnded}: {Secrets.Mask(error, server)}.{disk} " + (live is null
                ? $"\"{database}\" is incomplete: fix the cause and run --target=Restore again (it drops and recreates it)."
                : $"The live \"{live}\" was not touched and keeps serving; the incoming \"{database}\" is removed at the end of the run (kept " +
                  $"with --keep-failed). Fix the cause and run --target=Restore again."));
        }
        progress.Done(total, "objects", $"restored into \"{database}\"");
        log.Info($"Restore: {backupPath} restored into \"{database}\".");
    }

    // What pg_restore --verbose prints as it restores an object (serial and parallel alike).
    [GeneratedRegex(@"^pg_restore: (?:creating |executing |processing data for table ""(?<table>[^""]+)"")")]
    private static partial Regex ObjectLine();

    // The cause is pg_restore's first error: with --jobs, the leader's last line is "a worker process died unexpectedly".
    static string FirstError(ToolResult result) =>
        result.StdErr.FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase) && !WorkerDied().IsMatch(l))
        ?? result.StdErr.FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? result.ErrorText;

    [GeneratedRegex("worker process died unexpectedly|a worker process failed", RegexOptions.IgnoreCase)]
    private static partial Regex WorkerDied();

    // What pg_restore says when an archive's data cannot be read (truncated, bits flipped in compressed data).
    [GeneratedRegex("could not read from input file|could not find block ID|could not uncompress data|possibly corrupt archive|" +
        "unexpected end of file", RegexOptions.IgnoreCase)]
    private static partial Regex ArchiveUnreadable();

    [GeneratedRegex("No space left on device|could not extend file", RegexOptions.IgnoreCase)]
    private static partial Regex DiskFull();
}
