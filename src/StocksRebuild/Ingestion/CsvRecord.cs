namespace StocksRebuild.Ingestion;

/// <summary>
/// One parsed data row, reused from row to row (millions of price rows: no allocation per field but text).
/// Fields are addressed by the column's position in the job's column list.
/// </summary>
public sealed class CsvRecord
{
    readonly long[] integers;
    readonly decimal[] decimals;
    readonly DateOnly[] dates;
    readonly string?[] texts;
    readonly bool[] nulls;

    public CsvRecord(int columns)
    {
        integers = new long[columns];
        decimals = new decimal[columns];
        dates = new DateOnly[columns];
        texts = new string?[columns];
        nulls = new bool[columns];
    }

    public string File { get; internal set; } = "";
    public long Line { get; internal set; }
    /// <summary>Bytes of the file read so far (the reader's buffer runs a little ahead of the row): for progress only.</summary>
    public long BytesRead { get; internal set; }

    public bool IsNull(int column) => nulls[column];
    public long Integer(int column) => integers[column];
    public decimal Decimal(int column) => decimals[column];
    public DateOnly Date(int column) => dates[column];
    public string? Text(int column) => texts[column];

    internal void SetNull(int column) { nulls[column] = true; texts[column] = null; }
    internal void Set(int column, long value) { nulls[column] = false; integers[column] = value; }
    internal void Set(int column, decimal value) { nulls[column] = false; decimals[column] = value; }
    internal void Set(int column, DateOnly value) { nulls[column] = false; dates[column] = value; }
    internal void Set(int column, string value) { nulls[column] = false; texts[column] = value; }
}
