namespace StocksRebuild.Tools;

/// <summary>A tool's complete output (pg_restore --verbose prints lines per object: thousands for a real schema), in a private file.</summary>
public sealed class ToolLog : IDisposable
{
    readonly StreamWriter writer;
    public string Path { get; }

    ToolLog(string path, StreamWriter writer) => (Path, this.writer) = (path, writer);

    /// <summary>DIR/NAME-YYYYMMDD_HHMMSS.log, 0600 from its first byte; null when no folder is given.</summary>
    public static ToolLog? Create(string? directory, string name)
    {
        if (directory is null) return null;
        PrivateFiles.CreateDirectory(directory);
        var safe = string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        var path = System.IO.Path.Combine(directory, $"{safe}-{DateTime.UtcNow:yyyyMMdd_HHmmss_fff}.log");
        return new ToolLog(path, new StreamWriter(PrivateFiles.CreateNew(path)) { AutoFlush = true });
    }

    public void WriteLine(string line)
    {
        lock (writer) writer.WriteLine(line);
    }

    public void Dispose()
    {
        lock (writer) writer.Dispose();
    }
}
