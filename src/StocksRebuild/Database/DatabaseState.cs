namespace StocksRebuild.Database;

/// <summary>
/// What belongs to a database rather than to its contents, which pg_dump -Fc without --create does not hold: its
/// privileges, ALTER DATABASE / ALTER ROLE … IN DATABASE … SET, connection limit, comment and owner, as the statements
/// that give them to another database (the restored copy beside live, or the database recreated in place).
/// </summary>
public sealed record DatabaseState(IReadOnlyList<(string Kind, string Sql)> Statements)
{
    /// <summary>The statements giving <paramref name="to"/> the state of <paramref name="from"/> (none when it does not exist).</summary>
    public static DatabaseState Read(NpgsqlConnection connection, string from, string to)
    {
        var statements = Sql.Query(connection, SqlFiles.Read("database/carry_settings.sql"), r => (r.GetString(0), r.GetString(1)),
            new { database = from, incoming = to, unfinished = Restore.UnfinishedRestore.CommentPrefix });
        // A partial database's comment is the mark of its unfinished restore (not carried); its own comment is inside it. Its
        // privileges are the restore's closure (CONNECT revoked from PUBLIC), not its own: not carried either.
        var unfinished = Restore.UnfinishedRestore.Of(connection, from);
        if (unfinished is not null) statements.RemoveAll(s => s.Item1 == "privileges");
        if (unfinished?.OwnComment is { } own)
            statements.Insert(statements.FindIndex(s => s.Item1 == "owner") is var owner and >= 0 ? owner : statements.Count,
                ("comment", $"COMMENT ON DATABASE {DatabaseName.Quote(to)} IS {Database.Statements.Literal(own)}"));
        return new(statements);
    }

    /// <summary>"2 privileges, 3 settings, 1 comment": what is carried, the owner aside.</summary>
    public string Summary => string.Join(", ", Statements.Where(s => s.Kind != "owner").GroupBy(s => s.Kind).Select(g => $"{g.Count()} {g.Key}"));
}
