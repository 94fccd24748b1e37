using System.Globalization;
using StocksRebuild.Catalog;

namespace StocksRebuild.Ingestion;

/// <summary>
/// No value is changed on the way in: a number the target column cannot hold exactly (more decimals than its
/// scale, more integer digits than its precision allows, an integer outside its type) is refused while reading,
/// as FILE:LINE: COLUMN, instead of being rounded by the server or failing the job without a line. The limits come
/// from the catalog's description of the job's table.
/// </summary>
public sealed class ColumnLimits
{
    readonly string table;
    readonly (int index, string column, Func<CsvRecord, int, string?> check)[] checks;

    ColumnLimits(string table, (int, string, Func<CsvRecord, int, string?>)[] checks) => (this.table, this.checks) = (table, checks);

    /// <summary>The checks for a job's columns, from its table as the catalog describes it.</summary>
    public static ColumnLimits For(CatalogTable table, IReadOnlyList<CsvColumn> columns)
    {
        var checks = new List<(int, string, Func<CsvRecord, int, string?>)>();
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].StagedOnly || table.Column(columns[i].Name) is not { } limit) continue;
            var target = $"{table.Name}.{columns[i].Name}";
            Func<CsvRecord, int, string?>? check = limit.Type switch
            {
                "numeric" when limit is { Precision: { } p, Scale: { } s } => Numeric(p, s, target),
                "int2" => (row, c) => Integer(row.Integer(c), short.MinValue, short.MaxValue, "smallint", target),
                "int4" => (row, c) => Integer(row.Integer(c), int.MinValue, int.MaxValue, "integer", target),
                _ => null,
            };
            if (check is not null) checks.Add((i, columns[i].Name, check));
        }
        return new ColumnLimits(table.Name, checks.ToArray());
    }

    /// <summary>Adds FILE:LINE: COLUMN: reason for every value of the row its column cannot hold exactly.</summary>
    public void Check(CsvRecord row, IngestErrors errors)
    {
        foreach (var (index, column, check) in checks)
            if (!row.IsNull(index) && check(row, index) is { } reason)
                errors.Add(row.File, row.Line, column, reason);
    }

    /// <summary>
    /// The check of one numeric(p,s) column. It runs for every price of a drop, so the common case costs a
    /// comparison: the scale as parsed, and the size against 10^(p-s) computed once; the exact count of digits
    /// (a division and a string) only for a value that is then refused or carries trailing zeros.
    /// </summary>
    static Func<CsvRecord, int, string?> Numeric(int precision, int scale, string target)
    {
        decimal? bound = precision - scale <= 28 ? Pow10(precision - scale) : null;
        return (row, c) =>
        {
            var value = row.Decimal(c);
            return value.Scale <= scale && (bound is not { } b || Math.Abs(value) < b) ? null : Numeric(value, precision, scale, target);
        };
    }

    static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < exponent; i++) result *= 10;
        return result;
    }

    public static string? Numeric(decimal value, int precision, int scale, string target)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);
        // Trailing zeros carry no digits: 93.9273000 fits numeric(18,6) exactly.
        var decimals = (value / 1.0000000000000000000000000000m).Scale;
        if (decimals > scale) return $"{text} has {decimals} decimals; {target} keeps {scale} (it would be rounded)";
        var integerDigits = Math.Truncate(Math.Abs(value)) is var whole && whole == 0 ? 0 : whole.ToString(CultureInfo.InvariantCulture).Length;
        if (integerDigits > precision - scale)
            return $"{text} has {integerDigits} integer digits; {target} (numeric({precision},{scale})) holds at most {precision - scale}";
        return null;
    }

    static string? Integer(long value, long min, long max, string type, string target) =>
        value < min || value > max ? $"{value} is outside {target}'s range ({type}: {min} to {max})" : null;
}
