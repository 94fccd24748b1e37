using StocksRebuild.Connection;
using StocksRebuild.Database;
using StocksRebuild.Restore;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Preflight;

/// <summary>
/// What a restore will use is proven before DropCreate, for a role configured as production ones are: not a superuser,
/// a connection limit, owning the database or not, applications of other roles connected. Each refusal leaves the live
/// database (fingerprint), the backup folder (listing) and the server's databases as they were.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[TestFixture, Category("BadInput")]
public sealed class RestoreResourcesTests
{
    string role = "";
    string password = "";
    ServerConnection AsRole => TestServer.Connection with { User = role, Password = password, PassFile = null };

    [SetUp]
    public void CreateRole()
    {
        role = "sr_owner_" + Guid.NewGuid().ToString("N")[..8];
        password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        Databases.Execute("postgres", $"CREATE ROLE {role} LOGIN CREATEDB PASSWORD {Statements.Literal(password)}");
    }

    [TearDown]
    public void DropRole()
    {
        // What it owns (databases, and the objects its restores created in them) is handed back first, database by database.
        List<string> databases;
        using (var connection = TestServer.Connection.Open("postgres"))
            databases = Sql.Query(connection, "SELECT datname FROM pg_database WHERE datallowconn", r => r.GetString(0));
        foreach (var database in databases.Where(d => Databases.Scalar<bool>(d, $"SELECT EXISTS (SELECT FROM pg_shdepend s JOIN pg_roles r ON " +
                     $"r.oid = s.refobjid WHERE r.rolname = {Statements.Literal(role)} AND s.dbid IN (0, (SELECT oid FROM pg_database WHERE " +
                     "datname = current_database())))")))
            Databases.Execute(database, $"REASSIGN OWNED BY {role} TO CURRENT_USER; DROP OWNED BY {role}");
        Databases.Execute("postgres", $"DROP ROLE {role}");
    }

    /// <summary>A seeded live database owned by the role, with its backup.</summary>
    (string live, string backup) OwnedLive()
    {
        var live = Databases.Seeded();
        Databases.Execute("postgres", $"ALTER DATABASE {DatabaseName.Quote(live)} OWNER TO {role}");
        return (live, Databases.CopyOfBackup());
    }

    void AssertRefused(string live, string backup, BuildRun run, params string[] expected)
    {
        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        foreach (var text in expected) Assert.That(run.Output, Does.Contain(text), run.ToString());
        Assert.That(run.Output, Does.Not.Contain("DropCreate: "), "DropCreate must not run");
        Assert.That(run.Output, Does.Not.Contain(password));
        Assert.That(Databases.Admin.WithPrefix(live + "_incoming_"), Is.Empty);
    }

    BuildRun Restore(string live, string backup, params string[] extra) =>
        BuildScript.Run(AsRole, ["--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup={backup}", .. extra]);

