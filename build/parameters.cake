#nullable enable
// Arguments parsed once into one typed object that every task reads (Cake's Setup<T> pattern).
using System.Runtime.InteropServices;
using System.Threading;
using StocksRebuild;
using StocksRebuild.Backups;
using StocksRebuild.Benchmarks;
using StocksRebuild.Connection;
using StocksRebuild.Database;
using StocksRebuild.Ingestion;
using StocksRebuild.Migrations;
using StocksRebuild.Monitoring;
using StocksRebuild.Sample;
using StocksRebuild.Sandbox;
using StocksRebuild.Tools;

public sealed class RunbookParameters
{
    public string Target { get; }
    public string Database { get; }
    public string MaintenanceDatabase { get; }
    public string? BackupFile { get; }
    public string BackupDirectory { get; }
    public string? ExpectBackup { get; }
    public TimeSpan? MaxBackupAge { get; }
    public string? Confirm { get; }
    public int Jobs { get; }
    public bool UseSandbox { get; }
    public bool KeepSandbox { get; }
    public bool DryRun { get; }
    public TimeSpan? WaitForLock { get; }
    public string SourceDirectory { get; }
    public int MaxErrors { get; }
    public SampleSpec SampleSpec { get; }
    public string? SampleOut { get; }
    public IRunbookLog Log { get; }
    public bool Quick { get; }
    public bool IgnoreExtraFiles { get; }
    public RetentionPolicy Retention { get; }
    /// <summary>--progress, and where the PostgreSQL tools' complete output goes.</summary>
    public RunOutput Output { get; }
    /// <summary>--metrics-file: Status writes it; Backup, Rehearsal and Ingest refresh it when they end.</summary>
    public string? MetricsFile { get; }
    /// <summary>The process's exit code when the run finished (Status: 0 OK, 1 warning, 2 critical).</summary>
    public int ExitCode { get; set; }
    public ValidToConvention TickerValidTo { get; }
    public bool Swap { get; }
    public bool Deep { get; }
    public bool FreshBackup { get; }
    public TimeSpan? MaxRto { get; }
    public string ReportDirectory { get; }
    /// <summary>Restore's target: the live name, or with --swap the new database that is swapped in once valid.</summary>
    public string RestoreInto { get; }
    readonly IDictionary<string, ICollection<string>> given;

    // Set during the run.
    public ServerConnection Server { get; private set; }
    public SandboxServer? Sandbox { get; private set; }
    public VerifiedBackup? VerifiedBackup { get; set; }

