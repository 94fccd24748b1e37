using StocksRebuild.Backups;
using StocksRebuild.Benchmarks;
using StocksRebuild.Ingestion;
using StocksRebuild.Monitoring;
using StocksRebuild.Offsite;
using StocksRebuild.Rehearsal;
using StocksRebuild.Sample;

namespace StocksRebuild;

/// <summary>What the command line held: Cake's parsed arguments, the raw words, the script's targets, the environment.</summary>
public sealed record CommandLine(
    IDictionary<string, ICollection<string>> Arguments,
    IReadOnlyList<string> Words,
    IReadOnlyList<string> Targets,
    Func<string, string?> Environment);

/// <summary>
/// Every flag, parsed once before anything runs (an unknown, ambiguous or malformed one stops here), and never
/// changed after: the run's changing state lives in <see cref="RunSession"/>. Decisions read named properties.
/// </summary>
public sealed record RunbookSettings
{
    public required string Target { get; init; }
    public required string Database { get; init; }
    public string MaintenanceDatabase { get; init; } = "postgres";
    public string? BackupFile { get; init; }
    public required string BackupDirectory { get; init; }
    public string? ExpectBackup { get; init; }
    public TimeSpan? MaxBackupAge { get; init; }
    /// <summary>Backup on a standby: the oldest last-replayed transaction it accepts.</summary>
    public TimeSpan? MaxReplayLag { get; init; }
    public string? Confirm { get; init; }
    public int Jobs { get; init; } = System.Environment.ProcessorCount;
    /// <summary>--jobs was given: Preflight refuses it when the server cannot take it, where it caps the default.</summary>
    public bool JobsGiven { get; init; }
    public bool UsesSandbox { get; init; }
    public bool KeepsSandbox { get; init; }
    public bool IsDryRun { get; init; }
    public TimeSpan? WaitForLock { get; init; }
    /// <summary>--lock-timeout: the tool's own lock_timeout, and pg_dump's --lock-wait-timeout.</summary>
    public TimeSpan LockTimeout { get; init; } = ServerConnection.DefaultLockTimeout;
    public required string SourceDirectory { get; init; }
    /// <summary>--source as given; null when the default (the shipped sample) stands.</summary>
    public string? GivenSource { get; init; }
    public int MaxErrors { get; init; } = IngestOptions.DefaultMaxErrors;
    public SampleSpec SampleSpec { get; init; } = new();
    /// <summary>Benchmark sizes: only those given on the command line override its defaults.</summary>
    public int? GivenSecurities { get; init; }
    public int? GivenYears { get; init; }
    public string? SampleOut { get; init; }
    public bool IsQuick { get; init; }
    public bool IgnoresExtraFiles { get; init; }
    public RetentionPolicy Retention { get; init; } = new();
    /// <summary>--offsite: the rclone remote backups are copied to, pruned in, reported from and (--from-offsite) restored from.</summary>
    public OffsiteRemote? Offsite { get; init; }
    public bool OffsiteOptional { get; init; }
    public bool FromOffsite { get; init; }
    public string OffsiteCache { get; init; } = "backups/offsite-cache";
    /// <summary>--offsite-keep, --offsite-keep-for (with --keep-backup): Prune's rules for the remote.</summary>
    public RetentionPolicy OffsiteRetention { get; init; } = new();
    /// <summary>--progress, and where the PostgreSQL tools' complete output goes.</summary>
    public RunOutput Output { get; init; } = RunOutput.Default;
    /// <summary>--metrics-file: Status writes it; Backup, Rehearsal and Ingest refresh it when they end.</summary>
    public string? MetricsFile { get; init; }
    public ValidToConvention TickerValidTo { get; init; }
    /// <summary>--in-place: Restore drops the live database first (the runbook's literal order) instead of restoring beside it.</summary>
    public bool InPlace { get; init; }
    /// <summary>--keep-failed: a restore beside live that failed keeps its incoming database for a look.</summary>
    public bool KeepsFailed { get; init; }
    /// <summary>--read-only-live: new sessions on live are read-only while the copy is built beside it.</summary>
    public bool ReadOnlyLive { get; init; }
    public bool IsDeep { get; init; }
    /// <summary>--strict: Validate's warnings (a database these migrations did not build) are failures.</summary>
    public bool IsStrict { get; init; }
    /// <summary>Validate's warnings fail the run: --strict, or ColdRebuild, whose database these migrations just built.</summary>
    public bool ValidatesStrictly => IsStrict || Target is "ColdRebuild";
    /// <summary>--scratch, --scratch-image: where the rehearsal restores and rebuilds.</summary>
    public ScratchMode Scratch { get; init; }
    public string? ScratchImage { get; init; }
    public bool TakesFreshBackup { get; init; }
    public TimeSpan? MaxRto { get; init; }
    public string ReportDirectory { get; init; } = "artifacts/rehearsal";
    /// <summary>$GITHUB_STEP_SUMMARY: the rehearsal's Markdown report is appended there when set.</summary>
    public string? StepSummaryFile { get; init; }

