using StocksRebuild.Backups;
using StocksRebuild.Ingestion;
using StocksRebuild.Migrations;
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
    ScratchDatabases scratch = null!;
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
    int Planned => 11 + (options.Deep ? 1 : 0);

    RehearsalReport Run()
    {
        scratch = new ScratchDatabases(server, options.MaintenanceDatabase, options.Database, log);
        var status = RehearsalStatus.Failed;
        RehearsalReport report;
        RunInterruptedException? interruption = null;
        IReadOnlyList<string> dropped = [];
        try
        {
            Step("Leftovers", () =>
            {
                var found = scratch.RemoveLeftovers();
                var detail = found.Count == 0 ? $"no scratch database of an earlier run (prefix {scratch.Prefix})" : $"{found.Count} found";
                return StepResult.Passed(detail, found);
            });
            liveProblem = LiveProblem();
            if (liveProblem is not null) Skip("Live database", $"not compared: {liveProblem}");

            ChooseBackup();
            VerifyAndRestore();
            ColdRebuild();
            Compare();
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
                dropped = scratch.DropAll();
                return StepResult.Passed(dropped.Count == 0 ? "no scratch database was created" : $"dropped {Quoted(dropped)}");
            });
            if (status == RehearsalStatus.Passed && cleanup.Status == CheckStatus.Failed) status = RehearsalStatus.Failed;
            report = Write(Report(status));
        }
        // Said after the cleanup, so the message tells what is left, not what was about to happen.
        if (interruption is not null)
        {
            var left = scratch.Created;
            var scratchState = left.Count > 0
                ? $"the scratch database(s) {string.Join(", ", left.Select(d => $"\"{d}\""))} could not be dropped (the next rehearsal drops them)"
                : dropped.Count > 0 ? $"its scratch database(s) {Quoted(dropped)} were dropped"
                : "no scratch database was created";
            throw new RunInterruptedException("Rehearsal",
                $"the live database \"{options.Database}\" was only read, never changed; {scratchState}.",
                "run --target=Rehearsal again when convenient; nothing needs repair.", interruption);
        }
        return report;
    }

    /// <summary>1. --backup, else the newest in --backup-dir; a fresh one with --fresh-backup or when there is none.</summary>
    void ChooseBackup() => Step("Backup to rehearse", () =>
    {
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
    });

    /// <summary>2–3. VerifyBackup and the RPO; restore into a scratch database and Validate it, the RTO; --deep.</summary>
    void VerifyAndRestore()
    {
        var recovery = Stopwatch.StartNew();
        if (backupPath is null) Skip("VerifyBackup", "no backup to verify");
        else Step("VerifyBackup", () =>
        {
            // Age is judged by the RPO check below, so an old backup is still rehearsed.
            verified = BackupVerifier.Verify(new VerifyBackupOptions { BackupFile = backupPath, BackupDirectory = options.BackupDirectory,
                ExpectTimestamp = options.ExpectBackup }, log);
            var manifest = verified.Manifest is null ? "no manifest" : "size and sha256 match its manifest";
            return StepResult.Passed($"whole and readable: {verified.TableCount} tables, pg_dump {verified.PgDumpVersion}, {manifest}");
        });
        var verifySeconds = recovery.Elapsed.TotalSeconds;

        if (verified is null)
        {
            foreach (var step in new[] { "RPO", "Restore", "Validate", "RTO" }) Skip(step, "no verified backup: nothing is restored from it");
            return;
        }

        // The archive's own creation time, to the second; never negative (a backup from a clock ahead of ours is new).
        var age = TimeSpan.FromSeconds(Math.Max(0, (startedUtc - verified.CreatedUtc).TotalSeconds));
        rpo = age.TotalSeconds;
        Judge("RPO", options.MaxBackupAge is not { } maxAge || age <= maxAge,
            $"backup age {Durations.Format(age)}" + (options.MaxBackupAge is { } ageLimit ? $" (limit {Durations.Format(ageLimit)}, " +
                $"--max-backup-age)" : " (no limit given: --max-backup-age)"));

        recovery.Restart();
        var restore = Step("Restore", () =>
        {
            restored = scratch.Create(BackupLabel);
            BackupRestorer.Restore(run, verified.Path, restored, options.Jobs);
            return StepResult.Passed($"pg_restore --jobs={options.Jobs} into \"{restored}\"");
        });
        if (restore.Status != CheckStatus.Passed)
        {
            Skip("Validate", "the restore failed");
            Skip("RTO", "the restore failed: no recovery time");
            return;
        }
        var validated = Step("Validate", () =>
        {
            var validation = Validator.Validate(server, restored!, verified.Manifest, options.Output.Start("Validate", log));
            restoredCounts = validation.RowCounts;
            return validation.Passed
                ? StepResult.Passed($"{validation.Checks.Count} checks passed")
                : StepResult.Failed($"{validation.Failures.Count()} of {validation.Checks.Count} checks failed", Findings(validation.Failures));
        }).Status == CheckStatus.Passed;
        rto = verifySeconds + recovery.Elapsed.TotalSeconds;
        Judge("RTO", validated && (options.MaxRto is not { } max || rto <= max.TotalSeconds),
            $"verify + restore + validate took {Durations.Format(TimeSpan.FromSeconds(rto.Value))}" +
            (options.MaxRto is { } limit ? $" (limit {Durations.Format(limit)}, --max-rto)" : " (no limit given: --max-rto)") +
            (validated ? "" : "; the restored copy did not validate, so this is not a recovery"));

        if (options.Deep) Step("Deep validation", () =>
        {
            // Not part of the RTO: a DBA in an outage runs Validate, not amcheck.
            var deep = Validator.Deep(server, restored!, installAmcheck: true);
            var indexes = deep.Checks.Count(c => c.Check == "amcheck" && !c.Skipped);
            var tables = deep.Checks.Count(c => c.Check == "full read");
            return deep.Passed
                ? StepResult.Passed($"{indexes} B-tree index(es) checked by amcheck, {tables} table(s) read in full",
                    [.. deep.Checks.Where(c => c.Skipped).Select(c => $"{c.Check}: {c.Detail}")])
                : StepResult.Failed($"{deep.Failures.Count()} of {deep.Checks.Count} deep checks failed", Findings(deep.Failures));
        });
    }

    /// <summary>
    /// 4. The migrations, cold, into a second scratch database (and --source ingested). After the restore, not
    /// beside it: the RTO is measured with the server to itself, as in a real recovery.
    /// </summary>
    void ColdRebuild()
    {
        string? target = null;
        var rebuild = Step("Cold rebuild", () =>
        {
            target = scratch.Create(Migrations);
            var plan = Migrator.Migrate(run, target, Consent.None);
            if (options.SourceDirectory is { } source)
                Ingestor.Ingest(run, target, new IngestOptions { SourceDirectory = source });
            var data = options.SourceDirectory is { } s ? $", then ingested {s}" : ", schema only (--source ingests a drop)";
            return StepResult.Passed($"{plan.Applied.Count} migration(s) into \"{target}\"" + data);
        });
        if (rebuild.Status == CheckStatus.Passed) rebuilt = target;
    }

    /// <summary>5. Live (the reference), the restored backup and the cold rebuild, object by object; then row counts.</summary>
    void Compare()
    {
        Step("Schema identity", () =>
        {
            if (liveProblem is null) snapshots.Add(SchemaSnapshot.Read(server, options.Database, Live));
            if (restoredCounts is not null) snapshots.Add(SchemaSnapshot.Read(server, restored!, BackupLabel));
            if (rebuilt is not null) snapshots.Add(SchemaSnapshot.Read(server, rebuilt, Migrations));
            if (snapshots.Count < 2) return StepResult.Skipped("fewer than two schemas to compare");
            differences = SchemaSnapshot.Differences(snapshots);
            var compared = $"{snapshots.Max(s => s.Objects.Count)} objects of {string.Join(", ", snapshots.Select(s => s.Label))}";
            return differences.Count == 0
                ? StepResult.Passed($"{compared}: identical")
                : StepResult.Failed($"{compared}: {differences.Count} difference(s)", differences);
        });

        if (restoredCounts is null) Skip("Row counts", "nothing restored and validated");
        else Step("Row counts", () => CompareRowCounts(restoredCounts, liveProblem is null, verified!.Manifest));
    }

    RehearsalReport Report(RehearsalStatus status) => new()
    {
        Database = options.Database,
        Server = $"{server.User}@{server.Host}:{server.Port}",
        StartedUtc = startedUtc,
        FinishedUtc = DateTime.UtcNow,
        Status = status,
        Backup = verified is null ? null
            : new BackupFacts(Path.GetFileName(verified.Path), verified.Path, verified.SizeBytes, verified.Sha256, verified.TimestampUtc,
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
        ScratchDatabases = scratch.Names,
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

    void Judge(string name, bool passed, string detail) =>
        Record(new RehearsalCheck(name, passed ? CheckStatus.Passed : CheckStatus.Failed, 0, detail, []));

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
        var markdown = report.ToMarkdown(RehearsalHistory.ChartName);
        PrivateFiles.WriteAllText(Path.Combine(options.ReportDirectory, "report.md"), markdown);
        // The job summary cannot show a relative image: it gets the report without the chart.
        if (!string.IsNullOrEmpty(options.StepSummaryFile)) PrivateFiles.AppendAllText(options.StepSummaryFile, report.ToMarkdown() + "\n");
        log.Info($"Rehearsal: report written to {Path.Combine(options.ReportDirectory, "report.md")} (and report.json, " +
            $"{RehearsalHistory.FileName}, {RehearsalHistory.ChartName}).");
    }

}