    public RunbookParameters(ICakeContext context, IEnumerable<string> targets)
    {
        given = context.Arguments.GetArguments();
        Flags.RefuseUnknown(given.Keys);
        Flags.RefuseAmbiguous(given, Environment.GetCommandLineArgs());
        string? Text(string flag) => given.TryGetValue(flag, out var values) ? values.FirstOrDefault() : null;
        bool Switch(string flag) => given.ContainsKey(flag) && !string.Equals(Text(flag), "false", StringComparison.OrdinalIgnoreCase);
        // build.sh runs from the repository; a relative path means what it meant where the DBA typed it.
        var callerDirectory = NonEmpty(Environment.GetEnvironmentVariable("STOCKSREBUILD_CALLER_DIR")) ?? Environment.CurrentDirectory;
        string? PathFlag(string flag) => Text(flag) is { } path ? System.IO.Path.GetFullPath(path, callerDirectory) : null;

        Log = new CakeRunbookLog(context);
        // Cake matches target names without regard to case; so does every decision made on the name here.
        Target = Flags.CanonicalTarget(Text("target") ?? Text("t") ?? "Default", targets);
        UseSandbox = Switch("sandbox");
        KeepSandbox = Switch("keep-sandbox");
        Database = DatabaseName.Check(Text("database") ?? NonEmpty(context.EnvironmentVariable("PGDATABASE")) ?? "stocks_research");
        MaintenanceDatabase = DatabaseName.Check(Text("maintenance-db") ?? "postgres", "maintenance-db");
        BackupFile = PathFlag("backup");
        // A sandbox's backups stay with the sandbox unless a folder is named.
        BackupDirectory = PathFlag("backup-dir") ?? (UseSandbox ? ".sandbox/backups" : "backups");
        ExpectBackup = Text("expect-backup");
        MaxBackupAge = Text("max-backup-age") is { } age ? Durations.Parse(age, "max-backup-age") : null;
        Confirm = Text("confirm");
        Jobs = Text("jobs") is { } jobs ? Flags.PositiveInt(jobs, "jobs") : Environment.ProcessorCount;
        // Cake consumes its dry-run switches and runs Setup anyway: read them from the command line.
        DryRun = Environment.GetCommandLineArgs().Any(a => a is "--dryrun" or "--noop" or "--whatif"
            || a.StartsWith("--dryrun=true", StringComparison.OrdinalIgnoreCase));
        WaitForLock = Text("wait-for-lock") is { } wait ? Durations.Parse(wait, "wait-for-lock") : null;
        SourceDirectory = PathFlag("source") ?? SampleData.ShippedDrop;
        MaxErrors = Text("max-errors") is { } maxErrors ? Flags.PositiveInt(maxErrors, "max-errors") : IngestOptions.DefaultMaxErrors;
        var defaults = new SampleSpec();
        SampleSpec = new SampleSpec
        {
            Securities = Text("securities") is { } n ? Flags.PositiveInt(n, "securities") : defaults.Securities,
            Years = Text("years") is { } y ? Flags.PositiveInt(y, "years") : defaults.Years,
            Seed = Text("seed") is { } seed ? Flags.PositiveInt(seed, "seed") : defaults.Seed,
        };
        SampleOut = PathFlag("out");
        Quick = Switch("quick");
        IgnoreExtraFiles = Switch("ignore-extra-files");
        Retention = new RetentionPolicy
        {
            Keep = Text("keep") is { } keep ? Flags.PositiveInt(keep, "keep") : null,
            KeepFor = Text("keep-for") is { } keepFor ? Durations.Parse(keepFor, "keep-for") : null,
            KeepBackup = Text("keep-backup"),
        };
        MetricsFile = PathFlag("metrics-file");
        Output = new RunOutput
        {
            Progress = Text("progress") switch
            {
                null or "auto" => ProgressMode.Auto,
                "line" => ProgressMode.Line,
                "off" => ProgressMode.Off,
                var other => throw new RunbookException($"--progress={other} is not auto, line or off. Nothing was run."),
            },
            Every = Text("progress-every") is { } every ? Durations.Parse(every, "progress-every") : TimeSpan.FromSeconds(5),
            // pg_restore --verbose prints lines per object: they go whole to a file, the console keeps the progress and the news.
            ToolLogDirectory = "artifacts/logs",
        };
        TickerValidTo = Text("ticker-valid-to") switch
        {
            null or "exclusive" => ValidToConvention.Exclusive,
            "inclusive" => ValidToConvention.Inclusive,
            var other => throw new RunbookException($"--ticker-valid-to={other} is neither exclusive nor inclusive. Nothing was run."),
        };
        Swap = Switch("swap");
        Deep = Switch("deep");
        FreshBackup = Switch("fresh-backup");
        MaxRto = Text("max-rto") is { } rto ? Durations.Parse(rto, "max-rto") : null;
        ReportDirectory = PathFlag("report-dir") ?? "artifacts/rehearsal";
        rehearsalSource = given.ContainsKey("source") ? SourceDirectory : null;
        if (Swap && Target != "Restore") throw new RunbookException($"--swap goes with --target=Restore, not --target={Target}.");
        RestoreInto = Swap ? StocksRebuild.Restore.SwapRestore.IncomingName(Database, DateTime.UtcNow) : Database;
        if (KeepSandbox && !UseSandbox) throw new RunbookException("--keep-sandbox goes with --sandbox.");
        Server = UseSandbox ? null! : ServerConnection.FromEnvironment(); // a sandbox's comes with StartSandbox
    }

    public VerifyBackupOptions VerifyOptions => new()
    {
        BackupFile = BackupFile,
        BackupDirectory = BackupDirectory,
        ExpectTimestamp = ExpectBackup,
        MaxAge = MaxBackupAge,
    };

    /// <summary>Benchmark: the default drop unless sizes are given; --quick a small one for CI.</summary>
    public BenchmarkOptions BenchmarkOptions => new()
    {
        Database = Database,
        Securities = given.ContainsKey("securities") ? SampleSpec.Securities : Quick ? 1000 : 5000,
        Years = given.ContainsKey("years") ? SampleSpec.Years : Quick ? 2 : 5,
        Jobs = Jobs,
        WorkDirectory = "artifacts/benchmark",
        BuildScript = OperatingSystem.IsWindows() ? null : "./build.sh",
        Confirm = Confirm,
        Sandbox = UseSandbox,
    };

