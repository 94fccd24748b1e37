using System.Runtime.InteropServices;
using StocksRebuild.Backups;
using StocksRebuild.Migrations;
using StocksRebuild.Monitoring;
using StocksRebuild.Offsite;
using StocksRebuild.Restore;
using StocksRebuild.Sandbox;

namespace StocksRebuild;

/// <summary>
/// One run of the tool: everything that changes while it runs (the server, the lock, the sandbox, the stop signal,
/// the backup VerifyBackup chose, the swap, the exit code), beside the settings that never change. Created before
/// Cake's Setup, started in it, disposed in Teardown, whatever happened in between.
/// </summary>
public sealed class RunSession : IDisposable
{
    readonly List<PosixSignalRegistration> signals = new();
    readonly CancellationTokenSource interruption = new();
    ServerConnection? server;
    RunLock? runLock;
    int firstSignal;
    DateTime firstSignalUtc;
    /// <summary>--from-offsite: the downloaded copy, fetched once whichever step asks first.</summary>
    string? fetched;

    public RunSession(RunbookSettings settings, IRunbookLog log)
    {
        (Settings, Log) = (settings, log);
        // A sandbox's server comes with Start.
        if (!settings.UsesSandbox) server = ServerConnection.FromEnvironment() with { LockTimeout = settings.LockTimeout };
        HandleInterruptions();
    }

    public RunbookSettings Settings { get; }
    public IRunbookLog Log { get; }
    public SandboxServer? Sandbox { get; private set; }

    /// <summary>What the steps are given: the server, the log, the stop signal, the lock wait and the progress settings.</summary>
    public RunContext Run => server is null
        ? throw new InvalidOperationException("no server yet: the sandbox starts in Setup")
        : new RunContext(server, Log)
        {
            MaintenanceDatabase = Settings.MaintenanceDatabase,
            Cancellation = interruption.Token,
            WaitForLock = Settings.WaitForLock,
            Output = Settings.Output,
        };

    public DatabaseAdmin Admin => Run.Admin;

    /// <summary>The backup VerifyBackup chose and proved; what RestoreBackup restores and Validate compares with.</summary>
    public VerifiedBackup? VerifiedBackup { get; private set; }

    /// <summary>Restore, RestoreBackup, ColdRebuild: beside live, directly, or --in-place; decided when the run starts (null for others).</summary>
    public RestoreMode? Mode { get; private set; }

    /// <summary>pg_restore's jobs: --jobs, or the default capped by Preflight to the connections the server has free.</summary>
    public int RestoreJobs => cappedJobs ?? Settings.Jobs;
    int? cappedJobs;

    /// <summary>Restore beside live: the incoming database, its swap and its cleanup (null in the other modes).</summary>
    public SwapRestore? Swap { get; private set; }

    /// <summary>The database Restore and ColdRebuild build: the target's name, or beside live the incoming one swapped in once valid.</summary>
    public string BuildInto => Swap?.Incoming ?? Settings.Database;

    /// <summary>The process's exit code when the run finished (Status: 0 OK, 1 warning, 2 critical).</summary>
    public int ExitCode { get; set; }

    /// <summary>SIGINT or SIGTERM when the run was interrupted; the exit code is 128 + its number, as a shell's.</summary>
    public PosixSignal? Interruption { get; private set; }

    public int InterruptedExitCode => Interruption == PosixSignal.SIGINT ? 130 : 143;

