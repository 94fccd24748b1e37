using System.Globalization;
using System.Text;
using nietras.SeparatedValues;

namespace StocksRebuild.Ingestion;

/// <summary>What was read of one source file, for the ingestion log.</summary>
public sealed record SourceFileRead(string File, string Sha256, long Bytes, long Rows);

/// <summary>
/// Streams one CSV file of the source contract: UTF-8 (a BOM is skipped, other bytes are refused), LF or
/// CRLF, RFC 4180 quoting, a header row matched by name (order free, extra columns ignored), empty = NULL.
/// Lines are counted in the file with the header as line 1, so errors point where an editor does.
/// </summary>
/// <summary>What a file is read against and into.</summary>
/// <param name="Present">Called once with the columns the header names (false: absent, every field NULL).</param>
/// <param name="OnRow">Called for each row that parsed; the record is reused for the next row.</param>
public sealed record CsvReading(IReadOnlyList<CsvColumn> Columns, IngestErrors Errors, Action<bool[]> Present, Action<CsvRecord> OnRow);

public static class CsvSource
{
    /// <summary>Longer rows are refused: a runaway quote would otherwise swallow the rest of the file.</summary>
    public const int MaxRowChars = 64 * 1024;

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads <paramref name="path"/>, calling the reader's OnRow for each valid row; bad rows go to its errors.</summary>
    public static SourceFileRead Read(string path, string displayName, CsvReading reading)
    {
        var (columns, errors, present, onRow) = (reading.Columns, reading.Errors, reading.Present, reading.OnRow);
        using var stream = new HashingStream(File.OpenRead(path));
        var rows = 0L;
        var errorsBefore = errors.Lines.Count;
        if (stream.Length == 0)
        {
            errors.Add(displayName, 1, null, "the file is empty; a header row is expected");
            return new SourceFileRead(displayName, stream.Sha256(), 0, 0);
        }

        // leaveOpen: the parser closes its reader, and the hash still needs the rest of the file.
        using var text = new StreamReader(stream, StrictUtf8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        var lastLine = 1;
        try
        {
            using var reader = Sep.New(',').Reader(o => o with { Unescape = true, Trim = SepTrim.Outer, DisableColCountCheck = true,
                HasHeader = false }).From(text);
            if (!reader.MoveNext())
            {
                errors.Add(displayName, 1, null, "the file has no header row");
                return new SourceFileRead(displayName, stream.Sha256(), stream.BytesRead, 0);
            }
            var headerWidth = reader.Current.ColCount;
            var map = MapHeader(reader.Current, columns, displayName, errors);
            if (map is null) return new SourceFileRead(displayName, stream.Sha256(), stream.BytesRead, 0);
            present(map.Select(i => i >= 0).ToArray());

            var record = new CsvRecord(columns.Count) { File = displayName };
            while (!errors.Full && reader.MoveNext())
            {
                var row = reader.Current;
                lastLine = row.LineNumberFrom;
                if (row.ColCount == 1 && row.Span.Trim().IsEmpty) continue; // blank lines (e.g. at the end) carry no row
                record.Line = row.LineNumberFrom;
                record.BytesRead = stream.BytesRead;
                rows++;
                // A quote opened and never closed swallows every later line into one field: say so, where it opened.
                if (row.Span.Count('"') % 2 == 1)
                {
                    errors.Add(displayName, record.Line, null, "a quoted field starting on this line is never closed (an unclosed \"); the lines " +
                        "after it were read into that field");
                    continue;
                }
                if (row.Span.Length > MaxRowChars)
                {
                    errors.Add(displayName, record.Line, null, $"the row is {row.Span.Length:N0} characters long; the limit is {MaxRowChars:N0} " +
                        $"(an unclosed quote?)");
                    continue;
                }
                if (row.ColCount != headerWidth)
                {
                    errors.Add(displayName, record.Line, null, $"{row.ColCount} fields where the header has {headerWidth}");
                    continue;
                }
                if (Parse(row, map, columns, record, errors)) onRow(record);
            }
            if (rows == 0 && errors.Lines.Count == errorsBefore) errors.Add(displayName, 2, null, "the file has a header but no data rows");
        }
        catch (DecoderFallbackException e)
        {
            var bytes = e.BytesUnknown is { Length: > 0 } b ? string.Join(" ", b.Select(x => $"0x{x:X2}")) : "bytes";
            errors.Add(displayName, lastLine, null, $"{bytes} at or after this line is not UTF-8; save the file as UTF-8");
        }
        return new SourceFileRead(displayName, stream.Sha256(), stream.BytesRead, rows);
    }

    /// <summary>Position of each column in the file, -1 when absent; null (with errors) when the header breaks the contract.</summary>
    static int[]? MapHeader(SepReader.Row header, IReadOnlyList<CsvColumn> columns, string file, IngestErrors errors)
    {
        var errorsBefore = errors.Lines.Count;
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < header.ColCount; i++)
        {
            var name = header[i].Span.Trim().ToString();
            if (name.Length == 0) continue;
            if (!positions.TryAdd(name, i)) errors.Add(file, 1, name, "the header names this column twice");
        }
        var map = columns.Select(c => positions.GetValueOrDefault(c.Name, -1)).ToArray();
        for (var c = 0; c < columns.Count; c++)
            if (map[c] < 0 && columns[c].InHeader)
                errors.Add(file, 1, columns[c].Name, $"required column is missing (the header has: {string.Join(", ", positions.Keys)})");
        return errors.Lines.Count > errorsBefore ? null : map;
    }

