using System.Diagnostics;
using Npgsql;
using StocksRebuild.Backups;
using StocksRebuild.Connection;
using StocksRebuild.Database;
using StocksRebuild.Migrations;
using StocksRebuild.Sample;
using StocksRebuild.Tools;

namespace StocksRebuild.Tests.Support;

/// <summary>Test databases on the test server: fresh names, the seeded sample, and fingerprints to compare.</summary>
public static class Databases
{
    public static DatabaseAdmin Admin => new(TestServer.Connection);

    public static string NewName(string prefix = "t") => $"{prefix}_{Guid.NewGuid():N}"[..24];

    static readonly HashSet<string> shared = [];

    /// <summary>A database kept for the whole suite (a seeded source, the slow database): not dropped when the test that made it ends.</summary>
    static string Shared(string name)
    {
        lock (shared) shared.Add(name);
        return name;
    }

    public static bool IsShared(string name)
    {
        lock (shared) return shared.Contains(name);
    }

    /// <summary>A new database holding the migrated schema and the deterministic sample.</summary>
    public static string Seeded(string? name = null, string? drop = null)
    {
        name ??= NewName("seeded");
        Admin.DropCreate(name, Consent.Given(name), new TestLog());
        SampleData.Seed(TestServer.Run(), name, drop ?? Drops.Sample);
        return name;
    }

    /// <summary>A new database that ran every migration and holds no rows: where a cold rebuild starts.</summary>
    public static string Migrated(string prefix = "migrated", ServerConnection? server = null)
    {
        server ??= TestServer.Connection;
        var name = NewName(prefix);
        new DatabaseAdmin(server).DropCreate(name, Consent.None, new TestLog());
        Migrator.Migrate(TestServer.Run(new TestLog(), server), name, Consent.None);
        return name;
    }

    static readonly Lazy<(string database, string backup)> sharedBackup = new(() =>
    {
        var database = Shared(Seeded(NewName("source")));
        var directory = Directory.CreateTempSubdirectory("stocksrebuild-backups-").FullName;
        var path = BackupWriter.Backup(TestServer.Run(), database, directory);
        return (database, path);
    });

    /// <summary>The seeded source database, and a backup of it taken by Backup (with its manifest).</summary>
    public static (string Database, string Backup) SourceWithBackup => sharedBackup.Value;