    /// <summary>Cake's Setup: the sandbox, the run lock, and a line saying what runs where.</summary>
    public void Start()
    {
        if (Settings.UsesSandbox && !Settings.IsDryRun)
        {
            Sandbox = SandboxServer.Start(".sandbox", Log);
            server = Sandbox.Connection with { LockTimeout = Settings.LockTimeout };
        }
        // A standby or a read-only role fails a writing run at its first change: refused before the lock and anything else.
        if (Settings.WritesDatabase && server is not null && Sandbox is null && !Settings.IsDryRun)
            WritableServer.Require(Run.Server, Run.MaintenanceDatabase, Settings.Database, Settings.Target);
        if (!Settings.IsDryRun && (Settings.WritesDatabase || Settings.ReadsDatabase))
            runLock = RunLock.Acquire(Run, Settings.Database, Settings.WritesDatabase ? LockMode.Exclusive : LockMode.Shared);
        if (Settings.Target is "Restore" or "RestoreBackup" or "ColdRebuild" && server is not null && !Settings.IsDryRun)
        {
            Mode = RestoreModes.Decide(Admin.Exists(Settings.Database), Settings.InPlace);
            // RestoreBackup alone has no Validate and no Swap to follow it: Preflight refuses it beside an existing database.
            if (Mode == RestoreMode.Beside && Settings.Target != "RestoreBackup")
                Swap = new SwapRestore(Run, Settings.Database, Settings.Consent, Settings.KeepsFailed, Settings.Target)
                {
                    ReadOnlyLive = Settings.ReadOnlyLive,
                };
        }
        if (Settings.Target != "Test")
            Log.Info($"Target {Settings.Target} on " +
                     (server is null ? $"database \"{Settings.Database}\" in a new sandbox" : server.Describe(Settings.Database)));
    }

    /// <summary>
    /// Before DropCreate: the client tools log in as pg_restore will, the restore's mode is said with its reason, and its
    /// consent is checked (beside live: --confirm, as the swap replaces live; --in-place: --confirm, as live is dropped first).
    /// </summary>
    public void Preflight()
    {
        var identity = ClientLogin.Prove(Run.Server, Settings.MaintenanceDatabase, "RestoreBackup (pg_restore)");
        Log.Info($"Preflight: the client tools log in to {Run.Server.Describe(Settings.MaintenanceDatabase)} as pg_restore will, and reach " +
            $"the server the tool's own connections reach ({identity}).");
        JudgeManifest(refuse: true);
        if (Mode is not { } mode) return;
        var database = Settings.Database;
        if (mode == RestoreMode.Beside && Swap is null)
            throw new RunbookException($"--target=RestoreBackup alone restores in place: it would drop \"{database}\" before the backup is proven " +
                $"to restore. --target=Restore restores beside it and swaps it in only when green; --target=RestoreBackup --in-place " +
                $"--confirm={database} is the literal step. Nothing was changed.");
        Log.Info("Preflight: " + mode.Describe(database, Swap?.Incoming));
        var resources = RestoreResources.Check(Run, Settings.MaintenanceDatabase, database, mode, Settings.Jobs, Settings.JobsGiven);
        cappedJobs = resources.Jobs;
        Log.Info($"Preflight: the role may create and replace \"{database}\" and end its sessions; {resources.Connections}.");
        if (mode == RestoreMode.Beside)
        {
            Swap!.RequireConsent();
            BesideSpace.Check(Run, database, "Preflight");
        }
        if (mode == RestoreMode.InPlace)
            Settings.Consent.Require("Restore --in-place", database, "would drop, before the backup is proven to restore, the live database");
    }

    /// <summary>The backup's manifest judged by the rules Validate will apply, before anything is dropped or restored.</summary>
    void JudgeManifest(bool refuse)
    {
        if (VerifiedBackup is not { } backup) return;
        if (backup.Manifest is not { } manifest)
        {
            Log.Warning($"Preflight: {Path.GetFileName(backup.Path)} has no manifest, so the rules Validate will judge by row counts " +
                $"(row count > 0 of {string.Join(", ", Validation.Validator.TablesThatMustHaveRows)}, = manifest) cannot be checked before the restore.");
            return;
        }
        var failures = Validation.Validator.JudgeManifest(manifest);
        if (failures.Count == 0)
        {
            Log.Info($"Preflight: the manifest's row counts can pass Validate (row count > 0 of " +
                $"{string.Join(", ", Validation.Validator.TablesThatMustHaveRows)}).");
            return;
        }
        var refusal = $"Preflight refused: {Path.GetFileName(backup.Path)} cannot pass Validate after the restore, as its manifest says: " +
            $"{string.Join("; ", failures)}. Choose another backup (--backup=FILE). Nothing was changed.";
        if (refuse) throw new RunbookException(refusal);
        Log.Warning(refusal.Replace("Preflight refused:", "Restore --dryrun: it would be refused:", StringComparison.Ordinal));
    }

