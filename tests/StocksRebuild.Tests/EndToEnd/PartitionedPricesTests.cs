using StocksRebuild.Database;
using StocksRebuild.Tools;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.EndToEnd;

/// <summary>
/// A stocks_research whose prices_daily is range-partitioned by year, as production tables of this size often are:
/// pg_dump writes its rows under each partition, none under the parent. The whole recovery path through ./build.sh
/// must understand it, and Validate must still tell a restore that lost a partition from one that did not.
/// </summary>
[TestFixture]
public sealed class PartitionedPricesTests
{
    /// <summary>
    /// The seeded sample, its schema rewritten by hand with prices_daily partitioned by year (its key, CHECKs, index and
    /// foreign key on the parent, as a DBA would declare them) and loaded back with psql: the same rows, routed to partitions.
    /// </summary>
    static string PartitionedSample()
    {
        var seeded = Databases.Seeded();
        var dump = ToolRun.Run(PgTools.Find("pg_dump"), ["--format=plain", "--no-owner", "--no-privileges"],
            TestServer.Connection.ClientEnvironment(seeded));
        Assert.That(dump.Succeeded, Is.True, dump.ErrorText);
        var script = string.Join('\n', dump.StdOut);
        var create = script.IndexOf("CREATE TABLE stocks_research.prices_daily (", StringComparison.Ordinal);
        var end = script.IndexOf("\n);", create, StringComparison.Ordinal) + "\n);".Length;
        // Four years: one in a schema of its own, one partitioned again by security (two levels down).
        string Year(int y) => $"FOR VALUES FROM ('{y}-01-01') TO ('{y + 1}-01-01')";
        string[] partitions =
        [
            $"CREATE TABLE stocks_research.prices_daily_2023 PARTITION OF stocks_research.prices_daily {Year(2023)};",
            "CREATE SCHEMA archive;",
            $"CREATE TABLE archive.prices_daily_2024 PARTITION OF stocks_research.prices_daily {Year(2024)};",
            $"CREATE TABLE stocks_research.prices_daily_2025 PARTITION OF stocks_research.prices_daily {Year(2025)} PARTITION BY HASH (security_id);",
            .. Enumerable.Range(0, 2).Select(r => $"CREATE TABLE stocks_research.prices_daily_2025_{r} PARTITION OF stocks_research.prices_daily_2025 " +
                $"FOR VALUES WITH (MODULUS 2, REMAINDER {r});"),
            $"CREATE TABLE stocks_research.prices_daily_2026 PARTITION OF stocks_research.prices_daily {Year(2026)};",
        ];
        script = script[..(end - 1)] + " PARTITION BY RANGE (trade_date);\n" + string.Join('\n', partitions) + script[end..];
        // ONLY would declare the key and foreign key on the parent alone; a DBA declares them on the partitioned table.
        script = script.Replace("ALTER TABLE ONLY stocks_research.prices_daily\n", "ALTER TABLE stocks_research.prices_daily\n");
        var file = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-partitioned-").FullName, "partitioned.sql");
        File.WriteAllText(file, script);

        var partitioned = Databases.NewName("partitioned");
        Databases.Admin.DropCreate(partitioned, Consent.Given(partitioned), new TestLog());
        var load = ToolRun.Run(PgTools.Find("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", file],
            TestServer.Connection.ClientEnvironment(partitioned));
        Assert.That(load.Succeeded, Is.True, load.ErrorText);
        Assert.That(Databases.Scalar<long>(partitioned, "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent " +
            "WHERE c.relname = 'prices_daily' AND c.relkind = 'p'"), Is.EqualTo(4));
        Assert.That(Databases.Scalar<long>(partitioned, "SELECT count(*) FROM ONLY archive.prices_daily_2024"), Is.GreaterThan(0));
        Assert.That(Databases.Scalar<long>(partitioned, "SELECT count(*) FROM ONLY stocks_research.prices_daily_2025_1"), Is.GreaterThan(0));
        return partitioned;
    }

    [Test]
    public void BackupVerifyRestoreValidateAndTheRerunDigestUnderstandPartitions()
        => Recovered(PartitionedSample(), "DROP TABLE stocks_research.prices_daily_2025", "TABLE stocks_research prices_daily_2025");

