using NpgsqlTypes;

namespace StocksRebuild.Ingestion;

public enum CsvType { BigInt, SmallInt, Numeric, Date, Text }

/// <summary>
/// One column of the source contract. InHeader: the header must name it. Nullable: an empty field is
/// NULL rather than an error. The staging table has a column of the same name and type, and so has the
/// job's table unless StagedOnly (a ticker, which only leads to the security).
/// </summary>
public sealed record CsvColumn(string Name, CsvType Type, bool InHeader = true, bool Nullable = false, bool StagedOnly = false)
{
    public NpgsqlDbType DbType => Type switch
    {
        CsvType.BigInt => NpgsqlDbType.Bigint,
        CsvType.SmallInt => NpgsqlDbType.Smallint,
        CsvType.Numeric => NpgsqlDbType.Numeric,
        CsvType.Date => NpgsqlDbType.Date,
        _ => NpgsqlDbType.Text,
    };

    public string Expected => Type switch
    {
        CsvType.BigInt or CsvType.SmallInt => "a whole number",
        CsvType.Numeric => "a decimal number",
        CsvType.Date => "an ISO date YYYY-MM-DD",
        _ => "text",
    };
}
