using System.Diagnostics;
using Npgsql;
using StocksRebuild.Connection;
using StocksRebuild.Migrations;

namespace StocksRebuild.Ingestion;

public sealed record IngestOptions
{
    public required string SourceDirectory { get; init; }
    /// <summary>Bad rows reported per job before reading stops.</summary>
    public int MaxErrors { get; init; } = 20;
}

/// <summary>
/// Scenario B step 4, "Run ingestion jobs in dependency order": the seven jobs, each one transaction,
/// logged in ingestion_log. The first failing job stops the run; jobs before it stay committed (they are
/// idempotent, so rerunning Ingest after a fix picks up where it stopped).
/// </summary>
public static class Ingestor
{
    public static IReadOnlyList<JobResult> Ingest(ServerConnection server, string database, IngestOptions options, IRunbookLog log)
    {
        var drop = SourceDrop.Open(options.SourceDirectory);
        var pending = Migrator.Plan(server, database).Pending;
        if (pending.Count > 0)
            throw new RunbookException($"Ingest refused: \"{database}\" lacks migrations {string.Join(", ", pending)}; run --target=Migrate first. Nothing was changed.");

        log.Info($"Ingest: {IngestJobs.InOrder.Count} jobs from {drop.Directory}");
        var results = new List<JobResult>();
        using var logConnection = server.Open(database);
        using var connection = server.Open(database);
        foreach (var job in IngestJobs.InOrder)
            results.Add(RunJob(job, connection, logConnection, drop, options, log, server));
        return results;
    }

    static JobResult RunJob(IIngestJob job, NpgsqlConnection connection, NpgsqlConnection logConnection, SourceDrop drop,
        IngestOptions options, IRunbookLog log, ServerConnection server)
    {
        var clock = Stopwatch.StartNew();
        var runId = IngestionLog.Started(logConnection, job.Name);
        var transaction = connection.BeginTransaction();
        var context = new JobContext(connection, transaction, drop, new IngestErrors(options.MaxErrors), log);
        try
        {
            var result = job.Run(context);
            IngestionLog.Finished(connection, transaction, runId, "succeeded", context.FilesRead, result, null);
            transaction.Commit();
            var seconds = clock.Elapsed.TotalSeconds;
            log.Info($"Ingest {job.Name}: {result.Read:N0} rows read, {result.Inserted:N0} inserted, {result.Updated:N0} updated, " +
                     $"{result.Unchanged:N0} unchanged in {seconds:0.0}s ({result.Read / Math.Max(seconds, 0.001):N0} rows/s)");
            return result;
        }
        catch (Exception e)
        {
            var failure = e switch
            {
                RunbookException r => r,
                PostgresException p => new RunbookException(Secrets.Mask($"Ingest {job.Name} failed and was rolled back: {p.SqlState}: {p.MessageText}", server), p),
                NpgsqlException n => new RunbookException(Secrets.Mask($"Ingest {job.Name} failed and was rolled back: {n.Message}", server), n),
                _ => null,
            };
            try { transaction.Rollback(); } catch (Exception) when (connection.State != System.Data.ConnectionState.Open) { /* the connection is gone, and the transaction with it */ }
            try { IngestionLog.Finished(logConnection, null, runId, "failed", context.FilesRead, null, (failure ?? e).Message); }
            catch (NpgsqlException logFailure) { log.Warning($"Ingest {job.Name}: could not mark run {runId} failed in ingestion_log ({logFailure.Message}); it stays 'running'."); }
            if (failure is null) throw;
            throw failure;
        }
        finally
        {
            transaction.Dispose();
        }
    }
}
