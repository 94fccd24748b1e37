using StocksRebuild.Catalog;

namespace StocksRebuild.Ingestion;

/// <summary>What one job did: rows_read = rows_inserted + rows_updated + rows_unchanged.</summary>
public sealed record JobResult(string Job, long Read, long Inserted, long Updated, IReadOnlyList<SourceFileRead> Files)
{
    public long Unchanged => Read - Inserted - Updated;
    /// <summary>Rows written to the staging table for the upsert: all of them, only those of the groups that differ, or none.</summary>
    public long Staged { get; init; }
    /// <summary>Wall time of the job, its commit included.</summary>
    public TimeSpan Duration { get; init; }
}

/// <summary>The open transaction of one job and what it may read and report.</summary>
public sealed record JobContext(NpgsqlConnection Connection, NpgsqlTransaction Transaction, SourceDrop Drop, IngestErrors Errors, IRunbookLog Log,
    CancellationToken Cancellation = default)
{
    /// <summary>The schema's tables as the catalog describes them, read once per run.</summary>
    public required SchemaCatalog Catalog { get; init; }

    /// <summary>How the run reads its files (--ticker-valid-to and the like).</summary>
    public IngestOptions Options { get; init; } = new() { SourceDirectory = Drop.Directory };

    /// <summary>The source files read so far; the ingestion log records them even when the job fails.</summary>
    public List<SourceFileRead> FilesRead { get; } = [];
}

/// <summary>One of the seven ingestion jobs. Run works inside the context's transaction and never commits.</summary>
public interface IIngestJob
{
    string Name { get; }
    JobResult Run(JobContext context);
}
