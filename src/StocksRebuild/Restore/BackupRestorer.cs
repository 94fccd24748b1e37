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

    public static void Restore(RunContext run, string backupPath, string database, int jobs)
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
            throw new RunInterruptedException("RestoreBackup", $"pg_restore was stopped; \"{database}\" is partially restored and must not be used.",
                "run --target=Restore again (it drops and recreates the database).", e);
        }
        if (!result.Succeeded)
            throw new RunbookException(
                $"Restore failed: pg_restore {result.HowItEnded}: {Secrets.Mask(LastError(result), server)}. " +
                $"\"{database}\" is incomplete: fix the cause and run --target=Restore again (it drops and recreates it).");
        progress.Done(total, "objects", $"restored into \"{database}\"");
        log.Info($"Restore: {backupPath} restored into \"{database}\".");
    }

    // What pg_restore --verbose prints as it restores an object (serial and parallel alike).
    [GeneratedRegex(@"^pg_restore: (?:creating |executing |processing data for table ""(?<table>[^""]+)"")")]
    private static partial Regex ObjectLine();

    static string LastError(ToolResult result) =>
        result.StdErr.LastOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? result.ErrorText;
}
