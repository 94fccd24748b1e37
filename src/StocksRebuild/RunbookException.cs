namespace StocksRebuild;

/// <summary>
/// A refusal or failure the runbook foresees. The message names the file, flag or object at fault and,
/// where there is one, what to do next; it never holds a password.
/// </summary>
public class RunbookException : Exception
{
    public RunbookException(string message, Exception? inner = null) : base(message, inner) { }
}
