using StocksRebuild.Backups;
using StocksRebuild.Ingestion;
using StocksRebuild.Migrations;
using StocksRebuild.Offsite;
using StocksRebuild.Restore;
using StocksRebuild.Validation;

namespace StocksRebuild.Rehearsal;

public sealed record RehearsalOptions
{
    /// <summary>The live database: the reference, only ever read (and dumped with --fresh-backup).</summary>
    public required string Database { get; init; }
    public string MaintenanceDatabase { get; init; } = "postgres";
    public string? BackupFile { get; init; }
    public string BackupDirectory { get; init; } = "backups";
    public bool FreshBackup { get; init; }
    /// <summary>--expect-backup: VerifyBackup's timestamp check, as in Restore.</summary>
    public string? ExpectBackup { get; init; }
    public TimeSpan? MaxBackupAge { get; init; }
    public TimeSpan? MaxRto { get; init; }
    /// <summary>Ingest this drop into the cold rebuild too; null rebuilds the schema only.</summary>
    public string? SourceDirectory { get; init; }
    public bool Deep { get; init; }
    /// <summary>--scratch: restore, validate and rebuild on the live server (default), a local initdb cluster, or a container.</summary>
    public ScratchMode Scratch { get; init; } = ScratchMode.Live;
    /// <summary>--scratch-image: the container's image (default postgres:&lt;live major&gt;).</summary>
    public string? ScratchImage { get; init; }
    /// <summary>--from-offsite: the backup is picked off-site and downloaded first; the download counts in the RTO.</summary>
    public OffsiteSource? FromOffsite { get; init; }
    public int Jobs { get; init; } = Environment.ProcessorCount;
    public string ReportDirectory { get; init; } = "artifacts/rehearsal";
    /// <summary>Progress of the long steps and where the tools' complete output goes.</summary>
    public RunOutput Output { get; init; } = RunOutput.Default;
    /// <summary>$GITHUB_STEP_SUMMARY: the Markdown report is appended there when set.</summary>
    public string? StepSummaryFile { get; init; }
}

/// <summary>
/// Issue "DR rehearsal": restores the backup into a scratch database and validates it (RTO), checks its age
/// (RPO), rebuilds the migrations into a second scratch database, proves live, backup and migrations hold
/// the same schema, and reports. Never writes to the live database; the scratch databases go whatever happens.
/// </summary>
/// <summary>What one step of the rehearsal found: its verdict, a line of detail, and each finding by name.</summary>
public sealed record StepResult(CheckStatus Status, string Detail, IReadOnlyList<string> Findings)
{
    public static StepResult Passed(string detail, IReadOnlyList<string>? notes = null) => new(CheckStatus.Passed, detail, notes ?? []);
    public static StepResult Failed(string detail, IReadOnlyList<string>? findings = null) => new(CheckStatus.Failed, detail, findings ?? []);
    public static StepResult Skipped(string reason) => new(CheckStatus.Skipped, reason, []);
}

public sealed class RecoveryRehearsal
{
    public const string Live = "live", BackupLabel = "backup", Migrations = "migrations";

    readonly RunContext run;
    readonly ServerConnection server;
    readonly RehearsalOptions options;
    readonly IRunbookLog log;
    readonly CancellationToken cancellation;
    readonly List<RehearsalCheck> checks = new();
    readonly List<TableCounts> rowCounts = new();
    readonly DateTime startedUtc = DateTime.UtcNow;

    RecoveryRehearsal(RunContext run, RehearsalOptions options)
    {
        // The rehearsal's own --maintenance-db and --progress are in its options (a test sets them there).
        this.run = run with { MaintenanceDatabase = options.MaintenanceDatabase, Output = options.Output };
        (server, log, cancellation, this.options) = (run.Server, run.Log, run.Cancellation, options);
    }

    /// <summary>Runs the rehearsal and writes its reports; returns the report (red or green). Throws only when interrupted.</summary>
    public static RehearsalReport Run(RunContext run, RehearsalOptions options) => new RecoveryRehearsal(run, options).Run();