    /// <summary>Runbook A.2 / B.1: the target created empty (dropped first with consent); beside live, the incoming database.</summary>
    public void DropCreate()
    {
        // ColdRebuild has no Preflight: its mode is said, and its --in-place consent checked, here.
        if (Settings.Target == "ColdRebuild" && Mode is { } mode)
        {
            Log.Info("ColdRebuild: " + mode.Describe(Settings.Database, Swap?.Incoming, "the database is rebuilt"));
            if (mode == RestoreMode.InPlace)
                Settings.Consent.Require("ColdRebuild --in-place", Settings.Database, "would drop, before the rebuild is proven, the live database");
            if (mode == RestoreMode.Beside)
            {
                Swap!.RequireConsent();
                BesideSpace.Check(Run, Settings.Database, "ColdRebuild");
            }
        }
        if (Swap is not null) Swap.Prepare();
        else RecreateInItsName();
        guard = new SessionGuard(Run, BuildInto);
    }

    SessionGuard? guard;

    /// <summary>Validate after this run's DropCreate: it fails if a session other than the run's own was on the database since.</summary>
    public Validation.ValidationReport JudgeSessions(Validation.ValidationReport report)
    {
        if (guard is null) return report;
        guard.Dispose(); // its verdict covers everything up to now; the database is given back when Validate passes
        var judged = guard.Judge(report);
        guard = null;
        return judged;
    }

    /// <summary>
    /// DropCreate in the database's own name (it did not exist, or --in-place). Its own state, which pg_dump does not hold
    /// (privileges, settings, connection limit, comment, owner), is read before the drop and given back once Validate has
    /// passed, as the swap gives it to the copy beside live only then: a setting such as default_transaction_read_only or a
    /// connection limit would stop the restore itself. The statements are logged first, for a run that does not get there.
    /// </summary>
    void RecreateInItsName()
    {
        var database = Settings.Database;
        using (var connection = Run.Server.Open(Run.MaintenanceDatabase)) stateAfterValidate = DatabaseState.Read(connection, database, database);
        if (stateAfterValidate.Statements.Count > 0)
            Log.Info($"DropCreate: \"{database}\"'s own state, which a backup does not hold, is given back once Validate has passed " +
                $"({stateAfterValidate.Summary}; if the run stops before: {string.Join("; ", stateAfterValidate.Statements.Select(s => s.Sql))}).");
        Admin.DropCreate(database, Settings.Consent, Log, Run.Cancellation);
    }

    /// <summary>
    /// Runbook A.3: pg_restore of the verified backup into the target, or beside live into the incoming database. Beside live
    /// VerifyBackup's reads are done here: pg_restore reads every data block, and the sha256 is read on the other core while it
    /// runs; Validate and the swap begin only when both are green.
    /// </summary>
    public void RestoreBackup()
    {
        var backup = VerifiedBackup ?? throw new InvalidOperationException("VerifyBackup did not run");
        if (!backup.ReadDuringRestore)
        {
            if (Swap is null)
            {
                UnfinishedRestore.Mark(Run, BuildInto, backup.Path);
                RestoredHere = true;
            }
            BackupRestorer.Restore(Run, backup.Path, BuildInto, RestoreJobs, live: Swap?.Database);
            return;
        }
        var live = Swap!.Database;
        using var stopChecksum = CancellationTokenSource.CreateLinkedTokenSource(interruption.Token);
        var checksum = Task.Run(() => BackupVerifier.ProveChecksum(backup, live, BuildInto, stopChecksum.Token));
        try
        {
            BackupRestorer.Restore(Run, backup.Path, BuildInto, RestoreJobs, live);
        }
        catch
        {
            stopChecksum.Cancel();
            ((IAsyncResult)checksum).AsyncWaitHandle.WaitOne(); // the file is not read after the step ends; the restore's error is the cause
            throw;
        }
        try { VerifiedBackup = checksum.GetAwaiter().GetResult(); }
        catch (OperationCanceledException e)
        {
            throw new RunInterruptedException("RestoreBackup", $"\"{BuildInto}\" was restored but the backup's sha256 was not read; the live " +
                $"\"{live}\" was not touched.", "run --target=Restore again.", e);
        }
        Log.Info($"VerifyBackup: every data block was read by the restore; sha256 {VerifiedBackup.Sha256}" +
            (backup.Manifest is null ? " (no manifest to compare it with)." : " matches its manifest."));
    }