    /// <summary>Targets that write to the database: one such run per database at a time.</summary>
    public bool WritesDatabase => Target is "DropCreate" or "RestoreBackup" or "Restore" or "Swap" or "SwapBack" or "Migrate" or "Ingest"
        or "ColdRebuild" or "SeedSample" or "Demo" or "Benchmark";

    /// <summary>Targets that must see the database whole: they wait for writers, and writers for them.</summary>
    public bool ReadsDatabase => Target is "Backup" or "Validate" or "VerifyEmptySchema" or "Rehearsal";

    /// <summary>After these, --metrics-file shows their outcome at once, not at the next Status.</summary>
    public bool RefreshesMetrics => MetricsFile is not null && !IsDryRun && Target is "Backup" or "Rehearsal" or "Ingest" or "ColdRebuild";

    /// <summary>The consent this run carries for destructive steps: a sandbox is the tool's own throwaway server.</summary>
    public Consent Consent => UsesSandbox ? Consent.Throwaway : Consent.Given(Confirm);

    public static RunbookSettings Parse(CommandLine line)
    {
        var given = line.Arguments;
        Flags.RefuseUnknown(given.Keys);
        Flags.RefuseAmbiguous(given, line.Words);
        string? Text(string flag) => given.TryGetValue(flag, out var values) ? values.FirstOrDefault() : null;
        bool Switch(string flag) => given.ContainsKey(flag) && !string.Equals(Text(flag), "false", StringComparison.OrdinalIgnoreCase);
        int? Count(string flag) => Text(flag) is { } n ? Flags.PositiveInt(n, flag) : null;
        TimeSpan? Duration(string flag) => Text(flag) is { } d ? Durations.Parse(d, flag) : null;
        // build.sh runs from the repository; a relative path means what it meant where the DBA typed it.
        var callerDirectory = NonEmpty(line.Environment("STOCKSREBUILD_CALLER_DIR")) ?? System.Environment.CurrentDirectory;
        string? PathFlag(string flag) => Text(flag) is { } path ? Path.GetFullPath(path, callerDirectory) : null;

        // Cake matches target names without regard to case; so does every decision made on the name here.
        var target = Flags.CanonicalTarget(Text("target") ?? Text("t") ?? "Default", line.Targets);
        var sandbox = Switch("sandbox");
        var defaults = new SampleSpec();
        var settings = new RunbookSettings
        {
            Target = target,
            UsesSandbox = sandbox,
            KeepsSandbox = Switch("keep-sandbox"),
            Database = DatabaseName.Check(Text("database") ?? NonEmpty(line.Environment("PGDATABASE")) ?? "stocks_research"),
            MaintenanceDatabase = DatabaseName.Check(Text("maintenance-db") ?? "postgres", "maintenance-db"),
            BackupFile = PathFlag("backup"),
            // A sandbox's backups stay with the sandbox unless a folder is named.
            BackupDirectory = PathFlag("backup-dir") ?? (sandbox ? ".sandbox/backups" : "backups"),
            ExpectBackup = Text("expect-backup"),
            MaxBackupAge = Duration("max-backup-age"),
            MaxReplayLag = Duration("max-replay-lag"),
            Confirm = Text("confirm"),
            Jobs = Count("jobs") ?? System.Environment.ProcessorCount,
            JobsGiven = Count("jobs") is not null,
            // Cake consumes its dry-run switches and runs Setup anyway: read them from the command line.
            IsDryRun = line.Words.Any(a => a is "--dryrun" or "--noop" or "--whatif"
                || a.StartsWith("--dryrun=true", StringComparison.OrdinalIgnoreCase)),
            WaitForLock = Duration("wait-for-lock"),
            LockTimeout = Duration("lock-timeout") ?? ServerConnection.DefaultLockTimeout,
            SourceDirectory = PathFlag("source") ?? SampleData.ShippedDrop,
            GivenSource = PathFlag("source"),
            MaxErrors = Count("max-errors") ?? IngestOptions.DefaultMaxErrors,
            SampleSpec = new SampleSpec
            {
                Securities = Count("securities") ?? defaults.Securities,
                Years = Count("years") ?? defaults.Years,
                Seed = Count("seed") ?? defaults.Seed,
            },
            GivenSecurities = Count("securities"),
            GivenYears = Count("years"),
            SampleOut = PathFlag("out"),
            IsQuick = Switch("quick"),
            IgnoresExtraFiles = Switch("ignore-extra-files"),
            Retention = new RetentionPolicy { Keep = Count("keep"), KeepFor = Duration("keep-for"), KeepBackup = Text("keep-backup") },
            Offsite = OffsiteRemote.Parse(Text("offsite")),
            OffsiteOptional = Switch("offsite-optional"),
            FromOffsite = Switch("from-offsite"),
            OffsiteRetention = new RetentionPolicy
            {
                Keep = Count("offsite-keep"), KeepFor = Duration("offsite-keep-for"), KeepBackup = Text("keep-backup"),
            },
            MetricsFile = PathFlag("metrics-file"),
            Output = new RunOutput
            {
                Progress = Text("progress") switch
                {
                    null or "auto" => ProgressMode.Auto,
                    "line" => ProgressMode.Line,
                    "off" => ProgressMode.Off,
                    var other => throw new RunbookException($"--progress={other} is not auto, line or off. Nothing was run."),
                },
                Every = Duration("progress-every") ?? TimeSpan.FromSeconds(5),
                // pg_restore --verbose prints lines per object: they go whole to a file, the console keeps the progress and the news.
                ToolLogDirectory = "artifacts/logs",
            },
            TickerValidTo = Text("ticker-valid-to") switch
            {
                null or "exclusive" => ValidToConvention.Exclusive,
                "inclusive" => ValidToConvention.Inclusive,
                var other => throw new RunbookException($"--ticker-valid-to={other} is neither exclusive nor inclusive. Nothing was run."),
            },
            InPlace = Switch("in-place"),
            KeepsFailed = Switch("keep-failed"),
            ReadOnlyLive = Switch("read-only-live"),
            IsDeep = Switch("deep"),
            IsStrict = Switch("strict"),
            Scratch = ScratchServer.Parse(Text("scratch")),
            ScratchImage = Text("scratch-image"),
            TakesFreshBackup = Switch("fresh-backup"),
            MaxRto = Duration("max-rto"),
            ReportDirectory = PathFlag("report-dir") ?? "artifacts/rehearsal",
            StepSummaryFile = NonEmpty(line.Environment("GITHUB_STEP_SUMMARY")),
        };
        if (Switch("swap") && target != "Restore") throw new RunbookException($"--swap goes with --target=Restore, not --target={target}.");
        if (Switch("swap") && settings.InPlace) throw new RunbookException("--swap and --in-place contradict each other: choose one. Nothing was run.");
        if (settings.InPlace && target is not ("Restore" or "RestoreBackup" or "ColdRebuild"))
            throw new RunbookException($"--in-place goes with --target=Restore or ColdRebuild, not --target={target}.");
        if (settings.ReadOnlyLive && target is not ("Restore" or "ColdRebuild"))
            throw new RunbookException($"--read-only-live goes with --target=Restore or ColdRebuild, not --target={target}.");
        if (settings.ReadOnlyLive && settings.InPlace)
            throw new RunbookException("--read-only-live and --in-place contradict each other: in place, live is dropped first. Nothing was run.");
        if (settings.KeepsFailed && target is not ("Restore" or "ColdRebuild"))
            throw new RunbookException($"--keep-failed goes with --target=Restore or ColdRebuild, not --target={target}.");
        if ((given.ContainsKey("scratch") || settings.ScratchImage is not null) && target != "Rehearsal")
            throw new RunbookException($"--scratch and --scratch-image go with --target=Rehearsal, not --target={target}.");
        if (settings.ScratchImage is not null && settings.Scratch != ScratchMode.Docker)
            throw new RunbookException("--scratch-image goes with --scratch=docker.");
        if (settings.KeepsSandbox && !sandbox) throw new RunbookException("--keep-sandbox goes with --sandbox.");
        RefuseMisplacedOffsite(settings, given.Keys);
        return settings with { OffsiteCache = PathFlag("offsite-cache") ?? Path.Combine(settings.BackupDirectory, "offsite-cache") };
    }

