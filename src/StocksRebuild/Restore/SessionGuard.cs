namespace StocksRebuild.Restore;

/// <summary>
/// From DropCreate until Validate has passed, no client but the run's own may use the database being restored: an
/// application reconnecting to its name as its owner (CONNECT revoked from PUBLIC keeps other roles out, not the owner's
/// nor a superuser) would read a half-restored database, or write into it what the backup does not hold. Every other
/// session found on it is ended at once (polled ten times a second) and named; Validate then fails, since what it did
/// there cannot be told. A session of the owner's role shorter than one poll can pass unseen: the check says what it saw.
/// </summary>
public sealed class SessionGuard : IDisposable
{
    static readonly TimeSpan Every = TimeSpan.FromMilliseconds(100);
    readonly RunContext run;
    readonly string database;
    readonly CancellationTokenSource stop = new();
    readonly Task watching;
    readonly List<string> ended = [];
    readonly HashSet<int> seen = [];
    string? watchFailure;

    public SessionGuard(RunContext run, string database)
    {
        (this.run, this.database) = (run, database);
        watching = Task.Run(Watch);
    }

    /// <summary>The sessions ended so far: "pid 123 of role app (application psql, from 10.0.0.5)".</summary>
    public IReadOnlyList<string> Ended { get { lock (ended) return [.. ended]; } }

    void Watch()
    {
        var sql = SqlFiles.Read("database/end_foreign_sessions.sql");
        try
        {
            using var connection = run.Server.Open(run.MaintenanceDatabase, applicationName: "StocksRebuild guard");
            while (!stop.IsCancellationRequested)
            {
                foreach (var (pid, role, application, from, stopped) in Sql.Query(connection, sql,
                             r => (r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetBoolean(4)), new { database }))
                {
                    if (!seen.Add(pid)) continue; // one it could not end is named once
                    var session = $"pid {pid} of role {role} (application {(application.Length == 0 ? "unnamed" : application)}, from {from})";
                    lock (ended) ended.Add(stopped ? session : session + ", which this role could not end");
                    run.Log.Warning((stopped ? $"Ended session {session}" : $"Session {session} could not be ended") + $" on \"{database}\": only " +
                        "this run may use it until Validate has passed.");
                }
                stop.Token.WaitHandle.WaitOne(Every);
            }
        }
        catch (Exception e) when (e is NpgsqlException or RunbookException or InvalidOperationException)
        {
            watchFailure = Secrets.Mask(e.Message, run.Server);
            run.Log.Warning($"\"{database}\" can no longer be watched for other sessions: {watchFailure}");
        }
    }

    /// <summary>Validate's verdict gains one check: no session but the run's own was on the database since DropCreate.</summary>
    public Validation.ValidationReport Judge(Validation.ValidationReport report)
    {
        var found = Ended;
        Validation.ValidationCheck check = found.Count > 0
            ? new(Check, database, false, $"{string.Join("; ", found)}: connected during the restore and ended; what it did there cannot " +
                "be told. Stop it, then run Restore again")
            : watchFailure is { } failure
                ? new(Check, database, false, $"the database could not be watched for other sessions ({failure}), so whether only this run " +
                    "used it cannot be told: run Restore again")
                : new(Check, database, true, "no other session seen on it since DropCreate (looked for ten times a second; other roles " +
                    "cannot connect)");
        return report with { Checks = [.. report.Checks, check] };
    }

    public const string Check = "only this run";

    public void Dispose()
    {
        stop.Cancel();
        watching.Wait();
        stop.Dispose();
    }
}
