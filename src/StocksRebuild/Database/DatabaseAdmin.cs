using Npgsql;
using StocksRebuild.Connection;

namespace StocksRebuild.Database;

/// <summary>Runbook step "Create empty database" (createdb, or dropdb then createdb), through the maintenance database.</summary>
public sealed class DatabaseAdmin(ServerConnection server, string maintenanceDatabase = "postgres")
{
    public bool Exists(string database)
    {
        using var connection = server.Open(maintenanceDatabase);
        using var command = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @database", connection);
        command.Parameters.AddWithValue("database", database);
        return command.ExecuteScalar() is not null;
    }

    /// <summary>Databases whose names start with <paramref name="prefix"/> (taken literally), in name order.</summary>
    public IReadOnlyList<string> WithPrefix(string prefix)
    {
        using var connection = server.Open(maintenanceDatabase);
        using var command = new NpgsqlCommand(SqlFiles.Read("database/with_prefix.sql"), connection);
        command.Parameters.AddWithValue("prefix", prefix);
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read()) names.Add(reader.GetString(0));
        return names;
    }

    public int OtherSessions(string database)
    {
        using var connection = server.Open(maintenanceDatabase);
        using var command = new NpgsqlCommand(SqlFiles.Read("database/other_sessions.sql"), connection);
        command.Parameters.AddWithValue("database", database);
        return Convert.ToInt32(command.ExecuteScalar());
    }

    /// <summary>
    /// Drops (when it exists, and only with consent) and creates the database empty: template0, UTF8,
    /// owned by the connecting user. Consent is checked before any connection that could change anything.
    /// </summary>
    public void DropCreate(string database, string? confirm, bool sandbox, IRunbookLog log, CancellationToken cancellation = default)
    {
        DatabaseName.Check(database);
        if (string.Equals(database, maintenanceDatabase, StringComparison.Ordinal))
            throw new RunbookException($"DropCreate refuses to drop the maintenance database \"{database}\"; choose another --maintenance-db.");

        using var runLock = RunLock.Acquire(server, database, log);
        if (cancellation.IsCancellationRequested)
            throw new RunInterruptedException("DropCreate", $"\"{database}\" was not touched.", "run the target again.");
        if (Exists(database))
        {
            Consent.Require("DropCreate", database, confirm, sandbox);
            var sessions = OtherSessions(database);
            log.Info($"DropCreate: ending {sessions} other session(s) on \"{database}\" and dropping it.");
            // WITH (FORCE) ends sessions and blocks new ones in one step, so none can sneak in between.
            Execute($"DROP DATABASE {DatabaseName.Quote(database)} WITH (FORCE)");
            // Between the two statements the database is gone: an interruption here must say so.
            if (cancellation.IsCancellationRequested)
                throw new RunInterruptedException("DropCreate", $"\"{database}\" was dropped and not created again.", "run the target again (DropCreate creates it).");
        }
        else
        {
            log.Info($"DropCreate: \"{database}\" does not exist; creating it.");
        }
        Execute($"CREATE DATABASE {DatabaseName.Quote(database)} TEMPLATE template0 ENCODING 'UTF8'");
        log.Info($"DropCreate: created empty database \"{database}\" (template0, UTF8, owner {server.User}).");
    }

    public void Drop(string database)
    {
        DatabaseName.Check(database);
        Execute($"DROP DATABASE IF EXISTS {DatabaseName.Quote(database)} WITH (FORCE)");
    }

    void Execute(string sql)
    {
        using var connection = server.Open(maintenanceDatabase);
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