    /// <summary>Runbook A.1: one backup, proved whole before anything is destroyed (--from-offsite: downloaded first, then proved).</summary>
    public VerifiedBackup VerifyBackup() => VerifiedBackup = BackupVerifier.Verify(VerifyOptions(), Log);

    DatabaseState? stateAfterValidate;

    /// <summary>
    /// Validate passed: a restore's mark makes way for the database's own comment, and a database recreated in its name gets
    /// its own state back (<see cref="RecreateInItsName"/>); what cannot be given back is named with its statement.
    /// </summary>
    public void Validated(UnfinishedRestore? unfinished)
    {
        unfinished?.Clear(Run, BuildInto);
        if (stateAfterValidate is not { Statements.Count: > 0 } state) return;
        using var connection = Run.Server.Open(Run.MaintenanceDatabase);
        var failed = 0;
        foreach (var (kind, sql) in state.Statements)
        {
            try { Sql.Execute(connection, sql); }
            catch (PostgresException e)
            {
                failed++;
                Log.Warning($"Validate: the {kind} of \"{BuildInto}\" before it was dropped could not be given back ({e.MessageText}); as a role that " +
                    $"may: {sql}");
            }
        }
        if (state.Summary.Length > 0)
            Log.Info($"Validate: gave \"{BuildInto}\" back its own state, which a backup does not hold: {state.Summary}" +
                (failed == 0 ? "." : $" ({failed} could not be: see above)."));
    }

    /// <summary>This run restored into the database's own name and marked it unfinished (<see cref="UnfinishedRestore"/>).</summary>
    public bool RestoredHere { get; private set; }

    /// <summary>
    /// What Validate compares the database with: the backup this run restored, or, for Validate alone, the one --backup names,
    /// else the one a restore that did not finish was restoring (verified first, as Restore would). None: the checks that need no backup.
    /// </summary>
    public VerifiedBackup? BackupToValidateAgainst(UnfinishedRestore? unfinished)
    {
        if (VerifiedBackup is not null) return VerifiedBackup;
        if (Settings.BackupFile is not null) return VerifyBackup();
        if (unfinished is null || !File.Exists(unfinished.Backup)) return null;
        return VerifiedBackup = BackupVerifier.Verify(Settings.VerifyOptions with { BackupFile = unfinished.Backup }, Log);
    }

    /// <summary>The mark of a restore into <see cref="BuildInto"/> that has not validated yet, this run's own or an earlier one's.</summary>
    public UnfinishedRestore? UnfinishedRestoreOf()
    {
        using var connection = Run.Server.Open(Run.MaintenanceDatabase);
        return UnfinishedRestore.Of(connection, BuildInto);
    }

    VerifyBackupOptions VerifyOptions()
    {
        var options = Settings.VerifyOptions with { ReadDuringRestore = Swap is not null };
        return Settings.OffsiteSource is { } offsite
            ? options with { BackupFile = fetched ??= OffsiteFetch.Fetch(offsite, Settings.BackupFile, Log, interruption.Token) }
            : options;
    }

