using StocksRebuild.Tests.Support;
using StocksRebuild.Validation;

namespace StocksRebuild.Tests.Validation;

/// <summary>--deep: amcheck on every B-tree index and a full read of every table, on a real server with contrib.</summary>
[TestFixture]
public sealed class DeepValidationTests
{
    [Test]
    public void ValidateDeepReadsEveryTableAndSaysAmcheckIsNotInstalledRatherThanInstallingIt()
    {
        var database = Databases.Seeded();

        var run = BuildScript.Run("--target=Validate", "--deep", $"--database={database}");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Match(@"amcheck\s+stocks_research B-tree indexes\s+warn\s+not run: amcheck is not installed in this database"));
        Assert.That(run.Output, Does.Match(@"full read\s+stocks_research\.prices_daily\s+ok\s+19,512 rows"));
        Assert.That(Databases.Scalar<long>(database, "SELECT count(*) FROM pg_extension WHERE extname = 'amcheck'"), Is.Zero, "Validate only reads");

        // --strict: what --deep was asked to check and could not is a failure.
        var strict = BuildScript.Run("--target=Validate", "--deep", "--strict", $"--database={database}");
        Assert.That(strict.ExitCode, Is.Not.Zero, strict.ToString());
        Assert.That(strict.Output, Does.Contain("amcheck stocks_research B-tree indexes: not run: amcheck is not installed in this database"));
    }

    [Test]
    public void AmcheckFindsAnIndexThatNoLongerMatchesItsTable()
    {
        var database = Databases.Seeded();
        // An expression index over a function declared immutable, then changed: the index still holds the
        // old values, the table's rows compute new ones. Only heapallindexed sees it; every count still agrees.
        Databases.Execute(database, """
            CREATE FUNCTION stocks_research.bucket(v bigint) RETURNS bigint IMMUTABLE LANGUAGE sql AS 'SELECT v / 1000';
            CREATE INDEX prices_bucket_idx ON stocks_research.prices_daily (stocks_research.bucket(volume));
            CREATE OR REPLACE FUNCTION stocks_research.bucket(v bigint) RETURNS bigint IMMUTABLE LANGUAGE sql AS 'SELECT v / 1000 + 1';
            """);

        var deep = Validator.Deep(TestServer.Connection, database, installAmcheck: true);

        var failed = deep.Failures.ToList();
        Assert.That(failed.Select(f => f.Subject), Is.EqualTo(new[] { "stocks_research.prices_bucket_idx" }));
        Assert.That(failed[0].Detail, Does.Contain("lacks matching index tuple"));
        Assert.That(deep.Checks.Count(c => c.Check == "amcheck" && c.Passed), Is.EqualTo(13), "every other B-tree index is sound");
        Assert.That(Validator.Validate(TestServer.Connection, database).Passed, Is.True, "the ordinary checks cannot see it");
    }
}