    // What the steps find, for the steps after them and for the report.
    ScratchServer? scratchServer;
    /// <summary>The run, on the scratch server: where restores, Validate and the rebuild happen.</summary>
    RunContext scratchRun = null!;
    ScratchDatabases? scratch;
    string? liveProblem;
    string? backupPath;
    bool backupTaken;
    VerifiedBackup? verified;
    double? rpo, rto;
    string? restored, rebuilt;
    IReadOnlyDictionary<string, long>? restoredCounts;
    readonly List<SchemaSnapshot> snapshots = new();
    IReadOnlyList<string> differences = [];

    /// <summary>The checks a full rehearsal records (Leftovers … Cleanup), for "check k of N" while it runs.</summary>
    int Planned => 12 + (options.Deep ? 1 : 0);

    /// <summary>
    /// One check of the rehearsal: a body that returns its result, or (Body null) the reason it cannot run given what
    /// the checks before it found. A judgement (RPO, RTO) weighs what others measured and takes no time of its own.
    /// </summary>
    sealed record RehearsalStep(string Name, Func<StepResult>? Body, string? SkipReason = null, bool Judgement = false)
    {
        public static RehearsalStep Skipped(string name, string reason) => new(name, null, reason);
    }

    RehearsalReport Run()
    {
        var status = RehearsalStatus.Failed;
        RehearsalReport report;
        RunInterruptedException? interruption = null;
        IReadOnlyList<string> dropped = [];
        try
        {
            foreach (var step in Steps())
            {
                if (step.Body is null) Skip(step.Name, step.SkipReason!);
                else if (step.Judgement) Judge(step.Name, step.Body());
                else Step(step.Name, step.Body);
            }
            status = checks.Any(c => c.Status == CheckStatus.Failed) ? RehearsalStatus.Failed : RehearsalStatus.Passed;
        }
        catch (RunInterruptedException e)
        {
            status = RehearsalStatus.Interrupted;
            interruption = e;
        }
        finally
        {
            // 6. Cleanup, whatever happened above (an interruption included).
            var cleanup = Step("Cleanup", () =>
            {
                try
                {
                    dropped = scratch?.DropAll() ?? [];
                }
                finally
                {
                    // The cluster or container goes even when a database in it could not be dropped.
                    scratchServer?.Dispose();
                }
                var detail = dropped.Count == 0 ? "no scratch database was created" : $"dropped {Quoted(dropped)}";
                if (scratchServer is { IsLive: false }) detail += $"; stopped and removed {scratchServer.Where}";
                return StepResult.Passed(detail);
            });
            if (status == RehearsalStatus.Passed && cleanup.Status == CheckStatus.Failed) status = RehearsalStatus.Failed;
            report = Write(Report(status));
        }
        // Said after the cleanup, so the message tells what is left, not what was about to happen.
        if (interruption is not null)
        {
            var left = scratch?.Created ?? [];
            var scratchState = scratchServer is { IsLive: false } ? $"the scratch server ({scratchServer.Where}) was stopped and removed"
                : left.Count > 0
                ? $"the scratch database(s) {string.Join(", ", left.Select(d => $"\"{d}\""))} could not be dropped (the next rehearsal drops them)"
                : dropped.Count > 0 ? $"its scratch database(s) {Quoted(dropped)} were dropped"
                : "no scratch database was created";
            throw new RunInterruptedException("Rehearsal",
                $"the live database \"{options.Database}\" was only read, never changed; {scratchState}.",
                "run --target=Rehearsal again when convenient; nothing needs repair.", interruption);
        }
        return report;
    }

    /// <summary>
    /// The checks in order. The list is walked lazily: whether a check runs is decided by what the ones before it
    /// found (no verified backup: nothing is restored; a failed restore: nothing is validated).
    /// </summary>
    IEnumerable<RehearsalStep> Steps()
    {
        yield return new("Scratch server", StartScratchServer);
        if (scratchServer is null)
        {
            foreach (var name in new[] { "Leftovers", "Backup to rehearse", "VerifyBackup", "RPO", "Restore", "Validate", "RTO", "Cold rebuild" })
                yield return RehearsalStep.Skipped(name, "no scratch server to rehearse on");
            yield break;
        }
        yield return new("Leftovers", RemoveLeftovers);
        liveProblem = LiveProblem();
        if (liveProblem is not null) yield return RehearsalStep.Skipped("Live database", $"not compared: {liveProblem}");
        // 1. The backup; 2–3. VerifyBackup and the RPO, the restore into a scratch database and its Validate, the RTO; --deep.
        yield return new("Backup to rehearse", ChooseBackup);
        yield return backupPath is null ? RehearsalStep.Skipped("VerifyBackup", "no backup to verify") : new("VerifyBackup", VerifyBackup);
        if (verified is null)
        {
            foreach (var name in new[] { "RPO", "Restore", "Validate", "RTO" })
                yield return RehearsalStep.Skipped(name, "no verified backup: nothing is restored from it");
        }
        else
        {
            yield return new("RPO", JudgeRpo, Judgement: true);
            yield return new("Restore", Restore);
            if (restored is null)
            {
                yield return RehearsalStep.Skipped("Validate", "the restore failed");
                yield return RehearsalStep.Skipped("RTO", "the restore failed: no recovery time");
            }
            else
            {
                yield return new("Validate", Validate);
                yield return new("RTO", JudgeRto, Judgement: true);
                if (options.Deep) yield return new("Deep validation", DeepValidation);
            }
        }
        // 4. The migrations, cold; 5. live, backup and migrations compared.
        yield return new("Cold rebuild", ColdRebuild);
        yield return new("Schema identity", CompareSchemas);
        yield return restoredCounts is null
            ? RehearsalStep.Skipped("Row counts", "nothing restored and validated")
            : new("Row counts", () => CompareRowCounts(restoredCounts, liveProblem is null, verified!.Manifest));
    }

    /// <summary>--scratch: the live server itself, or a local cluster or container no older than live.</summary>
    StepResult StartScratchServer()
    {
        scratchServer = ScratchServer.Start(run, options.Scratch, options.ScratchImage);
        scratchRun = run with { Server = scratchServer.Connection, MaintenanceDatabase = scratchServer.MaintenanceDatabase };
        scratch = new ScratchDatabases(scratchServer.Connection, scratchServer.MaintenanceDatabase, options.Database, log);
        var where = scratchServer.IsLive ? " (--scratch=local or docker restores elsewhere)" : "; the live server is only read";
        var mode = ScratchServer.Name(options.Scratch);
        return StepResult.Passed($"--scratch={mode}: {scratchServer.Where}, PostgreSQL {scratchServer.Version}{where}");
    }

    StepResult RemoveLeftovers()
    {
        var found = scratchServer!.Leftovers.Concat(scratch!.RemoveLeftovers()).ToList();
        var detail = found.Count == 0 ? $"no scratch database or server of an earlier run (prefix {scratch.Prefix})" : $"{found.Count} found";
        return StepResult.Passed(detail, found);
    }

    /// <summary>1. --backup, else the newest in --backup-dir (--from-offsite: off-site); a fresh one with --fresh-backup or when none.</summary>
    StepResult ChooseBackup()
    {
        if (options.FromOffsite is { } offsite)
        {
            backupPath = OffsiteFetch.Fetch(offsite, options.BackupFile, log, run.Cancellation);
            return StepResult.Passed($"the off-site copy {offsite.Remote.PathOf(Path.GetFileName(backupPath))}, downloaded to {backupPath} " +
                $"({(options.BackupFile is null ? "newest off-site" : "--backup")})");
        }
        var reason = options.FreshBackup ? "--fresh-backup"
            : options.BackupFile is null && !HasBackup(options.BackupDirectory) ? $"{options.BackupDirectory} holds no backup"
            : null;
        if (reason is null)
        {
            backupPath = BackupSelection.Pick(options.BackupFile, options.BackupDirectory);
            return StepResult.Passed($"{backupPath} ({(options.BackupFile is null ? $"newest in {options.BackupDirectory}" : "--backup")})");
        }
        if (liveProblem is not null) throw new RunbookException($"{reason}, and the live database cannot be dumped: {liveProblem}");
        log.Info($"Rehearsal: taking a backup first ({reason}).");
        backupPath = BackupWriter.Backup(run, options.Database, options.BackupDirectory);
        backupTaken = true;
        return StepResult.Passed($"took {backupPath} with the Backup target ({reason})");
    }

    StepResult VerifyBackup()
    {
        // Age is judged by the RPO check below, so an old backup is still rehearsed.
        var verifyOptions = new VerifyBackupOptions
        {
            BackupFile = backupPath, BackupDirectory = options.BackupDirectory, ExpectTimestamp = options.ExpectBackup,
        };
        verified = BackupVerifier.Verify(verifyOptions, log);
        var manifest = verified.Manifest is null ? "no manifest" : "size and sha256 match its manifest";
        return StepResult.Passed($"whole and readable: {verified.TableCount} tables, pg_dump {verified.PgDumpVersion}, {manifest}");
    }

    StepResult JudgeRpo()
    {
        // The archive's own creation time, to the second, by the clock of the machine that ran pg_dump; never negative
        // (a backup stamped by a clock ahead of ours is new), and a clock that differs is said, not hidden.
        var raw = startedUtc - verified!.DataAsOfUtc;
        var age = raw < TimeSpan.Zero ? TimeSpan.Zero : raw;
        rpo = age.TotalSeconds;
        var clocks = new List<string>();
        if (raw < -TimeSpan.FromSeconds(1))
            clocks.Add($"the archive is stamped {Durations.Format(-raw)} after this rehearsal started: the clock of the machine that ran pg_dump " +
                "is ahead of this one's; its age is counted as 0");
        if (liveProblem is null && LiveClockSkew() is { } skew && skew.Duration() > TimeSpan.FromSeconds(1))
            clocks.Add($"the live server's clock is {Durations.Format(skew.Duration())} {(skew > TimeSpan.Zero ? "ahead of" : "behind")} this " +
                "machine's");
        var limit = options.MaxBackupAge is { } maxAge
            ? $" (limit {Durations.Format(maxAge)}, --max-backup-age)"
            : " (no limit given: --max-backup-age)";
        var detail = $"backup age {Durations.Format(age)}{limit}" + (clocks.Count == 0 ? "" : "; " + string.Join("; ", clocks));
        return Verdict(options.MaxBackupAge is not { } max || age <= max, detail);
    }

    StepResult Restore()
    {
        var target = scratch!.Create(BackupLabel);
        BackupRestorer.Restore(scratchRun, verified!.Path, target, options.Jobs);
        restored = target;
        return StepResult.Passed($"pg_restore --jobs={options.Jobs} into \"{target}\"");
    }

    StepResult Validate()
    {
        var validation = Validator.Validate(scratchRun.Server, restored!, verified!.Manifest, options.Output.Start("Validate", log), verified.Path);
        // Strict: a rehearsal proves this project's recovery, so what Restore only warns about (a table without a key, a
        // NOT VALID constraint) fails it, as the schema comparison would.
        validation = validation.Strict();
        restoredCounts = validation.RowCounts;
        return validation.Passed
            ? StepResult.Passed($"{validation.Checks.Count} checks passed")
            : StepResult.Failed($"{validation.Failures.Count()} of {validation.Checks.Count} checks failed", Findings(validation.Failures));
    }

    /// <summary>The recovery time: what VerifyBackup, the restore and its Validate took (--from-offsite: the download too).</summary>
    StepResult JudgeRto()
    {
        var validated = checks.Any(c => c.Name == "Validate" && c.Status == CheckStatus.Passed);
        rto = checks.Where(c => c.Name is "VerifyBackup" or "Restore" or "Validate"
                                || c.Name == "Backup to rehearse" && options.FromOffsite is not null).Sum(c => c.Seconds);
        var limit = options.MaxRto is { } maxRto ? $" (limit {Durations.Format(maxRto)}, --max-rto)" : " (no limit given: --max-rto)";
        return Verdict(validated && (options.MaxRto is not { } max || rto <= max.TotalSeconds),
            $"{(options.FromOffsite is null ? "" : "download + ")}verify + restore + validate took " +
            $"{Durations.Format(TimeSpan.FromSeconds(rto.Value))}{limit}" +
            (validated ? "" : "; the restored copy did not validate, so this is not a recovery"));
    }

    StepResult DeepValidation()
    {
        // Not part of the RTO: a DBA in an outage runs Validate, not amcheck.
        var deep = Validator.Deep(scratchRun.Server, restored!, installAmcheck: true);
        var indexes = deep.Checks.Count(c => c.Check == "amcheck" && !c.Skipped);
        var tables = deep.Checks.Count(c => c.Check == "full read");
        return deep.Passed
            ? StepResult.Passed($"{indexes} B-tree index(es) checked by amcheck, {tables} table(s) read in full",
                [.. deep.Checks.Where(c => c.Skipped).Select(c => $"{c.Check}: {c.Detail}")])
            : StepResult.Failed($"{deep.Failures.Count()} of {deep.Checks.Count} deep checks failed", Findings(deep.Failures));
    }

    /// <summary>
    /// 4. The migrations, cold, into a second scratch database (and --source ingested). After the restore, not
    /// beside it: the RTO is measured with the server to itself, as in a real recovery.
    /// </summary>
    StepResult ColdRebuild()
    {
        var target = scratch!.Create(Migrations);
        var plan = Migrator.Migrate(scratchRun, target, Consent.None);
        if (options.SourceDirectory is { } source)
            Ingestor.Ingest(scratchRun, target, new IngestOptions { SourceDirectory = source });
        rebuilt = target;
        var data = options.SourceDirectory is { } s ? $", then ingested {s}" : ", schema only (--source ingests a drop)";
        return StepResult.Passed($"{plan.Applied.Count} migration(s) into \"{target}\"" + data);
    }

    /// <summary>5. Live (the reference), the restored backup and the cold rebuild, object by object.</summary>
    StepResult CompareSchemas()
    {
        if (liveProblem is null) snapshots.Add(SchemaSnapshot.Read(server, options.Database, Live));
        if (restoredCounts is not null) snapshots.Add(SchemaSnapshot.Read(scratchRun.Server, restored!, BackupLabel));
        if (rebuilt is not null) snapshots.Add(SchemaSnapshot.Read(scratchRun.Server, rebuilt, Migrations));
        if (snapshots.Count < 2) return StepResult.Skipped("fewer than two schemas to compare");
        differences = SchemaSnapshot.Differences(snapshots);
        var compared = $"{snapshots.Max(s => s.Objects.Count)} objects of {string.Join(", ", snapshots.Select(s => s.Label))}";
        return differences.Count == 0
            ? StepResult.Passed($"{compared}: identical")
            : StepResult.Failed($"{compared}: {differences.Count} difference(s)", differences);
    }

    RehearsalReport Report(RehearsalStatus status) => new()
    {
        Database = options.Database,
        Server = $"{server.User}@{server.Host}:{server.Port}",
        StartedUtc = startedUtc,
        FinishedUtc = DateTime.UtcNow,
        Status = status,
        Backup = verified is null ? null
            : new BackupFacts(Path.GetFileName(verified.Path), verified.Path, verified.SizeBytes, verified.Sha256!, verified.TimestampUtc,
                backupTaken, verified.Manifest is not null),
        RpoSeconds = rpo,
        MaxBackupAgeSeconds = options.MaxBackupAge?.TotalSeconds,
        RtoSeconds = rto,
        MaxRtoSeconds = options.MaxRto?.TotalSeconds,
        Checks = checks,
        RowCounts = rowCounts,
        SchemaDifferences = differences,
        SchemaCompared = snapshots.Select(s => s.Label).ToList(),
        SchemaObjects = snapshots.Count == 0 ? 0 : snapshots.Max(s => s.Objects.Count),
        ScratchDatabases = scratch?.Names ?? [],
        Scratch = options.Scratch,
        ScratchServer = scratchServer is null ? null : $"{scratchServer.Where}, PostgreSQL {scratchServer.Version}",
        Versions = Versions.Of(server, options.MaintenanceDatabase),
    };

    /// <summary>The restored copy's counts (Validate's) against live's, counted now, and the manifest's.</summary>
    StepResult CompareRowCounts(IReadOnlyDictionary<string, long> backup, bool liveReachable, BackupManifest? manifest)
    {
        var live = liveReachable ? LiveCounts() : new Dictionary<string, long>();
        var findings = new List<string>();
        var notes = new List<string>();
        foreach (var table in backup.Keys.Union(live.Keys).Order(StringComparer.Ordinal))
        {
            long? inLive = live.TryGetValue(table, out var l) ? l : null, inBackup = backup.TryGetValue(table, out var b) ? b : null;
            long? inManifest = manifest?.RowCounts.TryGetValue(table, out var m) == true ? m : null;
            rowCounts.Add(new TableCounts(table, liveReachable ? inLive : null, inBackup, inManifest));
            if (inBackup is null) findings.Add($"{table}: {inLive:N0} rows in live, table missing in the backup");
            else if (inBackup == 0 && inLive > 0) findings.Add($"{table}: empty in the backup, {inLive:N0} rows in live");
            else if (inManifest is { } expected && expected != inBackup)
                findings.Add($"{table}: {inBackup:N0} rows restored, {expected:N0} in the manifest");
            else if (inLive is { } now && now != inBackup) notes.Add($"{table}: {now - inBackup:+#,0;-#,0} rows in live since the backup");
        }
        var summary = $"{backup.Count} tables: backup vs " +
            $"{(liveReachable ? "live" : "(live not reachable)")}{(manifest is null ? "" : " and manifest")}";
        return findings.Count == 0
            ? StepResult.Passed(summary + (notes.Count == 0 ? ", equal" : $", {notes.Count} changed since the backup"), notes)
            : StepResult.Failed($"{summary}: {findings.Count} finding(s)", [.. findings, .. notes]);
    }

    /// <summary>The live server's clock minus this machine's, read halfway through one round trip.</summary>
    TimeSpan? LiveClockSkew()
    {
        try
        {
            using var connection = server.Open(options.MaintenanceDatabase, readOnly: true);
            var sent = DateTime.UtcNow;
            var serverNow = Sql.Scalar<DateTime>(connection, "SELECT clock_timestamp()");
            var received = DateTime.UtcNow;
            return serverNow.ToUniversalTime() - (sent + (received - sent) / 2);
        }
        catch (Exception e) when (e is RunbookException or NpgsqlException)
        {
            return null;
        }
    }

    Dictionary<string, long> LiveCounts()
    {
        using var connection = server.Open(options.Database, readOnly: true);
        return RowCounts.Exact(connection, Schema.Name);
    }

    string? LiveProblem()
    {
        try
        {
            if (!run.Admin.Exists(options.Database)) return $"\"{options.Database}\" does not exist on {server.Host}:{server.Port}";
            using var connection = server.Open(options.Database, readOnly: true);
            return null;
        }
        catch (RunbookException e)
        {
            return e.Message;
        }
    }

    static bool HasBackup(string directory) =>
        BackupName.InFolder(directory).Count > 0;

    /// <summary>
    /// Runs one check and records what it returns. A refusal or a failure of the server or the disk on the way is a
    /// failed check in its own words; only an interruption ends the rehearsal (after the cleanup).
    /// </summary>
    RehearsalCheck Step(string name, Func<StepResult> body)
    {
        if (cancellation.IsCancellationRequested && name != "Cleanup")
            throw new RunInterruptedException("Rehearsal", $"stopped before {name}; the live database was only read.", "the scratch databases are " +
                "dropped now; run --target=Rehearsal again.");
        var clock = Stopwatch.StartNew();
        log.Info($"Rehearsal: {name} … (check {checks.Count + 1} of about {Planned})");
        StepResult result;
        try
        {
            result = body();
        }
        catch (RunInterruptedException)
        {
            Record(new RehearsalCheck(name, CheckStatus.Failed, clock.Elapsed.TotalSeconds, "interrupted (Ctrl-C/SIGTERM)", []));
            throw;
        }
        catch (Exception e) when (e is RunbookException or NpgsqlException or IOException or UnauthorizedAccessException)
        {
            result = StepResult.Failed(Secrets.Mask(e.Message, server));
        }
        var check = new RehearsalCheck(name, result.Status, clock.Elapsed.TotalSeconds, result.Detail, result.Findings);
        Record(check);
        return check;
    }

    static IReadOnlyList<string> Findings(IEnumerable<ValidationCheck> failures) => [.. failures.Select(f => $"{f.Check} {f.Subject}: {f.Detail}")];

    static string Quoted(IEnumerable<string> names) => string.Join(", ", names.Select(d => $"\"{d}\""));

    static StepResult Verdict(bool passed, string detail) => passed ? StepResult.Passed(detail) : StepResult.Failed(detail);

    void Judge(string name, StepResult result) => Record(new RehearsalCheck(name, result.Status, 0, result.Detail, result.Findings));

    void Skip(string name, string reason) => Record(new RehearsalCheck(name, CheckStatus.Skipped, 0, reason, []));

    void Record(RehearsalCheck check)
    {
        checks.Add(check);
        var verdict = check.Status switch { CheckStatus.Passed => "ok", CheckStatus.Failed => "FAILED", _ => "skipped" };
        var line = $"Rehearsal: {check.Name}: {verdict}: {check.Detail}";
        if (check.Status == CheckStatus.Failed) log.Warning(line); else log.Info(line);
        Action<string> say = check.Status == CheckStatus.Failed ? log.Warning : log.Info;
        foreach (var finding in check.Findings.Take(50)) say($"  {finding}");
    }

    /// <summary>
    /// Writes the report files. A report that cannot be written makes the rehearsal red (CI must see it) but
    /// never hides what happened before: an interruption or a failure still reaches the caller.
    /// </summary>
    RehearsalReport Write(RehearsalReport report)
    {
        try
        {
            WriteFiles(report);
            return report;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or RunbookException)
        {
            // Record() adds to the list the report already holds: the red check goes there once.
            Record(new RehearsalCheck("Report", CheckStatus.Failed, 0, $"cannot write to {options.ReportDirectory}: {e.Message}", []));
            return report with { Status = report.Status == RehearsalStatus.Interrupted ? report.Status : RehearsalStatus.Failed };
        }
    }

    void WriteFiles(RehearsalReport report)
    {
        PrivateFiles.CreateDirectory(options.ReportDirectory);
        var history = RehearsalHistory.Append(options.ReportDirectory, report);
        PrivateFiles.WriteAllText(Path.Combine(options.ReportDirectory, RehearsalHistory.ChartName), RehearsalHistory.TrendSvg(history));
        PrivateFiles.WriteAllText(Path.Combine(options.ReportDirectory, "report.json"), report.ToJson());
        var trend = RehearsalHistory.TrendMarkdown(history);
        PrivateFiles.WriteAllText(Path.Combine(options.ReportDirectory, "report.md"), report.ToMarkdown(RehearsalHistory.ChartName) + "\n" + trend);
        // The job summary cannot show a relative image: it gets the trend as a Mermaid chart and a table instead.
        if (!string.IsNullOrEmpty(options.StepSummaryFile))
            PrivateFiles.AppendAllText(options.StepSummaryFile, report.ToMarkdown() + "\n" + trend + "\n");
        log.Info($"Rehearsal: report written to {Path.Combine(options.ReportDirectory, "report.md")} (and report.json, " +
            $"{RehearsalHistory.FileName}, {RehearsalHistory.ChartName}).");
    }

}
