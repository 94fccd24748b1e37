namespace StocksRebuild.Ingestion;

/// <summary>
/// The temporary table a job COPYs its files into before one set-based upsert. Generated from the job's
/// columns (the contract is defined once); src_file/src_line let SQL checks name the row at fault.
/// </summary>
public static class StagingTable
{
    public static string Name(string job) => "stage_" + job;

    public static string Create(string job, IReadOnlyList<CsvColumn> columns) =>
        $"CREATE TEMP TABLE {Name(job)} (src_file smallint NOT NULL, src_line bigint NOT NULL, " +
        string.Join(", ", columns.Select(c => $"{c.Name} {SqlType(c.Type)}")) + ") ON COMMIT DROP";

    public static string Copy(string job, IReadOnlyList<CsvColumn> columns) =>
        $"COPY {Name(job)} (src_file, src_line, {string.Join(", ", columns.Select(c => c.Name))}) FROM STDIN (FORMAT BINARY)";

    // Unconstrained numeric: a check can quote the value as the file wrote it; the upsert applies the table's scale.
    static string SqlType(CsvType type) => type switch
    {
        CsvType.BigInt => "bigint",
        CsvType.SmallInt => "smallint",
        CsvType.Numeric => "numeric",
        CsvType.Date => "date",
        _ => "text",
    };
}
