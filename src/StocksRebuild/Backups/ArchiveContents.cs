using System.Globalization;
using System.Text.RegularExpressions;

namespace StocksRebuild.Backups;

/// <summary>
/// What an archive's table of contents (pg_restore --list) says it holds: tables and their data by schema, and
/// the creation time pg_dump wrote into its header. Parsed from the text, so it is testable without a file.
/// </summary>
public sealed partial record ArchiveContents(
    DateTime? CreatedUtc,
    IReadOnlySet<string> Schemas,
    IReadOnlySet<string> Tables,
    IReadOnlySet<string> TablesWithData,
    int Entries)
{
    /// <summary>
    /// The contents of the archive at <paramref name="path"/> as the local pg_restore --list reads them (its table of
    /// contents only: fast); null with pg_restore's own words when it cannot. VerifyBackup reads it itself, to name each failure.
    /// </summary>
    public static ArchiveContents? Read(string path, out string error)
    {
        var list = ToolRun.Run(PgTools.Find("pg_restore"), ["--list", path]);
        error = list.Succeeded ? "" : list.ErrorText;
        return list.Succeeded ? Parse(string.Join("\n", list.StdOut)) : null;
    }

    public static ArchiveContents Parse(string toc, TimeZoneInfo? dumpersZone = null)
    {
        var tables = new HashSet<string>(StringComparer.Ordinal);
        var data = new HashSet<string>(StringComparer.Ordinal);
        var schemas = new HashSet<string>(StringComparer.Ordinal);
        var entries = 0;
        foreach (Match entry in Entry().Matches(toc))
        {
            entries++;
            var (type, schema, name) = (entry.Groups["type"].Value, entry.Groups["schema"].Value, entry.Groups["name"].Value);
            if (type == "SCHEMA") schemas.Add(name);
            else if (type == "TABLE") { tables.Add($"{schema}.{name}"); schemas.Add(schema); }
            else if (type == "TABLE DATA") { data.Add($"{schema}.{name}"); schemas.Add(schema); }
        }
        return new ArchiveContents(CreatedAt(toc, dumpersZone ?? TimeZoneInfo.Local), schemas, tables, data, entries);
    }

    /// <summary>
    /// Each table's partitions and inheritance children ("schema.table"), at every depth: a partitioned table's rows are
    /// dumped under its partitions, never under itself. Empty until <see cref="WithDescendants"/> reads them.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Children { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>
    /// These contents with the children the archive's pre-data script declares (pg_restore --section=pre-data --file=-):
    /// "ALTER TABLE ONLY parent ATTACH PARTITION child" and "CREATE TABLE child (…) INHERITS (parent, …)".
    /// </summary>
    public ArchiveContents WithDescendants(string preDataScript)
    {
        var children = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string parent, string child)
        {
            if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
            list.Add(child);
        }
        foreach (Match attach in Attach().Matches(preDataScript)) Add(Unquote(attach.Groups["parent"].Value), Unquote(attach.Groups["child"].Value));
        foreach (Match inherits in Inherits().Matches(preDataScript))
            foreach (Match parent in Identifier().Matches(inherits.Groups["parents"].Value))
                Add(Unquote(parent.Value), Unquote(inherits.Groups["child"].Value));
        return this with { Children = children.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal) };
    }

    /// <summary>Whether the archive holds rows of the table: its own TABLE DATA, or that of a partition or child at any depth.</summary>
    public bool HoldsRowsOf(string table) => HoldsRowsOf(table, []);

    bool HoldsRowsOf(string table, HashSet<string> seen) =>
        TablesWithData.Contains(table)
        || seen.Add(table) && Children.TryGetValue(table, out var children) && children.Any(child => HoldsRowsOf(child, seen));

    /// <summary>"stocks_research.prices_daily" from pg_dump's quoted form ("Odd""Schema".prices), as the list names it.</summary>
    static string Unquote(string qualified)
    {
        var parts = new List<string>();
        var part = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < qualified.Length; i++)
        {
            var c = qualified[i];
            if (c == '"' && quoted && i + 1 < qualified.Length && qualified[i + 1] == '"') { part.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == '.' && !quoted) { parts.Add(part.ToString()); part.Clear(); }
            else part.Append(c);
        }
        parts.Add(part.ToString());
        return string.Join('.', parts);
    }

    /// <summary>"schema-only", "data-only" or "schema and data": what pg_dump was asked for.</summary>
    public string Kind => TablesWithData.Count == 0 ? "schema-only" : Tables.Count == 0 ? "data-only" : "schema and data";

    /// <summary>What a restore of the runbook needs and this archive lacks; empty when it holds everything.</summary>
    public IReadOnlyList<string> MissingFor(string schema, IEnumerable<string> tablesThatMustHaveRows)
    {
        var missing = new List<string>();
        if (!Schemas.Contains(schema)) missing.Add($"schema {schema}");
        foreach (var table in tablesThatMustHaveRows.Select(t => $"{schema}.{t}"))
        {
            if (!Tables.Contains(table)) missing.Add($"table {table}");
            if (!HoldsRowsOf(table)) missing.Add($"the rows of {table} (no TABLE DATA entry" + (Children.ContainsKey(table) ? ", nor one of its partitions)" : ")"));
        }
        return missing;
    }

    /// <summary>One line for a refusal or a report: its kind and where its tables are.</summary>
    public string Describe()
    {
        var bySchema = Tables.Union(TablesWithData).GroupBy(t => t[..t.IndexOf('.')]).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Count()} in {g.Key}");
        var where = Tables.Count + TablesWithData.Count == 0 ? "no tables" : "tables " + string.Join(", ", bySchema);
        return $"{Kind}, {where}";
    }

    /// <summary>
    /// "; Archive created at 2026-11-25 19:18:26 UTC": pg_dump stores its local clock time without a zone and
    /// pg_restore prints it in its own; read as this machine's local time, as pg_restore itself does.
    /// </summary>
    static DateTime? CreatedAt(string toc, TimeZoneInfo zone)
    {
        var match = Created().Match(toc);
        if (!match.Success || !DateTime.TryParseExact(match.Groups[1].Value, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture,
            DateTimeStyles.None, out var local))
            return null;
        return TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), zone);
    }

    // "218; 1259 16390 TABLE stocks_research securities owner", "3740; 0 16390 TABLE DATA stocks_research securities owner",
    // "7; 2615 16385 SCHEMA - stocks_research owner". Every entry counts; names with spaces are not ours to restore: not typed.
    // "TABLE ATTACH stocks_research prices_daily_2024 owner" attaches a partition listed as a TABLE of its own.
    [GeneratedRegex(@"^\d+; \d+ \d+ (?:(?<type>TABLE DATA|TABLE(?! ATTACH )|SCHEMA) (?<schema>\S+) (?<name>\S+))?", RegexOptions.Multiline)]
    private static partial Regex Entry();

    // "ALTER TABLE ONLY stocks_research.prices_daily ATTACH PARTITION stocks_research.prices_daily_2024 FOR VALUES …"
    [GeneratedRegex(@"^ALTER TABLE ONLY (?<parent>" + Name + ") ATTACH PARTITION (?<child>" + Name + ") ", RegexOptions.Multiline)]
    private static partial Regex Attach();

    // "CREATE TABLE s.child (\n    …\n)\nINHERITS (s.parent);": pg_dump ends the column list on a line of its own.
    [GeneratedRegex(@"^CREATE (?:UNLOGGED )?TABLE (?<child>" + Name + @") \((?:\n(?!\)).*)*\n\)\nINHERITS \((?<parents>(?:" + Name + @"(?:, )?)+)\);",
        RegexOptions.Multiline)]
    private static partial Regex Inherits();

    // A name as pg_dump writes it: bare, or in double quotes with "" for a quote.
    const string Name = @"(?:[^\s""(),]|""(?:[^""]|"""")*"")+";

    [GeneratedRegex(Name)]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^; Archive created at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", RegexOptions.Multiline)]
    private static partial Regex Created();
}
