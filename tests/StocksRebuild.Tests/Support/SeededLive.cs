namespace StocksRebuild.Tests.Support;

/// <summary>
/// Fixtures whose every test runs a command against one seeded "live" database and must leave it exactly as it
/// was: the database and its fingerprint, taken once before the first test.
/// </summary>
public abstract class SeededLive
{
    /// <summary>The seeded database the fixture's commands target.</summary>
    protected string Live { get; private set; } = "";
    /// <summary>Its fingerprint before any test ran.</summary>
    protected IReadOnlyDictionary<string, string> Before { get; private set; } = null!;

    [OneTimeSetUp]
    public void SeedLive()
    {
        Live = Databases.Seeded(Databases.NewName("live"));
        Before = Databases.Fingerprint(Live);
    }
}
