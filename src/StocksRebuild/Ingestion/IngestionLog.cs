using System.Text.Json;

namespace StocksRebuild.Ingestion;

/// <summary>How a job run ended, as its ingestion_log row records it.</summary>
public sealed record JobOutcome(string Status, IReadOnlyList<SourceFileRead> Files, JobResult? Result, string? Error,
    IReadOnlyDictionary<string, string> Options)
{
    public static JobOutcome Succeeded(IReadOnlyList<SourceFileRead> files, JobResult result, IReadOnlyDictionary<string, string> options) =>
        new("succeeded", files, result, null, options);

    public static JobOutcome Failed(IReadOnlyList<SourceFileRead> files, string error, IReadOnlyDictionary<string, string> options) =>
        new("failed", files, null, error, options);
}

/// <summary>The runbook's "each job must be logged": one stocks_research.ingestion_log row per job run.</summary>
public static class IngestionLog
{
    public const string Table = "ingestion_log";

    /// <summary>A 'running' row must outlive a crash of the server, whatever its synchronous_commit says.</summary>
    public static void MakeDurable(NpgsqlConnection connection)
    {
        using var command = new NpgsqlCommand("SET synchronous_commit = on", connection);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Rows still 'running' while this run holds the run lock belong to runs that ended without recording
    /// their end (killed, server restarted, connection lost); their transactions are gone, so say so.
    /// </summary>
    public static void CloseAbandoned(NpgsqlConnection connection, IRunbookLog log)
    {
        using var command = new NpgsqlCommand(SqlFiles.Read("ingest/log/abandoned.sql"), connection);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var started = reader.GetDateTime(2).ToUniversalTime();
            log.Warning($"Ingest: run {reader.GetInt64(0)} of {reader.GetString(1)} (started {started:yyyy-MM-dd HH:mm:ss}Z) never finished; " +
                        "marked failed. Its transaction was rolled back by the server.");
        }
    }

    public static long Started(NpgsqlConnection connection, string job)
    {
        using var command = new NpgsqlCommand(SqlFiles.Read("ingest/log/started.sql"), connection);
        command.Parameters.AddWithValue("job", job);
        return (long)command.ExecuteScalar()!;
    }

    public static void Finished(NpgsqlConnection connection, NpgsqlTransaction? transaction, long runId, JobOutcome outcome)
    {
        var (status, files, result, error, options) = (outcome.Status, outcome.Files, outcome.Result, outcome.Error, outcome.Options);
        using var command = new NpgsqlCommand(SqlFiles.Read("ingest/log/finished.sql"), connection, transaction);
        command.Parameters.AddWithValue("run_id", runId);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("source_files", JsonSerializer.Serialize(files.Select(f => new { file = f.File, sha256 = f.Sha256,
            bytes = f.Bytes, rows = f.Rows })));
        command.Parameters.AddWithValue("rows_read", result?.Read ?? files.Sum(f => f.Rows));
        command.Parameters.AddWithValue("rows_inserted", result?.Inserted ?? 0L);
        command.Parameters.AddWithValue("rows_updated", result?.Updated ?? 0L);
        command.Parameters.AddWithValue("rows_unchanged", result?.Unchanged ?? 0L);
        command.Parameters.AddWithValue("error", (object?)error ?? DBNull.Value);
        command.Parameters.AddWithValue("options", JsonSerializer.Serialize(options));
        command.ExecuteNonQuery();
    }
}