    /// <summary>
    /// Backup, and with --offsite its copy off-site: the remote is proven usable before pg_dump starts, and a copy that
    /// fails or cannot be verified fails the run (--offsite-optional: warns) while the local backup stays.
    /// </summary>
    public string Backup()
    {
        OffsiteStore? store = null;
        if (Settings.Offsite is { } remote)
        {
            try { store = OffsiteCopy.Preflight(remote, interruption.Token); }
            catch (RunbookException e) when (Settings.OffsiteOptional)
            {
                Log.Warning($"{e.Message} The backup is taken locally only (--offsite-optional).");
            }
        }
        var path = BackupWriter.Backup(Run, Settings.Database, Settings.BackupDirectory, Settings.MaxReplayLag);
        if (store is not null) CopyOffsite(store, path);
        return path;
    }

    /// <summary>OffsiteCopy, and Backup's copy: under the folder's lock, so that Prune cannot take the file while it is sent.</summary>
    public void CopyOffsite(OffsiteStore store, string backupPath)
    {
        using var folderLock = BackupFolderLock.Acquire(Path.GetDirectoryName(Path.GetFullPath(backupPath))!);
        try { OffsiteCopy.Upload(Run, store, backupPath); }
        catch (RunbookException e) when (Settings.OffsiteOptional && e is not RunInterruptedException)
        {
            Log.Warning($"{e.Message} (--offsite-optional: the run goes on.)");
        }
    }

    /// <summary>Prune: the local folder by --keep/--keep-for, and with --offsite the remote by --offsite-keep/--offsite-keep-for.</summary>
    public void Prune(bool dryRun)
    {
        var mode = Settings.Confirm == "prune" && !dryRun ? RetentionMode.Delete : RetentionMode.List;
        var local = Settings.Retention;
        if (Settings.Offsite is null || local.Keep is not null || local.KeepFor is not null)
            BackupRetention.Prune(Settings.BackupDirectory, local, mode, Log);
        if (Settings.Offsite is { } remote) OffsiteRetention.Prune(remote, Settings.OffsiteRetention, mode, Log);
    }

    /// <summary>Status, and with --metrics-file the same for Prometheus (temp file + rename: a scraper never reads half).</summary>
    public StatusReport WriteStatus()
    {
        var status = OperationalStatus.Check(Run.Server, Settings.StatusOptions);
        if (Settings.MetricsFile is { } file)
        {
            PrivateFiles.WriteAllText(file, status.ToPrometheus());
            Log.Info($"Status: metrics written to {file}");
        }
        return status;
    }

    /// <summary>Cake's --dryrun runs no task body: say what the run would do where that is what a dry run is for.</summary>
    public void DescribeDryRun()
    {
        if (!Settings.IsDryRun) return;
        switch (Settings.Target)
        {
            case "Restore" or "RestoreBackup": DescribeRestore(); break;
            // Prune's listing is what a dry run of it is for.
            case "Prune": Prune(dryRun: true); break;
            case "Migrate" or "ColdRebuild": DescribeMigrate(); break;
        }
    }

    void DescribeMigrate()
    {
        var database = Settings.Database;
        // ColdRebuild recreates the database (beside an existing one) and a sandbox starts empty: every script would run.
        var recreated = Settings.Target == "ColdRebuild" || server is null || !Admin.Exists(database);
        if (Settings.Target == "ColdRebuild" && server is not null)
            Log.Info("ColdRebuild --dryrun: " + RestoreModes.Decide(Admin.Exists(database), Settings.InPlace)
                .Describe(database, SwapRestore.IncomingName(database, DateTime.UtcNow), "the database is rebuilt"));
        var plan = recreated
            ? new MigrationPlan([], Migrator.Scripts().Select(s => s.Name).ToList())
            : Migrator.Plan(server!, database);
        Log.Info($"Migrate --dryrun: {plan.Pending.Count} script(s) would run on \"{database}\"" +
                 (recreated ? " (created empty first)" : $", {plan.Applied.Count} already applied") + ":");
        foreach (var script in plan.Pending) Log.Info($"  {script}");
    }

