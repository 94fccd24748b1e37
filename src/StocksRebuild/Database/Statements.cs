namespace StocksRebuild.Database;

/// <summary>
/// The statements whose text must carry a name (DDL takes no parameters): built here by small pure functions
/// that always quote every identifier, so no name from a flag, a file or a catalog is ever pasted raw.
/// </summary>
public static class Statements
{
    public static string Quote(string identifier) => DatabaseName.Quote(identifier);

    /// <summary>A string literal where DDL takes no parameter (ALTER DATABASE … SET): standard_conforming_strings, quotes doubled.</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>"schema"."table"</summary>
    public static string Qualified(string schema, string table) => $"{Quote(schema)}.{Quote(table)}";

    /// <summary>A table of the runbook's schema, qualified.</summary>
    public static string Table(string table) => Qualified(Schema.Name, table);

    public static string CreateDatabase(string database) => $"CREATE DATABASE {Quote(database)} TEMPLATE template0 ENCODING 'UTF8'";

    /// <summary>WITH (FORCE) ends sessions and blocks new ones in one step, so none can sneak in between.</summary>
    public static string DropDatabase(string database) => $"DROP DATABASE IF EXISTS {Quote(database)} WITH (FORCE)";

    public static string RenameDatabase(string from, string to) => $"ALTER DATABASE {Quote(from)} RENAME TO {Quote(to)}";

    /// <summary>Whether new sessions may start on the database; existing ones are not affected.</summary>
    public static string AllowConnections(string database, bool allow) =>
        $"ALTER DATABASE {Quote(database)} WITH ALLOW_CONNECTIONS {(allow ? "true" : "false")}";

    /// <summary>
    /// Reads every row and every column of one table (rendering a row as text detoasts all of it), so a damaged
    /// page or TOAST chunk anywhere in the table fails here.
    /// </summary>
    public static string FullRead(string schema, string table) =>
        $"SELECT count(*), coalesce(sum(length(t::text)), 0) FROM {Qualified(schema, table)} t";

    public static string Analyze(string table) => $"ANALYZE {Table(table)}";

    public static string IsEmpty(string table) => $"SELECT NOT EXISTS (SELECT 1 FROM {Table(table)})";

    /// <summary>Whether a row with this key exists; the key's values are the parameters @k0, @k1, … in the key's order.</summary>
    public static string KeyExists(string table, IReadOnlyList<string> key) =>
        $"SELECT EXISTS (SELECT 1 FROM {Table(table)} WHERE ({string.Join(", ", key.Select(Quote))}) = " +
        $"({string.Join(", ", key.Select((_, i) => $"@k{i}"))}))";

    /// <summary>Binary COPY into the named columns of a table (qualified by the caller: a staging table is pg_temp's).</summary>
    public static string CopyBinary(string qualifiedTable, IEnumerable<string> columns) =>
        $"COPY {qualifiedTable} ({string.Join(", ", columns.Select(Quote))}) FROM STDIN (FORMAT BINARY)";

    public static string CreateUniqueIndex(string qualifiedTable, IEnumerable<string> columns) =>
        $"CREATE UNIQUE INDEX ON {qualifiedTable} ({string.Join(", ", columns.Select(Quote))})";
}
