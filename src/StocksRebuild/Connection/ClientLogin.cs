
namespace StocksRebuild.Connection;

/// <summary>
/// Proves that the PostgreSQL client tools (libpq) can log in with exactly the environment pg_dump and
/// pg_restore will be given, and that they reach the server and database the tool's own connections (Npgsql) reach.
/// Npgsql and libpq read credentials differently (libpq ignores a password file that group or others can read;
/// Npgsql reads it), and where they connect can differ too (what libpq reads that the tool cannot follow), so a run
/// that only ever connected through Npgsql could drop the database on one server and restore into another.
/// </summary>
public static class ClientLogin
{
    /// <returns>Who answered both: the server's identity line (<c>sql/connection/server_identity.sql</c>).</returns>
    /// <param name="step">The step that refuses, named in the refusal.</param>
    public static string Prove(ServerConnection server, string database, string purpose, string step = "Preflight")
    {
        var identity = SqlFiles.Read("connection/server_identity.sql");
        var result = ToolRun.Run(PgTools.Find("psql"), ["-X", "-w", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", identity], server.ClientEnvironment(database));
        if (!result.Succeeded)
        {
            var hint = PasswordFileHint(server) is { } h ? " " + h : "";
            throw new RunbookException(
                $"{step} refused: {purpose} needs the PostgreSQL client tools to log in to {server.Describe(database)}, and libpq (psql -w) cannot: " +
                $"{Secrets.Mask(result.ErrorText.Trim(), server)}.{hint} Nothing was changed.");
        }
        var libpq = string.Join(' ', result.StdOut.Where(l => l.Trim().Length > 0)).Trim();
        string npgsql;
        using (var connection = server.Open(database)) npgsql = Sql.Scalar<string>(connection, identity);
        if (libpq != npgsql)
            throw new RunbookException(
                $"{step} refused: {purpose}: the client tools (libpq: psql, pg_dump, pg_restore) and the tool's own connections (Npgsql) reach " +
                $"different servers or databases with the same settings ({server.Describe(database)}). Npgsql: {npgsql}; libpq: {libpq}. " +
                "Something libpq reads that the tool does not follow sends one of them elsewhere (the README's Connection section lists what " +
                "the tool follows). Nothing was changed.");
        return npgsql;
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