    readonly string? rehearsalSource;

    public StocksRebuild.Rehearsal.RehearsalOptions RehearsalOptions => new()
    {
        Database = Database,
        MaintenanceDatabase = MaintenanceDatabase,
        BackupFile = BackupFile,
        BackupDirectory = BackupDirectory,
        FreshBackup = FreshBackup,
        ExpectBackup = ExpectBackup,
        MaxBackupAge = MaxBackupAge,
        MaxRto = MaxRto,
        SourceDirectory = rehearsalSource,
        Deep = Deep,
        Jobs = Jobs,
        ReportDirectory = ReportDirectory,
        Output = Output,
        StepSummaryFile = NonEmpty(Environment.GetEnvironmentVariable("GITHUB_STEP_SUMMARY")),
    };

    public IngestOptions IngestOptions => new() { SourceDirectory = SourceDirectory, MaxErrors = MaxErrors, IgnoreExtraFiles = IgnoreExtraFiles, TickerValidTo = TickerValidTo, Output = Output };

    public DatabaseAdmin Admin => new DatabaseAdmin(Server, MaintenanceDatabase);

    public void StartSandbox()
    {
        if (!UseSandbox || DryRun) return;
        Sandbox = SandboxServer.Start(".sandbox", Log);
        Server = Sandbox.Connection;
    }

    /// <summary>Cake's --dryrun runs no task body; for the targets that migrate, say which scripts would run.</summary>
    public void DescribeDryRun()
    {
        if (DryRun && Target is "Restore" or "RestoreBackup") DescribeRestorePreflight();
        // Cake runs no task body on --dryrun; Prune's listing is what a dry run of it is for.
        if (DryRun && Target == "Prune") BackupRetention.Prune(BackupDirectory, Retention, apply: false, Log);
        if (!DryRun || Target is not ("Migrate" or "ColdRebuild")) return;
        // ColdRebuild recreates the database and a sandbox starts empty: every script would run.
        var recreated = Target == "ColdRebuild" || UseSandbox || !Admin.Exists(Database);
        var plan = recreated
            ? new MigrationPlan([], Migrator.Scripts().Select(s => s.Name).ToList())
            : Migrator.Plan(Server, Database);
        Log.Info($"Migrate --dryrun: {plan.Pending.Count} script(s) would run on \"{Database}\"" +
                 (recreated ? " (created empty first)" : $", {plan.Applied.Count} already applied") + ":");
        foreach (var script in plan.Pending) Log.Info($"  {script}");
    }

    /// <summary>Restore --dryrun: what the preflight finds (backup, its real age and contents, the login), and the consent needed.</summary>
    void DescribeRestorePreflight()
    {
        BackupVerifier.Verify(VerifyOptions, Log);
        if (UseSandbox) { Log.Info("Restore --dryrun: a new sandbox would be started; no consent is needed there."); return; }
        ClientLogin.Prove(Server, MaintenanceDatabase, "RestoreBackup (pg_restore)");
        Log.Info($"Restore --dryrun: the client tools log in to {Server.Describe(MaintenanceDatabase)} with the environment pg_restore would get.");
        var consent = Confirm == Database ? $"--confirm={Database} is given" : $"it needs --confirm={Database}, which is not given: the run would stop there";
        Log.Info(Swap ? $"Restore --dryrun: the backup would go into a new database, be validated, and replace \"{Database}\" (kept as a previous copy); {consent}."
            : Admin.Exists(Database) ? $"Restore --dryrun: DropCreate would drop the existing \"{Database}\" and create it empty; {consent}."
            : $"Restore --dryrun: \"{Database}\" does not exist; DropCreate would create it (no consent needed).");
    }

    public StatusOptions StatusOptions => new()
    {
        Database = Database,
        BackupDirectory = BackupDirectory,
        ReportDirectory = ReportDirectory,
        MaxBackupAge = MaxBackupAge,
    };

    /// <summary>Checks the status and, with --metrics-file, writes it for Prometheus (temp file + rename: a scraper never reads half).</summary>
    public StatusReport WriteStatus()
    {
        var status = OperationalStatus.Check(Server, StatusOptions);
        if (MetricsFile is not null)
        {
            PrivateFiles.WriteAllText(MetricsFile, status.ToPrometheus());
            Log.Info($"Status: metrics written to {MetricsFile}");
        }
        return status;
    }