    static readonly Lazy<string> medium = new(() => Shared(Seeded(drop: Drops.Medium)));
    static readonly Lazy<(string folder, string backup)> mediumBackup = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("stocksrebuild-medium-backup-").FullName;
        return (folder, BackupWriter.Backup(TestServer.Run(), medium.Value, folder));
    });

    /// <summary>A database seeded with the medium drop (600 securities x 2 years): long enough to interrupt.</summary>
    public static string Medium => medium.Value;

    /// <summary>A backup of <see cref="Medium"/>, alone in its folder.</summary>
    public static (string Folder, string Backup) MediumBackup => mediumBackup.Value;

    /// <summary>Waits until the database runs a statement that starts with <paramref name="prefix"/>; its backend pid.</summary>
    public static int WaitForStatement(ServerConnection server, string database, string prefix, Task work)
    {
        var clock = Stopwatch.StartNew();
        using var connection = server.Open("postgres");
        while (clock.Elapsed < TimeSpan.FromMinutes(1) && !work.IsCompleted)
        {
            using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE datname = @db AND state = 'active' AND query LIKE " +
                "@prefix LIMIT 1", connection);
            command.Parameters.AddWithValue("db", database);
            command.Parameters.AddWithValue("prefix", prefix + "%");
            if (command.ExecuteScalar() is int pid) return pid;
            Thread.Sleep(20);
        }
        Assert.Fail($"no statement '{prefix}…' ran on {database}");
        return 0;
    }

    /// <summary>
    /// A pg_dump -Fc of <paramref name="database"/> made by the real pg_dump with <paramref name="options"/> (e.g.
    /// --schema-only), as if <paramref name="ago"/> earlier (faketime stamps the archive; negative: later, as a clock ahead), named by that
    /// time unless <paramref name="name"/> says otherwise, alone in a new folder and without a manifest.
    /// </summary>
    public static string Dump(string database, TimeSpan? ago = null, string? name = null, params string[] options)
    {
        var created = DateTime.UtcNow - (ago ?? TimeSpan.Zero);
        var path = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-dump-").FullName, name ?? BackupName.For(created));
        string[] dump = [PgTools.Find("pg_dump"), "--format=custom", "--file=" + path, .. options];
        var result = ago is { } offset
            ? ToolRun.Run("faketime", ["-f", (-(long)offset.TotalSeconds).ToString("+0;-0"), .. dump],
                TestServer.Connection.ClientEnvironment(database))
            : ToolRun.Run(dump[0], dump[1..], TestServer.Connection.ClientEnvironment(database));
        Assert.That(result.Succeeded, Is.True, result.ErrorText);
        return path;
    }

    /// <summary>Every file in a folder, hidden ones included, with its size and sha256: equal listings mean nothing was written or removed.</summary>
    public static IReadOnlyDictionary<string, string> Listing(string folder) =>
        Directory.GetFiles(folder, "*", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = true })
            .ToDictionary(f => Path.GetRelativePath(folder, f), f => $"{new FileInfo(f).Length}:{BackupManifest.Sha256Of(f)}");

    static readonly Lazy<string> slowToDump = new(() =>
    {
        var database = Shared(Seeded(NewName("slowdump")));
        // Incompressible enough that pg_dump writes for seconds: long enough to signal during the dump.
        Execute(database, """
            CREATE TABLE stocks_research.bulk (id bigint PRIMARY KEY, payload text);
            INSERT INTO stocks_research.bulk SELECT i, repeat(md5(i::text), 8) FROM generate_series(1, 1500000) AS i;
            CREATE INDEX ON stocks_research.bulk (payload);
            """);
        return database;
    });

    /// <summary>A seeded database with 1.5 M extra rows: pg_dump of it lasts seconds, and a restore (which rebuilds the text index) longer.</summary>
    public static string SlowToDump => slowToDump.Value;

    static readonly Lazy<(string folder, string backup)> slowBackup = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("stocksrebuild-slow-backup-").FullName;
        return (folder, BackupWriter.Backup(TestServer.Run(), SlowToDump, folder));
    });

    /// <summary>A backup of <see cref="SlowToDump"/>, alone in its folder: its restore lasts seconds.</summary>
    public static (string Folder, string Backup) SlowBackup => slowBackup.Value;

    /// <summary>Copies the shared backup (and its manifest) into a new folder, so a test may damage its copy.</summary>
    public static string CopyOfBackup(string? asName = null, bool withManifest = true)
    {
        var directory = Directory.CreateTempSubdirectory("stocksrebuild-copy-").FullName;
        var target = Path.Combine(directory, asName ?? Path.GetFileName(SourceWithBackup.Backup));
        File.Copy(SourceWithBackup.Backup, target);
        if (withManifest && asName is null)
            File.Copy(BackupName.ManifestPathFor(SourceWithBackup.Backup), BackupName.ManifestPathFor(target));
        return target;
    }

    /// <summary>
    /// Every table of every user schema with its row count and an md5 of its rows in a stable order:
    /// equal fingerprints mean equal contents.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Fingerprint(string database, ServerConnection? server = null)
    {
        using var connection = (server ?? TestServer.Connection).Open(database);
        var tables = new List<string>();
        using (var list = new NpgsqlCommand(
            """
            SELECT format('%I.%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            ORDER BY 1
            """, connection))
        using (var reader = list.ExecuteReader())
            while (reader.Read()) tables.Add(reader.GetString(0));

        var fingerprint = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            using var command = new NpgsqlCommand(
                $"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM {table} t", connection);
            fingerprint[table] = (string)command.ExecuteScalar()!;
        }
        return fingerprint;
    }

    /// <summary>The fingerprint of the data tables: what an ingestion job may change (ingestion_log aside, which logs every run).</summary>
    public static IReadOnlyDictionary<string, string> DataFingerprint(string database) =>
        Fingerprint(database)
            .Where(kv => kv.Key.StartsWith("stocks_research.", StringComparison.Ordinal)
                         && kv.Key is not ("stocks_research.ingestion_log" or "stocks_research.schemaversions" or "stocks_research.schema_checksums"))
            .ToDictionary();

    public static bool Exists(string database) => Admin.Exists(database);

    public static void Execute(string database, string sql)
    {
        using var connection = TestServer.Connection.Open(database);
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    public static T Scalar<T>(string database, string sql, ServerConnection? server = null)
    {
        using var connection = (server ?? TestServer.Connection).Open(database);
        using var command = new NpgsqlCommand(sql, connection);
        return (T)command.ExecuteScalar()!;
    }
}
