namespace StocksRebuild.FastTests;

/// <summary>The checkout the tests run from: where README.md, build/ and .github/ are.</summary>
static class Repository
{
    public static string Root { get; } = Find();

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "build.cake"))) return dir.FullName;
        throw new InvalidOperationException("build.cake not found above " + AppContext.BaseDirectory);
    }
}
