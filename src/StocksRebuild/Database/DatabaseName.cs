using System.Text;

namespace StocksRebuild.Database;

/// <summary>
/// A database name checked before it reaches the server. PostgreSQL silently truncates names to 63 bytes,
/// so a long name could address a different database than the one the DBA typed: refuse it instead.
/// </summary>
public static class DatabaseName
{
    public const int MaxBytes = 63;

    public static string Check(string name, string flag = "database")
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new RunbookException($"--{flag} is empty; name the target database.");
        if (name.Contains('\0'))
            throw new RunbookException($"--{flag} contains a NUL byte.");
        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxBytes)
            throw new RunbookException(
                $"--{flag}={name} is {bytes} bytes long; PostgreSQL keeps {MaxBytes} and would silently address another name.");
        return name;
    }

    /// <summary>Quotes an identifier for SQL text the way PostgreSQL's quote_ident does: always, doubling quotes.</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}
