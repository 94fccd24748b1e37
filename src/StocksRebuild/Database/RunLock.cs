using System.Diagnostics;
using Npgsql;
using StocksRebuild.Connection;

namespace StocksRebuild.Database;

/// <summary>
/// One writing run per database at a time: a PostgreSQL session-level advisory lock, keyed by the
/// target database's name and held in the maintenance database (so DropCreate can drop the target while
/// holding it). The server releases it when the holder's session ends, even if the holder was killed.
/// Re-entrant within a process: the Cake run takes it once and every library step inside reuses it.
/// </summary>
public sealed class RunLock : IDisposable
{
    const int Namespace = 0x53544B52; // "STKR": our advisory locks, apart from anyone else's

    static readonly Dictionary<string, (NpgsqlConnection connection, int holders)> Held = new();
    readonly string key;
    bool released;

    RunLock(string key) => this.key = key;

    /// <summary>The lock a step takes for itself: the run's when the run holds one, else its own through "postgres".</summary>
    public static RunLock Acquire(ServerConnection server, string database, IRunbookLog log) =>
        Acquire(server, "postgres", database, log);

    public static RunLock Acquire(ServerConnection server, string maintenanceDatabase, string database, IRunbookLog log, TimeSpan? waitFor = null) =>
        Take(server, maintenanceDatabase, database, log, waitFor, failWhenHeld: true)!;

    /// <summary>
    /// The lock if nobody holds it, this process included, else null at once: how a rehearsal asks whether a
    /// scratch database is still in use by a run (not re-entrant, unlike <see cref="Acquire(ServerConnection, string, string, IRunbookLog, TimeSpan?)"/>).
    /// </summary>
    public static RunLock? TryAcquire(ServerConnection server, string maintenanceDatabase, string database, IRunbookLog log) =>
        Take(server, maintenanceDatabase, database, log, waitFor: null, failWhenHeld: false);

    static RunLock? Take(ServerConnection server, string maintenanceDatabase, string database, IRunbookLog log, TimeSpan? waitFor, bool failWhenHeld)
    {
        var key = $"{server.Host}:{server.Port}/{database}";
        lock (Held)
        {
            if (Held.TryGetValue(key, out var held))
            {
                if (!failWhenHeld) return null;
                Held[key] = (held.connection, held.holders + 1);
                return new RunLock(key);
            }
        }

        var identity = $"StocksRebuild pid {Environment.ProcessId} host {Environment.MachineName}";
        var connection = server.Open(maintenanceDatabase, applicationName: identity.Length > 63 ? identity[..63] : identity);
        try
        {
            var clock = Stopwatch.StartNew();
            var waited = false;
            while (!TryLock(connection, database))
            {
                if (!failWhenHeld)
                {
                    connection.Dispose();
                    return null;
                }
                var holder = Holder(connection, database);
                if (waitFor is not { } limit || clock.Elapsed >= limit)
                    throw new RunbookException(
                        $"another StocksRebuild run holds the lock on \"{database}\" ({holder}); nothing was changed. " +
                        (waitFor is null
                            ? "Wait for it to finish, or give --wait-for-lock=DURATION (e.g. 10m) to wait."
                            : $"Waited {Durations.Format(clock.Elapsed)} (--wait-for-lock)."));
                if (!waited) log.Info($"Waiting for the lock on \"{database}\", held by another StocksRebuild run ({holder}) …");
                waited = true;
                Thread.Sleep(TimeSpan.FromMilliseconds(500));
            }
            lock (Held) Held[key] = (connection, 1);
            return new RunLock(key);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    static bool TryLock(NpgsqlConnection connection, string database)
    {
        using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@namespace, hashtext(@database))", connection);
        command.Parameters.AddWithValue("namespace", Namespace);
        command.Parameters.AddWithValue("database", database);
        return (bool)command.ExecuteScalar()!;
    }

    static string Holder(NpgsqlConnection connection, string database)
    {
        using var command = new NpgsqlCommand(SqlFiles.Read("lock/holder.sql"), connection);
        command.Parameters.AddWithValue("namespace", Namespace);
        command.Parameters.AddWithValue("database", database);
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return "it was released a moment ago";
        var name = reader.GetString(0);
        var who = name.StartsWith("StocksRebuild ", StringComparison.Ordinal) ? name["StocksRebuild ".Length..] : $"session \"{name}\"";
        var from = reader.IsDBNull(2) ? "local socket" : reader.GetString(2);
        return $"{who}, connected from {from}, since {reader.GetDateTime(1).ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z";
    }

    public void Dispose()
    {
        if (released) return;
        released = true;
        lock (Held)
        {
            var (connection, holders) = Held[key];
            if (holders > 1) { Held[key] = (connection, holders - 1); return; }
            Held.Remove(key);
            connection.Dispose(); // ending the session releases the advisory lock
        }
    }
}
