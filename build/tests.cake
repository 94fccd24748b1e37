// The test suite: NUnit against a real PostgreSQL (the fixture starts one when none is configured).
Task("Test")
    .Description("Build and run the NUnit suite; writes TRX to artifacts/test-results")
    .Does(ctx =>
    {
        DotNetTest("tests/StocksRebuild.Tests/StocksRebuild.Tests.csproj", new DotNetTestSettings
        {
            Configuration = "Release",
            ResultsDirectory = "artifacts/test-results",
            Loggers = { "trx;LogFileName=tests.trx", "console;verbosity=normal" },
        });
    });
