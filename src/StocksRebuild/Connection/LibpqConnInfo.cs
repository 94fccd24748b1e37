namespace StocksRebuild.Connection;

/// <summary>
/// pg_dump and pg_restore read a --dbname that contains '=' as a whole connection string; quoting the
/// name as dbname='…' keeps a hostile database name a name.
/// </summary>
public static class LibpqConnInfo
{
    public static string ForDatabase(string database) =>
        "dbname='" + database.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
}
