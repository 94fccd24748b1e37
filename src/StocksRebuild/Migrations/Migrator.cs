using StocksRebuild.Catalog;
using DbUp;
using DbUp.Engine;
using DbUp.Engine.Output;
using DbUp.Postgresql;

namespace StocksRebuild.Migrations;

public sealed record MigrationPlan(IReadOnlyList<string> Applied, IReadOnlyList<string> Pending);

/// <summary>
/// Scenario B step 2, "Apply schema migrations": DbUp applies sql/migrations in version order, one
/// transaction per script, journalled in the stocks_research schema with a checksum per script.
/// </summary>
public static class Migrator
{
    const string Schema = Database.Schema.Name;
    public const string JournalTable = "schemaversions";

    /// <summary>The scripts of sql/migrations, ordered by name as text (versions are zero-padded: V001, V002 …).</summary>
    public static IReadOnlyList<SqlScript> Scripts() =>
        SqlFiles.List("migrations")
            .Select(path => new SqlScript(Path.GetFileName(path), SqlFiles.Read(path)))
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>What is applied and what would run; refuses drift before anything runs.</summary>
    public static MigrationPlan Plan(ServerConnection server, string database, IReadOnlyList<SqlScript>? scripts = null)
    {
        scripts ??= Scripts();
        var applied = AppliedChecksums(server, database);
        var known = scripts.ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var (name, sha256) in applied)
        {
            if (!known.TryGetValue(name, out var script))
                throw new RunbookException($"Migrate refused: {name} was applied to \"{database}\" but is no longer in sql/migrations. Restore the " +
                    $"script; never delete an applied migration.");
            if (ChecksumJournal.Sha256(script.Contents) != sha256)
                throw new RunbookException($"Migrate refused: sql/migrations/{name} was changed after it was applied to \"{database}\" (checksum " +
                    $"differs). Revert the edit and add a new migration instead.");
        }
        return new MigrationPlan(
            applied.Keys.Order(StringComparer.Ordinal).ToList(),
            scripts.Where(s => !applied.ContainsKey(s.Name)).Select(s => s.Name).ToList());
    }

    /// <summary>The data tables of the schema (the journal aside), as "schema.table".</summary>
    public static IReadOnlyList<string> DataTables(ServerConnection server, string database)
    {
        using var connection = server.Open(database);
        return [.. DataTables(connection).Select(t => $"{Schema}.{t}")];
    }

    /// <summary>Data tables that hold at least one row, as "schema.table": migrating them needs consent.</summary>
    public static IReadOnlyList<string> TablesWithRows(ServerConnection server, string database)
    {
        using var connection = server.Open(database);
        return [.. DataTables(connection)
            .Where(table => !Sql.Scalar<bool>(connection, Statements.IsEmpty(table)))
            .Select(t => $"{Schema}.{t}")];
    }

    static IEnumerable<string> DataTables(NpgsqlConnection connection) =>
        SchemaCatalog.Read(connection).Tables.Keys
            .Where(t => t is not (JournalTable or ChecksumJournal.Table))
            .Order(StringComparer.Ordinal);

    public static MigrationPlan Migrate(RunContext run, string database, Consent consent, IReadOnlyList<SqlScript>? scripts = null)
    {
        var (server, log, cancellation) = (run.Server, run.Log, run.Cancellation);
        scripts ??= Scripts();
        using var runLock = RunLock.Acquire(server, database, log);
        var plan = Plan(server, database, scripts);
        if (plan.Pending.Count == 0)
        {
            log.Info($"Migrate: \"{database}\" is up to date ({plan.Applied.Count} script(s) applied).");
            return plan;
        }
        var withRows = TablesWithRows(server, database);
        if (withRows.Count > 0) consent.Require($"Migrate (tables with rows: {string.Join(", ", withRows)})", database);

        // The journal lives in the schema, so the schema exists before the first script is journalled.
        using (var connection = server.Open(database))
        using (var command = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {DatabaseName.Quote(Schema)}", connection))
            command.ExecuteNonQuery();

        // One DbUp run per pending script, so that Ctrl-C/SIGTERM stops the run between two scripts.
        var applied = new List<string>();
        foreach (var script in scripts.Where(s => plan.Pending.Contains(s.Name)))
        {
            if (cancellation.IsCancellationRequested)
                throw new RunInterruptedException("Migrate",
                    $"\"{database}\" has every script up to {applied.LastOrDefault() ?? plan.Applied.LastOrDefault() ?? "none"} applied and " +
                        $"journalled; {script.Name} and later did not run.",
                    "run --target=Migrate again to apply the rest.");
            var dbUpLog = new DbUpLog(log, server);
            var result = DeployChanges.To
                .PostgresqlDatabase(server.ConnectionString(database), Schema)
                .WithScript(script)
                .JournalTo((connectionManager, upgradeLog) =>
                    new ChecksumJournal(new PostgresqlTableJournal(connectionManager, upgradeLog, Schema, JournalTable)))
                .WithTransactionPerScript()
                .LogTo(dbUpLog)
                .Build()
                .PerformUpgrade();

            if (!result.Successful)
                throw new RunbookException(
                    $"Migrate stopped at {result.ErrorScript?.Name}: {Describe(result.Error, result.ErrorScript, dbUpLog.FailedBlock, server)}. " +
                    "That script was rolled back and is not journalled; scripts after it did not run. Runbook: drop the database, fix the " +
                        "migration, restart the rebuild.",
                    result.Error);
            applied.Add(script.Name);
            log.Info($"Migrate: applied {script.Name}");
        }
        return Plan(server, database, scripts);
    }

    static Dictionary<string, string> AppliedChecksums(ServerConnection server, string database)
    {
        using var connection = server.Open(database);
        using var command = new NpgsqlCommand(SqlFiles.Read("journal/applied_checksums.sql"), connection);
        var applied = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var reader = command.ExecuteReader();
            while (reader.Read()) applied[reader.GetString(0)] = reader.GetString(1);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            // A database never migrated: nothing applied.
        }
        return applied;
    }

    /// <summary>
    /// Names the failing statement and its line in the script. DbUp runs a script as blocks split by its
    /// own splitter and reports the failing block's index; the server's position counts within that block.
    /// </summary>
    static string Describe(Exception? error, SqlScript? script, int? failedBlock, ServerConnection server)
    {
        if (error is PostgresException pg && script is not null && failedBlock is { } index)
        {
            var blocks = new PostgresqlConnectionManager(server.ConnectionString("postgres")).SplitScriptIntoCommands(script.Contents).ToList();
            if (index >= 0 && index < blocks.Count)
            {
                var statement = blocks[index];
                var start = Math.Max(0, script.Contents.IndexOf(statement, StringComparison.Ordinal));
                var offset = Math.Clamp(pg.Position - 1, 0, statement.Length);
                var line = script.Contents[..start].Count(c => c == '\n') + statement[..offset].Count(c => c == '\n') + 1;
                return Secrets.Mask($"line {line}: {pg.SqlState}: {pg.MessageText} (statement: {statement.Trim().Split('\n')[0].Trim()})", server);
            }
        }
        return Secrets.Mask(error is PostgresException p ? $"{p.SqlState}: {p.MessageText}" : error?.Message ?? "unknown error", server);
    }

    sealed class DbUpLog(IRunbookLog log, ServerConnection server) : IUpgradeLog
    {
        /// <summary>The index DbUp gives the failing block in "Script block number: {0}; …".</summary>
        public int? FailedBlock { get; private set; }

        public void LogTrace(string format, params object[] args) { }
        public void LogDebug(string format, params object[] args) { }
        // Only the start of each script: DbUp's other chatter repeats for every script we run one by one.
        public void LogInformation(string format, params object[] args)
        {
            if (format.StartsWith("Executing", StringComparison.Ordinal)) log.Info(Secrets.Mask("Migrate: " + string.Format(format, args), server));
        }
        public void LogWarning(string format, params object[] args) => log.Warning(Secrets.Mask("Migrate: " + string.Format(format, args), server));

        public void LogError(string format, params object[] args)
        {
            if (FailedBlock is null && format.StartsWith("Script block number: {0}", StringComparison.Ordinal) && args is [int index, ..])
                FailedBlock = index;
            LogWarning(format, args);
        }

        public void LogError(Exception ex, string format, params object[] args) => LogError(format, args);
    }
}
