
namespace StocksRebuild.Database;

/// <summary>Runbook step "Create empty database" (createdb, or dropdb then createdb), through the maintenance database.</summary>
public sealed class DatabaseAdmin(ServerConnection server, string maintenanceDatabase = "postgres")
{
    public bool Exists(string database)
    {
        using var connection = server.Open(maintenanceDatabase);
        return Sql.Scalar<int?>(connection, "SELECT 1 FROM pg_database WHERE datname = @database", new { database }) is not null;
    }

    /// <summary>Databases whose names start with <paramref name="prefix"/> (taken literally), in name order.</summary>
    /// <summary>
    /// A database being restored or built admits only the run's own role (its owner) and superusers: CONNECT is revoked
    /// from PUBLIC, which a new database grants it, so an application that reconnects to its name neither reads nor writes
    /// it half made. Its own privileges, if it has others, are given back after Validate, over <see cref="OpenToPublic"/>.
    /// </summary>
    public static void CloseToOtherRoles(NpgsqlConnection connection, string database) =>
        Sql.Execute(connection, $"REVOKE CONNECT ON DATABASE {DatabaseName.Quote(database)} FROM PUBLIC");

    /// <summary>CONNECT for PUBLIC again, as a new database has it: what the database's own privileges then start from.</summary>
    public static void OpenToPublic(NpgsqlConnection connection, string database) =>
        Sql.Execute(connection, $"GRANT CONNECT ON DATABASE {DatabaseName.Quote(database)} TO PUBLIC");

    public IReadOnlyList<string> WithPrefix(string prefix)
    {
        using var connection = server.Open(maintenanceDatabase);
        return Sql.Query(connection, SqlFiles.Read("database/with_prefix.sql"), r => r.GetString(0), new { prefix });
    }

    public int OtherSessions(string database)
    {
        using var connection = server.Open(maintenanceDatabase);
        return Sql.Scalar<int>(connection, SqlFiles.Read("database/other_sessions.sql"), new { database });
    }

    /// <summary>
    /// Drops (when it exists, and only with consent) and creates the database empty: template0, UTF8,
    /// owned by the connecting user. Consent is checked before any connection that could change anything.
    /// </summary>
    public void DropCreate(string database, Consent consent, IRunbookLog log, CancellationToken cancellation = default)
    {
        DatabaseName.Check(database);
        if (string.Equals(database, maintenanceDatabase, StringComparison.Ordinal))
            throw new RunbookException($"DropCreate refuses to drop the maintenance database \"{database}\"; choose another --maintenance-db.");

        using var runLock = RunLock.Acquire(server, database, log);
        if (cancellation.IsCancellationRequested)
            throw new RunInterruptedException("DropCreate", $"\"{database}\" was not touched.", "run the target again.");
        if (Exists(database))
        {
            consent.Require("DropCreate", database);
            var sessions = OtherSessions(database);
            log.Info($"DropCreate: ending {sessions} other session(s) on \"{database}\" and dropping it.");
            Execute(Statements.DropDatabase(database));
            // Between the two statements the database is gone: an interruption here must say so.
            if (cancellation.IsCancellationRequested)
                throw new RunInterruptedException("DropCreate", $"\"{database}\" was dropped and not created again.", "run the target again " +
                    "(DropCreate creates it).");
        }
        else
        {
            log.Info($"DropCreate: \"{database}\" does not exist; creating it.");
        }
        Execute(Statements.CreateDatabase(database));
        log.Info($"DropCreate: created empty database \"{database}\" (template0, UTF8, owner {server.User}).");
    }

    public void Drop(string database)
    {
        DatabaseName.Check(database);
        Execute(Statements.DropDatabase(database));
    }

    void Execute(string sql)
    {
        using var connection = server.Open(maintenanceDatabase);
        Sql.Execute(connection, sql);
    }
}
