namespace StocksRebuild;

/// <summary>
/// A run stopped by Ctrl-C or SIGTERM at a safe point. The message says what state the database is in
/// and what to run next, because the DBA who pressed Ctrl-C has to decide what happens now.
/// </summary>
public sealed class RunInterruptedException(string step, string state, string next, Exception? inner = null)
    : RunbookException($"Interrupted during {step}: {state} Next: {next}", inner);
