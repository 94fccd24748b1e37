using StocksRebuild.Catalog;
using StocksRebuild.Migrations;

namespace StocksRebuild.Ingestion;

public enum ValidToConvention { Exclusive, Inclusive }

public sealed record IngestOptions
{
    public required string SourceDirectory { get; init; }
    public const int DefaultMaxErrors = 20;

    /// <summary>Bad rows reported per job before reading stops.</summary>
    public int MaxErrors { get; init; } = DefaultMaxErrors;

    /// <summary>--ticker-valid-to: whether ticker_history's valid_to is the first day no longer held (the table's) or the last day held.</summary>
    public ValidToConvention TickerValidTo { get; init; } = ValidToConvention.Exclusive;

    /// <summary>What the ingestion log records of these options for a job: only what differs from the defaults.</summary>
    public IReadOnlyDictionary<string, string> LoggedFor(string job) =>
        job == "ticker_history" && TickerValidTo == ValidToConvention.Inclusive
            ? new Dictionary<string, string> { ["ticker_valid_to"] = "inclusive" }
            : new Dictionary<string, string>();

    /// <summary>--progress and the like: how a job reports while it reads.</summary>
    public RunOutput Output { get; init; } = RunOutput.Default;

    /// <summary>--ignore-extra-files: load a drop that holds files no job reads, listing them as ignored (else refused).</summary>
    public bool IgnoreExtraFiles { get; init; }
}

/// <summary>
/// Scenario B step 4, "Run ingestion jobs in dependency order": the seven jobs, each one transaction,
/// logged in ingestion_log. The first failing job stops the run; jobs before it stay committed (they are
/// idempotent, so rerunning Ingest after a fix picks up where it stopped).
/// </summary>
public static class Ingestor
{
    public static IReadOnlyList<JobResult> Ingest(RunContext run, string database, IngestOptions options)
    {
        var (server, log, cancellation) = (run.Server, run.Log, run.Cancellation);
        var drop = SourceDrop.Open(options.SourceDirectory, options.IgnoreExtraFiles);
        using var runLock = RunLock.Acquire(server, database, log);
        var pending = Migrator.Plan(server, database).Pending;
        if (pending.Count > 0)
            throw new RunbookException($"Ingest refused: \"{database}\" lacks migrations {string.Join(", ", pending)}; run --target=Migrate first. " +
                $"Nothing was changed.");

        log.Info($"Ingest: {IngestJobs.InOrder.Count} jobs from {drop.Directory}");
        var why = options.IgnoreExtraFiles ? " (--ignore-extra-files)" : " (documentation)";
        foreach (var ignored in drop.Ignored) log.Warning($"Ingest: {ignored} is read by no job and ignored{why}");
        var results = new List<JobResult>();
        using var logConnection = server.Open(database);
        using var connection = server.Open(database);
        IngestionLog.MakeDurable(logConnection);
        IngestionLog.CloseAbandoned(logConnection, log);
        var ingest = new JobRun(run, connection, logConnection, drop, options, SchemaCatalog.Read(connection));
        foreach (var job in IngestJobs.InOrder)
        {
            if (cancellation.IsCancellationRequested)
                throw new RunInterruptedException("Ingest", $"jobs before {job.Name} are committed; {job.Name} and later did not start.",
                    "run --target=Ingest again: finished jobs change nothing the second time.");
            results.Add(RunJob(job, ingest));
        }
        return results;
    }

    static void CancelBackend(ServerConnection server, string database, int backend)
    {
        try
        {
            using var side = server.Open(database);
            using var command = new NpgsqlCommand("SELECT pg_cancel_backend(@pid)", side);
            command.Parameters.AddWithValue("pid", backend);
            command.ExecuteScalar();
        }
        catch (Exception e) when (e is NpgsqlException or RunbookException)
        {
            // The statement ends with the run anyway: the server rolls back a transaction whose client is gone.
        }
    }

