using StocksRebuild.Backups;
using StocksRebuild.Ingestion;
using StocksRebuild.Migrations;
using StocksRebuild.Restore;
using StocksRebuild.Sample;
using StocksRebuild.Validation;

namespace StocksRebuild.Benchmarks;

public sealed record BenchmarkOptions
{
    /// <summary>
    /// The database Ingest is measured in; the baselines use "&lt;it&gt;_baseline" and "&lt;it&gt;_restore". All are dropped and made again.
    /// </summary>
    public required string Database { get; init; }
    public int Securities { get; init; } = 5000;
    public int Years { get; init; } = 5;
    public int Jobs { get; init; } = Environment.ProcessorCount;
    /// <summary>Where the drops, backups and reports go (artifacts/benchmark).</summary>
    public required string WorkDirectory { get; init; }
    /// <summary>./build.sh, whose warm start is measured; none: not measured.</summary>
    public string? BuildScript { get; init; }
    /// <summary>Outside a sandbox the benchmark drops and recreates Database and its scratch copies: --confirm=Database.</summary>
    public Consent Consent { get; init; } = Consent.None;
}

/// <summary>
/// Every step measured side by side with the bare PostgreSQL tool (or plain COPY) in the same run, on the
/// same server and files, from the same starting state: machines are noisy, ratios hold. A figure is the
/// median of three runs when one run takes under a minute, else of one.
/// </summary>
public sealed class Benchmark(RunContext run, BenchmarkOptions options)
{
    static readonly TimeSpan RepeatBelow = TimeSpan.FromMinutes(1);
    readonly ServerConnection server = run.Server;
    readonly IRunbookLog log = run.Log;
    readonly DatabaseAdmin admin = run.Admin;
    readonly IRunbookLog quiet = RunbookLog.Silent;
    // The measured runs report nothing and were consented to as a whole when the benchmark began.
    readonly RunContext measured = run.WithLog(RunbookLog.Silent) with { Output = RunOutput.Default };
    string Baseline => options.Database + "_baseline";
    string Restored => options.Database + "_restore";

