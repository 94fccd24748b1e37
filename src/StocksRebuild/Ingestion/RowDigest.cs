using System.Globalization;
using System.Numerics;
using StocksRebuild.Catalog;

namespace StocksRebuild.Ingestion;

/// <summary>
/// Proof that a populated table already holds a drop's rows, without staging them. While the files are read, each
/// row's hash (PostgreSQL's own hash_record_extended of the loaded columns, see PgHash), passed through a non-linear
/// mix (PgHash.Scatter: the plain hash is linear, blind to values swapped between rows), is summed per group of the
/// primary key's first column (a security), with the group's count, and the range of the key's second column (the
/// trade dates) is kept for the drop as a whole. The server sums the same hash over the table's rows of those groups in that range, in one parallel
/// pass; only the groups that differ are staged and upserted. A row changed, deleted or added by hand in a
/// range the drop covers changes its group's count or sum, so it is found and corrected like any other change.
/// Two extra terms per row close the hashes' known blind spots: a numeric's sign, a bigint's upper half.
/// </summary>
public sealed class RowDigest
{
    /// <summary>One term of a row's hash: the column read, its hash, and the same term in SQL over the table's row t.</summary>
    sealed record Term(int Index, Func<CsvRecord, int, ulong> Hash, string Sql);

    public readonly record struct GroupKey(long Number, string? Text);

    sealed class Group
    {
        public long Count;
        public Int128 Sum;
    }

    readonly string job;
    readonly Term[] terms;
    readonly (int index, CsvType type, string name) group;
    readonly (int index, CsvType type, string name)? range;
    readonly Dictionary<GroupKey, Group> groups = [];
    HashSet<GroupKey> differing = [];
    long low = long.MaxValue, high = long.MinValue;
    (GroupKey key, Group group)? last;

    RowDigest(string job, Term[] terms, (int, CsvType, string) group, (int, CsvType, string)? range) =>
        (this.job, this.terms, this.group, this.range) = (job, terms, group, range);

