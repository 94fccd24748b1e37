using StocksRebuild.Connection;
using StocksRebuild.Database;
using StocksRebuild.Tools;
using StocksRebuild.Sandbox;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Preflight;

/// <summary>
/// One server for every client. The tool's own connections (Npgsql) and the client tools (libpq: psql, pg_dump,
/// pg_restore) must reach the same server and database, whatever the environment says: a service file, PGHOSTADDR,
/// a libpq that finds another server by a way the tool cannot see. A second server runs beside the test server, with
/// a database of the live one's name, as a staging server would: a client sent there finds something to restore into.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[TestFixture, Category("BadInput")]
public sealed class OneServerTests : SeededLive
{
    SandboxServer other = null!;
    string folder = "";

    [OneTimeSetUp]
    public void StartTheOtherServer()
    {
        folder = Directory.CreateTempSubdirectory("stocksrebuild-oneserver-").FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        other = SandboxServer.Start(folder, new TestLog());
        Databases.Migrated("staging", other.Connection);
        using var connection = other.Connection.Open("postgres");
        Sql.Execute(connection, $"CREATE DATABASE {DatabaseName.Quote(Live)}");
    }

    [OneTimeTearDown]
    public void StopTheOtherServer()
    {
        other.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>A service file naming the other server, as a DBA's ~/.pg_service.conf would.</summary>
    string ServiceFile(params string[] extra)
    {
        var path = Path.Combine(folder, $"pg_service_{Guid.NewGuid():N}.conf");
        File.WriteAllLines(path, ["# staging", "[staging]", "host=127.0.0.1", $"port={other.Connection.Port}", $"user={other.Connection.User}",
            $"passfile={other.PassFile}", .. extra, "", "[unused]", "port=1"]);
        return path;
    }

    void AssertNothingChanged(string backup, Func<BuildRun> run, params string[] expected)
    {
        var listing = Databases.Listing(Path.GetDirectoryName(backup)!);
        var otherBefore = Databases.Fingerprint(Live, other.Connection);
        var result = run();
        Assert.That(result.ExitCode, Is.Not.Zero, result.ToString());
        foreach (var text in expected) Assert.That(result.Output, Does.Contain(text), result.ToString());
        Assert.That(result.Output, Does.Not.Contain("DropCreate: "), "DropCreate must not run");
        Assert.That(Databases.Fingerprint(Live), Is.EqualTo(Before), "the live database changed");
        Assert.That(Databases.Fingerprint(Live, other.Connection), Is.EqualTo(otherBefore), "the other server's database changed");
        Assert.That(Databases.Listing(Path.GetDirectoryName(backup)!), Is.EqualTo(listing), "the backup folder changed");
        Assert.That(Databases.Admin.WithPrefix(Live + "_incoming_"), Is.Empty);
    }

    /// <summary>
    /// libpq gives a service's settings precedence over PG* variables; the tool now reads the service as libpq does, so
    /// both clients go to the service's server (before: the tool's own to PGPORT, pg_dump to the service, and Backup
    /// failed with "invalid snapshot identifier"; Restore dropped on one server and restored into the other).
    /// </summary>
    [Test]
    public void AServiceFileIsFollowedByTheToolsOwnConnectionsAsLibpqFollowsIt()
    {
        var backups = Directory.CreateTempSubdirectory("stocksrebuild-service-").FullName;
        // The test server's PGHOST, PGPORT and PGUSER stay set: the service wins over them, as in libpq. Its password file is the one used.
        var service = new Dictionary<string, string> { ["PGSERVICEFILE"] = ServiceFile(), ["PGSERVICE"] = "staging", ["PGPASSWORD"] = "" };
        var staging = Databases.Migrated("staging", other.Connection);

        var backup = BuildScript.RunWith(service, "--target=Backup", $"--database={staging}", $"--backup-dir={backups}");

        Assert.That(backup.ExitCode, Is.Zero, backup.ToString());
        Assert.That(backup.Output, Does.Contain($"Backup: pg_dump -Fc of database \"{staging}\" on {other.Connection.User}@127.0.0.1:{other.Connection.Port}"));
        Assert.That(Databases.Exists(staging), Is.False, "the test server (PGPORT) has no such database and was not used");

        var dryRun = BuildScript.RunWith(service, "--target=Restore", $"--database={Live}", $"--backup-dir={backups}", "--dryrun");
        Assert.That(dryRun.ExitCode, Is.Zero, dryRun.ToString());
        Assert.That(dryRun.Output, Does.Contain($"reach the server the tool's own connections reach (cluster=").And.Contain($"port={other.Connection.Port} "));
    }

    [Test]
    public void PghostaddrIsRefusedBeforeAnythingIsTouched()
    {
        var backup = Databases.CopyOfBackup();
        AssertNothingChanged(backup, () => BuildScript.RunWith(new Dictionary<string, string> { ["PGHOSTADDR"] = "127.0.0.1" },
                "--target=Restore", $"--database={Live}", $"--confirm={Live}", $"--backup={backup}"),
            "PGHOSTADDR=127.0.0.1: libpq (pg_dump, pg_restore, psql) would follow it, and the tool's own connections (Npgsql) cannot",
            "name the server's address in PGHOST instead");
    }

    [Test]
    public void AServiceSettingTheToolCannotFollowIsRefusedNamingIt()
    {
        var backup = Databases.CopyOfBackup();
        var service = new Dictionary<string, string> { ["PGSERVICEFILE"] = ServiceFile("target_session_attrs=read-write"), ["PGSERVICE"] = "staging" };
        AssertNothingChanged(backup, () => BuildScript.RunWith(service, "--target=Restore", $"--database={Live}", $"--confirm={Live}", $"--backup={backup}"),
            "The service \"staging\" sets target_session_attrs=read-write: libpq would follow it, and the tool's own connections (Npgsql) cannot.");
    }

    /// <summary>
    /// Whatever sends libpq elsewhere (here a psql, pg_restore and pg_dump that find the other server, as an LDAP service
    /// lookup or a site's wrapper would), Preflight compares who answered both clients and refuses before DropCreate;
    /// Backup before pg_dump.
    /// </summary>
    [TestCase("Restore")]
    [TestCase("Restore --in-place")]
    [TestCase("Backup")]
    public void ClientToolsThatReachAnotherServerAreRefusedBeforeAnything(string target)
    {
        var wrappers = Directory.CreateTempSubdirectory("stocksrebuild-wrappers-").FullName;
        foreach (var tool in new[] { "psql", "pg_dump", "pg_restore" })
        {
            var wrapper = Path.Combine(wrappers, tool);
            File.WriteAllText(wrapper, $"#!/bin/sh\nexport PGHOST=127.0.0.1 PGPORT={other.Connection.Port} PGUSER={other.Connection.User} PGPASSFILE={other.PassFile}\n" +
                $"unset PGPASSWORD\nexec {PgTools.Find(tool)} \"$@\"\n");
            File.SetUnixFileMode(wrapper, (UnixFileMode)0b111_101_101);
        }
        var path = new Dictionary<string, string> { ["PATH"] = wrappers + ":" + Environment.GetEnvironmentVariable("PATH") };
        var restore = target.StartsWith("Restore", StringComparison.Ordinal);
        // Backup writes into a folder of its own: a copied backup already carries this minute's name.
        var backup = restore ? Databases.CopyOfBackup() : Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-oneserver-backups-").FullName, "none");
        string[] arguments = restore
            ? ["--target=Restore", $"--database={Live}", $"--confirm={Live}", $"--backup={backup}", .. target.Split(' ').Skip(1)]
            : ["--target=Backup", $"--database={Live}", $"--backup-dir={Path.GetDirectoryName(backup)}"];

        AssertNothingChanged(backup, () => BuildScript.RunWith(path, arguments),
            "the client tools (libpq: psql, pg_dump, pg_restore) and the tool's own connections (Npgsql) reach different servers or databases",
            "Npgsql: cluster=", $"libpq: cluster=", $"port={other.Connection.Port} database=", "Nothing was changed.",
            restore ? "Preflight refused: RestoreBackup (pg_restore): " : "Backup refused: Backup (pg_dump): ");
    }

    /// <summary>Npgsql would take PGCLIENTENCODING=LATIN1 and store a drop's UTF-8 "Société" as "SociÃ©tÃ©"; the tool's sessions are UTF-8.</summary>
    [Test]
    public void AClientEncodingInTheEnvironmentDoesNotChangeTheText()
    {
        var drop = Directory.CreateTempSubdirectory("stocksrebuild-encoding-").FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(BuildScript.RepositoryRoot, "sample"), "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(drop, Path.GetRelativePath(Path.Combine(BuildScript.RepositoryRoot, "sample"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
        var securities = Path.Combine(drop, "securities.csv");
        File.WriteAllText(securities, File.ReadAllText(securities).Replace("Sample Company 1, Inc.", "Société Générale, S.A."));
        var database = Databases.Migrated("encoding");

        var ingest = BuildScript.RunWith(new Dictionary<string, string> { ["PGCLIENTENCODING"] = "LATIN1" },
            "--target=Ingest", $"--database={database}", $"--source={drop}");

        Assert.That(ingest.ExitCode, Is.Zero, ingest.ToString());
        Assert.That(Databases.Scalar<string>(database, "SELECT name FROM stocks_research.securities WHERE security_id = 1"),
            Is.EqualTo("Société Générale, S.A."));
    }
}
