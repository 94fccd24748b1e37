namespace StocksRebuild;

/// <summary>The plain .sql files under sql/, carried in the library as resources named by their path.</summary>
public static class SqlFiles
{
    public static string Read(string relativePath)
    {
        var name = "sql/" + relativePath;
        using var stream = typeof(SqlFiles).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded in the library; is it under sql/?");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static bool Exists(string relativePath) =>
        typeof(SqlFiles).Assembly.GetManifestResourceInfo("sql/" + relativePath) is not null;

    public static IEnumerable<string> List(string folder) =>
        typeof(SqlFiles).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("sql/" + folder + "/", StringComparison.Ordinal))
            .Select(n => n["sql/".Length..])
            .Order(StringComparer.Ordinal);
}
