namespace StocksRebuild;

/// <summary>Where the library reports progress. The Cake script adapts it to Cake's log; tests capture it.</summary>
public interface IRunbookLog
{
    void Info(string message);
    void Warning(string message);
}
