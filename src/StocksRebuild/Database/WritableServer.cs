namespace StocksRebuild.Database;

/// <summary>
/// Before a writing target changes anything: the server must accept this role's writes. On a standby everything the
/// run writes fails (DropCreate, pg_restore, Ingest), and a role or database read-only by default fails at its first
/// statement; refused at the start instead, naming why.
/// </summary>
public static class WritableServer
{
    public static void Require(ServerConnection server, string maintenanceDatabase, string database, string target)
    {
        using var connection = server.Open(maintenanceDatabase);
        var (standby, readOnly, source) = Sql.Query(connection, SqlFiles.Read("database/writable.sql"),
            r => (r.GetBoolean(0), r.GetBoolean(1), r.GetString(2))).Single();
        if (standby)
            throw new RunbookException($"{target} refused: {server.Describe(maintenanceDatabase)} is a standby (in recovery): it cannot be written, " +
                $"and {target} writes \"{database}\". Run it against the primary" +
                (Backups.StandbyPoint.Of(connection)?.Primary is { Length: > 0 } primary ? $" (this standby follows {primary})" : "") +
                ". Nothing was changed.");
        if (readOnly)
            throw new RunbookException($"{target} refused: the role's sessions on {server.Describe(maintenanceDatabase)} are read-only " +
                $"(default_transaction_read_only = on, set {SetBy(source)}): nothing can be created, dropped or restored. Run as a role whose " +
                "sessions may write, or reset the setting. Nothing was changed.");
    }

    /// <summary>pg_settings.source in a DBA's words: where to reset it.</summary>
    static string SetBy(string source) => source switch
    {
        "user" => "for the role: ALTER ROLE … SET",
        "database" => "for the database: ALTER DATABASE … SET",
        "database user" => "for the role in this database: ALTER ROLE … IN DATABASE … SET",
        "configuration file" => "in the server's configuration",
        "client" => "by the client (PGOPTIONS)",
        _ => $"by {source}",
    };
}