    /// <summary>Off-site flags mean something only to some targets; elsewhere they would be silently ignored.</summary>
    static void RefuseMisplacedOffsite(RunbookSettings settings, ICollection<string> given)
    {
        var target = settings.Target;
        if (settings.Offsite is null)
        {
            var needing = given.FirstOrDefault(f => f is "offsite-optional" or "from-offsite" or "offsite-cache" or "offsite-keep"
                or "offsite-keep-for");
            if (needing is not null) throw new RunbookException($"--{needing} goes with --offsite=REMOTE:PATH. Nothing was run.");
            if (target == "OffsiteCopy") throw new RunbookException("--target=OffsiteCopy needs --offsite=REMOTE:PATH. Nothing was run.");
            return;
        }
        if (target is not ("Backup" or "OffsiteCopy" or "VerifyBackup" or "Restore" or "RestoreBackup" or "Rehearsal" or "Prune" or "Status"))
            throw new RunbookException($"--offsite goes with Backup, OffsiteCopy, Prune, Status, or with --from-offsite VerifyBackup, Restore and " +
                $"Rehearsal; not with --target={target}. Nothing was run.");
        if (target is "VerifyBackup" or "Restore" or "RestoreBackup" or "Rehearsal" && !settings.FromOffsite)
            throw new RunbookException($"--offsite with --target={target} needs --from-offsite: the backup is picked off-site and downloaded " +
                "first. Nothing was run.");
        if (settings.FromOffsite && target is not ("VerifyBackup" or "Restore" or "RestoreBackup" or "Rehearsal"))
            throw new RunbookException($"--from-offsite goes with VerifyBackup, Restore and Rehearsal, not --target={target}. Nothing was run.");
        if (settings.FromOffsite && settings.TakesFreshBackup)
            throw new RunbookException("--from-offsite and --fresh-backup contradict each other: rehearse the newest off-site backup, or a new " +
                "one. Nothing was run.");
        if (settings.OffsiteOptional && target != "Backup")
            throw new RunbookException($"--offsite-optional goes with --target=Backup, not --target={target}. Nothing was run.");
        // Refused here, not after the local folder was pruned by its own rules.
        if (target == "Prune" && !given.Contains("offsite-keep") && !given.Contains("offsite-keep-for"))
            throw new RunbookException("Prune --offsite needs the remote's rule: --offsite-keep=N and/or --offsite-keep-for=DURATION. Nothing was " +
                "deleted.");
        if ((given.Contains("offsite-keep") || given.Contains("offsite-keep-for")) && target != "Prune")
            throw new RunbookException($"--offsite-keep and --offsite-keep-for go with --target=Prune, not --target={target}. Nothing was run.");
    }

