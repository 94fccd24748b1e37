using System.Collections.Concurrent;

namespace StocksRebuild.Tests.Support;

/// <summary>Captures what the library reports, so tests can assert on it (and on what it must never hold).</summary>
public sealed class TestLog : IRunbookLog
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public string Text => string.Join("\n", Lines);
    public void Info(string message) { Lines.Enqueue(message); TestContext.Progress.WriteLine(message); }
    public void Warning(string message) => Info("WARNING: " + message);
}