    public BenchmarkReport Run()
    {
        options.Consent.Require($"Benchmark (it also drops and recreates \"{Baseline}\" and \"{Restored}\")", options.Database);
        using var runLock = RunLock.Acquire(server, options.Database, log);
        var drop = Generate("drop", options.Securities);
        var next = NextDrop(drop);
        var smallDrop = Generate("drop-tenth", Math.Max(10, options.Securities / 10));
        var figures = new List<Figure>();

        // Ingest into an empty schema, against PostgreSQL's own floor for a cold load with our keys: COPY of the same
        // files into plain tables, the ticker-keyed prices placed, then the schema's keys, indexes and foreign keys built
        // from the catalog (CHECKs are checked while loading, not a step of their own), then ANALYZE. Plain COPY alone is shown for information.
        IReadOnlyList<JobResult> jobs = [];
        var ingest = Median("Ingest", () => MigratedEmpty(options.Database), () => jobs = IngestInto(options.Database, drop));
        var keys = SchemaKeys(options.Database);
        var floor = Median("floor (COPY, then keys, ANALYZE)", PlainBaseline, () => LoadFloor(drop, keys));
        var copy = Median("COPY into plain tables", PlainBaseline, () => CopyDrop(drop, tickerPricesApart: false));
        var rows = jobs.Sum(j => j.Read);
        figures.Add(new("Ingest, whole drop, into an empty schema", ingest, "s", "floor: COPY, then the schema's keys, ANALYZE", floor, 1.15,
            $"{rows:N0} rows, {Megabytes(drop):0} MB; the floor builds {keys.Count} keys and indexes"));
        figures.Add(new("  the same Ingest against COPY into plain tables", ingest, "s", "COPY into plain tables", copy,
            Detail: "information: COPY alone builds no key"));

        var rerun = Median("Ingest rerun", () => { }, () => jobs = IngestInto(options.Database, drop));
        if (jobs.Any(j => j.Inserted + j.Updated > 0))
            throw new RunbookException("Benchmark: the rerun of Ingest changed rows; it must change none.");
        figures.Add(new("Ingest rerun of the same drop (nothing changes)", rerun, "s", "the first Ingest", ingest, 0.5,
            $"proves every row equal to the drop; nothing written, {jobs.Sum(j => j.Staged):N0} rows staged"));
        AddJobs(figures, "rerun", jobs);

        // Backup against bare pg_dump -Fc, of the same database.
        var backups = Path.Combine(options.WorkDirectory, "backups");
        string backup = "";
        var ours = Median("Backup", () => ResetFolder(backups),
            () => backup = BackupWriter.Backup(measured, options.Database, backups)); // the folder is emptied before each run: no name collides
        var bare = Median("pg_dump -Fc", () => File.Delete(Path.Combine(options.WorkDirectory, "bare.dump")),
            () => Tool("pg_dump", ["--format=custom", "--file=" + Path.Combine(options.WorkDirectory, "bare.dump"),
                "--dbname=" + LibpqConnInfo.ForDatabase(options.Database)], options.Database));
        figures.Add(new("Backup", ours, "s", "pg_dump -Fc", bare, 1.10, $"{new FileInfo(backup).Length / 1048576.0:0} MB"));

        var verifyOptions = new VerifyBackupOptions { BackupFile = backup, BackupDirectory = backups };
        var verify = Median("VerifyBackup", () => { }, () => BackupVerifier.Verify(verifyOptions, quiet));
        figures.Add(new("VerifyBackup (reads every data block)", verify, "s", Detail: "information: no baseline"));

        // Restore with one job and with the default, against bare pg_restore of the same file.
        double restoreDefault = 0;
        foreach (var jobsCount in new[] { 1, options.Jobs }.Distinct())
        {
            var restore = Median($"Restore --jobs={jobsCount}", () => admin.DropCreate(Restored, Consent.Checked, quiet),
                () => BackupRestorer.Restore(measured, backup, Restored, jobsCount));
            var bareRestore = Median($"pg_restore -j {jobsCount}", () => admin.DropCreate(Restored, Consent.Checked, quiet),
                () => Tool("pg_restore", [$"--jobs={jobsCount}", "--dbname=" + LibpqConnInfo.ForDatabase(Restored), backup], Restored));
            figures.Add(new($"Restore --jobs={jobsCount}", restore, "s", $"pg_restore -j {jobsCount}", bareRestore, 1.10));
            restoreDefault = restore;
        }
        admin.DropCreate(Restored, Consent.Checked, quiet);
        BackupRestorer.Restore(measured, backup, Restored, options.Jobs);
        var manifest = BackupManifest.ReadFor(backup);
        var validate = Median("Validate", () => { }, () =>
        {
            var report = Validator.Validate(server, Restored, manifest, backup: backup);
            if (!report.Passed) throw new RunbookException("Benchmark: Validate failed on the restored copy: " + report.FailureMessage());
        });
        figures.Add(new("Validate", validate, "s", $"Restore --jobs={options.Jobs}", restoreDefault, 0.25));

        // A drop into a database that already holds one takes the staged upsert; the floor is COPY of its new prices
        // straight into keyed tables that hold the first drop (the same keys, built once, kept up to date by COPY).
        IReadOnlyList<JobResult> nextJobs = [];
        var incremental = Median("Ingest of the next drop into the populated database", () => IngestFresh(drop),
            () => nextJobs = IngestInto(options.Database, next));
        var nextRows = nextJobs.Sum(j => j.Inserted + j.Updated);
        var keyedCopy = Median("COPY of its prices into keyed tables", () =>
            {
                BuildFloor(drop, keys);
                Execute(Baseline, "TRUNCATE prices_by_ticker");
            },
            () =>
            {
                CopyDrop(next, tickerPricesApart: true, onlyJob: "prices_daily");
                Execute(Baseline, SqlFiles.Read("benchmark/place_ticker_prices.sql"));
            });
        figures.Add(new("Ingest of the next drop (the years after) into the populated database", incremental, "s",
            "COPY of its prices into keyed tables holding the first drop", keyedCopy, 1.5, $"{nextRows:N0} rows inserted or updated"));
        AddJobs(figures, "next drop", nextJobs);

        if (options.BuildScript is { } script)
        {
            ToolRun.Run(script, ["--target=Default"]); // the first start compiles and caches the script
            var warm = Median("warm start", () => { }, () => ToolRun.Run(script, ["--target=Default"]));
            figures.Add(new("Warm start of ./build.sh (a target that does nothing)", warm, "s", Goal: 3.0));
            AddWholeRestore(figures, script, backup, warm);
        }

        // The fixed cost of a run: the shipped 40-security sample is start-up bound (connections, catalog, seven jobs).
        var fixedCost = Median("Ingest of the 40-security sample", () => MigratedEmpty(options.Database),
            () => IngestInto(options.Database, SampleData.ShippedDrop));
        figures.Add(new("Ingest of the shipped 40-security sample (the fixed cost of a run)", fixedCost, "s", Goal: 1.0,
            Detail: "after start-up: the tool's own cost beyond the rows"));

        // Memory must not grow with the drop: the peak of Ingest on the whole drop against a tenth of it.
        var small = PeakMegabytesDuring(() => IngestFresh(smallDrop));
        var whole = PeakMegabytesDuring(() => IngestFresh(drop));
        figures.Add(new("Peak memory of the tool during Ingest", whole, "MB", "a drop a tenth the size", small, 1.5,
            $"drops of {Megabytes(drop):0} MB and {Megabytes(smallDrop):0} MB"));

        foreach (var database in new[] { Baseline, Restored }) admin.Drop(database);
        return new BenchmarkReport(Environment(rows), figures);
    }