    /// <summary>--from-offsite: where the pick comes from and where it is downloaded to.</summary>
    public OffsiteSource? OffsiteSource => FromOffsite && Offsite is { } remote ? new OffsiteSource(remote, OffsiteCache) : null;

    public VerifyBackupOptions VerifyOptions =>
        new() { BackupFile = BackupFile, BackupDirectory = BackupDirectory, ExpectTimestamp = ExpectBackup, MaxAge = MaxBackupAge };

    /// <summary>Benchmark: the default drop unless sizes are given; --quick a small one for CI.</summary>
    public BenchmarkOptions BenchmarkOptions => new()
    {
        Database = Database,
        Securities = GivenSecurities ?? (IsQuick ? 1000 : 5000),
        Years = GivenYears ?? (IsQuick ? 2 : 5),
        Jobs = Jobs,
        WorkDirectory = "artifacts/benchmark",
        BuildScript = OperatingSystem.IsWindows() ? null : "./build.sh",
        Consent = Consent,
    };

    public RehearsalOptions RehearsalOptions => new()
    {
        Database = Database,
        MaintenanceDatabase = MaintenanceDatabase,
        BackupFile = BackupFile,
        BackupDirectory = BackupDirectory,
        FreshBackup = TakesFreshBackup,
        ExpectBackup = ExpectBackup,
        MaxBackupAge = MaxBackupAge,
        MaxRto = MaxRto,
        SourceDirectory = GivenSource,
        Deep = IsDeep,
        Scratch = Scratch,
        ScratchImage = ScratchImage,
        FromOffsite = OffsiteSource,
        Jobs = Jobs,
        ReportDirectory = ReportDirectory,
        Output = Output,
        StepSummaryFile = StepSummaryFile,
    };

    public IngestOptions IngestOptions =>
        new() { SourceDirectory = SourceDirectory, MaxErrors = MaxErrors, IgnoreExtraFiles = IgnoresExtraFiles, TickerValidTo = TickerValidTo,
                Output = Output };

    public StatusOptions StatusOptions =>
        new() { Database = Database, BackupDirectory = BackupDirectory, ReportDirectory = ReportDirectory, MaxBackupAge = MaxBackupAge,
                Offsite = Offsite };

    static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
