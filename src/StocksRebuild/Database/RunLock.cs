
namespace StocksRebuild.Database;

/// <summary>Writers of a database exclude everyone; readers that need it consistent (Backup) exclude only writers.</summary>
public enum LockMode { Shared, Exclusive }

/// <summary>
/// One lock per target database, whatever the route: a PostgreSQL session-level advisory lock keyed by the
/// target's exact name. Advisory locks belong to the database they are taken in, so the lock always lives in
/// the same one ("postgres", or "template1" when the target is "postgres" itself), never in --maintenance-db,
/// which two runs could name differently. The server releases it when the holder's session ends, even if the
/// holder was killed. Re-entrant within a process: the Cake run takes it once and every step inside reuses it.
/// </summary>
public sealed class RunLock : IDisposable
{
    const int Namespace = 0x53544B52; // "STKR": our advisory locks, apart from anyone else's

    static readonly Dictionary<string, (NpgsqlConnection connection, LockMode mode, int holders)> Held = new();
    readonly string key;
    bool released;

    RunLock(string key) => this.key = key;

    /// <summary>The database the lock of <paramref name="database"/> is taken in: never the one it guards, which DropCreate drops.</summary>
    public static string HomeOf(string database) => database == "postgres" ? "template1" : "postgres";

    /// <summary>The exclusive lock, refused at once when another run holds it (re-entrant: a step inside the run that holds it reuses it).</summary>
    public static RunLock Acquire(ServerConnection server, string database, IRunbookLog log) =>
        Take(server, database, log, waitFor: null, LockMode.Exclusive, failWhenHeld: true)!;

    /// <summary>The run's lock on <paramref name="database"/>: waits as long as --wait-for-lock says, and stops waiting on a signal.</summary>
    public static RunLock Acquire(RunContext run, string database, LockMode mode) =>
        Take(run.Server, database, run.Log, run.WaitForLock, mode, failWhenHeld: true, run.Cancellation)!;

    /// <summary>
    /// The lock if nobody holds it, this process included, else null at once: how a rehearsal asks whether a
    /// scratch database is still in use by a run (not re-entrant, unlike <see cref="Acquire"/>).
    /// </summary>
    public static RunLock? TryAcquire(ServerConnection server, string database, IRunbookLog log) =>
        Take(server, database, log, waitFor: null, LockMode.Exclusive, failWhenHeld: false);

    static RunLock? Take(ServerConnection server, string database, IRunbookLog log, TimeSpan? waitFor, LockMode mode, bool failWhenHeld,
        CancellationToken cancellation = default)
    {
        var key = $"{server.Host}:{server.Port}/{database}";
        lock (Held)
        {
            if (Held.TryGetValue(key, out var held))
            {
                if (!failWhenHeld) return null;
                if (mode == LockMode.Exclusive && held.mode == LockMode.Shared)
                    throw new InvalidOperationException($"this run holds a shared lock on \"{database}\" and asked for an exclusive one");
                Held[key] = (held.connection, held.mode, held.holders + 1);
                return new RunLock(key);
            }
        }

        var identity = $"StocksRebuild pid {Environment.ProcessId} host {Environment.MachineName}";
        var connection = server.Open(HomeOf(database), applicationName: identity.Length > 63 ? identity[..63] : identity);
        try
        {
            var clock = Stopwatch.StartNew();
            var waited = false;
            while (!TryLock(connection, database, mode))
            {
                if (!failWhenHeld)
                {
                    connection.Dispose();
                    return null;
                }
                var holder = Holder(connection, database);
                if (waitFor is not { } limit || clock.Elapsed >= limit)
                    throw new RunbookException(
                        $"another StocksRebuild run holds the lock on \"{database}\" ({holder}); nothing was changed or written. " +
                        (waitFor is null
                            ? "Wait for it to finish, or give --wait-for-lock=DURATION (e.g. 10m) to wait."
                            : $"Waited {Durations.Format(clock.Elapsed)} (--wait-for-lock)."));
                if (!waited) log.Info($"Waiting for the lock on \"{database}\", held by another StocksRebuild run ({holder}) …");
                waited = true;
                // Ctrl-C while waiting (--wait-for-lock=10m) must not wait out the ten minutes.
                if (cancellation.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(500)))
                    throw new RunInterruptedException("the wait for the lock", $"nothing was changed; \"{database}\" is as the other run leaves it.",
                        "run the target again when that run has finished.");
            }
            lock (Held) Held[key] = (connection, mode, 1);
            return new RunLock(key);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    static bool TryLock(NpgsqlConnection connection, string database, LockMode mode)
    {
        var function = mode == LockMode.Shared ? "pg_try_advisory_lock_shared" : "pg_try_advisory_lock";
        using var command = new NpgsqlCommand($"SELECT {function}(@namespace, hashtext(@database))", connection);
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
        var mode = reader.GetString(3) == "ShareLock" ? "reading" : "writing";
        return $"{who}, {mode}, connected from {from}, since {reader.GetDateTime(1).ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z";
    }

    public void Dispose()
    {
        if (released) return;
        released = true;
        lock (Held)
        {
            var (connection, mode, holders) = Held[key];
            if (holders > 1) { Held[key] = (connection, mode, holders - 1); return; }
            Held.Remove(key);
            // Released here, not by the session's end: the server ends a closed session a moment after the client
            // leaves, and a run starting in that moment would find the lock still held.
            try
            {
                using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", connection);
                unlock.ExecuteNonQuery();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException) { /* the session is gone, and the lock with it */ }
            connection.Dispose();
        }
    }
}