    /// <summary>
    /// Inheritance and unlogged tables beside the runbook's: a table of the site's own with a child holding rows of its own
    /// (pg_dump writes each one's rows under itself), and an unlogged table (its rows are dumped too) come back as they were.
    /// </summary>
    [Test]
    public void InheritanceChildrenAndUnloggedTablesComeBackAsTheyWere()
    {
        var source = Databases.Seeded();
        Databases.Execute(source, """
            CREATE TABLE stocks_research.desk_notes (note_id int PRIMARY KEY, note text NOT NULL);
            CREATE TABLE stocks_research.desk_notes_2025 (reviewed boolean NOT NULL DEFAULT false) INHERITS (stocks_research.desk_notes);
            ALTER TABLE stocks_research.desk_notes_2025 ADD PRIMARY KEY (note_id);
            INSERT INTO stocks_research.desk_notes VALUES (1, 'parent row');
            INSERT INTO stocks_research.desk_notes_2025 VALUES (2, 'child row', true);
            CREATE UNLOGGED TABLE stocks_research.quote_cache (security_id bigint PRIMARY KEY, last numeric(18, 6) NOT NULL);
            INSERT INTO stocks_research.quote_cache SELECT security_id, 1 FROM stocks_research.securities;
            """);
        Recovered(source, "ALTER TABLE stocks_research.desk_notes_2025 NO INHERIT stocks_research.desk_notes",
            "TABLE stocks_research desk_notes_2025", differs: true);
    }

    /// <summary>
    /// Backup, VerifyBackup, Restore (fingerprint equal, the schema and counts green), the sample's rerun (nothing changes);
    /// then <paramref name="damage"/> on the restored copy fails Validate --backup, naming <paramref name="entry"/>.
    /// </summary>
    static void Recovered(string source, string damage, string entry, bool differs = false)
    {
        var before = Databases.Fingerprint(source);
        var backups = Directory.CreateTempSubdirectory("stocksrebuild-partitioned-backups-").FullName;

        var backup = BuildScript.Run("--target=Backup", $"--database={source}", $"--backup-dir={backups}");
        Assert.That(backup.ExitCode, Is.Zero, backup.ToString());
        var file = Directory.GetFiles(backups, "full_*.dump").Single();

        var verify = BuildScript.Run("--target=VerifyBackup", $"--backup={file}");
        Assert.That(verify.ExitCode, Is.Zero, verify.ToString());

        var target = Databases.NewName("restoredpart");
        var restore = BuildScript.Run("--target=Restore", $"--database={target}", $"--backup={file}", $"--confirm={target}");
        Assert.That(restore.ExitCode, Is.Zero, restore.ToString());
        Assert.That(restore.Output, Does.Match(@"= backup schema\s+\d+ objects\s+ok"));
        Assert.That(restore.Output, Does.Match(@"= manifest\s+stocks_research\.prices_daily\s+ok"));
        Assert.That(Databases.Fingerprint(target), Is.EqualTo(before), "the restore holds every partition's rows");

        // The rerun digest reads the partitioned table through its parent: the sample again changes nothing.
        var rerun = BuildScript.Run("--target=Ingest", $"--database={target}", $"--source={Drops.Sample}");
        Assert.That(rerun.ExitCode, Is.Zero, rerun.ToString());
        Assert.That(rerun.Output, Does.Match(@"Ingest prices_daily: [\d,]+ rows read, 0 inserted, 0 updated"));
        Assert.That(Databases.DataFingerprint(target), Is.EqualTo(Databases.DataFingerprint(source)));

        // A restore that lost a partition (or a child) is not the backup: its schema and its counts say so.
        Databases.Execute(target, damage);
        var validate = BuildScript.Run("--target=Validate", $"--database={target}", $"--backup={file}");
        Assert.That(validate.ExitCode, Is.Not.Zero, validate.ToString());
        Assert.That(validate.Output, Does.Contain($"= backup schema {entry}: " + (differs ? "differs from the backup" : "in the backup, missing here")));
        Assert.That(validate.Output, Does.Match(@"= manifest stocks_research\.(prices_daily|desk_notes): [\d,]+ rows here, [\d,]+ in the manifest"));
    }
}