    /// <summary>pg_restore's workers beyond the role's CONNECTION LIMIT fail halfway through the restore; in place, live is gone.</summary>
    [TestCase("")]
    [TestCase("--in-place")]
    public void JobsBeyondTheRolesConnectionLimitAreRefusedBeforeDropCreateAndFewerRestore(string mode)
    {
        var (live, backup) = OwnedLive();
        Databases.Execute("postgres", $"ALTER ROLE {role} CONNECTION LIMIT 6");
        var before = Databases.Fingerprint(live);
        var listing = Databases.Listing(Path.GetDirectoryName(backup)!);
        string[] extra = mode.Length == 0 ? [] : [mode];

        var refused = Restore(live, backup, ["--jobs=8", .. extra]);

        // The run's lock holds one of the six: the session guard, pg_restore's leader and three jobs fit in the other five.
        AssertRefused(live, backup, refused, "Preflight refused: the restore needs 10 connections beyond those open (pg_restore's leader and " +
            $"--jobs=8, then Validate's", $"and the role \"{role}\" may open 5 now", "the role's CONNECTION LIMIT 6, 1 of its sessions open",
            "Give --jobs=3, or end idle sessions or raise the limits first. Nothing was changed.");
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before));
        Assert.That(Databases.Listing(Path.GetDirectoryName(backup)!), Is.EqualTo(listing));

        var restored = Restore(live, backup, ["--jobs=3", .. extra]);
        Assert.That(restored.ExitCode, Is.Zero, restored.ToString());
        Assert.That(restored.Output, Does.Contain("5 connections needed, 5 free"));
        Assert.That(Databases.DataFingerprint(live), Is.EqualTo(Databases.DataFingerprint(Databases.SourceWithBackup.Database)));
    }

    /// <summary>The default --jobs (one per core) is capped to what is free and says so; only a given one is refused.</summary>
    [Test]
    public void TheDefaultJobsAreCappedToTheConnectionsFree()
    {
        var (live, _) = OwnedLive();
        Databases.Execute("postgres", $"ALTER ROLE {role} CONNECTION LIMIT 6");
        var run = TestServer.Run(server: AsRole);

        var capped = RestoreResources.Check(run, "postgres", live, RestoreMode.Beside, jobs: 8, jobsGiven: false);

        Assert.That(capped.Jobs, Is.EqualTo(4), "no session of the role is open: six free, one for the guard, one for pg_restore's leader");
        Assert.That(capped.Connections, Does.StartWith("--jobs capped at 4 (the default is 8, one per core): 6 connections free"));
        Assert.Throws<RunbookException>(() => RestoreResources.Check(run, "postgres", live, RestoreMode.Beside, jobs: 8, jobsGiven: true));
    }

    [Test]
    public void ARoleThatMayNotCreateDatabasesIsRefusedBeforeAnything()
    {
        var (live, backup) = OwnedLive();
        Databases.Execute("postgres", $"ALTER ROLE {role} NOCREATEDB");
        var before = Databases.Fingerprint(live);

        AssertRefused(live, backup, Restore(live, backup), $"Preflight refused: the role \"{role}\" may not create databases, and the restore " +
            $"creates an incoming database beside \"{live}\": ALTER ROLE \"{role}\" CREATEDB");
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before));
    }

    [TestCase("")]
    [TestCase("--in-place")]
    public void ARoleThatDoesNotOwnLiveIsRefusedBeforeAnything(string mode)
    {
        var live = Databases.Seeded();
        var backup = Databases.CopyOfBackup();
        var before = Databases.Fingerprint(live);

        AssertRefused(live, backup, Restore(live, backup, mode.Length == 0 ? [] : [mode]), $"Preflight refused: the role \"{role}\" does not own \"{live}\", " +
            "and " + (mode.Length == 0 ? "the swap renames it" : "--in-place drops it") + ", which only its owner (or a superuser) may");
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before));
    }

    /// <summary>A superuser's session on live (a DBA's psql, a monitoring agent): the owner cannot end it, so the swap or the drop could not.</summary>
    [TestCase("")]
    [TestCase("--in-place")]
    public void ASessionTheRoleCannotEndIsRefusedBeforeAnythingAndStaysConnected(string mode)
    {
        var (live, backup) = OwnedLive();
        var before = Databases.Fingerprint(live);
        using var dba = TestServer.Connection.Open(live);

        AssertRefused(live, backup, Restore(live, backup, mode.Length == 0 ? [] : [mode]), $"Preflight refused: sessions of {TestServer.Connection.User} " +
            $"are connected to \"{live}\", and the role \"{role}\" cannot end them", $"GRANT pg_signal_backend TO \"{role}\"");
        Assert.That(Sql.Scalar<int>(dba, "SELECT 1"), Is.EqualTo(1), "the session was not ended");
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before));
    }
    /// <summary>
    /// A role read-only by default (as a reporting role often is): DropCreate, pg_restore and Ingest would each fail at their
    /// first statement; every writing target is refused at the start instead, naming the setting and where it comes from.
    /// </summary>
    [TestCase("Restore")]
    [TestCase("Restore --in-place")]
    [TestCase("Ingest")]
    public void ARoleWhoseSessionsAreReadOnlyIsRefusedBeforeAnything(string target)
    {
        var (live, backup) = OwnedLive();
        Databases.Execute("postgres", $"ALTER ROLE {role} SET default_transaction_read_only = on");
        var before = Databases.Fingerprint(live);
        string[] arguments = target == "Ingest"
            ? ["--target=Ingest", $"--database={live}"]
            : ["--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup={backup}", .. target.Split(' ').Skip(1)];

        var run = BuildScript.Run(AsRole, arguments);

        AssertRefused(live, backup, run, $"{target.Split(' ')[0]} refused: the role's sessions on database \"postgres\" on {role}@",
            "are read-only (default_transaction_read_only = on, set for the role: ALTER ROLE … SET): nothing can be created, dropped or restored");
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before));
    }
}
