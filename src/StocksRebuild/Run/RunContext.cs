
namespace StocksRebuild;

/// <summary>
/// What every step needs from the run it belongs to: the server and its maintenance database, the log, the stop
/// signal, how long to wait for another run's lock, the console's progress settings, and the clock. The session
/// makes one; a test makes its own. Steps take it instead of the same six loose arguments each.
/// </summary>
public sealed record RunContext(ServerConnection Server, IRunbookLog Log)
{
    /// <summary>Where CREATE/DROP DATABASE run (--maintenance-db).</summary>
    public string MaintenanceDatabase { get; init; } = "postgres";
    public CancellationToken Cancellation { get; init; }
    /// <summary>--wait-for-lock: wait this long for another run's lock instead of refusing at once.</summary>
    public TimeSpan? WaitForLock { get; init; }
    public RunOutput Output { get; init; } = RunOutput.Default;
    /// <summary>The run's clock: backups are named by it. Tests set it to take backups "at" a given time.</summary>
    public Func<DateTime> UtcNow { get; init; } = () => DateTime.UtcNow;

    public DatabaseAdmin Admin => new(Server, MaintenanceDatabase);

    /// <summary>The same run, reporting somewhere else (a benchmark's measured runs are silent).</summary>
    public RunContext WithLog(IRunbookLog log) => this with { Log = log };
}