    static bool Parse(SepReader.Row row, int[] map, IReadOnlyList<CsvColumn> columns, CsvRecord record, IngestErrors errors)
    {
        var ok = true;
        for (var c = 0; c < columns.Count; c++)
        {
            var column = columns[c];
            // RFC 4180: spaces inside quotes are data; Sep trims only those outside quotes (SepTrim.Outer).
            var field = map[c] < 0 ? [] : row[map[c]].Span;
            if (field.IsEmpty)
            {
                record.SetNull(c);
                if (!column.Nullable && map[c] >= 0)
                {
                    errors.Add(record.File, record.Line, column.Name, "is empty; a value is required");
                    ok = false;
                }
                continue;
            }
            bool? parsed = column.Type switch
            {
                CsvType.BigInt or CsvType.SmallInt when IsWholeNumber(field) && !long.TryParse(field, NumberStyles.AllowLeadingSign,
                    CultureInfo.InvariantCulture, out _) =>
                    Refuse(errors, record, column, $"{Shorten(field)} is outside the range of a whole number the database holds (bigint: " +
                        $"{long.MinValue} to {long.MaxValue})"),
                CsvType.BigInt => long.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) && Set(record, c, l),
                // A smallint's range is checked by ColumnLimits, from the catalog.
                CsvType.SmallInt => long.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s) && Set(record, c, s),
                CsvType.Numeric => (PlainDecimal(field, out var d) || decimal.TryParse(field, NumberStyles.AllowLeadingSign |
                    NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out d)) && Set(record, c, d),
                CsvType.Date => (PlainDate(field, out var day) || DateOnly.TryParseExact(field, "yyyy-MM-dd", CultureInfo.InvariantCulture,
                    DateTimeStyles.None, out day)) && Set(record, c, day),
                _ => Set(record, c, field.ToString()),
            };
            if (parsed is null) { ok = false; continue; }
            if (parsed == false)
            {
                errors.Add(record.File, record.Line, column.Name, $"'{Shorten(field)}' is not {column.Expected}");
                ok = false;
            }
        }
        return ok;
    }

    /// <summary>
    /// The common shape of a price, [-]digits.digits with at most 18 digits, read without the culture machinery
    /// (a quarter of a row's time went to decimal.TryParse). Any other shape returns false and goes to decimal.TryParse,
    /// which gives the same value and scale for this one: the trailing zeros are kept.
    /// </summary>
    static bool PlainDecimal(ReadOnlySpan<char> field, out decimal value)
    {
        value = 0;
        var negative = field.Length > 0 && field[0] == '-';
        var digits = negative ? field[1..] : field;
        var point = digits.IndexOf('.');
        if (digits.Length == 0 || digits.Length > 19 || point == 0 || point == digits.Length - 1) return false;
        ulong mantissa = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            if (i == point) continue;
            var digit = (uint)(digits[i] - '0');
            if (digit > 9) return false;
            mantissa = mantissa * 10 + digit;
        }
        if (mantissa == 0 && negative) return false; // -0 and its scale are left to decimal.TryParse
        var scale = point < 0 ? 0 : digits.Length - 1 - point;
        value = new decimal((int)(uint)mantissa, (int)(uint)(mantissa >> 32), 0, negative, (byte)scale);
        return true;
    }

    /// <summary>An ISO date YYYY-MM-DD that exists, read directly; anything else goes to DateOnly.TryParseExact.</summary>
    static bool PlainDate(ReadOnlySpan<char> field, out DateOnly value)
    {
        value = default;
        if (field.Length != 10 || field[4] != '-' || field[7] != '-') return false;
        var year = Digits(field[..4]);
        var month = Digits(field[5..7]);
        var day = Digits(field[8..]);
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        value = new DateOnly(year, month, day);
        return true;
    }

    /// <summary>The number the ASCII digits spell, or -1.</summary>
    static int Digits(ReadOnlySpan<char> field)
    {
        var value = 0;
        foreach (var ch in field)
        {
            if (ch is < '0' or > '9') return -1;
            value = value * 10 + (ch - '0');
        }
        return value;
    }

    static bool IsWholeNumber(ReadOnlySpan<char> field) =>
        field.TrimStart("+-").Length > 0 && !field.TrimStart("+-").ContainsAnyExceptInRange('0', '9');

    /// <summary>A refusal with its own reason: null tells the caller the error is already recorded.</summary>
    static bool? Refuse(IngestErrors errors, CsvRecord record, CsvColumn column, string reason)
    {
        errors.Add(record.File, record.Line, column.Name, reason);
        return null;
    }

    static bool Set(CsvRecord record, int column, long value) { record.Set(column, value); return true; }
    static bool Set(CsvRecord record, int column, decimal value) { record.Set(column, value); return true; }
    static bool Set(CsvRecord record, int column, DateOnly value) { record.Set(column, value); return true; }
    static bool Set(CsvRecord record, int column, string value) { record.Set(column, value); return true; }

    static string Shorten(ReadOnlySpan<char> field) => field.Length <= 40 ? field.ToString() : field[..40].ToString() + "…";
}
