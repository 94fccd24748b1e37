using System.Text.Json;
using Npgsql;

namespace StocksRebuild.Ingestion;

/// <summary>The runbook's "each job must be logged": one stocks_research.ingestion_log row per job run.</summary>
static class IngestionLog
{
    public static long Started(NpgsqlConnection connection, string job)
    {
        using var command = new NpgsqlCommand(SqlFiles.Read("ingest/log/started.sql"), connection);
        command.Parameters.AddWithValue("job", job);
        return (long)command.ExecuteScalar()!;
    }

    public static void Finished(NpgsqlConnection connection, NpgsqlTransaction? transaction, long runId, string status,
        IReadOnlyList<SourceFileRead> files, JobResult? result, string? error)
    {
        using var command = new NpgsqlCommand(SqlFiles.Read("ingest/log/finished.sql"), connection, transaction);
        command.Parameters.AddWithValue("run_id", runId);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("source_files", JsonSerializer.Serialize(files.Select(f => new { file = f.File, sha256 = f.Sha256, bytes = f.Bytes, rows = f.Rows })));
        command.Parameters.AddWithValue("rows_read", result?.Read ?? files.Sum(f => f.Rows));
        command.Parameters.AddWithValue("rows_inserted", result?.Inserted ?? 0L);
        command.Parameters.AddWithValue("rows_updated", result?.Updated ?? 0L);
        command.Parameters.AddWithValue("rows_unchanged", result?.Unchanged ?? 0L);
        command.Parameters.AddWithValue("error", (object?)error ?? DBNull.Value);
        command.ExecuteNonQuery();
    }
}
