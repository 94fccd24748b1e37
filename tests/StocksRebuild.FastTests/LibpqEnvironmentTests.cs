using StocksRebuild.Connection;

namespace StocksRebuild.FastTests;

/// <summary>The environment read as libpq reads it: a service before PG* variables, an empty variable unset, the rest refused.</summary>
public sealed class LibpqEnvironmentTests
{
    string folder = "";

    [SetUp]
    public void CreateFolder() => folder = Directory.CreateTempSubdirectory("stocksrebuild-libpq-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(folder, recursive: true);

    Func<string, string?> Environment(params (string name, string value)[] variables)
    {
        var map = variables.ToDictionary(v => v.name, v => v.value);
        map.TryAdd("HOME", folder);
        map.TryAdd("PGSYSCONFDIR", folder); // no system service file
        return name => map.TryGetValue(name, out var value) ? value : null;
    }

    string Service(string text)
    {
        var path = Path.Combine(folder, "services.conf");
        File.WriteAllText(path, text);
        return path;
    }

    [Test]
    public void AServicesSettingsWinOverThePgVariablesAndTheRestComeFromThem()
    {
        var file = Service("[other]\nport=5433\n\n # a comment\n[staging]\nhost=db.internal\nport=6543\nsslmode=verify-full\n[later]\nport=1\n");

        var server = ServerConnection.FromEnvironment(Environment(("PGSERVICEFILE", file), ("PGSERVICE", "staging"), ("PGHOST", "localhost"),
            ("PGPORT", "5432"), ("PGUSER", "dba"), ("PGOPTIONS", "-c work_mem=64MB")));

        Assert.That((server.Host, server.Port, server.User, server.SslMode), Is.EqualTo(("db.internal", 6543, "dba", "verify-full")));
        var environment = server.ClientEnvironment("stocks_research");
        Assert.That(environment["PGSERVICE"], Is.Null, "the tools get the resolved settings, not the service to read again");
        Assert.That(environment["PGSERVICEFILE"], Is.Null);
        Assert.That((environment["PGHOST"], environment["PGPORT"], environment["PGOPTIONS"]), Is.EqualTo(("db.internal", "6543", "-c work_mem=64MB")));
        Assert.That(new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString("x")).Options, Does.StartWith("-c work_mem=64MB -c statement_timeout=0"));
    }

    [Test]
    public void TheUsersOwnServiceFileIsReadWhenPgservicefileIsUnset()
    {
        File.WriteAllText(Path.Combine(folder, ".pg_service.conf"), "[mine]\nport=7000\n");
        Assert.That(ServerConnection.FromEnvironment(Environment(("PGSERVICE", "mine"))).Port, Is.EqualTo(7000));
    }

    [TestCase("PGHOSTADDR", "10.0.0.5")]
    [TestCase("PGTARGETSESSIONATTRS", "read-write")]
    [TestCase("PGGSSENCMODE", "require")]
    public void AVariableTheToolsOwnConnectionsCannotFollowIsRefused(string name, string value)
    {
        var refusal = Assert.Throws<RunbookException>(() => ServerConnection.FromEnvironment(Environment((name, value))))!;
        Assert.That(refusal.Message, Does.StartWith($"{name}={value}: libpq (pg_dump, pg_restore, psql) would follow it"));
    }

    [Test]
    public void AnEmptyVariableIsUnsetAsForLibpq()
    {
        var server = ServerConnection.FromEnvironment(Environment(("PGHOSTADDR", ""), ("PGPORT", ""), ("PGPASSWORD", "")));
        Assert.That((server.Port, server.Password), Is.EqualTo((5432, (string?)null)));
    }

    [Test]
    public void AServiceThatIsNotDefinedOrNotFollowedIsRefusedNamingIt()
    {
        var file = Service("[staging]\nhost=db\nhostaddr=10.0.0.5\n");
        var unknown = Assert.Throws<RunbookException>(() => ServerConnection.FromEnvironment(Environment(("PGSERVICEFILE", file), ("PGSERVICE", "prod"))))!;
        Assert.That(unknown.Message, Does.StartWith("PGSERVICE=prod: no service of that name in " + file));
        var hostaddr = Assert.Throws<RunbookException>(() => ServerConnection.FromEnvironment(Environment(("PGSERVICEFILE", file), ("PGSERVICE", "staging"))))!;
        Assert.That(hostaddr.Message, Does.StartWith("The service \"staging\" sets hostaddr=10.0.0.5: libpq would follow it"));
    }

    [Test]
    public void TheToolsOwnSessionsAreUtf8WhateverPgclientencodingSays()
    {
        var server = ServerConnection.FromEnvironment(Environment(("PGCLIENTENCODING", "LATIN1")));
        Assert.That(new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString("x")).ClientEncoding, Is.EqualTo("UTF8"));
        Assert.That(server.ClientEnvironment("x")["PGCLIENTENCODING"], Is.Null, "pg_dump and pg_restore choose their own");
    }
}
