namespace StocksRebuild;

/// <summary>Where the library reports progress. The Cake script adapts it to Cake's log; tests capture it.</summary>
public interface IRunbookLog
{
    void Info(string message);
    void Warning(string message);
}

public static class RunbookLog
{
    /// <summary>For work whose own account nobody reads (a benchmark's measured runs, Prune's verification of candidates).</summary>
    public static IRunbookLog Silent { get; } = new SilentLog();

    sealed class SilentLog : IRunbookLog
    {
        public void Info(string message) { }
        public void Warning(string message) { }
    }
}
