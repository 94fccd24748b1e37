using StocksRebuild.Catalog;
using StocksRebuild.Backups;

namespace StocksRebuild.Validation;

/// <summary>
/// Runbook step 4 ("Post-restore validation"), widened from the runbook's one foreign key to every one
/// the catalog knows. Read-only: the session is opened with default_transaction_read_only.
/// </summary>
public static partial class Validator
{
    const string Schema = Database.Schema.Name;

    /// <summary>The runbook's three tables that must hold rows after a restore.</summary>
    public static readonly IReadOnlyList<string> TablesThatMustHaveRows = ["securities", "prices_daily", "corporate_actions"];

    /// <summary>
    /// Before anything is dropped or restored: the verdict rules Validate will apply that the backup's manifest already decides
    /// (its exact row counts, taken in the dumped snapshot). Each failure names the rule and the table; none means "can pass".
    /// </summary>
    public static IReadOnlyList<string> JudgeManifest(BackupManifest manifest) =>
        TablesThatMustHaveRows.Select(table => (table, rows: manifest.RowCounts.TryGetValue($"{Schema}.{table}", out var n) ? n : (long?)null))
            .Where(t => t.rows is not > 0)
            .Select(t => $"row count > 0 {Schema}.{t.table}: " + (t.rows is null ? "not in the manifest" : $"{t.rows:N0} rows in the manifest"))
            .ToList();

    /// <param name="backup">The archive the database was restored from: its schema is compared object by object (<see cref="BackupSchema"/>).</param>
    public static ValidationReport Validate(ServerConnection server, string database, BackupManifest? manifest = null, ProgressLine? progress = null,
        string? backup = null)
    {
        var clock = Stopwatch.StartNew();
        var checks = new List<ValidationCheck>();
        using var connection = server.Open(database, readOnly: true);

        if (!Query(connection, "validation/schema_exists.sql", r => r.GetBoolean(0)).Single())
        {
            checks.Add(new("schema", Schema, false, $"schema {Schema} does not exist in \"{database}\""));
            return new ValidationReport(database, checks, clock.Elapsed);
        }

        var tables = SchemaCatalog.Read(connection).Tables.Values
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => (name: t.Name, hasPrimaryKey: t.PrimaryKey.Count > 0)).ToList();
        var foreignKeys = ForeignKey.InSchema(connection, Schema);
        var views = Query(connection, "validation/views.sql", r => r.GetString(0));
        var defined = Query(connection, "validation/derivations_defined.sql", r => r.GetString(0)).ToHashSet(StringComparer.Ordinal);
        var derivations = SqlFiles.List("validation/derivations").Select(f => (file: f, table: Path.GetFileNameWithoutExtension(f))).ToList();
        // A derivation check selects its view whole, which V008's views compute whole even for one row (an aggregate over a
        // CTE): where that check runs, it answers the view's own check too, instead of computing the view twice.
        var viewsReadWhole = derivations.Where(d => defined.Contains(d.table)).Select(d => DerivationView(d.table)).ToHashSet(StringComparer.Ordinal);

        // The scans (derivations, counts, orphans, views) are independent: they run on as many read-only sessions as there
        // are cores, so Validate stays a small part of a restore. The derivations go first: each is one long query, and
        // started last it would run alone at the end. Results keep their order.
        var scans = new List<Func<NpgsqlConnection, List<ValidationCheck>>>();
        foreach (var (file, table) in derivations)
            scans.Add(c => CheckDerivedTable(c, file, table, defined.Contains(table)));
        var counted = new long[tables.Count];
        for (var i = 0; i < tables.Count; i++)
        {
            var index = i;
            scans.Add(c => { counted[index] = Count(c, $"SELECT count(*) FROM {Qualified(tables[index].name)}"); return []; });
        }
        var orphansFrom = scans.Count;
        foreach (var fk in foreignKeys)
            scans.Add(c =>
            {
                var orphans = Count(c, fk.OrphanCountSql());
                return [new("no orphans", $"{fk.ChildSchema}.{fk.ChildTable}.{fk.Name}", orphans == 0,
                    orphans == 0 ? fk.Describe() : $"{orphans:N0} orphaned row(s) under {fk.Describe()}")];
            });
        var viewsFrom = scans.Count;
        foreach (var view in views.Where(v => !viewsReadWhole.Contains(v))) scans.Add(c => [CheckView(c, view)]);
        // Two client processes beside the scans' sessions: pg_restore writes the archive's schema, pg_dump the database's.
        var sameSchema = backup is null ? null : Task.Run(() => BackupSchema.Compare(server, database, backup));
        var scanned = OnSessions(server, database, scans, progress);

