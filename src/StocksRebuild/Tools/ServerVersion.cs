namespace StocksRebuild.Tools;

/// <summary>A server's version as it says it: "15.18 (Debian …)" and its major, 15.</summary>
public sealed record ServerVersion(string Text, int Major)
{
    public static ServerVersion Read(ServerConnection server, string database)
    {
        using var connection = server.Open(database, readOnly: true);
        var text = Sql.Scalar<string>(connection, "SHOW server_version");
        var number = int.Parse(Sql.Scalar<string>(connection, "SHOW server_version_num"), System.Globalization.CultureInfo.InvariantCulture);
        return new ServerVersion(text, number / 10000);
    }

    /// <summary>The version, or null when the server does not answer.</summary>
    public static ServerVersion? TryRead(ServerConnection server, string database)
    {
        try { return Read(server, database); }
        catch (Exception e) when (e is RunbookException or NpgsqlException) { return null; }
    }
}
