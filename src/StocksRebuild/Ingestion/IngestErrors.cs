namespace StocksRebuild.Ingestion;

/// <summary>Bad rows of one job as "FILE:LINE: COLUMN: reason", kept up to a limit so one run shows many.</summary>
public sealed class IngestErrors(int limit)
{
    readonly List<string> lines = [];

    public int Limit { get; } = limit;
    public IReadOnlyList<string> Lines => lines;
    public bool Any => lines.Count > 0;
    public bool Full => lines.Count >= Limit;

    public void Add(string file, long line, string? column, string reason)
    {
        if (!Full) lines.Add(column is null ? $"{file}:{line}: {reason}" : $"{file}:{line}: {column}: {reason}");
    }

    public void Add(CsvRecord row, string column, string reason) => Add(row.File, row.Line, column, reason);

    public void Add(string message)
    {
        if (!Full) lines.Add(message);
    }
}

/// <summary>A job refused its input: nothing of the job was written. Lines names every bad row found, up to the limit.</summary>
public sealed class IngestException(string job, IReadOnlyList<string> lines, bool limitReached, Exception? inner = null)
    : RunbookException(Format(job, lines, limitReached), inner)
{
    public string Job { get; } = job;
    public IReadOnlyList<string> Lines { get; } = lines;

    static string Format(string job, IReadOnlyList<string> lines, bool limitReached) =>
        $"Ingest {job} failed; the job was rolled back and its tables are as they were. " +
        (limitReached ? $"First {lines.Count} problems (the limit, --max-errors):" : $"{lines.Count} problem(s):") +
        string.Concat(lines.Select(l => "\n  " + l)) +
        $"\nFix the source and run --target=Ingest again: jobs already done are idempotent.";
}