    /// <summary>The digest of a job's rows, or null when a column's type has no hash here (the job then stages every row).</summary>
    public static RowDigest? For(CatalogTable table, IReadOnlyList<CsvColumn> columns)
    {
        var names = columns.Select(c => c.Name).ToList();
        if (table.PrimaryKey.Count == 0 || table.PrimaryKey.Any(k => !names.Contains(k))) return null;
        var terms = new List<Term>();
        var extras = new List<Term>();
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].StagedOnly) continue;
            var sql = "t." + Statements.Quote(columns[i].Name);
            switch (table.Column(columns[i].Name)?.Type)
            {
                case "int8":
                    terms.Add(new(i, (row, c) => PgHash.Int8(row.Integer(c)), sql));
                    extras.Add(new(i, (row, c) => PgHash.Int4((int)(row.Integer(c) >> 32)), $"({sql} >> 32)::integer"));
                    break;
                case "int4" or "int2": terms.Add(new(i, (row, c) => PgHash.Int4((int)row.Integer(c)), sql)); break;
                case "numeric":
                    terms.Add(new(i, (row, c) => PgHash.Numeric(row.Decimal(c)), sql));
                    extras.Add(new(i, (row, c) => PgHash.Bool(row.Decimal(c) < 0), $"({sql} < 0)"));
                    break;
                case "date": terms.Add(new(i, (row, c) => PgHash.Date(row.Date(c)), sql)); break;
                case "text" or "varchar": terms.Add(new(i, (row, c) => PgHash.Text(row.Text(c)!), sql)); break;
                default: return null; // char(n) hashes without its padding, and other types are not read at all
            }
        }
        var key = table.PrimaryKey.Select(k => (index: names.IndexOf(k), type: columns[names.IndexOf(k)].Type, name: k)).ToList();
        if (key[0].type == CsvType.Numeric) return null;
        (int, CsvType, string)? range = key.Count > 1 && key[1].type is CsvType.BigInt or CsvType.SmallInt or CsvType.Date ? key[1] : null;
        return new RowDigest(table.Name, [.. terms, .. extras], key[0], range);
    }

    /// <summary>An empty digest of the same rows, for one file read on its own thread; Merge adds it back.</summary>
    public RowDigest Part() => new(job, terms, group, range);

    public void Merge(RowDigest part)
    {
        foreach (var (key, other) in part.groups)
        {
            if (!groups.TryGetValue(key, out var found)) groups[key] = found = new Group();
            found.Count += other.Count;
            found.Sum += other.Sum;
        }
        low = Math.Min(low, part.low);
        high = Math.Max(high, part.high);
    }

    /// <summary>The groups the drop holds (securities, for prices).</summary>
    public int Groups => groups.Count;

    /// <summary>The rows of the drop in the groups the server found different.</summary>
    public long RowsDiffering => differing.Sum(k => groups[k].Count);

    public string GroupColumn => group.name;

    /// <summary>A group's count and sum of mixed row hashes, as Compare sets them against the table's.</summary>
    internal (long Count, Int128 Sum) Of(GroupKey key) => groups.TryGetValue(key, out var found) ? (found.Count, found.Sum) : (0, 0);

    /// <summary>Adds one row that passed every check (its key is therefore complete).</summary>
    public void Add(CsvRecord row)
    {
        var key = KeyOf(row);
        Group found;
        if (last is { } cached && cached.key == key) found = cached.group;
        else
        {
            if (!groups.TryGetValue(key, out found!)) groups[key] = found = new Group();
            last = (key, found);
        }
        ulong hash = 0;
        foreach (var term in terms) hash = PgHash.Combine(hash, row.IsNull(term.Index) ? 0 : term.Hash(row, term.Index));
        found.Count++;
        found.Sum += (long)PgHash.Scatter(hash);
        if (range is { } r)
        {
            var value = Ordinal(row, r.index, r.type);
            if (value < low) low = value;
            if (value > high) high = value;
        }
    }

    /// <summary>Whether the row's group differs from the table (after Compare).</summary>
    public bool Differs(CsvRecord row) => differing.Contains(KeyOf(row));

    /// <summary>
    /// Has the server sum the same hash over the table's rows of the drop's groups, within the range of the key's second
    /// column the drop covers, in one parallel pass; returns how many of the drop's groups differ. A group whose own range
    /// is narrower, where the table holds more rows inside the drop's range, differs and is staged: slower, never wrong.
    /// </summary>
    public int Compare(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        if (groups.Count == 0) return 0; // files with a header only: nothing to prove
        var table = new Dictionary<GroupKey, (long count, BigInteger sum)>();
        using (var command = Sql.Command(connection, CompareSql(), transaction: transaction))
        {
            // Few groups are looked up by key; for many, a hashed ANY costs more on every row than the scan it saves.
            if (groups.Count < ByKeyBelow)
                command.Parameters.Add(new NpgsqlParameter("groups", group.type switch
                {
                    CsvType.Text => groups.Keys.Select(k => k.Text!).ToArray(),
                    CsvType.Date => groups.Keys.Select(k => DateOnly.FromDayNumber((int)k.Number)).ToArray(),
                    _ => (object)groups.Keys.Select(k => k.Number).ToArray(),
                }));
            if (range is { type: var type })
            {
                command.Parameters.Add(new NpgsqlParameter("low", Bound(low, type)));
                command.Parameters.Add(new NpgsqlParameter("high", Bound(high, type)));
            }
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var key = group.type switch
                {
                    CsvType.Text => new GroupKey(0, reader.GetString(0)),
                    CsvType.Date => new GroupKey(reader.GetFieldValue<DateOnly>(0).DayNumber, null),
                    _ => new GroupKey(Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture), null), // bigint, integer or smallint
                };
                table[key] = (reader.GetInt64(1), reader.GetFieldValue<BigInteger>(2));
            }
        }
        differing = groups.Where(g => !table.TryGetValue(g.Key, out var held) || held.count != g.Value.Count || held.sum != (BigInteger)g.Value.Sum)
            .Select(g => g.Key).ToHashSet();
        return differing.Count;
    }

    const int ByKeyBelow = 1000;

    static object Bound(long value, CsvType type) => type == CsvType.Date ? DateOnly.FromDayNumber((int)value) : value;

    string CompareSql()
    {
        var column = "t." + Statements.Quote(group.name);
        var conditions = new List<string>();
        if (groups.Count < ByKeyBelow) conditions.Add($"{column} = ANY(@groups)");
        if (range is { } r) conditions.Add($"t.{Statements.Quote(r.name)} BETWEEN @low AND @high");
        return $"""
            SELECT {column}, count(*), sum({PgHash.ScatterSql(RowHashSql)})
            FROM {Statements.Table(job)} t
            {(conditions.Count > 0 ? "WHERE " + string.Join(" AND ", conditions) : "")}
            GROUP BY {column}
            """;
    }

    /// <summary>The hash of the table's row t, before the mix: the same terms Add hashes from the files.</summary>
    internal string RowHashSql => $"hash_record_extended(ROW({string.Join(", ", terms.Select(t => t.Sql))}), 0)";

    GroupKey KeyOf(CsvRecord row) => group.type == CsvType.Text
        ? new GroupKey(0, row.Text(group.index))
        : new GroupKey(Ordinal(row, group.index, group.type), null);

    static long Ordinal(CsvRecord row, int index, CsvType type) => type == CsvType.Date ? row.Date(index).DayNumber : row.Integer(index);
}
