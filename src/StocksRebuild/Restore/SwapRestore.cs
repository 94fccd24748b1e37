using System.Diagnostics;
using System.Globalization;
using Npgsql;
using StocksRebuild.Connection;
using StocksRebuild.Database;

namespace StocksRebuild.Restore;

/// <summary>
/// Restore --swap: the backup is restored and validated in a new database while the live one keeps serving;
/// only then are sessions on the live one ended, and in one transaction the live database is renamed
/// &lt;db&gt;_previous_&lt;utc&gt; and the new one &lt;db&gt;. The previous copy is kept until DropPrevious.
/// </summary>
public static class SwapRestore
{
    const string TimestampFormat = "yyyyMMddHHmmss";

    /// <summary>Where the backup is restored before the swap.</summary>
    public static string IncomingName(string database, DateTime utc) => Suffixed(database, "incoming", utc);

    /// <summary>What the live database is called after the swap.</summary>
    public static string PreviousName(string database, DateTime utc) => Suffixed(database, "previous", utc);

    /// <summary>"&lt;db&gt;_previous_": what DropPrevious may drop.</summary>
    public static string PreviousPrefix(string database) => Shortened(database) + "_previous_";

    /// <summary>Swaps <paramref name="incoming"/> in as <paramref name="database"/>; returns the previous copy's name, or null when there was no live database.</summary>
    public static string? Swap(ServerConnection server, string maintenanceDatabase, string database, string incoming, IRunbookLog log,
        DateTime? nowUtc = null)
    {
        var admin = new DatabaseAdmin(server, maintenanceDatabase);
        using var connection = server.Open(maintenanceDatabase);
        if (!admin.Exists(database))
        {
            Rename(connection, incoming, database);
            log.Info($"Swap: there was no \"{database}\"; \"{incoming}\" is now \"{database}\".");
            return null;
        }

        var previous = PreviousName(database, nowUtc ?? DateTime.UtcNow);
        if (admin.Exists(previous))
            throw new RunbookException($"Swap refused: \"{previous}\" exists already; drop it (--target=DropPrevious --confirm={previous}) or wait a second. \"{database}\" is untouched.");

        var clock = Stopwatch.StartNew();
        // From here no new session may start on the live database; the ones open are ended, then both
        // renames commit together. Clients see the old database until this instant and the new one after.
        AllowConnections(connection, database, false);
        try
        {
            var ended = EndSessions(connection, database);
            using var transaction = connection.BeginTransaction();
            Rename(connection, database, previous);
            Rename(connection, incoming, database);
            transaction.Commit();
            log.Info($"Swap: ended {ended} session(s) on \"{database}\"; \"{incoming}\" is now \"{database}\" and the previous one is \"{previous}\" ({clock.ElapsedMilliseconds} ms without connections).");
        }
        catch (Exception e) when (e is NpgsqlException or RunbookException)
        {
            // The renames rolled back; connections must be allowed again even if this session is what broke.
            var reopened = TryAllowConnectionsAgain(server, maintenanceDatabase, database);
            throw new RunbookException($"Swap failed: {Secrets.Mask(e.Message, server)}. \"{database}\" is unchanged" +
                (reopened ? " and accepts connections again" : $" but still refuses new connections: run ALTER DATABASE {DatabaseName.Quote(database)} WITH ALLOW_CONNECTIONS true") +
                $"; the restored copy \"{incoming}\" is dropped at the end of the run. Run Restore --swap again.", e);
        }
        // The previous copy stays reachable so a DBA can compare or take rows back from it.
        AllowConnections(connection, previous, true);
        return previous;
    }

    static bool TryAllowConnectionsAgain(ServerConnection server, string maintenanceDatabase, string database)
    {
        try
        {
            using var fresh = server.Open(maintenanceDatabase);
            AllowConnections(fresh, database, true);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or RunbookException)
        {
            return false;
        }
    }