    /// <summary>
    /// The RTO a DBA sees: the whole ./build.sh --target=Restore, beside live (the default: VerifyBackup, the restore into
    /// the incoming copy, Validate, the swap) and --in-place, against what a DBA would type by hand: createdb, then
    /// pg_restore -j N. Both start from a populated "&lt;it&gt;_restore", the live database they replace.
    /// </summary>
    void AddWholeRestore(List<Figure> figures, string script, string backup, double warmStart)
    {
        string[] restore = ["--target=Restore", $"--database={Restored}", "--backup=" + Path.GetFullPath(backup), $"--confirm={Restored}",
            $"--jobs={options.Jobs}"];
        // Round by round, the three one after the other: a restore of this size varies by seconds within a run (checkpoints,
        // the page cache), and each round's three see the same machine.
        var (byHand, beside, inPlace) = (new List<double>(), new List<double>(), new List<double>());
        do
        {
            admin.Drop(Restored);
            DropPreviousCopies();
            byHand.Add(Timed($"createdb + pg_restore -j {options.Jobs}", () =>
            {
                Tool("createdb", ["--template=template0", Restored], Restored);
                Tool("pg_restore", [$"--jobs={options.Jobs}", "--exit-on-error", "--dbname=" + LibpqConnInfo.ForDatabase(Restored), backup], Restored);
            }));
            beside.Add(Timed("./build.sh --target=Restore", () => RunBuildScript(script, restore)));
            DropPreviousCopies();
            inPlace.Add(Timed("./build.sh --target=Restore --in-place", () => RunBuildScript(script, [.. restore, "--in-place"])));
        } while (byHand.Count < 3 && byHand[0] < RepeatBelow.TotalSeconds);
        DropPreviousCopies();
        var (byHandTime, besideTime, inPlaceTime) = (MedianOf(byHand), MedianOf(beside), MedianOf(inPlace));
        string Detail(double ours) => $"with the warm start of ./build.sh ({warmStart:0.00} s); less it: " +
            $"{(ours - warmStart) / byHandTime:0.00}×";
        figures.Add(new("Restore over live, verified, validated and swapped (./build.sh, the default)", besideTime, "s",
            $"createdb + pg_restore -j {options.Jobs}", byHandTime, 1.15, Detail(besideTime)));
        figures.Add(new("Restore --in-place, verified and validated (./build.sh)", inPlaceTime, "s",
            $"createdb + pg_restore -j {options.Jobs}", byHandTime, 1.15, Detail(inPlaceTime) + "; reads the archive whole before the drop"));
    }