        // Counted once: the row-count checks and the manifest comparison share these (count(*) of a large table dominates).
        var rowCounts = tables.Select((t, i) => (t.name, i)).ToDictionary(t => $"{Schema}.{t.name}", t => counted[t.i]);

        foreach (var table in TablesThatMustHaveRows)
            checks.Add(rowCounts.TryGetValue($"{Schema}.{table}", out var rows)
                ? new("row count > 0", $"{Schema}.{table}", rows > 0, $"{rows:N0} rows")
                : new("row count > 0", $"{Schema}.{table}", false, "table does not exist"));

        checks.AddRange(scanned[orphansFrom..viewsFrom].SelectMany(c => c));

        // A table of these migrations without its key is a broken restore; a table of the site's own is the site's business.
        foreach (var (table, _) in tables.Where(t => !t.hasPrimaryKey))
            checks.Add(EmptySchemaCheck.ExpectedTables.Contains($"{Schema}.{table}")
                ? new("primary key", $"{Schema}.{table}", false, "table has no primary key")
                : new("primary key", $"{Schema}.{table}", false, "table has no primary key (not a table of these migrations)") { Warning = true });

        var notValid = Query(connection, "validation/not_valid_constraints.sql",
            r => (table: r.GetString(0), constraint: r.GetString(1), kind: r.GetString(2), check: r.IsDBNull(3) ? null : r.GetString(3)));
        foreach (var (table, constraint, kind, check) in notValid)
            checks.Add(CheckNotValid(connection, checks, table, constraint, kind == "f" ? null : check));

        var derived = scanned[..derivations.Count].SelectMany(c => c).ToList();
        var viewChecks = scanned[viewsFrom..].SelectMany(c => c).Concat(derived.Where(c => c.Check == "view resolves")).ToDictionary(c => c.Subject);
        checks.AddRange(views.Select(v => viewChecks[$"{Schema}.{v}"]));
        checks.AddRange(derived.Where(c => c.Check != "view resolves"));

        if (manifest is not null)
            checks.AddRange(CompareWithManifest(connection, manifest, rowCounts));
        if (sameSchema is not null) checks.AddRange(sameSchema.GetAwaiter().GetResult());

