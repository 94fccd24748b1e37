
namespace StocksRebuild.Connection;

/// <summary>
/// Proves that the PostgreSQL client tools (libpq) can log in with exactly the environment pg_dump and
/// pg_restore will be given. Npgsql and libpq read credentials differently (libpq ignores a password file
/// that group or others can read; Npgsql reads it), so a run that only ever connected through Npgsql could
/// drop the database and then find that pg_restore cannot log in.
/// </summary>
public static class ClientLogin
{
    public static void Prove(ServerConnection server, string database, string purpose)
    {
        var result = ToolRun.Run(PgTools.Find("psql"), ["-X", "-w", "-A", "-t", "-c", "SELECT 1"], server.ClientEnvironment(database));
        if (result.Succeeded) return;
        var hint = PasswordFileHint(server) is { } h ? " " + h : "";
        throw new RunbookException(
            $"Preflight refused: {purpose} needs the PostgreSQL client tools to log in to {server.Describe(database)}, and libpq (psql -w) cannot: " +
            $"{Secrets.Mask(result.ErrorText.Trim(), server)}.{hint} Nothing was changed.");
    }

    /// <summary>Why libpq would not use the password file Npgsql reads, when that is the case.</summary>
    public static string? PasswordFileHint(ServerConnection server, Func<string, string?>? getEnv = null)
    {
        if (server.Password is not null || OperatingSystem.IsWindows()) return null;
        getEnv ??= Environment.GetEnvironmentVariable;
        var file = server.PassFile ?? Path.Combine(getEnv("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pgpass");
        if (!File.Exists(file)) return null;
        var mode = File.GetUnixFileMode(file);
        const UnixFileMode groupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                                           | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((mode & groupOrOthers) == 0) return null;
        return $"The password file {file} has mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}: libpq ignores a password file that group or " +
            $"others can read " +
               $"(Npgsql reads it anyway, which is why the tool's own checks passed). Run: chmod 0600 {file}";
    }
}
