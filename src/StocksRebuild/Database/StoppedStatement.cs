namespace StocksRebuild.Database;

/// <summary>
/// A statement the server stopped for a reason that is not the data's: a lock not had in time, a timeout, a cancel or a
/// terminate. Said as what it is, with the setting and where it came from, so that it is never read as a finding about rows.
/// </summary>
public static class StoppedStatement
{
    /// <returns>Why, in a DBA's words; null for an error about the data or the schema.</returns>
    public static string? Explain(PostgresException e, ServerConnection server) => e.SqlState switch
    {
        PostgresErrorCodes.LockNotAvailable =>
            $"another session held a lock the statement needed for longer than the tool's lock_timeout ({Durations.Format(server.LockTimeout)}, " +
            "--lock-timeout); nothing is wrong with the data: run it again when that session is done (pg_locks and pg_blocking_pids() name it), " +
            "or give a longer --lock-timeout",
        PostgresErrorCodes.QueryCanceled when e.MessageText.Contains("statement timeout", StringComparison.Ordinal) =>
            "statement_timeout stopped it, set for this session from outside the tool (its own sessions set 0); nothing is wrong with the data",
        PostgresErrorCodes.QueryCanceled => "it was cancelled (pg_cancel_backend by another session, or a stop of this run); nothing is wrong with the data",
        PostgresErrorCodes.AdminShutdown => "its session was ended (pg_terminate_backend, or the server shutting down); nothing is wrong with the data",
        _ => null,
    };
}