        return new ValidationReport(database, checks, clock.Elapsed) { RowCounts = rowCounts };
    }

    /// <summary>The read-only sessions the scans run on: one per core, up to four.</summary>
    public static int ScanSessions => Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>Runs each scan once, spread over up to one read-only session per core; results in the scans' order.</summary>
    static List<ValidationCheck>[] OnSessions(ServerConnection server, string database, List<Func<NpgsqlConnection, List<ValidationCheck>>> scans,
        ProgressLine? progress = null)
    {
        var results = new List<ValidationCheck>[scans.Count];
        var next = -1;
        var done = 0;
        var sessions = ScanSessions;
        Parallel.For(0, Math.Min(sessions, scans.Count), new ParallelOptions { MaxDegreeOfParallelism = sessions }, _ =>
        {
            using var connection = server.Open(database, readOnly: true);
            for (var i = Interlocked.Increment(ref next); i < scans.Count; i = Interlocked.Increment(ref next))
            {
                results[i] = scans[i](connection);
                progress?.Report(Interlocked.Increment(ref done), scans.Count, "scans");
            }
        });
        progress?.Done(scans.Count, "scans");
        return results;
    }

    static ValidationCheck CheckView(NpgsqlConnection connection, string view)
    {
        try
        {
            // One row is enough to run the view's plan and the functions it calls, without scanning it all.
            using var command = new NpgsqlCommand($"SELECT * FROM {Qualified(view)} LIMIT 1", connection);
            using var reader = command.ExecuteReader();
            while (reader.Read()) { }
            return new("view resolves", $"{Schema}.{view}", true, "selects");
        }
        catch (PostgresException e)
        {
            return new("view resolves", $"{Schema}.{view}", false, $"{e.SqlState}: {e.MessageText}");
        }
    }

    /// <summary>
    /// A NOT VALID constraint is hygiene when no row breaks it (a warning: VALIDATE CONSTRAINT would succeed), a failure
    /// when one does. A foreign key is judged by its orphan check above; a CHECK by the rows its expression rejects.
    /// </summary>
    static ValidationCheck CheckNotValid(NpgsqlConnection connection, IReadOnlyList<ValidationCheck> checks, string table, string constraint,
        string? checkExpression)
    {
        var subject = $"{Schema}.{table}.{constraint}";
        var orphans = checks.FirstOrDefault(c => c.Check == "no orphans" && c.Subject == subject);
        var rejected = checkExpression is null ? 0 : Count(connection, $"SELECT count(*) FROM {Qualified(table)} WHERE NOT ({checkExpression})");
        var broken = checkExpression is not null
            ? rejected > 0 ? $"{rejected:N0} row(s) break it" : null
            : orphans is null ? "rows it would reject may exist" : orphans.Passed ? null : "rows break it (see its orphan check)";
        return broken is null
            ? new("validated", subject, false, "constraint is NOT VALID, and no row breaks it today (VALIDATE CONSTRAINT would succeed)")
                { Warning = true }
            : new("validated", subject, false, $"constraint is NOT VALID: {broken}");
    }

    /// <summary>
    /// Each derived table must equal what its sources derive today, where the database defines its derivation (the
    /// table and its view v_&lt;table&gt;_derived, V008): a database these migrations did not build may not, and is not
    /// judged on what it does not define. Where it is defined, the view's own check comes with it.
    /// </summary>
    static List<ValidationCheck> CheckDerivedTable(NpgsqlConnection connection, string file, string table, bool defined)
    {
        if (!defined) return [new("= derivation", $"{Schema}.{table}", true, "skipped: no derivation defined in this database") { Skipped = true }];
        try
        {
            var (onlyInTable, onlyDerived) = Query(connection, file, r => (r.GetInt64(0), r.GetInt64(1))).Single();
            return
            [
                new("view resolves", $"{Schema}.{DerivationView(table)}", true, "selects (read whole by its derivation check)"),
                onlyInTable == 0 && onlyDerived == 0
                    ? new("= derivation", $"{Schema}.{table}", true, "equals what its sources derive")
                    : new("= derivation", $"{Schema}.{table}", false,
                        $"{onlyInTable:N0} row(s) not derived from the sources, {onlyDerived:N0} derived row(s) missing or different; " +
                        "rerun --target=Ingest"),
            ];
        }
        catch (PostgresException e)
        {
            // The view's own check says whether the view or the table failed.
            return [CheckView(connection, DerivationView(table)), new("= derivation", $"{Schema}.{table}", false, $"cannot compare: {e.SqlState}: {e.MessageText}")];
        }
    }

    static string DerivationView(string table) => $"v_{table}_derived";

    static IEnumerable<ValidationCheck> CompareWithManifest(NpgsqlConnection connection, BackupManifest manifest, IReadOnlyDictionary<string,
        long> counted)
    {
        foreach (var (qualified, expected) in manifest.RowCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var dot = qualified.IndexOf('.');
            var actual = counted.TryGetValue(qualified, out var known) ? known : CountIfExists(connection, qualified[..dot], qualified[(dot + 1)..]);
            yield return actual switch
            {
                null => new("= manifest", qualified, false, $"in the manifest ({expected:N0} rows) but missing here"),
                var n when n == expected => new("= manifest", qualified, true, $"{n:N0} rows"),
                var n => new("= manifest", qualified, false, $"{n:N0} rows here, {expected:N0} in the manifest of {manifest.File}"),
            };
        }
    }

    static long? CountIfExists(NpgsqlConnection connection, string schema, string table)
    {
        try
        {
            return Count(connection, $"SELECT count(*) FROM {Statements.Qualified(schema, table)}");
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            return null;
        }
    }

    static string Qualified(string name) => Statements.Table(name);

    static long Count(NpgsqlConnection connection, string sql) => Sql.Scalar<long>(connection, sql);

    /// <summary>The validation queries take the schema as their one parameter.</summary>
    static List<T> Query<T>(NpgsqlConnection connection, string sqlFile, Func<NpgsqlDataReader, T> map) =>
        Sql.Query(connection, SqlFiles.Read(sqlFile), map, new { schema = Schema });
}
