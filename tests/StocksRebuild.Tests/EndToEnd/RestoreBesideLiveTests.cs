using Npgsql;
using StocksRebuild.Backups;
using StocksRebuild.Database;
using StocksRebuild.Connection;
using StocksRebuild.Restore;
using StocksRebuild.Sample;
using StocksRebuild.Sandbox;
using StocksRebuild.Tests.Support;
using StocksRebuild.Tools;

namespace StocksRebuild.Tests.EndToEnd;

/// <summary>
/// Restore over an existing database restores beside it by default and swaps only a validated copy in, through
/// ./build.sh as a DBA types it: a backup that fails to restore costs the incoming copy, never live (fingerprinted by
/// content and by its constraints and indexes); --in-place needs its own consent; the database's own grants and
/// settings come along; what was written to live meanwhile is reported and kept in the previous copy.
/// </summary>
[TestFixture]
public sealed class RestoreBesideLiveTests
{
    static string NewFolder(string name) => Directory.CreateTempSubdirectory($"{name}-").FullName;

    /// <summary>Content and schema: every table's rows, and every constraint's and index's definition.</summary>
    static (IReadOnlyDictionary<string, string> Rows, string Objects) State(string database, ServerConnection? server = null) => (
        Databases.Fingerprint(database, server), Databases.Scalar<string>(database, """
            SELECT count(*) || ':' || md5(string_agg(d, E'\n' ORDER BY d)) FROM (
                SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS d FROM pg_constraint
                WHERE connamespace = 'stocks_research'::regnamespace
                UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'stocks_research') o
            """, server));

    static IReadOnlyList<string> Incoming(string live) => Databases.Admin.WithPrefix(SwapRestore.IncomingPrefix(live));
    static IReadOnlyList<string> Previous(string live) => Databases.Admin.WithPrefix(SwapRestore.PreviousPrefix(live));

    /// <summary>
    /// A CHECK calling a SQL function that names its table without a schema works in live (the database's search_path)
    /// and fails in pg_restore (an empty search_path): VerifyBackup and Preflight cannot foresee it.
    /// </summary>
    static (string Live, string Backups) LiveWhoseBackupCannotRestore()
    {
        var live = Databases.Seeded();
        Databases.Execute(live, $"""
            ALTER DATABASE {DatabaseName.Quote(live)} SET search_path = stocks_research, public;
            SET search_path = stocks_research, public;
            CREATE FUNCTION stocks_research.known_security(id bigint) RETURNS boolean LANGUAGE sql STABLE
                AS 'SELECT EXISTS (SELECT 1 FROM securities WHERE security_id = id)';
            """);
        // The search_path set here too: a pooled session may predate the database's setting.
        Databases.Execute(live, "SET search_path = stocks_research, public; " +
            "ALTER TABLE stocks_research.corporate_actions ADD CONSTRAINT known CHECK (stocks_research.known_security(security_id))");
        var backups = NewFolder("beside-bad");
        BackupWriter.Backup(TestServer.Run(), live, backups);
        return (live, backups);
    }

