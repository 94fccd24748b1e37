// The test suite in two tiers: the fast one (no PostgreSQL: flags, SQL generation, reports, CSV rules, retention)
// first, in seconds; then the database tier against a real PostgreSQL (the fixture starts one when none is configured).
Task("Test")
    .Description("Build and run the fast tier, then the database tier (NUnit); writes TRX to artifacts/test-results")
    .Does(ctx =>
    {
        foreach (var (project, results) in new[] { ("StocksRebuild.FastTests", "fast.trx"), ("StocksRebuild.Tests", "database.trx") })
            DotNetTest($"tests/{project}/{project}.csproj", new DotNetTestSettings
            {
                Configuration = "Release",
                ResultsDirectory = "artifacts/test-results",
                Loggers = { $"trx;LogFileName={results}", "console;verbosity=normal" },
            });
    });
