using Npgsql;
using StocksRebuild.Database;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Database;

[TestFixture]
public sealed class DropCreateTests
{
    [Test]
    [Category("Security")]
    public void WithoutConfirmAnExistingDatabaseIsRefusedAndUnchanged()
    {
        var database = Databases.Seeded();
        var before = Databases.Fingerprint(database);

        var run = BuildScript.Run("--target=DropCreate", $"--database={database}");

        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain($"--confirm={database}"));
        Assert.That(Databases.Fingerprint(database), Is.EqualTo(before));
    }

    [Test]
    [Category("Security")]
    public void AConfirmNamingAnotherDatabaseIsRefusedAndUnchanged()
    {
        var database = Databases.Seeded();
        var before = Databases.Fingerprint(database);

        var run = BuildScript.Run("--target=DropCreate", $"--database={database}", "--confirm=stocks_research");

        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("--confirm=stocks_research does not name the target database"));
        Assert.That(Databases.Fingerprint(database), Is.EqualTo(before));
    }

    [Test]
    [Category("Security")]
    public void NoEnvironmentVariableStandsInForConsent()
    {
        var database = Databases.Seeded();
        var before = Databases.Fingerprint(database);
        Environment.SetEnvironmentVariable("CONFIRM", database);
        Environment.SetEnvironmentVariable("CAKE_CONFIRM", database);
        try
        {
            var run = BuildScript.Run("--target=DropCreate", $"--database={database}");
            Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("CONFIRM", null);
            Environment.SetEnvironmentVariable("CAKE_CONFIRM", null);
        }
        Assert.That(Databases.Fingerprint(database), Is.EqualTo(before));
    }

    [Test]
    public void WithOtherSessionsConnectedItStillSucceedsAndEndsThem()
    {
        var database = Databases.Seeded();
        using var client = TestServer.Connection.Open(database);
        using var other = TestServer.Connection.Open(database);
        var log = new TestLog();

        Databases.Admin.DropCreate(database, Consent.Given(database), log);

        Assert.That(log.Text, Does.Contain("ending 2 other session(s)"));
        Assert.That(Databases.Scalar<bool>(database, "SELECT NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'stocks_research')"), Is.True,
            "the recreated database must be empty");
        Assert.That(Databases.Scalar<string>(database, "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()"),
            Is.EqualTo("UTF8"));
        Assert.Throws(Is.InstanceOf<NpgsqlException>(), () =>
        {
            using var command = new NpgsqlCommand("SELECT 1", client);
            command.ExecuteScalar();
        }, "the old session must have been ended");
    }

    [Test]
    public void AMissingDatabaseIsCreatedWithoutConsent()
    {
        var database = Databases.NewName("fresh");
        Assert.That(Databases.Exists(database), Is.False);

        var run = BuildScript.Run("--target=DropCreate", $"--database={database}");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(Databases.Exists(database), Is.True);
    }

    [Test]
    public void DryRunChangesNothing()
    {
        var database = Databases.Seeded();
        var before = Databases.Fingerprint(database);

        var run = BuildScript.Run("--target=DropCreate", $"--database={database}", $"--confirm={database}", "--dryrun");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("DropCreate"));
        Assert.That(Databases.Fingerprint(database), Is.EqualTo(before));
    }

    [Category("BadInput")]
    [TestCase("name\"; DROP DATABASE postgres; --")]
    [TestCase("with space and 'quote'")]
    [TestCase("semi;colon")]
    public void HostileNamesStayNames(string name)
    {
        Databases.Admin.DropCreate(name, Consent.Given(name), new TestLog());
        Assert.That(Databases.Exists(name), Is.True);
        Assert.That(Databases.Exists("postgres"), Is.True);
        Databases.Admin.DropCreate(name, Consent.Given(name), new TestLog());
        Databases.Admin.Drop(name);
        Assert.That(Databases.Exists(name), Is.False);
    }

    [Test, Category("BadInput")]
    public void ANameLongerThanPostgresKeepsIsRefused()
    {
        var name = new string('a', 64);
        var error = Assert.Throws<RunbookException>(() => Databases.Admin.DropCreate(name, Consent.Given(name), new TestLog()));
        Assert.That(error!.Message, Does.Contain("64 bytes"));
        Assert.That(Databases.Exists(name[..63]), Is.False);
    }

    [Test]
    [Category("BadInput")]
    public void TheMaintenanceDatabaseIsNeverDropped()
    {
        var error = Assert.Throws<RunbookException>(() => Databases.Admin.DropCreate("postgres", Consent.Given("postgres"), new TestLog()));
        Assert.That(error!.Message, Does.Contain("maintenance database"));
    }
}