    double Timed(string what, Action run)
    {
        var clock = Stopwatch.StartNew();
        run();
        log.Info($"Benchmark: {what}: {clock.Elapsed.TotalSeconds:0.00} s");
        return clock.Elapsed.TotalSeconds;
    }

    static double MedianOf(List<double> times) => times.Order().ElementAt(times.Count / 2);

    void RunBuildScript(string script, IReadOnlyList<string> arguments)
    {
        var result = ToolRun.Run(script, arguments, server.ClientEnvironment(Restored));
        if (!result.Succeeded)
            throw new RunbookException($"Benchmark: {Path.GetFileName(script)} {string.Join(' ', arguments)} {result.HowItEnded}: " +
                Secrets.Mask(string.Join('\n', result.StdOut.TakeLast(20)) + result.ErrorText, server));
    }

    /// <summary>The copies a restore beside live keeps of the database it replaced.</summary>
    void DropPreviousCopies()
    {
        foreach (var previous in admin.WithPrefix(SwapRestore.PreviousPrefix(Restored))) admin.Drop(previous);
    }

    Dictionary<string, string> Environment(long rows)
    {
        var environment = Versions.Of(server, options.Database);
        environment["drop"] = $"{options.Securities:N0} securities x {options.Years} year(s): {rows:N0} rows";
        environment["runs"] = "median of 3 runs for a step under a minute, else 1";
        environment["when"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        return environment;
    }

    /// <summary>
    /// The daily case, by the year: the first drop's securities, tickers, actions and fundamentals again (unchanged),
    /// with the prices of the years after it, by security id. (A generated drop of later years would restart every
    /// ticker's period, which Ingest rightly refuses as overlapping the periods already held.)
    /// </summary>
    string NextDrop(string drop)
    {
        var later = Generate("drop-later", options.Securities, lastYear: 2025 + options.Years);
        var next = Path.Combine(options.WorkDirectory, "drop-next");
        if (Directory.Exists(next)) Directory.Delete(next, recursive: true);
        Directory.CreateDirectory(Path.Combine(next, "prices"));
        foreach (var file in Directory.GetFiles(drop)) File.Copy(file, Path.Combine(next, Path.GetFileName(file)));
        foreach (var file in Directory.GetFiles(Path.Combine(later, "prices"), "*_by_id.csv"))
            File.Copy(file, Path.Combine(next, "prices", Path.GetFileName(file)));
        Directory.Delete(later, recursive: true);
        return next;
    }

    string Generate(string name, int securities, int lastYear = 2025)
    {
        var path = Path.Combine(options.WorkDirectory, name);
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        SampleGenerator.Generate(new SampleSpec { Securities = securities, Years = options.Years, LastYear = lastYear }, path, log);
        return path;
    }

    void IngestFresh(string drop)
    {
        MigratedEmpty(options.Database);
        IngestInto(options.Database, drop);
    }

    void MigratedEmpty(string database)
    {
        admin.DropCreate(database, Consent.Checked, quiet);
        Migrator.Migrate(measured, database, Consent.Checked);
    }

    /// <summary>The profile behind an Ingest figure: each job's rate, and how many of its rows went through the stage.</summary>
    static void AddJobs(List<Figure> figures, string run, IReadOnlyList<JobResult> jobs)
    {
        foreach (var job in jobs)
            figures.Add(new($"  job {job.Job} ({run})", job.Read / Math.Max(job.Duration.TotalSeconds, 0.001), "rows/s", Detail: $"{job.Read:N0} " +
                $"rows in {job.Duration.TotalSeconds:0.00} s; {job.Inserted + job.Updated:N0} written, {job.Staged:N0} staged"));
    }

    IReadOnlyList<JobResult> IngestInto(string database, string drop) =>
        Ingestor.Ingest(measured, database, new IngestOptions { SourceDirectory = drop });

    double Median(string what, Action prepare, Action run)
    {
        var times = new List<double>();
        do
        {
            prepare();
            times.Add(Timed(what, run));
        } while (times.Count < 3 && times[0] < RepeatBelow.TotalSeconds);
        return MedianOf(times);
    }

    /// <summary>The floor of a cold load: COPY into plain tables, the ticker-keyed prices placed, the keys built, ANALYZE.</summary>
    void LoadFloor(string drop, IReadOnlyList<string> keys)
    {
        CopyDrop(drop, tickerPricesApart: true);
        Execute(Baseline, SqlFiles.Read("benchmark/place_ticker_prices.sql"));
        foreach (var ddl in keys) Execute(Baseline, ddl);
        Execute(Baseline, "ANALYZE");
    }

    void BuildFloor(string drop, IReadOnlyList<string> keys)
    {
        PlainBaseline();
        LoadFloor(drop, keys);
    }

    /// <summary>The baseline database with the drop's tables, plain: no key, index or constraint.</summary>
    void PlainBaseline()
    {
        admin.DropCreate(Baseline, Consent.Checked, quiet);
        Execute(Baseline, SqlFiles.Read("benchmark/baseline_tables.sql"));
    }

    /// <summary>The tables the drop's files fill; the derived ones are computed from them.</summary>
    static IEnumerable<string> FileJobs => IngestJobs.Names.Where(n => n is not ("adjustment_factors" or "fundamentals_yoy"));

    /// <summary>The DDL of the schema's keys, exclusion constraint, indexes and foreign keys for the tables the drop fills, in build order.</summary>
    IReadOnlyList<string> SchemaKeys(string database)
    {
        using var connection = server.Open(database, readOnly: true);
        Sql.Execute(connection, $"SET search_path = {Statements.Quote(Schema.Name)}, public");
        string[] tables = [.. FileJobs];
        return Sql.Query(connection, SqlFiles.Read("benchmark/schema_keys.sql"), r => r.GetString(0), new { schema = Schema.Name, tables });
    }

    /// <summary>
    /// What psql's \copy does: each file streamed to COPY … FROM STDIN (FORMAT csv, HEADER) with its header's columns.
    /// For the floor, prices keyed by ticker go to a table of their own, to be placed by ticker_history afterwards.
    /// </summary>
    void CopyDrop(string directory, bool tickerPricesApart, string? onlyJob = null)
    {
        var drop = SourceDrop.Open(directory);
        using var connection = server.Open(Baseline);
        foreach (var job in FileJobs.Where(n => (onlyJob ?? n) == n))
            foreach (var file in drop.FilesOf(job))
            {
                var path = drop.FullPath(file);
                var columns = File.ReadLines(path).First().Trim('\uFEFF');
                var table = tickerPricesApart && job == "prices_daily" && !columns.Split(',').Contains("security_id") ? "prices_by_ticker" : job;
                using var writer = connection.BeginTextImport($"COPY {table} ({columns}) FROM STDIN (FORMAT csv, HEADER true)");
                using var reader = new StreamReader(path);
                var buffer = new char[1 << 16];
                int n;
                while ((n = reader.Read(buffer, 0, buffer.Length)) > 0) writer.Write(buffer, 0, n);
            }
    }

    void Tool(string program, IReadOnlyList<string> arguments, string database)
    {
        var result = ToolRun.Run(PgTools.Find(program), arguments, server.ClientEnvironment(database));
        if (!result.Succeeded) throw new RunbookException($"Benchmark: {program} {result.HowItEnded}: {Secrets.Mask(result.ErrorText, server)}");
    }

    void Execute(string database, string sql)
    {
        using var connection = server.Open(database);
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    static void ResetFolder(string folder)
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    static double Megabytes(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1048576.0;

    /// <summary>Peak resident memory of this process during the action: Linux resets the high-water mark on request (clear_refs 5).</summary>
    static double PeakMegabytesDuring(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var resettable = OperatingSystem.IsLinux() && TryResetPeak();
        action();
        if (!resettable) return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }

    static bool TryResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
