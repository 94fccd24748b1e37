using StocksRebuild.Connection;
using StocksRebuild.Database;
using StocksRebuild.Tools;

namespace StocksRebuild.Restore;

/// <summary>Runbook step 3: pg_restore --no-owner --no-privileges, stopping at the first error.</summary>
public static class BackupRestorer
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

    public static void Restore(ServerConnection server, string backupPath, string database, int jobs, IRunbookLog log,
        CancellationToken cancellation = default)
    {
        if (jobs < 1) throw new RunbookException($"--jobs={jobs}: pg_restore needs at least one job.");
        using var runLock = RunLock.Acquire(server, database, log);
        if (cancellation.IsCancellationRequested)
            throw new RunInterruptedException("RestoreBackup", $"nothing was restored into \"{database}\".", "run --target=Restore again.");
        log.Info($"Restore: pg_restore --jobs={jobs} {backupPath} into {server.Describe(database)}");
        ToolResult result;
        try
        {
            result = ToolRun.Run(
                PgTools.Find("pg_restore"),
                Arguments(backupPath, database, jobs),
                server.ClientEnvironment(database),
                onStdOut: line => log.Info(Secrets.Mask(line, server)),
                onStdErr: line => log.Info(Secrets.Mask(line, server)),
                cancellation);
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
        log.Info($"Restore: {backupPath} restored into \"{database}\".");
    }

    static string LastError(ToolResult result) =>
        result.StdErr.LastOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? result.ErrorText;
}
