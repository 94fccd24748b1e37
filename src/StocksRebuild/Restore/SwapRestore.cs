using System.Globalization;

namespace StocksRebuild.Restore;

/// <summary>
/// Restore --swap: the backup is restored and validated in a new database while the live one keeps serving;
/// only then are sessions on the live one ended, and in one transaction the live database is renamed
/// &lt;db&gt;_previous_&lt;utc&gt; and the new one &lt;db&gt;. The previous copy is kept until DropPrevious.
/// </summary>
public sealed class SwapRestore
{
    const string TimestampFormat = "yyyyMMddHHmmss";
    readonly RunContext run;
    readonly Consent consent;

    /// <summary>The swap of one run: <paramref name="database"/> is the live name; the backup goes into <see cref="Incoming"/>.</summary>
    public SwapRestore(RunContext run, string database, Consent consent)
    {
        (this.run, this.consent, Database) = (run, consent, database);
        Incoming = IncomingName(database, run.UtcNow());
    }

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

    /// <summary>
    /// Before anything is restored: consent for the swap (it ends sessions on the live database and puts another
    /// in its place), the leftovers of killed --swap runs removed, and the new database created empty.
    /// </summary>
    public void Prepare()
    {
        if (run.Admin.Exists(Database))
            consent.Require("Restore --swap", Database,
                "would end every session on and replace (keeping it as <db>_previous_<utc>) the live database");
        RemoveLeftovers(run, Database, Incoming);
        run.Admin.DropCreate(Incoming, Consent.None, run.Log, run.Cancellation);
    }

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
                $"; the restored copy \"{incoming}\" is dropped at the end of the run. Run Restore --swap again.", e);
        }
        // The previous copy stays reachable so a DBA can compare or take rows back from it.
        Sql.Execute(connection, Statements.AllowConnections(previous, true));
        return previous;
    }

    /// <summary>A swap that did not happen: the new database goes, the live one was never touched.</summary>
    public void Cleanup()
    {
        if (Swapped) return;
        try
        {
            if (!run.Admin.Exists(Incoming)) return;
            run.Admin.Drop(Incoming);
            run.Log.Warning($"Restore --swap did not finish: dropped the new database \"{Incoming}\"; \"{Database}\" was not touched and kept " +
                $"serving.");
        }
        catch (RunbookException e)
        {
            run.Log.Warning($"Restore --swap did not finish; \"{Database}\" was not touched, but the new database \"{Incoming}\" could not be " +
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
    /// Drops the new databases of earlier --swap runs that were killed before swapping (&lt;db&gt;_incoming_*). Safe because
    /// the caller holds the run lock on <paramref name="database"/>, which every --swap run on it holds while its new database exists.
    /// </summary>
    public static IReadOnlyList<string> RemoveLeftovers(RunContext run, string database, string current)
    {
        var removed = run.Admin.WithPrefix(Shortened(database) + "_incoming_").Where(name => name != current).ToList();
        foreach (var name in removed)
        {
            run.Admin.Drop(name);
            run.Log.Info($"Restore --swap: removed \"{name}\", left by an earlier --swap run that did not finish.");
        }
        return removed;
    }

    /// <summary>DropPrevious: drops one &lt;db&gt;_previous_&lt;utc&gt; database, named exactly by --confirm.</summary>
    public static void DropPrevious(RunContext run, string database, string? confirm)
    {
        var candidates = Previous(run, database);
        var listing = candidates.Count == 0 ? "there is none" : "there is " + string.Join(", ", candidates.Select(c => $"\"{c}\""));
        if (confirm is null)
            throw new RunbookException("DropPrevious drops a previous copy kept by Restore --swap; name it with --confirm=<name> " +
                                       $"({listing}). Nothing was changed.");
        if (!candidates.Contains(confirm))
            throw new RunbookException($"--confirm={confirm} is not a previous copy of \"{database}\" ({listing}). Nothing was changed.");
        using var runLock = RunLock.Acquire(run.Server, confirm, run.Log);
        run.Admin.Drop(confirm);
        run.Log.Info($"DropPrevious: dropped \"{confirm}\".");
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