    /// <summary>Restore --dryrun: what the preflight finds (backup, its real age and contents, the login), and the consent needed.</summary>
    void DescribeRestore()
    {
        var database = Settings.Database;
        // Off-site, the dry run says which copy would come down; it downloads nothing (the run verifies it once fetched).
        if (Settings.OffsiteSource is { } offsite) OffsiteFetch.Describe(offsite, Settings.BackupFile, Log, interruption.Token);
        else
        {
            VerifiedBackup = BackupVerifier.Verify(VerifyOptions(), Log);
            JudgeManifest(refuse: false);
        }
        if (server is null)
        {
            Log.Info("Restore --dryrun: a new sandbox would be started; no consent is needed there.");
            return;
        }
        var identity = ClientLogin.Prove(server, Settings.MaintenanceDatabase, "RestoreBackup (pg_restore)");
        Log.Info($"Restore --dryrun: the client tools log in to {server.Describe(Settings.MaintenanceDatabase)} with the environment pg_restore " +
            $"would get, and reach the server the tool's own connections reach ({identity}).");
        var mode = RestoreModes.Decide(Admin.Exists(database), Settings.InPlace);
        var consent = mode == RestoreMode.Direct ? "no consent is needed"
            : Settings.Confirm == database ? $"--confirm={database} is given"
            : $"it needs --confirm={database}, which is not given: the run would stop there";
        var incoming = SwapRestore.IncomingName(database, DateTime.UtcNow);
        if (mode == RestoreMode.Beside) BesideSpace.Check(Run, database, "Restore --dryrun", refuse: false);
        try
        {
            var resources = RestoreResources.Check(Run, Settings.MaintenanceDatabase, database, mode, Settings.Jobs, Settings.JobsGiven);
            Log.Info($"Restore --dryrun: the role may create and replace \"{database}\" and end its sessions; {resources.Connections}.");
        }
        catch (RunbookException e)
        {
            Log.Warning(e.Message.Replace("Preflight refused:", "Restore --dryrun: it would be refused:", StringComparison.Ordinal));
        }
        Log.Info($"Restore --dryrun: {mode.Describe(database, incoming)} Plan: VerifyBackup → Preflight → " + mode switch
        {
            RestoreMode.Beside => $"DropCreate of \"{incoming}\" → RestoreBackup into it → Validate it → Swap",
            RestoreMode.InPlace => $"DropCreate of \"{database}\" (dropped first) → RestoreBackup → Validate",
            _ => $"DropCreate of \"{database}\" → RestoreBackup → Validate",
        } + $"; {consent}.");
    }

    /// <summary>Cake's Teardown, also when Setup failed: the unswapped copy, the metrics, the lock, the sandbox.</summary>
    public void Dispose()
    {
        guard?.Dispose();
        Swap?.Cleanup();
        RefreshMetrics();
        runLock?.Dispose();
        Sandbox?.Stop(Settings.KeepsSandbox);
    }

    void RefreshMetrics()
    {
        if (!Settings.RefreshesMetrics || server is null) return;
        try { WriteStatus(); }
        catch (Exception e) when (e is RunbookException or IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Could not refresh --metrics-file={Settings.MetricsFile}: {e.Message}");
        }
    }

    // Ctrl-C and SIGTERM stop the run at a safe point (a child tool is killed, a job rolled back) instead of
    // ending the process under a running pg_restore. A signal to the process group reaches every process of the
    // run, and launchers forward what they receive, so one stop can arrive twice: every signal means the same
    // safe stop, never "end at once" (that is kill -KILL's job, and the message says what it would leave).
    void HandleInterruptions()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            signals.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                if (Interlocked.Exchange(ref firstSignal, 1) == 1)
                {
                    if (DateTime.UtcNow - firstSignalUtc > TimeSpan.FromSeconds(1))
                        Log.Warning($"Received {context.Signal} again: still stopping safely (cleaning up). kill -KILL {Environment.ProcessId} " +
                                    "would end it at once and leave partial files and databases behind.");
                    return;
                }
                firstSignalUtc = DateTime.UtcNow;
                Interruption = context.Signal;
                Log.Warning($"Received {context.Signal}: stopping at the next safe point.");
                interruption.Cancel();
            }));
    }
}
