using StocksRebuild.Catalog;

namespace StocksRebuild.Validation;

/// <summary>
/// --deep: what a count cannot see. amcheck's bt_index_check (with heapallindexed) on every B-tree index of
/// the schema where the server has amcheck, and a full read of every table. Reported like Validate's checks.
/// </summary>
public static partial class Validator
{
    /// <param name="installAmcheck">
    /// Create the amcheck extension when the server has it but the database does not: for databases the tool
    /// created itself (a rehearsal's scratch copy); a live database is only read.
    /// </param>
    public static ValidationReport Deep(ServerConnection server, string database, bool installAmcheck)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var checks = new List<ValidationCheck>();
        using var connection = server.Open(database, readOnly: !installAmcheck);
        var tables = SchemaCatalog.Read(connection).Tables.Keys.Order(StringComparer.Ordinal).ToList();
        var indexes = Query(connection, "validation/btree_indexes.sql", r => (index: r.GetString(0), table: r.GetString(1), oid: r.GetInt64(2)));

        var scans = new List<Func<NpgsqlConnection, List<ValidationCheck>>>();
        var amcheck = AmcheckReady(connection, installAmcheck);
        if (amcheck is null)
            scans.AddRange(indexes.Select(ix => (Func<NpgsqlConnection, List<ValidationCheck>>)(c => [CheckIndex(c, ix.index, ix.table, ix.oid)])));
        else
            // --deep asked for it: not run is a warning, and under --strict a failure, never a quiet skip.
            checks.Add(new("amcheck", $"{Schema} B-tree indexes", false, $"not run: {amcheck}") { Warning = true });
        scans.AddRange(tables.Select(t => (Func<NpgsqlConnection, List<ValidationCheck>>)(c => [ReadWholeTable(c, t)])));
        checks.AddRange(OnSessions(server, database, scans).SelectMany(c => c));
        return new ValidationReport(database, checks, clock.Elapsed);
    }

    /// <summary>Null when bt_index_check can run; otherwise why not.</summary>
    static string? AmcheckReady(NpgsqlConnection connection, bool install)
    {
        var (installed, available) = Query(connection, "validation/amcheck_available.sql", r => (r.GetBoolean(0), r.GetBoolean(1))).Single();
        if (installed) return null;
        if (!available) return "the server has no amcheck extension (install postgresql-contrib)";
        if (!install) return $"amcheck is not installed in this database (CREATE EXTENSION amcheck, or rehearse: the rehearsal installs it in its " +
            $"copy)";
        try
        {
            using var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS amcheck", connection);
            create.ExecuteNonQuery();
            return null;
        }
        catch (PostgresException e)
        {
            return $"cannot install amcheck: {e.SqlState}: {e.MessageText}";
        }
    }

    static ValidationCheck CheckIndex(NpgsqlConnection connection, string index, string table, long oid)
    {
        try
        {
            using var command = new NpgsqlCommand(SqlFiles.Read("validation/amcheck_index.sql"), connection);
            command.Parameters.AddWithValue("index_oid", oid);
            command.ExecuteNonQuery();
            return new("amcheck", $"{Schema}.{index}", true, $"B-tree sound, every row of {table} indexed");
        }
        catch (PostgresException e)
        {
            Reopen(connection);
            return new("amcheck", $"{Schema}.{index}", false, $"{e.SqlState}: {e.MessageText}");
        }
    }

    static ValidationCheck ReadWholeTable(NpgsqlConnection connection, string table)
    {
        try
        {
            using var command = new NpgsqlCommand(Statements.FullRead(Schema, table), connection);
            using var reader = command.ExecuteReader();
            reader.Read();
            return new("full read", $"{Schema}.{table}", true, $"{reader.GetInt64(0):N0} rows, {reader.GetInt64(1):N0} characters read");
        }
        catch (PostgresException e)
        {
            Reopen(connection);
            return new("full read", $"{Schema}.{table}", false, $"{e.SqlState}: {e.MessageText}");
        }
    }

    /// <summary>
    /// Npgsql gives up a session after an internal-error class report (XX: corruption is one), and the
    /// checks after it share the session: a fresh one lets every other index and table still be checked.
    /// </summary>
    static void Reopen(NpgsqlConnection connection)
    {
        if (connection.State == System.Data.ConnectionState.Open) return;
        connection.Close();
        connection.Open();
    }
}
