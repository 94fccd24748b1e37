using System.Globalization;

namespace StocksRebuild.Restore;

/// <summary>
/// Restore beside live (the default when the target exists): the backup is restored and validated in an incoming
/// database while the live one keeps serving; only then are the database's privileges and settings carried over, the
/// sessions on the live one ended, and in one transaction the live database renamed &lt;db&gt;_previous_&lt;utc&gt; and the
/// incoming one &lt;db&gt;. Every way a backup can fail to restore then costs the incoming copy, never live. The previous
/// copy is kept until the next green swap or DropPrevious; what was written to live meanwhile is reported at the swap.
/// </summary>
public sealed class SwapRestore
{
    const string TimestampFormat = "yyyyMMddHHmmss";
    readonly RunContext run;
    readonly Consent consent;
    readonly bool keepFailed;
    /// <summary>--read-only-live: live refuses writes from new sessions while the copy is built beside it.</summary>
    public bool ReadOnlyLive { get; init; }
    bool madeReadOnly;
    /// <summary>The run that builds the incoming database, as messages name it: Restore or ColdRebuild.</summary>
    readonly string runName;
    /// <summary>Live's write counters when the restore began (null: not taken yet, or the statistics do not count).</summary>
    IReadOnlyDictionary<string, long[]>? writesAtStart;

    /// <summary>The swap of one run: <paramref name="database"/> is the live name; the backup goes into <see cref="Incoming"/>.</summary>
    public SwapRestore(RunContext run, string database, Consent consent, bool keepFailed = false, string runName = "Restore")
        : this(run, database, consent, keepFailed, IncomingName(database, run.UtcNow()), isSwapBack: false, runName)
    {
    }

    SwapRestore(RunContext run, string database, Consent consent, bool keepFailed, string incoming, bool isSwapBack, string runName) =>
        (this.run, this.consent, this.keepFailed, Database, Incoming, this.isSwapBack, this.runName) =
        (run, consent, keepFailed, database, incoming, isSwapBack, runName);

    /// <summary>SwapBack: the incoming database is a previous copy, put back as it is; nothing was restored, nothing to count or drop.</summary>
    readonly bool isSwapBack;

    public string Database { get; }

    /// <summary>Where the backup is restored and validated before it is swapped in.</summary>
    public string Incoming { get; }

    public bool Swapped { get; private set; }

    /// <summary>Where the backup is restored before the swap.</summary>
    public static string IncomingName(string database, DateTime utc) => Suffixed(database, "incoming", utc);

    /// <summary>What the live database is called after the swap.</summary>
    public static string PreviousName(string database, DateTime utc) => Suffixed(database, "previous", utc);

    /// <summary>"&lt;db&gt;_previous_": what DropPrevious may drop.</summary>
    public static string PreviousPrefix(string database) => Shortened(database) + "_previous_";

