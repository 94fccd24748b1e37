using StocksRebuild.Catalog;

namespace StocksRebuild.Ingestion;

/// <summary>How a value is read from a CSV field: the reader's types, chosen from the table column's type.</summary>
public enum CsvType { BigInt, SmallInt, Numeric, Date, Text }

/// <summary>
/// One column of a job's source contract: what the files say, not what the table holds (that is the catalog's).
/// InHeader: the header must name it. Resolved: the job fills it from another column (a price's security from
/// its ticker), so it may be empty. SourceOnly: a column the table does not have, with the type it is read as
/// (a ticker, which only leads to the security); it goes to the staging table only.
/// </summary>
public sealed record CsvField(string Name, bool InHeader = true, bool Resolved = false, CsvType? SourceOnly = null);

/// <summary>
/// A contract column bound to the job's table as the catalog describes it: its type to read, and whether an empty
/// field is NULL (the column allows it) rather than an error. The staging table has a column of the same name and
/// type, and so has the job's table unless StagedOnly.
/// </summary>
public sealed record CsvColumn(string Name, CsvType Type, bool InHeader = true, bool Nullable = false, bool StagedOnly = false)
{
    public string Expected => Type switch
    {
        CsvType.BigInt or CsvType.SmallInt => "a whole number",
        CsvType.Numeric => "a decimal number",
        CsvType.Date => "an ISO date YYYY-MM-DD",
        _ => "text",
    };

    /// <summary>The contract's fields bound to the table: types and nullability from the catalog, so a migration needs no edit here.</summary>
    public static IReadOnlyList<CsvColumn> Bind(IReadOnlyList<CsvField> fields, CatalogTable table) =>
    [
        .. fields.Select(field => field.SourceOnly is { } type
            ? new CsvColumn(field.Name, type, field.InHeader, Nullable: true, StagedOnly: true)
            : table.Column(field.Name) is { } column
                ? new CsvColumn(field.Name, TypeOf(column, table), field.InHeader, Nullable: field.Resolved || !column.NotNull)
                : throw new RunbookException($"Ingest: {Database.Schema.Name}.{table.Name} has no column {field.Name}, which its source " +
                                             "files carry; a migration and the job's contract disagree.")),
    ];

    static CsvType TypeOf(CatalogColumn column, CatalogTable table) => column.Type switch
    {
        "int8" or "int4" => CsvType.BigInt,
        "int2" => CsvType.SmallInt,
        "numeric" => CsvType.Numeric,
        "date" => CsvType.Date,
        "text" or "varchar" or "bpchar" => CsvType.Text,
        var other => throw new RunbookException(
            $"Ingest: {Database.Schema.Name}.{table.Name}.{column.Name} is of type {other}, which the CSV reader does not read."),
    };
}