    /// <summary>What every job of one Ingest shares: the run, its two sessions (the job's, the log's), the drop, the options, the catalog.</summary>
    sealed record JobRun(RunContext Run, NpgsqlConnection Connection, NpgsqlConnection LogConnection, SourceDrop Drop, IngestOptions Options,
        SchemaCatalog Catalog);

    static JobResult RunJob(IIngestJob job, JobRun ingest)
    {
        var (connection, logConnection, drop, options) = (ingest.Connection, ingest.LogConnection, ingest.Drop, ingest.Options);
        var (server, log, cancellation) = (ingest.Run.Server, ingest.Run.Log, ingest.Run.Cancellation);
        var clock = Stopwatch.StartNew();
        var runId = IngestionLog.Started(logConnection, job.Name);
        var transaction = connection.BeginTransaction();
        var context = new JobContext(connection, transaction, drop, new IngestErrors(options.MaxErrors), log, cancellation)
        {
            Options = options,
            Catalog = ingest.Catalog,
        };
        // A long statement (the upsert of millions of rows) is cancelled on the server when the run is interrupted.
        var backend = connection.ProcessID;
        using var cancelStatement = cancellation.Register(() => CancelBackend(server, logConnection.Database, backend));
        try
        {
            var result = job.Run(context);
            IngestionLog.Finished(connection, transaction, runId, JobOutcome.Succeeded(context.FilesRead, result, options.LoggedFor(job.Name)));
            transaction.Commit();
            var seconds = clock.Elapsed.TotalSeconds;
            log.Info($"Ingest {job.Name}: {result.Read:N0} rows read, {result.Inserted:N0} inserted, {result.Updated:N0} updated, " +
                     $"{result.Unchanged:N0} unchanged in {seconds:0.0}s ({result.Read / Math.Max(seconds, 0.001):N0} rows/s)");
            return result with { Duration = clock.Elapsed };
        }
        catch (Exception e)
        {
            var failure = e switch
            {
                _ when cancellation.IsCancellationRequested => new RunInterruptedException("Ingest",
                    $"job {job.Name} was rolled back and its tables are as they were; the jobs before it are committed.",
                    "run --target=Ingest again: finished jobs change nothing the second time.", e),
                RunbookException r => r,
                PostgresException p when StoppedStatement.Explain(p, server) is { } why => new RunbookException(Secrets.Mask(
                    $"Ingest {job.Name} failed and was rolled back: {p.SqlState}: {p.MessageText}: {why}.", server), p),
                // The row checks name every refusal they foresee as FILE:LINE: COLUMN; this one the server raised for the job as a whole.
                PostgresException p => new RunbookException(Secrets.Mask(
                    $"Ingest {job.Name} failed and was rolled back: {p.SqlState}: {p.MessageText}{(p.Where is { } where ? $" ({where})" : "")}. " +
                    $"The server refused the job's load as a whole, so no line of {string.Join(", ", drop.FilesOfOrNone(job.Name))} can be named; " +
                    "every row passed the tool's own checks.", server), p),
                NpgsqlException n => new RunbookException(Secrets.Mask($"Ingest {job.Name} failed and was rolled back: {n.Message}", server), n),
                _ => null,
            };
            try { transaction.Rollback(); }
            // When the connection is gone, the transaction went with it.
            catch (Exception) when (connection.State != System.Data.ConnectionState.Open) { }
            try
            {
                var outcome = JobOutcome.Failed(context.FilesRead, (failure ?? e).Message, options.LoggedFor(job.Name));
                IngestionLog.Finished(logConnection, null, runId, outcome);
            }
            catch (NpgsqlException logFailure)
            {
                log.Warning($"Ingest {job.Name}: could not mark run {runId} failed in ingestion_log ({logFailure.Message}); it stays 'running'.");
            }
            if (failure is null) throw;
            throw failure;
        }
        finally
        {
            transaction.Dispose();
        }
    }
}