    /// <summary>When the run that named a previous or incoming copy started (null: not such a name).</summary>
    public static DateTime? TimeOf(string name) =>
        name.Length > TimestampFormat.Length && DateTime.TryParseExact(name[^TimestampFormat.Length..], TimestampFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    /// <summary>"&lt;db&gt;_incoming_": a restore beside live in progress, or one that failed and was kept (--keep-failed).</summary>
    public static string IncomingPrefix(string database) => Shortened(database) + "_incoming_";

    /// <summary>
    /// DropCreate beside live, before anything is restored: consent for the swap (it ends sessions on the live database
    /// and puts another in its place), the leftovers of earlier runs removed, live's write counters taken, and the
    /// incoming database created empty.
    /// </summary>
    public void Prepare()
    {
        RequireConsent();
        RemoveLeftovers(run, Database, Incoming);
        // Live may be what the outage broke (refusing connections, files lost): restoring beside it must not need it readable.
        try { writesAtStart = TableWrites(Database); }
        catch (Exception e) when (e is NpgsqlException or RunbookException)
        {
            run.Log.Warning($"{runName}: \"{Database}\" cannot be read ({Secrets.Mask(e.Message, run.Server)}), so the writes made to it during " +
                "the restore cannot be counted; the backup is restored beside it all the same.");
        }
        run.Admin.DropCreate(Incoming, Consent.None, run.Log, run.Cancellation);
        using (var connection = run.Server.Open(run.MaintenanceDatabase)) DatabaseAdmin.CloseToOtherRoles(connection, Incoming);
        if (ReadOnlyLive) MakeLiveReadOnly();
    }

    public void RequireConsent() =>
        consent.Require(runName, Database, "would end every session on and replace (keeping it as <db>_previous_<utc>) the live database");

    /// <summary>
    /// Swaps <see cref="Incoming"/> in as <see cref="Database"/>; returns the previous copy's name, or null when there was no live database.
    /// </summary>
    public string? Swap()
    {
        var (database, incoming, log) = (Database, Incoming, run.Log);
        var admin = run.Admin;
        using var connection = run.Server.Open(run.MaintenanceDatabase);
        if (!admin.Exists(database))
        {
            Sql.Execute(connection, Statements.RenameDatabase(incoming, database));
            Swapped = true;
            log.Info($"Swap: there was no \"{database}\"; \"{incoming}\" is now \"{database}\".");
            return null;
        }

        var previous = PreviousName(database, run.UtcNow());
        if (admin.Exists(previous))
            throw new RunbookException($"Swap refused: \"{previous}\" exists already; drop it (--target=DropPrevious --confirm={previous}) " +
                                       $"or wait a second. \"{database}\" is untouched.");

        // Before live's settings are carried: the restored copy must not inherit the read-only spell.
        if (madeReadOnly) UndoReadOnly();
        CarryDatabaseState(connection);
        var clock = Stopwatch.StartNew();
        // From here no new session may start on the live database; the ones open are ended, then both
        // renames commit together. Clients see the old database until this instant and the new one after.
        Sql.Execute(connection, Statements.AllowConnections(database, false));
        try
        {
            var ended = EndSessions(connection, database);
            using var transaction = connection.BeginTransaction();
            Sql.Execute(connection, Statements.RenameDatabase(database, previous), transaction: transaction);
            Sql.Execute(connection, Statements.RenameDatabase(incoming, database), transaction: transaction);
            transaction.Commit();
            Swapped = true;
            log.Info($"Swap: ended {ended} session(s) on \"{database}\"; \"{incoming}\" is now \"{database}\" and the previous one is " +
                     $"\"{previous}\" ({clock.ElapsedMilliseconds} ms without connections).");
        }
        catch (Exception e) when (e is NpgsqlException or RunbookException)
        {
            // The renames rolled back; connections must be allowed again even if this session is what broke.
            var reopened = TryAllowConnectionsAgain(database);
            throw new RunbookException($"Swap failed: {Secrets.Mask(e.Message, run.Server)}. \"{database}\" is unchanged" +
                (reopened ? " and accepts connections again"
                    : $" but still refuses new connections: run ALTER DATABASE {DatabaseName.Quote(database)} WITH ALLOW_CONNECTIONS true") +
                (isSwapBack ? $"; \"{incoming}\" stays as it was. Run SwapBack again."
                    : $"; the restored copy \"{incoming}\" is dropped at the end of the run. Run {runName} again."), e);
        }
        // The previous copy stays reachable so a DBA can compare or take rows back from it.
        Sql.Execute(connection, Statements.AllowConnections(previous, true));
        if (isSwapBack) return previous;
        // The swap is done: what follows informs and tidies, and must not turn a green restore red.
        try
        {
            ReportWritesSinceStart(previous);
            DropOlderPrevious(previous);
        }
        catch (Exception e) when (e is NpgsqlException or RunbookException)
        {
            run.Log.Warning($"Swap: done, but the writes to \"{previous}\" during the restore could not be counted or an older previous copy " +
                $"could not be dropped: {Secrets.Mask(e.Message, run.Server)}. Compare with \"{previous}\" before dropping it.");
        }
        return previous;
    }

    /// <summary>
    /// --read-only-live: new sessions on live get default_transaction_read_only. The mark that this run did it is the incoming
    /// database's comment (a database the run owns; a custom setting on live would need a superuser), so that the next run,
    /// removing the incoming copy of a run killed before undoing it, undoes it too. A live database read-only by its own
    /// setting is left alone.
    /// </summary>
    void MakeLiveReadOnly()
    {
        using var connection = run.Server.Open(run.MaintenanceDatabase);
        var (own, sessions) = ReadOnlyState(connection, Database);
        if (own)
        {
            run.Log.Info($"{runName}: \"{Database}\" is read-only by a setting of its own already; --read-only-live leaves it as it is.");
            return;
        }
        Sql.Execute(connection, $"COMMENT ON DATABASE {DatabaseName.Quote(Incoming)} IS {Statements.Literal(ReadOnlyMark + Database)}");
        Sql.Execute(connection, $"ALTER DATABASE {DatabaseName.Quote(Database)} SET default_transaction_read_only = on");
        madeReadOnly = true;
        run.Log.Info($"{runName}: \"{Database}\" is read-only for new sessions until the swap (--read-only-live); {sessions} open session(s) on " +
            "it can still write until they reconnect" + (sessions == 0 ? "." : ": what they write is reported at the swap."));
    }

    const string ReadOnlyMark = "stocksrebuild --read-only-live made this database read-only while it was built: ";

    void UndoReadOnly()
    {
        using var connection = run.Server.Open(run.MaintenanceDatabase);
        Sql.Execute(connection, $"ALTER DATABASE {DatabaseName.Quote(Database)} RESET default_transaction_read_only");
        Sql.Execute(connection, $"COMMENT ON DATABASE {DatabaseName.Quote(Incoming)} IS NULL");
        madeReadOnly = false;
    }

    /// <summary>Before a leftover incoming copy is dropped: the read-only spell its run cast on live, undone.</summary>
    static void RepairReadOnly(RunContext run, string database, string leftover)
    {
        using var connection = run.Server.Open(run.MaintenanceDatabase);
        var comment = Sql.Scalar<string?>(connection, "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = @leftover",
            new { leftover });
        if (comment != ReadOnlyMark + database) return;
        Sql.Execute(connection, $"ALTER DATABASE {DatabaseName.Quote(database)} RESET default_transaction_read_only");
        run.Log.Warning($"\"{database}\" was left read-only for new sessions by the run that built \"{leftover}\" and did not finish; it accepts " +
            "writes again.");
    }

    static (bool Own, long Sessions) ReadOnlyState(NpgsqlConnection connection, string database) =>
        Sql.Query(connection, SqlFiles.Read("database/read_only_live.sql"), r => (r.GetBoolean(0), r.GetInt64(1)), new { database }).SingleOrDefault();

    /// <summary>
    /// The database's own state (privileges, ALTER DATABASE/ROLE ... SET, connection limit, comment, owner) from live onto
    /// the incoming copy, before the swap: a statement that fails refuses the swap with live untouched, except the owner,
    /// which needs membership in the owner's role and is otherwise named in a warning with its command.
    /// </summary>
    void CarryDatabaseState(NpgsqlConnection connection)
    {
        var state = DatabaseState.Read(connection, Database, Incoming);
        DatabaseAdmin.OpenToPublic(connection, Incoming); // closed since DropCreate; live's own privileges, if any, follow
        foreach (var (kind, sql) in state.Statements)
        {
            try { Sql.Execute(connection, sql); }
            catch (PostgresException e) when (kind == "owner")
            {
                run.Log.Warning($"Swap: \"{Database}\" belongs to another role and could not be given to it ({e.MessageText}); the restored " +
                    $"database belongs to {run.Server.User}. As a role that may: {sql.Replace(Incoming, Database, StringComparison.Ordinal)}");
            }
            catch (PostgresException e)
            {
                throw new RunbookException($"the live database's {kind} could not be carried to the restored copy: {sql}: {e.MessageText}");
            }
        }
        if (state.Summary.Length > 0) run.Log.Info($"Swap: carried the live database's own state to the restored copy: {state.Summary}.");
    }

    /// <summary>Rows counted by the statistics as inserted, updated, deleted per table (null when track_counts is off).</summary>
    IReadOnlyDictionary<string, long[]>? TableWrites(string database)
    {
        using var connection = run.Server.Open(database);
        var rows = Sql.Query(connection, SqlFiles.Read("database/table_writes.sql"),
            r => (table: r.GetString(0), counts: new[] { r.GetInt64(1), r.GetInt64(2), r.GetInt64(3) }, counting: r.GetBoolean(4)));
        if (rows.Count > 0 && !rows[0].counting) return null;
        return rows.ToDictionary(r => r.table, r => r.counts);
    }

    /// <summary>What was written to live while the copy was restored beside it: it stays in the previous copy, said here.</summary>
    void ReportWritesSinceStart(string previous)
    {
        var now = writesAtStart is null ? null : TableWrites(previous);
        if (writesAtStart is null || now is null)
        {
            run.Log.Warning($"Swap: whether \"{Database}\" was written to while the backup was restored cannot be told (it could not be read " +
                $"when the restore began, or the server's statistics do not count writes: track_counts off); compare with \"{previous}\" before " +
                "dropping it.");
            return;
        }
        var changed = now.Select(t => (t.Key, delta: t.Value.Zip(writesAtStart.GetValueOrDefault(t.Key, [0, 0, 0]), (a, b) => a - b).ToArray()))
            .Where(t => t.delta.Any(d => d != 0)).ToList();
        if (changed.Count == 0)
        {
            run.Log.Info($"Swap: no table of \"{Database}\" was written to while the backup was restored beside it.");
            return;
        }
        run.Log.Warning($"Swap: while the backup was restored beside it, \"{Database}\" was written to; those rows are in \"{previous}\", " +
            "not in the restored database (see the README's \"Writes during a restore\"): " +
            string.Join("; ", changed.Select(c => $"{c.Key} {c.delta[0]} inserted, {c.delta[1]} updated, {c.delta[2]} deleted")) + ".");
    }

    /// <summary>After a green swap, the previous copies of earlier runs go: one previous copy, this run's, is kept.</summary>
    void DropOlderPrevious(string kept)
    {
        foreach (var older in Previous(run, Database).Where(name => name != kept))
        {
            using var olderLock = RunLock.Acquire(run.Server, older, run.Log);
            run.Admin.Drop(older);
            run.Log.Info($"Swap: dropped \"{older}\", the previous copy of an earlier Restore (this run's is \"{kept}\").");
        }
    }

    /// <summary>A swap that did not happen: the incoming database goes (--keep-failed: stays for a look), live was never touched.</summary>
    public void Cleanup()
    {
        if (Swapped) return;
        var keep = keepFailed;
        if (madeReadOnly)
        {
            try
            {
                UndoReadOnly();
                run.Log.Info($"{runName}: \"{Database}\" accepts writes from new sessions again (--read-only-live undone).");
            }
            catch (Exception e) when (e is NpgsqlException or RunbookException)
            {
                // The incoming copy carries the mark the next run repairs by: it must stay.
                keep = true;
                run.Log.Warning($"{runName}: \"{Database}\" is still read-only for new sessions ({Secrets.Mask(e.Message, run.Server)}); the next " +
                    $"{runName} undoes it, or by hand: ALTER DATABASE {DatabaseName.Quote(Database)} RESET default_transaction_read_only");
            }
        }
        try
        {
            if (!run.Admin.Exists(Incoming)) return;
            if (keep)
            {
                run.Log.Warning($"{runName} did not finish: \"{Database}\" was not touched and kept serving; the incoming database " +
                    $"\"{Incoming}\" is kept for a look (--keep-failed; it must not be used as live). The next {runName} removes it.");
                return;
            }
            run.Admin.Drop(Incoming);
            run.Log.Warning($"{runName} did not finish: dropped the incoming database \"{Incoming}\"; \"{Database}\" was not touched and kept " +
                $"serving.");
        }
        catch (RunbookException e)
        {
            run.Log.Warning($"{runName} did not finish; \"{Database}\" was not touched, but the incoming database \"{Incoming}\" could not be " +
                            $"dropped ({e.Message}): drop it by hand.");
        }
    }

    bool TryAllowConnectionsAgain(string database)
    {
        try
        {
            using var fresh = run.Server.Open(run.MaintenanceDatabase);
            Sql.Execute(fresh, Statements.AllowConnections(database, true));
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or RunbookException)
        {
            return false;
        }
    }

    /// <summary>
    /// Drops the incoming databases of earlier runs that were killed before swapping or kept by --keep-failed (&lt;db&gt;_incoming_*).
    /// Safe because the caller holds the run lock on <paramref name="database"/>, which every run beside it holds while its
    /// incoming database exists.
    /// </summary>
    public static IReadOnlyList<string> RemoveLeftovers(RunContext run, string database, string current)
    {
        var removed = run.Admin.WithPrefix(IncomingPrefix(database)).Where(name => name != current).ToList();
        foreach (var name in removed)
        {
            RepairReadOnly(run, database, name);
            run.Admin.Drop(name);
            run.Log.Info($"Restore: removed \"{name}\", the incoming database of an earlier Restore that did not finish.");
        }
        RepairClosed(run, database, interrupted: removed.Count > 0);
        return removed;
    }

    /// <summary>
    /// A swap closes live to new connections, renames, and opens the previous copy again: a run killed in between leaves live
    /// closed (its incoming copy still there) or the previous copy closed (the renames committed). Either is repaired here,
    /// under the run lock: live only when an incoming copy shows that a swap was under way, so that a DBA's own ALLOW_CONNECTIONS
    /// false on a live database that no run touched stays.
    /// </summary>
    static void RepairClosed(RunContext run, string database, bool interrupted)
    {
        using var connection = run.Server.Open(run.MaintenanceDatabase);
        var closed = Sql.Query(connection, SqlFiles.Read("database/closed_databases.sql"), r => r.GetString(0),
            new { database, previous = PreviousPrefix(database) });
        foreach (var name in closed.Where(name => name != database || interrupted))
        {
            Sql.Execute(connection, Statements.AllowConnections(name, true));
            run.Log.Warning($"Restore: \"{name}\" was left refusing new connections by the swap of an earlier run that did not finish; it " +
                "accepts connections again.");
        }
    }

    /// <summary>DropPrevious: drops one &lt;db&gt;_previous_&lt;utc&gt; database, named exactly by --confirm.</summary>
    public static void DropPrevious(RunContext run, string database, string? confirm)
    {
        confirm = NamedPrevious(run, database, confirm, "DropPrevious drops a previous copy kept by Restore");
        using var runLock = RunLock.Acquire(run.Server, confirm, run.Log);
        run.Admin.Drop(confirm);
        run.Log.Info($"DropPrevious: dropped \"{confirm}\".");
    }

    /// <summary>
    /// SwapBack: the previous copy named exactly by --confirm becomes &lt;db&gt; again, by the same swap a Restore ends with; the
    /// database it replaces is kept as a previous copy in turn, so that SwapBack naming that one undoes it.
    /// </summary>
    public static void SwapBack(RunContext run, string database, string? confirm)
    {
        confirm = NamedPrevious(run, database, confirm, $"SwapBack puts a previous copy back as \"{database}\"");
        using var previousLock = RunLock.Acquire(run.Server, confirm, run.Log);
        var replaced = new SwapRestore(run, database, Consent.Checked, keepFailed: true, confirm, isSwapBack: true, "SwapBack").Swap();
        run.Log.Info($"SwapBack: \"{confirm}\" is \"{database}\" again" + (replaced is null ? "."
            : $"; the database it replaced is kept as \"{replaced}\" (--target=SwapBack --confirm={replaced} undoes this)."));
    }

    /// <summary>DropPrevious and SwapBack act on one previous copy of <paramref name="database"/>, named exactly by --confirm.</summary>
    /// <param name="usage">What the target does, said when --confirm is missing.</param>
    static string NamedPrevious(RunContext run, string database, string? confirm, string usage)
    {
        var candidates = Previous(run, database);
        var listing = candidates.Count == 0 ? "there is none" : "there is " + string.Join(", ", candidates.Select(c => $"\"{c}\""));
        if (confirm is null) throw new RunbookException($"{usage}; name it with --confirm=<name> ({listing}). Nothing was changed.");
        if (!candidates.Contains(confirm))
            throw new RunbookException($"--confirm={confirm} is not a previous copy of \"{database}\" ({listing}). Nothing was changed.");
        return confirm;
    }

    public static IReadOnlyList<string> Previous(RunContext run, string database) => run.Admin.WithPrefix(PreviousPrefix(database));

    static int EndSessions(NpgsqlConnection connection, string database)
    {
        var ended = 0;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            ended += Sql.Scalar<int>(connection, SqlFiles.Read("database/end_sessions.sql"), new { database });
            if (Sql.Scalar<int>(connection, SqlFiles.Read("database/other_sessions.sql"), new { database }) == 0) return ended;
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
                throw new RunbookException($"sessions on \"{database}\" did not end within 10 s");
            Thread.Sleep(20);
        }
    }

    static string Shortened(string database) => database.Length > 30 ? database[..30] : database;

    static string Suffixed(string database, string role, DateTime utc) =>
        DatabaseName.Check($"{Shortened(database)}_{role}_{utc.ToString(TimestampFormat, CultureInfo.InvariantCulture)}");
}
