
namespace StocksRebuild.Backups;

/// <summary>
/// Takes a full backup the way the runbook's backups are meant to be: append-only, complete, and never
/// carrying its final name until it is whole and on disk.
/// </summary>
public static class BackupWriter
{
    /// <summary>The partial dumps and manifests a Backup killed before its rename left in a folder (none is a backup).</summary>
    public static IEnumerable<string> Leftovers(string backupDirectory) =>
        Directory.Exists(backupDirectory)
            ? Directory.EnumerateFiles(backupDirectory, ".full_*.partial").Concat(Directory.EnumerateFiles(backupDirectory, "full_*.manifest.json.partial"))
            : [];

    /// <summary>Under the folder lock no other Backup writes here: what a partial file is, is what a killed one left.</summary>
    static void RemoveLeftovers(string backupDirectory, IRunbookLog log)
    {
        foreach (var leftover in Leftovers(backupDirectory).ToList())
        {
            var bytes = new FileInfo(leftover).Length;
            File.Delete(leftover);
            log.Warning($"Backup: removed {Path.GetFileName(leftover)} ({bytes:N0} bytes), left by a Backup that did not finish.");
        }
    }

    /// <param name="maxReplayLag">On a standby: refuse when its last replayed transaction is older than this (--max-replay-lag).</param>
    public static string Backup(RunContext run, string database, string backupDirectory, TimeSpan? maxReplayLag = null)
    {
        var (server, log, output) = (run.Server, run.Log, run.Output);
        var now = run.UtcNow();
        // pg_dump dumps the snapshot this run exports: on another server it would not exist, or be another database's.
        ClientLogin.Prove(server, database, "Backup (pg_dump)", step: "Backup");
        // Readers exclude writers: a Backup during a Restore would dump a half-restored database.
        using var databaseLock = RunLock.Acquire(run, database, LockMode.Shared);
        // Backups hold every row of the database: other local users have no business reading them.
        PrivateFiles.CreateDirectory(backupDirectory);
        using var folderLock = BackupFolderLock.Acquire(backupDirectory);
        RemoveLeftovers(backupDirectory, log);
        var finalPath = Path.Combine(backupDirectory, BackupName.For(now));
        var manifestPath = BackupName.ManifestPathFor(finalPath);
        if (File.Exists(finalPath))
            throw new RunbookException($"Backup refused: {finalPath} exists and backups are append-only; wait a minute or use another --backup-dir.");

        var pgDump = PgTools.Find("pg_dump");
        var pgDumpVersion = PgTools.VersionOf("pg_dump");

        // The snapshot is exported from an open transaction: pg_dump dumps it, and the manifest's counts are
        // read in it too, so the counts are exactly what the file holds even while the database is written.
        using var connection = server.Open(database);
        using var transaction = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        var serverVersion = Sql.Scalar<string>(connection, "SHOW server_version", transaction: transaction);
        // Read in the snapshot pg_dump will dump: the marks replicate, so a standby sees what a run on the primary is doing.
        if (Restore.UnfinishedRestore.Of(connection, database) is { } unfinished)
            throw new RunbookException($"Backup refused: {unfinished.Describe(database)}; a backup of it would restore that partial database. Run " +
                $"Restore again, or --target=Validate, which compares it with {unfinished.Backup}. Nothing was written.");
        RequirePgDumpNotOlderThanServer(pgDumpVersion, serverVersion);
        var standby = StandbyPoint.Of(connection, transaction);
        if (standby is not null)
        {
            // The primary's run lock does not reach a standby; an Ingest's jobs each log 'running' first, and that replicates.
            var running = Sql.Scalar<bool>(connection, "SELECT to_regclass('stocks_research.ingestion_log') IS NOT NULL", transaction: transaction)
                ? Sql.Query(connection, SqlFiles.Read("backup/ingest_running.sql"), r => $"{r.GetString(0)} since " +
                    $"{r.GetFieldValue<DateTime>(1).ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC", transaction: transaction)
                : [];
            if (running.Count > 0)
                throw new RunbookException($"Backup refused: the standby's \"{database}\" shows ingestion running on the primary ({string.Join(", ", running)}): " +
                    "a backup now would hold some jobs' rows and not the others'. Run it when the Ingest has finished (a job killed on the primary " +
                    "stays 'running' until the next Ingest there marks it failed). Nothing was written.");
            log.Info($"Backup: {server.Describe(database)} is a standby" + (standby.Primary is { } primary ? $" of {primary}" : "") + $": " +
                $"{standby.Describe()}. The manifest records it; ages and the recovery point are judged from it.");
            var lag = standby.LastReplayedUtc is { } replayed ? now - replayed : (TimeSpan?)null;
            if (maxReplayLag is { } max && (lag is null || lag > max))
                throw new RunbookException($"Backup refused: the standby's data are " + (lag is { } l ? $"{Durations.Format(l)} behind this " +
                    $"run's clock" : "of unknown age") + $", beyond --max-replay-lag={Durations.Format(max)}. Back up the primary, " +
                    "or wait for the standby to catch up (on an idle primary no transaction is replayed: write one). Nothing was written.");
        }
        var snapshot = Sql.Scalar<string>(connection, "SELECT pg_export_snapshot()");
        var tables = Sql.Scalar<int>(connection, SqlFiles.Read("backup/table_count.sql"));
        // Counted while pg_dump runs: the same snapshot, on this session, which pg_dump does not use.
        var counting = Task.Run(() => RowCounts.Exact(connection));

        var temporaryPath = Path.Combine(backupDirectory, $".{Path.GetFileName(finalPath)}.{Environment.ProcessId}.partial");
        try
        {
            // pg_dump truncates the file it is given and keeps its mode: created here, it is 0600 from its first byte.
            PrivateFiles.CreateNew(temporaryPath).Dispose();
            log.Info($"Backup: pg_dump -Fc of {server.Describe(database)} to {finalPath}");
            var progress = output.Start("Backup", log);
            using var toolLog = ToolLog.Create(output.ToolLogDirectory, $"backup-{database}");
            if (toolLog is not null) log.Info($"Backup: pg_dump's complete output goes to {toolLog.Path}; its warnings and errors come here too.");
            var dumped = 0;
            void OnLine(string raw)
            {
                var line = Secrets.Mask(raw, server);
                toolLog?.WriteLine(line);
                if (line.StartsWith("pg_dump: dumping contents of table ", StringComparison.Ordinal))
                {
                    progress.Report(++dumped, tables, "tables",
                        $"{line["pg_dump: dumping contents of table ".Length..].Trim('"')}, {new FileInfo(temporaryPath).Length:N0} bytes written");
                    return;
                }
                // The rest of --verbose (catalog reads, definitions saved) is the file's; warnings, errors and the unexpected are news.
                var verbose = line.StartsWith("pg_dump: ", StringComparison.Ordinal)
                              && !line.Contains("warning", StringComparison.OrdinalIgnoreCase)
                              && !line.Contains("error", StringComparison.OrdinalIgnoreCase);
                if (!verbose) log.Info(line);
            }
            ToolResult result;
            try
            {
                result = ToolRun.Run(pgDump,
                    ["--format=custom", "--verbose", $"--snapshot={snapshot}", $"--file={temporaryPath}",
                        $"--lock-wait-timeout={(long)server.LockTimeout.TotalMilliseconds}",
                        "--dbname=" + LibpqConnInfo.ForDatabase(database)],
                    server.ClientEnvironment(database),
                    new ToolRunOptions { OnStdErr = OnLine, Cancellation = run.Cancellation });
            }
            catch (OperationCanceledException e)
            {
                throw new RunInterruptedException("Backup", "pg_dump was stopped; no backup was written and the older backups are intact.",
                    "run --target=Backup again.", e);
            }
            if (!result.Succeeded)
                throw new RunbookException($"Backup failed: pg_dump {result.HowItEnded}: {Secrets.Mask(LastErrors(result), server)}. " +
                    // pg_dump waits --lock-wait-timeout for each table's lock through statement_timeout, which it sets to 0 otherwise.
                    (result.StdErr.Any(l => l.Contains("due to statement timeout", StringComparison.Ordinal) || l.Contains("lock timeout", StringComparison.Ordinal))
                        ? $"Another session held a lock on a table longer than --lock-timeout ({Durations.Format(server.LockTimeout)}): run Backup " +
                          "again when it is done, or give a longer --lock-timeout. "
                        : "") +
                    "No backup was written; older backups are intact.");
            progress.Done(tables, "tables", $"{new FileInfo(temporaryPath).Length:N0} bytes");
            Flush(temporaryPath);

            var (sha256, md5) = BackupManifest.HashesOf(temporaryPath);
            var manifest = new BackupManifest
            {
                File = Path.GetFileName(finalPath),
                SizeBytes = new FileInfo(temporaryPath).Length,
                Sha256 = sha256,
                Md5 = md5,
                Database = database,
                CreatedUtc = now,
                PgDumpVersion = pgDumpVersion.ToString(),
                ServerVersion = serverVersion,
                RowCounts = counting.GetAwaiter().GetResult(),
                Standby = standby,
            };
            WritePrivate(manifestPath + ".partial", manifest.ToJson());
            // Rename is atomic within a folder: the final name appears only over a whole, flushed file.
            File.Move(temporaryPath, finalPath, overwrite: false);
            File.Move(manifestPath + ".partial", manifestPath, overwrite: false);
            log.Info($"Backup: wrote {finalPath} ({manifest.SizeBytes:N0} bytes, sha256 {manifest.Sha256}) and {Path.GetFileName(manifestPath)}.");
            return finalPath;
        }
        finally
        {
            // The snapshot must outlive the counts even when pg_dump failed.
            try { counting.Wait(); } catch (AggregateException) { }
            File.Delete(temporaryPath);
            File.Delete(manifestPath + ".partial");
        }
    }

    /// <summary>With --verbose, pg_dump's last lines are its account of work; the failure is in the lines that say error.</summary>
    static string LastErrors(ToolResult result)
    {
        var errors = result.StdErr
            .Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase) || l.Contains("fatal", StringComparison.OrdinalIgnoreCase))
            .TakeLast(5).ToList();
        return errors.Count > 0 ? string.Join(Environment.NewLine, errors) : result.ErrorText;
    }

    /// <summary>An old pg_dump against a newer server is how teams end up with backups that do not restore.</summary>
    public static void RequirePgDumpNotOlderThanServer(Version pgDump, string serverVersion)
    {
        var serverMajor = PgTools.ParseVersion(serverVersion)?.Major
            ?? throw new RunbookException($"Backup refused: cannot read the server version from \"{serverVersion}\".");
        if (pgDump.Major < serverMajor)
            throw new RunbookException(
                $"Backup refused: the local pg_dump {pgDump} is older than the server ({serverVersion}); an old pg_dump can write unusable backups " +
                    $"of a newer server. Install pg_dump {serverMajor} or newer.");
    }

    static void Flush(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    static void WritePrivate(string path, string text)
    {
        using (var stream = PrivateFiles.CreateNew(path))
        using (var writer = new StreamWriter(stream))
            writer.Write(text);
        Flush(path);
    }
}
