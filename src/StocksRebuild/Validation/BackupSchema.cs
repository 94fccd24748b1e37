using System.Text.RegularExpressions;

namespace StocksRebuild.Validation;

/// <summary>One object of a schema script as pg_dump writes it: its table-of-contents entry and its definition.</summary>
public sealed record SchemaObject(string Type, string Schema, string Name, string Definition)
{
    /// <summary>As pg_restore --list names the entry: "FK CONSTRAINT stocks_research prices_daily prices_daily_security_id_fkey".</summary>
    public string Entry => $"{Type} {Schema} {Name}";
}

/// <summary>
/// "Recreated identically", for the schema: every object of the archive's table of contents (tables, partitions,
/// constraints and whether they are valid, indexes, views, materialized views, sequences, functions, triggers,
/// policies, extensions, comments) as pg_restore writes it from the archive, against the restored database as pg_dump
/// writes it, both with the restore's own options (--no-owner --no-privileges). A missing, extra or different object
/// fails Validate, named by its entry. The same pg_dump writes both texts when the archive's major version is this
/// one's; otherwise only the entries are compared (a newer pg_dump words some definitions differently).
/// </summary>
public static partial class BackupSchema
{
    public const string Check = "= backup schema";

    /// <summary>What pg_restore (from the archive) and pg_dump (from the database) are both asked for: the restore's own options.</summary>
    static readonly string[] Options = ["--schema-only", "--no-owner", "--no-privileges"];

    public static IReadOnlyList<ValidationCheck> Compare(ServerConnection server, string database, string archive)
    {
        var backup = Script(ToolRun.Run(PgTools.Find("pg_restore"), [.. Options, "--file=-", archive]), "pg_restore --schema-only", server);
        var restored = Script(ToolRun.Run(PgTools.Find("pg_dump"), [.. Options, "--dbname=" + LibpqConnInfo.ForDatabase(database)],
            server.ClientEnvironment(database)), "pg_dump --schema-only", server);
        if ((backup.Error ?? restored.Error) is { } error) return [new(Check, Path.GetFileName(archive), false, error)];
        return Compare(backup.Text, restored.Text);
    }

    static (string Text, string? Error) Script(ToolResult result, string what, ServerConnection server) =>
        result.Succeeded ? (string.Join('\n', result.StdOut), null)
            : ("", $"cannot compare: {what} {result.HowItEnded}: {Secrets.Mask(result.ErrorText, server)}");

    /// <summary>The archive's script against the database's: one passing check, or one failure per object that is not the same.</summary>
    public static IReadOnlyList<ValidationCheck> Compare(string backupScript, string databaseScript)
    {
        var backup = Parse(backupScript);
        var database = Parse(databaseScript);
        var (backupVersion, databaseVersion) = (DumpMajor(backupScript), DumpMajor(databaseScript));
        var definitions = backupVersion == databaseVersion;
        var checks = new List<ValidationCheck>();
        var here = database.ToLookup(o => o.Entry, StringComparer.Ordinal);
        var there = backup.ToLookup(o => o.Entry, StringComparer.Ordinal);
        foreach (var entry in backup.Select(o => o.Entry).Distinct(StringComparer.Ordinal))
        {
            var (expected, actual) = (there[entry].ToList(), here[entry].ToList());
            if (actual.Count < expected.Count)
                checks.Add(new(Check, entry, false, "in the backup, missing here"));
            else if (definitions && !expected.Select(o => o.Definition).SequenceEqual(actual.Take(expected.Count).Select(o => o.Definition)))
                checks.Add(new(Check, entry, false, "differs from the backup: " + FirstDifference(expected, actual)));
        }
        foreach (var entry in database.Select(o => o.Entry).Distinct(StringComparer.Ordinal).Where(e => here[e].Count() > there[e].Count()))
            checks.Add(new(Check, entry, false, "here, not in the backup"));
        if (checks.Count == 0)
            checks.Add(new(Check, $"{backup.Count} objects", true, definitions
                ? "every object of the backup's table of contents is here, defined as in the backup, and nothing else"
                : $"every object of the backup's table of contents is here, and nothing else (the backup's pg_dump {backupVersion} and " +
                  $"this one {databaseVersion} word definitions differently: compared by entry only)"));
        else if (!definitions)
            checks.Add(new(Check, "definitions", true, $"compared by entry only: the backup's pg_dump {backupVersion}, this one {databaseVersion}")
                { Skipped = true });
        return checks;
    }

    static string FirstDifference(List<SchemaObject> expected, List<SchemaObject> actual)
    {
        var (a, b) = (Lines(string.Join('\n', expected.Select(o => o.Definition))), Lines(string.Join('\n', actual.Select(o => o.Definition))));
        var i = 0;
        // A column or constraint lost from a table's list also takes the comma off the line before it: not the difference.
        while (i < a.Length && i < b.Length && a[i].TrimEnd(',') == b[i].TrimEnd(',')) i++;
        string Line(string[] lines) => i < lines.Length ? $"\"{Shorten(lines[i])}\"" : "(nothing)";
        return $"the backup has {Line(a)}, this database {Line(b)}";
    }

    static string[] Lines(string text) => text.Split('\n');

    static string Shorten(string line) => line.Trim().TrimEnd(',') is var trimmed && trimmed.Length <= 160 ? trimmed : trimmed[..157] + "...";

    /// <summary>
    /// The script's objects in order. A definition is its lines without the blank ones and without what differs between
    /// two dumps of one schema: psql's \restrict key (random per dump) and the tablespace and access-method SETs (written
    /// when they change from the object before: an object missing would change its neighbour).
    /// </summary>
    public static IReadOnlyList<SchemaObject> Parse(string script)
    {
        var objects = new List<SchemaObject>();
        (string type, string schema, string name)? current = null;
        var body = new List<string>();
        void Close()
        {
            if (current is { } c) objects.Add(new(c.type, c.schema, c.name, string.Join('\n', body)));
            body.Clear();
        }
        foreach (var raw in script.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var header = Header().Match(line);
            if (header.Success)
            {
                Close();
                current = (header.Groups["type"].Value, header.Groups["schema"].Value, header.Groups["name"].Value);
                // pg_restore writes a populated materialized view's REFRESH in the schema (post-data), pg_dump --schema-only
                // does not: not the schema. Validate's view check fails a materialized view that was not populated.
                if (current.Value.type == "MATERIALIZED VIEW DATA") current = null;
                continue;
            }
            if (current is null || line.Length == 0 || line == "--" || Varies().IsMatch(line) || line == "-- PostgreSQL database dump complete")
                continue;
            body.Add(line);
        }
        Close();
        return objects;
    }

    /// <summary>"-- Dumped by pg_dump version 15.18 (Debian …)": 15.</summary>
    static string? DumpMajor(string script) => DumpedBy().Match(script) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"^-- (?:Data for )?Name: (?<name>.*); Type: (?<type>[^;]*); Schema: (?<schema>[^;]*); Owner: [^;]*$")]
    private static partial Regex Header();

    [GeneratedRegex(@"^(?:\\restrict |\\unrestrict |SET default_tablespace = |SET default_table_access_method = )")]
    private static partial Regex Varies();

    [GeneratedRegex(@"^-- Dumped by pg_dump version (\d+)", RegexOptions.Multiline)]
    private static partial Regex DumpedBy();
}