    /// <summary>After Backup, Rehearsal and Ingest, --metrics-file shows their outcome at once, not at the next Status.</summary>
    public void RefreshMetrics()
    {
        if (MetricsFile is null || DryRun || Server is null || Target is not ("Backup" or "Rehearsal" or "Ingest" or "ColdRebuild")) return;
        try { WriteStatus(); }
        catch (Exception e) when (e is RunbookException or System.IO.IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Could not refresh --metrics-file={MetricsFile}: {e.Message}");
        }
    }

    /// <summary>Targets that write to the database: one such run per database at a time.</summary>
    public bool WritesDatabase => Target is "DropCreate" or "RestoreBackup" or "Restore" or "Swap" or "Migrate" or "Ingest"
        or "ColdRebuild" or "SeedSample" or "Demo" or "Benchmark";

    /// <summary>Targets that must see the database whole: they wait for writers, and writers for them.</summary>
    public bool ReadsDatabase => Target is "Backup" or "Validate" or "VerifyEmptySchema" or "Rehearsal";

    RunLock? runLock;

    // Ctrl-C and SIGTERM stop the run at a safe point (a child tool is killed, a job rolled back) instead of
    // ending the process under a running pg_restore. A signal to the process group reaches every process of the
    // run, and launchers forward what they receive, so one stop can arrive twice: every signal means the same
    // safe stop, never "end at once" (that is kill -KILL's job, and the message says what it would leave).
    readonly CancellationTokenSource interruption = new();
    readonly List<PosixSignalRegistration> signals = new();
    int firstSignal;
    DateTime firstSignalUtc;
    public CancellationToken Cancellation => interruption.Token;
    /// <summary>SIGINT or SIGTERM when the run was interrupted; the exit code is 128 + its number, as a shell's.</summary>
    public PosixSignal? Interruption { get; private set; }

    public void HandleInterruptions()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            signals.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                if (Interlocked.Exchange(ref firstSignal, 1) == 1)
                {
                    if (DateTime.UtcNow - firstSignalUtc > TimeSpan.FromSeconds(1))
                        Log.Warning($"Received {context.Signal} again: still stopping safely (cleaning up). kill -KILL {Environment.ProcessId} would end it at once and leave partial files and databases behind.");
                    return;
                }
                firstSignalUtc = DateTime.UtcNow;
                Interruption = context.Signal;
                Log.Warning($"Received {context.Signal}: stopping at the next safe point.");
                interruption.Cancel();
            }));
    }

    public int InterruptedExitCode => Interruption == PosixSignal.SIGINT ? 130 : 143;

    public void AcquireRunLock()
    {
        if (DryRun || !(WritesDatabase || ReadsDatabase)) return;
        runLock = RunLock.Acquire(Server, Database, Log, WaitForLock, WritesDatabase ? LockMode.Exclusive : LockMode.Shared, Cancellation);
    }

    public void ReleaseRunLock() => runLock?.Dispose();

    /// <summary>Restore --swap that failed before the swap: the new database goes, the live one was never touched.</summary>
    public void DropUnswappedRestore()
    {
        if (!Swap || Swapped || DryRun || Server is null) return;
        try
        {
            if (!Admin.Exists(RestoreInto)) return;
            Admin.Drop(RestoreInto);
            Log.Warning($"Restore --swap did not finish: dropped the new database \"{RestoreInto}\"; \"{Database}\" was not touched and kept serving.");
        }
        catch (RunbookException e)
        {
            Log.Warning($"Restore --swap did not finish; \"{Database}\" was not touched, but the new database \"{RestoreInto}\" could not be dropped ({e.Message}): drop it by hand.");
        }
    }

    public bool Swapped { get; set; }

    public void StopSandbox() => Sandbox?.Stop(KeepSandbox);

    static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

// The library reports through IRunbookLog and knows nothing of Cake; this is the one adapter.
public sealed class CakeRunbookLog : IRunbookLog
{
    readonly ICakeContext context;
    public CakeRunbookLog(ICakeContext context) => this.context = context;
    public void Info(string message) => context.Log.Information("{0}", message);
    public void Warning(string message) => context.Log.Warning("{0}", message);
}