    /// <summary>
    /// Before anything is restored: consent for the swap (it ends sessions on the live database and puts another
    /// in its place), the leftovers of killed --swap runs removed, and the new database created empty.
    /// </summary>
    public static void PrepareIncoming(ServerConnection server, string maintenanceDatabase, string database, string incoming,
        string? confirm, bool sandbox, IRunbookLog log, CancellationToken cancellation = default)
    {
        var admin = new DatabaseAdmin(server, maintenanceDatabase);
        if (admin.Exists(database))
            Consent.Require("Restore --swap", database, confirm, sandbox, "would end every session on and replace (keeping it as <db>_previous_<utc>) the live database");
        RemoveLeftovers(server, maintenanceDatabase, database, incoming, log);
        admin.DropCreate(incoming, confirm: null, sandbox: false, log, cancellation);
    }

    /// <summary>
    /// Drops the new databases of earlier --swap runs that were killed before swapping (&lt;db&gt;_incoming_*). Safe because
    /// the caller holds the run lock on <paramref name="database"/>, which every --swap run on it holds while its new database exists.
    /// </summary>
    public static IReadOnlyList<string> RemoveLeftovers(ServerConnection server, string maintenanceDatabase, string database, string current, IRunbookLog log)
    {
        var admin = new DatabaseAdmin(server, maintenanceDatabase);
        var removed = admin.WithPrefix(Shortened(database) + "_incoming_").Where(name => name != current).ToList();
        foreach (var name in removed)
        {
            admin.Drop(name);
            log.Info($"Restore --swap: removed \"{name}\", left by an earlier --swap run that did not finish.");
        }
        return removed;
    }

    /// <summary>DropPrevious: drops one &lt;db&gt;_previous_&lt;utc&gt; database, named exactly by --confirm.</summary>
    public static void DropPrevious(ServerConnection server, string maintenanceDatabase, string database, string? confirm, IRunbookLog log)
    {
        var candidates = Previous(server, maintenanceDatabase, database);
        var listing = candidates.Count == 0 ? "there is none" : "there is " + string.Join(", ", candidates.Select(c => $"\"{c}\""));
        if (confirm is null)
            throw new RunbookException($"DropPrevious drops a previous copy kept by Restore --swap; name it with --confirm=<name> ({listing}). Nothing was changed.");
        if (!candidates.Contains(confirm))
            throw new RunbookException($"--confirm={confirm} is not a previous copy of \"{database}\" ({listing}). Nothing was changed.");
        using var runLock = RunLock.Acquire(server, confirm, log);
        new DatabaseAdmin(server, maintenanceDatabase).Drop(confirm);
        log.Info($"DropPrevious: dropped \"{confirm}\".");
    }

    public static IReadOnlyList<string> Previous(ServerConnection server, string maintenanceDatabase, string database) =>
        new DatabaseAdmin(server, maintenanceDatabase).WithPrefix(PreviousPrefix(database));

    static int EndSessions(NpgsqlConnection connection, string database)
    {
        var ended = 0;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using (var end = new NpgsqlCommand(SqlFiles.Read("database/end_sessions.sql"), connection))
            {
                end.Parameters.AddWithValue("database", database);
                ended += Convert.ToInt32(end.ExecuteScalar());
            }
            using var count = new NpgsqlCommand(SqlFiles.Read("database/other_sessions.sql"), connection);
            count.Parameters.AddWithValue("database", database);
            if (Convert.ToInt32(count.ExecuteScalar()) == 0) return ended;
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
                throw new RunbookException($"sessions on \"{database}\" did not end within 10 s");
            Thread.Sleep(20);
        }
    }

    static void Rename(NpgsqlConnection connection, string from, string to) =>
        Execute(connection, string.Format(SqlFiles.Read("restore/rename.sql"), DatabaseName.Quote(from), DatabaseName.Quote(to)));

    static void AllowConnections(NpgsqlConnection connection, string database, bool allow) =>
        Execute(connection, string.Format(SqlFiles.Read("restore/allow_connections.sql"), DatabaseName.Quote(database), allow ? "true" : "false"));

    static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    static string Shortened(string database) => database.Length > 30 ? database[..30] : database;

    static string Suffixed(string database, string role, DateTime utc) =>
        DatabaseName.Check($"{Shortened(database)}_{role}_{utc.ToString(TimestampFormat, CultureInfo.InvariantCulture)}");
}
