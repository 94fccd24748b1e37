
namespace StocksRebuild.Ingestion;

/// <summary>
/// The temporary table a job COPYs its files into before one set-based upsert: the job's table's own
/// columns and types (so values are rounded to the table's scale once, and compare equal to stored ones),
/// plus src_file/src_line so SQL checks can name the row at fault, plus columns only the source has.
/// </summary>
public static class StagingTable
{
    public static string Name(string job) => "stage_" + job;

    public static string Create(string job, IReadOnlyList<CsvColumn> columns) =>
        $"CREATE TEMP TABLE {Statements.Quote(Name(job))} (LIKE {Statements.Table(job)}) ON COMMIT DROP; " +
        $"ALTER TABLE {Statements.Quote(Name(job))} ADD COLUMN src_file smallint NOT NULL, ADD COLUMN src_line bigint NOT NULL" +
        string.Concat(columns.Where(c => c.StagedOnly).Select(c => $", ADD COLUMN {Statements.Quote(c.Name)} {SqlType(c.Type)}"));

    public static string Copy(string job, IReadOnlyList<CsvColumn> columns) =>
        Statements.CopyBinary(Statements.Quote(Name(job)), ["src_file", "src_line", .. columns.Select(c => c.Name)]);

    static string SqlType(CsvType type) => type switch
    {
        CsvType.BigInt => "bigint",
        CsvType.SmallInt => "smallint",
        CsvType.Numeric => "numeric",
        CsvType.Date => "date",
        _ => "text",
    };
}