    [Test, Category("Fault")]
    public void ABackupThatFailsToRestoreLeavesLiveAsItWasAndNamesPgRestoresFirstError()
    {
        var (live, backups) = LiveWhoseBackupCannotRestore();
        var before = State(live);
        var listing = Databases.Listing(backups);

        var run = BuildScript.Run("--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup-dir={backups}", "--jobs=2");

        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("relation \"securities\" does not exist"), "pg_restore's first error, the cause");
        Assert.That(run.Output, Does.Contain($"The live \"{live}\" was not touched and keeps serving"));
        Assert.That(run.Output, Does.Contain($"Restore did not finish: dropped the incoming database \"{live}_incoming_"));
        Assert.That(State(live), Is.EqualTo(before), "live's rows, constraints and indexes as they were");
        Assert.That(Incoming(live), Is.Empty);
        Assert.That(Previous(live), Is.Empty);
        Assert.That(Databases.Listing(backups), Is.EqualTo(listing));
    }

    [Test, Category("Fault")]
    public void AnExtensionOnlyASuperuserMayCreateFailsTheOwnersRestoreAndLeavesLiveAsItWas()
    {
        // amcheck installed by a superuser (as Validate --deep advises), the backup restored by the database's owner, as production runs it.
        const string Owner = "stocksrebuild_test_owner";
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        Databases.Execute("postgres", $"DO $$ BEGIN CREATE ROLE {Owner} LOGIN CREATEDB; EXCEPTION WHEN duplicate_object THEN NULL; END $$; " +
            $"ALTER ROLE {Owner} PASSWORD {Statements.Literal(password)}");
        var live = Databases.Seeded();
        Databases.Execute("postgres", $"ALTER DATABASE {DatabaseName.Quote(live)} OWNER TO {Owner}");
        Databases.Execute(live, "CREATE EXTENSION IF NOT EXISTS amcheck");
        var backups = NewFolder("beside-amcheck");
        BackupWriter.Backup(TestServer.Run(), live, backups);
        var before = State(live);
        var owner = TestServer.Connection with { User = Owner, Password = password, PassFile = null };

        var run = BuildScript.Run(owner, "--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup-dir={backups}");

        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("permission denied to create extension \"amcheck\""), "pg_restore's first error");
        Assert.That(run.Output, Does.Contain($"The live \"{live}\" was not touched and keeps serving"));
        Assert.That(run.Output, Does.Not.Contain(password));
        Assert.That(State(live), Is.EqualTo(before));
        Assert.That(Incoming(live).Concat(Previous(live)), Is.Empty);
    }

    [Test, Category("Fault")]
    public void KeepFailedKeepsTheIncomingDatabaseForALookStatusNamesItAndTheNextRestoreRemovesIt()
    {
        var (live, backups) = LiveWhoseBackupCannotRestore();
        var before = State(live);

        var run = BuildScript.Run("--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup-dir={backups}", "--keep-failed");

        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        var kept = Incoming(live).Single();
        Assert.That(run.Output, Does.Contain($"the incoming database \"{kept}\" is kept for a look (--keep-failed"));
        Assert.That(State(live), Is.EqualTo(before));

        var status = BuildScript.Run("--target=Status", $"--database={live}", $"--backup-dir={backups}", $"--report-dir={NewFolder("reports")}");
        Assert.That(status.Output, Does.Contain($"{kept}: the incoming database of a Restore that failed (kept with --keep-failed)"));

        // The cause removed in live (a CHECK that reads another table cannot restore: its rows may come later), a new backup:
        // the next Restore removes the kept copy.
        Databases.Execute(live, "ALTER TABLE stocks_research.corporate_actions DROP CONSTRAINT known");
        var fixedBackups = NewFolder("beside-fixed");
        BackupWriter.Backup(TestServer.Run(), live, fixedBackups);
        var again = BuildScript.Run("--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup-dir={fixedBackups}");
        Assert.That(again.ExitCode, Is.Zero, again.ToString());
        Assert.That(again.Output, Does.Contain($"removed \"{kept}\", the incoming database of an earlier Restore that did not finish"));
        Assert.That(Incoming(live), Is.Empty);
    }

    [Test, Category("Fault")]
    public void ARestoreBesideLiveThatWouldFillTheServersDiskIsRefusedBeforeAnythingStartsAndInPlaceGoesOn()
    {
        // A server of this machine whose data directory is on a 160 MB file system: room for live, not for a second copy and the margin.
        var root = Directory.CreateTempSubdirectory("stocksrebuild-small-disk-").FullName;
        var mount = ToolRun.Run("mount", ["-t", "tmpfs", "-o", "size=160m,mode=0755", "tmpfs", root]);
        if (!mount.Succeeded) Assert.Ignore($"cannot mount a small tmpfs here ({mount.ErrorText}); the full-disk case needs one");
        try
        {
            using var sandbox = SandboxServer.Start(root, new TestLog());
            var server = sandbox.Connection;
            const string Live = "small_disk_live";
            new DatabaseAdmin(server).DropCreate(Live, Consent.None, new TestLog());
            SampleData.Seed(TestServer.Run(new TestLog(), server), Live, Drops.Sample);
            var backups = NewFolder("small-disk-backups");
            BackupWriter.Backup(TestServer.Run(new TestLog(), server), Live, backups);
            var before = State(Live, server);
            var listing = Databases.Listing(backups);

            var dryRun = BuildScript.Run(server, "--target=Restore", $"--database={Live}", $"--backup-dir={backups}", "--dryrun");
            Assert.That(dryRun.Output, Does.Contain($"Restore --dryrun would be refused: a copy of \"{Live}\" beside it needs about"));

            var run = BuildScript.Run(server, "--target=Restore", $"--database={Live}", $"--confirm={Live}", $"--backup-dir={backups}");

            Assert.That(run.ExitCode, Is.Not.Zero);
            Assert.That(run.Output, Does.Match($"Preflight refused: a copy of \"{Live}\" beside it needs about \\d+ MB \\(its size now\\); the file " +
                $"system of .+ has \\d+ MB free of 160 MB, and 256 MB must stay free"));
            Assert.That(run.Output, Does.Contain($"--in-place --confirm={Live} (it drops \"{Live}\" first). Nothing was changed."));
            Assert.That(run.Output, Does.Not.Contain("pg_restore:"), "refused before anything started");
            Assert.That(State(Live, server), Is.EqualTo(before));
            Assert.That(new DatabaseAdmin(server).WithPrefix(SwapRestore.IncomingPrefix(Live)), Is.Empty);
            Assert.That(Databases.Listing(backups), Is.EqualTo(listing));

            var inPlace = BuildScript.Run(server, "--target=Restore", $"--database={Live}", $"--confirm={Live}", $"--backup-dir={backups}",
                "--in-place");
            Assert.That(inPlace.ExitCode, Is.Zero, inPlace.ToString());
            Assert.That(Databases.Fingerprint(Live, server), Is.EqualTo(before.Rows));
        }
        finally
        {
            ToolRun.Run("umount", ["-l", root]);
        }
    }

    /// <summary>A new session's write on live, rolled back: null when it went through, else the server's refusal.</summary>
    static string? TryWrite(string database)
    {
        using var connection = new NpgsqlConnection(TestServer.Connection.ConnectionString(database) + ";Pooling=false");
        connection.Open();
        using var transaction = connection.BeginTransaction();
        try
        {
            new NpgsqlCommand("INSERT INTO stocks_research.securities (security_id, name, exchange, currency) VALUES (990500, 'probe', 'XNYS', 'USD')",
                connection, transaction).ExecuteNonQuery();
            transaction.Rollback();
            return null;
        }
        catch (PostgresException e) when (e.SqlState == "25006")
        {
            return e.MessageText;
        }
    }

    static string DatabaseSettings(string database) => Databases.Scalar<string>("postgres", "SELECT coalesce(string_agg(array_to_string(s.setconfig, ';'), " +
        $"' '), '') FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = {Statements.Literal(database)}");

    [Test]
    public void ReadOnlyLiveRefusesANewSessionsWriteDuringTheRestoreAndIsUndoneAtTheSwap()
    {
        var live = Databases.Seeded();
        // A new session's write, tried all through the restore of the slow backup (seconds, one job), from a thread of its own.
        string? refused = null;
        using var stop = new CancellationTokenSource();
        var probe = new Thread(() =>
        {
            while (!stop.IsCancellationRequested && refused is null)
            {
                if (Incoming(live).Count > 0) refused = TryWrite(live);
                Thread.Sleep(20);
            }
        });
        probe.Start();

        var run = BuildScript.Run("--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup-dir={Databases.SlowBackup.Folder}",
            "--jobs=1", "--read-only-live");
        stop.Cancel();
        probe.Join();

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        // The probe's own session may be open at that instant: the count is said, whatever it is.
        Assert.That(run.Output, Does.Match($"\"{live}\" is read-only for new sessions until the swap \\(--read-only-live\\); \\d+ open " +
            "session\\(s\\) on it can still write until they reconnect"));
        Assert.That(refused, Does.Contain("read-only transaction"), "a new session could not write to live during the restore");
        var previous = Previous(live).Single();
        Assert.That(TryWrite(live), Is.Null, "the restored database accepts writes");
        Assert.That(DatabaseSettings(live) + DatabaseSettings(previous), Does.Not.Contain("default_transaction_read_only"));
        Assert.That(TryWrite(previous), Is.Null, "and so does the previous copy");
    }

    [Test, Category("Fault")]
    public void AKilledReadOnlyLiveRunLeavesLiveReadOnlyAndTheNextRunUndoesIt()
    {
        var live = Databases.Seeded();
        var run = BuildScript.LaunchInOwnGroup("--target=Restore", $"--database={live}", $"--confirm={live}",
            $"--backup-dir={Databases.SlowBackup.Folder}", "--jobs=1", "--read-only-live");
        Assert.That(run.WaitForOutput("is read-only for new sessions until the swap", TimeSpan.FromMinutes(1)), Is.True, run.OutputSoFar);
        run.SignalGroup("KILL"); // as the OOM killer does: nothing of the run may clean up
        run.Finish();
        var leftover = Incoming(live).Single();
        Assert.That(TryWrite(live), Does.Contain("read-only transaction"), "what the killed run left");

        var next = BuildScript.Run("--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup={Databases.SourceWithBackup.Backup}");

        Assert.That(next.ExitCode, Is.Zero, next.ToString());
        Assert.That(next.Output, Does.Contain($"\"{live}\" was left read-only for new sessions by the run that built \"{leftover}\" and did not " +
            "finish; it accepts writes again."));
        var previous = Previous(live).Single();
        Assert.That(DatabaseSettings(previous) + DatabaseSettings(live), Does.Not.Contain("default_transaction_read_only"));
        Assert.That(TryWrite(live), Is.Null);
        Assert.That(Incoming(live), Is.Empty);
    }

    [Test, Category("BadInput")]
    public void InPlaceWithoutConsentIsRefusedBeforeAnythingChangesAndWithItDropsLiveFirst()
    {
        var live = Databases.Seeded();
        Databases.Execute(live, "DELETE FROM stocks_research.fundamentals_yoy");
        var before = State(live);
        var (_, backup) = Databases.SourceWithBackup;

        var refused = BuildScript.Run("--target=Restore", $"--database={live}", $"--backup={backup}", "--in-place");
        Assert.That(refused.ExitCode, Is.Not.Zero);
        Assert.That(refused.Output, Does.Contain($"Restore --in-place would drop, before the backup is proven to restore, the live database " +
            $"\"{live}\". Re-run with --confirm={live}"));
        Assert.That(State(live), Is.EqualTo(before));

        var stepAlone = BuildScript.Run("--target=RestoreBackup", $"--database={live}", $"--backup={backup}", $"--confirm={live}");
        Assert.That(stepAlone.ExitCode, Is.Not.Zero);
        Assert.That(stepAlone.Output, Does.Contain("--target=RestoreBackup alone restores in place"));
        Assert.That(State(live), Is.EqualTo(before));

        var inPlace = BuildScript.Run("--target=Restore", $"--database={live}", $"--backup={backup}", "--in-place", $"--confirm={live}");
        Assert.That(inPlace.ExitCode, Is.Zero, inPlace.ToString());
        Assert.That(inPlace.Output, Does.Match($"DropCreate: ending \\d+ other session\\(s\\) on \"{live}\" and dropping it\\."));
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(Databases.Fingerprint(Databases.SourceWithBackup.Database)));
        Assert.That(Incoming(live).Concat(Previous(live)), Is.Empty, "in place: no incoming database, no previous copy");
    }

    /// <summary>
    /// What a swap killed in its rename window leaves (kill -9 between closing live and the renames' commit): live refusing
    /// new connections, and its incoming copy; killed just after the commit, the previous copy refusing them. The next run
    /// holding the lock opens both again, says so, and restores as usual.
    /// </summary>
    [Test, Category("Fault")]
    public void ASwapKilledInItsRenameWindowLeavesLiveClosedAndTheNextRunOpensIt()
    {
        var live = Databases.Seeded();
        var (source, backup) = Databases.SourceWithBackup;
        var leftover = SwapRestore.IncomingName(live, DateTime.UtcNow.AddMinutes(-5));
        var closedPrevious = SwapRestore.PreviousName(live, DateTime.UtcNow.AddDays(-1));
        Databases.Admin.DropCreate(leftover, Consent.Given(leftover), new TestLog());
        Databases.Admin.DropCreate(closedPrevious, Consent.Given(closedPrevious), new TestLog());
        foreach (var name in new[] { live, closedPrevious })
            Databases.Execute("postgres", $"ALTER DATABASE {DatabaseName.Quote(name)} WITH ALLOW_CONNECTIONS false");

        var next = BuildScript.Run("--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup={backup}");

        Assert.That(next.ExitCode, Is.Zero, next.ToString());
        foreach (var name in new[] { live, closedPrevious })
            Assert.That(next.Output, Does.Contain($"Restore: \"{name}\" was left refusing new connections by the swap of an earlier run that did " +
                "not finish; it accepts connections again."));
        Assert.That(next.Output, Does.Contain($"removed \"{leftover}\""));
        Assert.That(Databases.Scalar<long>("postgres", "SELECT count(*) FROM pg_database WHERE NOT datallowconn AND datname = ANY(@names)"
            .Replace("@names", $"ARRAY['{live}', '{closedPrevious}']")), Is.Zero);
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(Databases.Fingerprint(source)));
        Assert.That(Incoming(live), Is.Empty);
    }

    [Test, Category("Fault")]
    public void ALiveDatabaseThatRefusesConnectionsIsReplacedAllTheSame()
    {
        // What an outage may leave: live that no one can enter (here: connections refused; lost files alike).
        var live = Databases.Seeded();
        var (source, backup) = Databases.SourceWithBackup;
        Databases.Execute("postgres", $"ALTER DATABASE {DatabaseName.Quote(live)} WITH ALLOW_CONNECTIONS false");

        var run = BuildScript.Run("--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup={backup}");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain($"Restore: \"{live}\" cannot be read"));
        Assert.That(run.Output, Does.Contain($"Swap: whether \"{live}\" was written to while the backup was restored cannot be told"));
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(Databases.Fingerprint(source)));
        Assert.That(Previous(live), Has.Count.EqualTo(1));
    }

    [Test, Category("Fault")]
    public void AColdRebuildWhoseLastFileHoldsABadRowLeavesLiveAsItWasAndAGoodDropIsSwappedIn()
    {
        var live = Databases.Seeded();
        Databases.Execute(live, "DELETE FROM stocks_research.fundamentals_yoy WHERE security_id = 1");
        var before = State(live);
        // The last file the jobs read (fundamentals_raw, the sixth job): every table before it is loaded when it fails.
        var drop = Drops.CopyOfSample();
        Drops.Append(drop, "fundamentals.csv", "1,2026,5,2026-12-31,1.00,1.00,0.01,42000000");
        var lastLine = Drops.Lines(drop, "fundamentals.csv").Count;

        var refused = BuildScript.Run("--target=ColdRebuild", $"--database={live}", $"--confirm={live}", $"--source={drop}");

        Assert.That(refused.ExitCode, Is.Not.Zero);
        Assert.That(refused.Output, Does.Contain($"fundamentals.csv:{lastLine}: fiscal_quarter"));
        Assert.That(refused.Output, Does.Contain($"ColdRebuild did not finish: dropped the incoming database \"{live}_incoming_"));
        Assert.That(State(live), Is.EqualTo(before), "live's rows, constraints and indexes as they were");
        Assert.That(Incoming(live).Concat(Previous(live)), Is.Empty);

        var rebuilt = BuildScript.Run("--target=ColdRebuild", $"--database={live}", $"--confirm={live}");
        Assert.That(rebuilt.ExitCode, Is.Zero, rebuilt.ToString());
        Assert.That(rebuilt.Output, Does.Contain($"Swap: ended 0 session(s) on \"{live}\""));
        var previous = Previous(live).Single();
        Assert.That(State(previous), Is.EqualTo(before), "the replaced database is the previous copy, as it was");
        Assert.That(Databases.DataFingerprint(live), Is.EqualTo(Databases.DataFingerprint(Databases.SourceWithBackup.Database)),
            "the rebuilt database holds the sample");
    }

    [Test, Category("BadInput")]
    public void AColdRebuildInPlaceWithoutConsentIsRefusedBeforeAnythingChanges()
    {
        var live = Databases.Seeded();
        var before = State(live);

        var run = BuildScript.Run("--target=ColdRebuild", $"--database={live}", "--in-place");

        Assert.That(run.ExitCode, Is.Not.Zero);
        Assert.That(run.Output, Does.Contain($"ColdRebuild --in-place would drop, before the rebuild is proven, the live database \"{live}\". " +
            $"Re-run with --confirm={live}"));
        Assert.That(State(live), Is.EqualTo(before));
        Assert.That(Incoming(live).Concat(Previous(live)), Is.Empty);
    }

    [Test]
    public void ARestoreIntoADatabaseThatDoesNotExistRestoresDirectly()
    {
        var (source, backup) = Databases.SourceWithBackup;
        var target = Databases.NewName("direct");

        var run = BuildScript.Run("--target=Restore", $"--database={target}", $"--backup={backup}");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain($"Preflight: \"{target}\" does not exist: the backup is restored into it directly"));
        Assert.That(run.Output, Does.Contain($"into \"{target}\""));
        Assert.That(run.Output, Does.Not.Contain("_incoming_"));
        Assert.That(Databases.Fingerprint(target), Is.EqualTo(Databases.Fingerprint(source)));
        Assert.That(Incoming(target).Concat(Previous(target)), Is.Empty);
    }

    /// <summary>A database's own state, which pg_dump without --create does not hold: privileges, settings, connection limit, comment.</summary>
    const string OwnState = """
        SELECT coalesce((SELECT string_agg(g, ', ' ORDER BY g) FROM (SELECT format('%s %s %s', CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                   ELSE pg_get_userbyid(a.grantee) END, a.privilege_type, a.is_grantable) AS g FROM aclexplode(d.datacl) a) AS grants), 'default')
            || ' | ' || coalesce((SELECT string_agg(c, ', ' ORDER BY c) FROM (SELECT coalesce(pg_get_userbyid(NULLIF(s.setrole, 0)), '*') || ':' ||
                   array_to_string(s.setconfig, ';') AS c FROM pg_db_role_setting s WHERE s.setdatabase = d.oid) AS settings), '')
            || ' | ' || d.datconnlimit || ' | ' || coalesce(shobj_description(d.oid, 'pg_database'), '')
        FROM pg_database d WHERE d.datname = current_database()
        """;

    /// <summary>Gives the database grants with and without grant option, settings for all and for a role, a connection limit and a comment.</summary>
    static string GiveOwnState(string database)
    {
        var role = "stocksrebuild_test_reader";
        var quoted = DatabaseName.Quote(database);
        Databases.Execute("postgres", $"""
            DO $$ BEGIN CREATE ROLE {role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            REVOKE ALL ON DATABASE {quoted} FROM PUBLIC;
            GRANT CONNECT, TEMPORARY ON DATABASE {quoted} TO {role};
            GRANT CONNECT ON DATABASE {quoted} TO {role} WITH GRANT OPTION;
            ALTER DATABASE {quoted} SET work_mem = '8MB';
            ALTER DATABASE {quoted} SET search_path = stocks_research, "$user", public;
            ALTER ROLE {role} IN DATABASE {quoted} SET statement_timeout = '5s';
            ALTER DATABASE {quoted} CONNECTION LIMIT 50;
            COMMENT ON DATABASE {quoted} IS 'research prices, it''s live';
            """);
        return role;
    }

    /// <summary>
    /// --in-place drops live and creates it again: its own state, which the backup does not hold, comes back with it (read
    /// before the drop) once Validate has passed, as the swap carries it beside live only then: default_transaction_read_only
    /// given back before would stop the restore itself.
    /// </summary>
    [Test]
    public void AnInPlaceRestoreGivesTheDatabaseBackItsGrantsSettingsLimitAndComment()
    {
        var live = Databases.Seeded();
        var (source, backup) = Databases.SourceWithBackup;
        GiveOwnState(live);
        // Given back before the restore, this one would refuse every write of pg_restore after live was dropped.
        Databases.Execute("postgres", $"ALTER DATABASE {DatabaseName.Quote(live)} SET default_transaction_read_only = on");
        var own = Databases.Scalar<string>(live, OwnState);

        var run = BuildScript.Run("--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup={backup}", "--in-place");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Match($@"Validate: gave ""{live}"" back its own state, which a backup does not hold: \d+ privileges, " +
            @"4 settings, 1 connection limit, 1 comment\."));
        Assert.That(Databases.Scalar<string>(live, OwnState), Is.EqualTo(own));
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(Databases.Fingerprint(source)));
    }

    [Test]
    public void TheSwapEndsApplicationSessionsAndCarriesTheDatabasesGrantsAndSettings()
    {
        var live = Databases.Seeded();
        var backups = NewFolder("beside-grants");
        BackupWriter.Backup(TestServer.Run(), live, backups);
        var role = GiveOwnState(live);
        var own = Databases.Scalar<string>(live, OwnState);
        Assert.That(own, Does.Contain("stocks_research, \"$user\", public").And.Contain(role), own);

        // Three application sessions, open on live when the swap comes.
        var sessions = Enumerable.Range(0, 3).Select(_ =>
        {
            var connection = new NpgsqlConnection(TestServer.Connection.ConnectionString(live) + ";Pooling=false");
            connection.Open();
            return connection;
        }).ToList();

        var run = BuildScript.Run("--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup-dir={backups}");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain($"Swap: ended 3 session(s) on \"{live}\""));
        Assert.That(run.Output, Does.Match(@"Swap: carried the live database's own state to the restored copy: \d+ privileges, 3 settings, " +
            @"1 connection limit, 1 comment\."));
        Assert.That(Databases.Scalar<string>(live, OwnState), Is.EqualTo(own), "the restored database has live's grants, settings, limit and comment");
        Assert.That(Databases.Scalar<string>(live, "SHOW search_path"), Is.EqualTo("stocks_research, \"$user\", public"));
        foreach (var session in sessions)
        {
            Assert.That(() => new NpgsqlCommand("SELECT 1", session).ExecuteScalar(), Throws.InstanceOf<Exception>(), "ended at the swap");
            session.Dispose();
        }
        Assert.That(Previous(live), Has.Count.EqualTo(1));
    }

    [Test]
    public void WritesToLiveDuringTheRestoreAreReportedAtTheSwapAndKeptInThePreviousCopy()
    {
        var live = Databases.Seeded();
        // The slow backup, restored with one job (it rebuilds a large text index): seconds in which the application writes to live.
        var backups = Databases.SlowBackup.Folder;
        var earlier = Databases.Seeded(); // an earlier Restore's previous copy, which this green one drops
        var older = SwapRestore.PreviousName(live, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Databases.Execute("postgres", $"ALTER DATABASE {DatabaseName.Quote(earlier)} RENAME TO {DatabaseName.Quote(older)}");

        // An application writing to live once the restore beside it has begun, until its session is ended at the swap. The
        // writes start when the run says pg_restore has started, not when a polling thread happens to see the incoming copy:
        // on a busy machine such a thread was not scheduled before the restore had ended.
        var written = 0;
        var launched = BuildScript.Launch("--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup-dir={backups}", "--jobs=1");
        Assert.That(launched.WaitForOutput("Restore: pg_restore --jobs=1", TimeSpan.FromMinutes(1)), Is.True, launched.OutputSoFar);
        try
        {
            using var connection = new NpgsqlConnection(TestServer.Connection.ConnectionString(live) + ";Pooling=false");
            connection.Open();
            while (!launched.Process.HasExited)
            {
                using var insert = new NpgsqlCommand("INSERT INTO stocks_research.securities (security_id, name, exchange, currency) " +
                    $"VALUES ({990001 + written}, 'written during the restore', 'XNYS', 'USD')", connection);
                insert.ExecuteNonQuery();
                written++;
                Thread.Sleep(5);
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            TestContext.Out.WriteLine($"the writer's session ended after {written} row(s): {e.Message}"); // at the swap
        }
        var run = launched.Finish();

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var previous = Previous(live).Single();
        Assert.That(written, Is.GreaterThan(0), "the application wrote during the restore");
        Assert.That(run.Output, Does.Contain($"Swap: while the backup was restored beside it, \"{live}\" was written to; those rows are in " +
            $"\"{previous}\""));
        // The statistics count an insert its ended session had begun too (rolled back): one more at most.
        var reported = System.Text.RegularExpressions.Regex.Match(run.Output, @"stocks_research\.securities (\d+) inserted, 0 updated, 0 deleted");
        Assert.That(reported.Success, Is.True, run.Output);
        Assert.That(long.Parse(reported.Groups[1].Value), Is.InRange(written, written + 1));
        Assert.That(Databases.Scalar<long>(previous, "SELECT count(*) FROM stocks_research.securities WHERE security_id > 990000"), Is.EqualTo(written));
        Assert.That(Databases.Scalar<long>(live, "SELECT count(*) FROM stocks_research.securities WHERE security_id > 990000"), Is.Zero);
        Assert.That(run.Output, Does.Contain($"Swap: dropped \"{older}\", the previous copy of an earlier Restore"));
        Assert.That(Databases.Exists(older), Is.False);

        var status = BuildScript.Run("--target=Status", $"--database={live}", $"--backup-dir={backups}", $"--report-dir={NewFolder("reports")}");
        Assert.That(status.Output, Does.Contain($"{previous}: the live database before the last Restore"));

        // The documented way back: the previous copy is live again, with the rows written during the restore.
        var refused = BuildScript.Run("--target=SwapBack", $"--database={live}");
        Assert.That(refused.Output, Does.Contain($"name it with --confirm=<name> (there is \"{previous}\")"));
        Assert.That(Databases.Exists(previous), Is.True);
        var back = BuildScript.Run("--target=SwapBack", $"--database={live}", $"--confirm={previous}");
        Assert.That(back.ExitCode, Is.Zero, back.ToString());
        Assert.That(Databases.Scalar<long>(live, "SELECT count(*) FROM stocks_research.securities WHERE security_id > 990000"), Is.EqualTo(written));
        var restored = Previous(live).Single();
        Assert.That(back.Output, Does.Contain($"SwapBack: \"{previous}\" is \"{live}\" again; the database it replaced is kept as \"{restored}\""));
        Assert.That(Databases.Scalar<long>(restored, "SELECT count(*) FROM stocks_research.securities WHERE security_id > 990000"), Is.Zero);
    }
}
