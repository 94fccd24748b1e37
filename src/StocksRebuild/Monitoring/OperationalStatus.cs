using StocksRebuild.Backups;
using StocksRebuild.Migrations;
using StocksRebuild.Offsite;
using StocksRebuild.Rehearsal;
using StocksRebuild.Restore;
using StocksRebuild.Validation;

namespace StocksRebuild.Monitoring;

public sealed record StatusOptions
{
    public required string Database { get; init; }
    public string BackupDirectory { get; init; } = "backups";
    public string ReportDirectory { get; init; } = "artifacts/rehearsal";
    /// <summary>--max-backup-age: an older newest backup is critical (backups have stopped).</summary>
    public TimeSpan? MaxBackupAge { get; init; }
    /// <summary>--offsite: the newest backup there, its age, and whether it lags the local folder.</summary>
    public OffsiteRemote? Offsite { get; init; }
    public DateTime NowUtc { get; init; } = DateTime.UtcNow;
}

/// <summary>
/// One screen for the operator and an exit code for a monitor (Barman's check, pgBackRest's exporter): the
/// newest backup and its real age, free space for the next one, the last rehearsal, the last run of each
/// ingestion job, and the database's migrations against sql/migrations. Only reads.
/// </summary>
public static class OperationalStatus
{
    public static StatusReport Check(ServerConnection server, StatusOptions options)
    {
        var findings = new List<StatusFinding>();
        var report = Backups(options, findings);
        if (options.Offsite is { } remote) report = Offsite(remote, options, findings, report);
        report = Rehearsals(options, findings, report);
        report = Database(server, options, findings, report);
        RestoreCopies(server, options, findings);
        return report with { Findings = findings };
    }

    /// <summary>What a restore beside live left on the server: its previous copy (kept on purpose) and a failed incoming one.</summary>
    static void RestoreCopies(ServerConnection server, StatusOptions options, List<StatusFinding> findings)
    {
        var database = options.Database;
        try
        {
            using var connection = server.Open("postgres", readOnly: true);
            var copies = Sql.Query(connection, SqlFiles.Read("status/restore_copies.sql"), r => (name: r.GetString(0), bytes: r.GetInt64(1)),
                new { previous = SwapRestore.PreviousPrefix(database), incoming = SwapRestore.IncomingPrefix(database) });
            foreach (var (name, bytes) in copies)
            {
                var age = SwapRestore.TimeOf(name) is { } at ? $", {Durations.Format(options.NowUtc - at)} old" : "";
                var size = $"{bytes / 1048576.0:N1} MB";
                findings.Add(name.StartsWith(SwapRestore.PreviousPrefix(database), StringComparison.Ordinal)
                    ? new("restore", StatusLevel.Ok, $"{name}: the live database before the last Restore, {size}{age}; the next green Restore " +
                        $"drops it, or --target=DropPrevious --confirm={name}")
                    : new("restore", StatusLevel.Warning, $"{name}: the incoming database of a Restore that failed (kept with --keep-failed) or is " +
                        $"running now, {size}{age}; not live, never to be used as such; the next Restore removes it"));
            }
        }
        catch (Exception e) when (e is NpgsqlException or RunbookException)
        {
            findings.Add(new("restore", StatusLevel.Warning, $"the copies a Restore leaves could not be listed: {Secrets.Mask(e.Message, server)}"));
        }
    }

    static StatusReport Backups(StatusOptions options, List<StatusFinding> findings)
    {
        var report = new StatusReport { Database = options.Database, Findings = [] };
        var leftovers = BackupWriter.Leftovers(options.BackupDirectory).Select(f => new FileInfo(f)).ToList();
        if (leftovers.Count > 0)
            findings.Add(new("backup", StatusLevel.Warning, $"{string.Join(", ", leftovers.Select(f => $"{f.Name} ({f.Length:N0} bytes)"))}: left by a " +
                "Backup that did not finish (killed?); not a backup, and the next Backup removes it"));
        var backups = BackupName.InFolder(options.BackupDirectory);
        if (backups.Count == 0)
        {
            findings.Add(new("backup", StatusLevel.Critical, $"no backup in {options.BackupDirectory}: take one with --target=Backup"));
            return report;
        }
        report = report with { BackupsTotal = backups.Count, NewestBackupSizeBytes = new FileInfo(backups[0].Path).Length };
        // Judged as VerifyBackup judges what it picks: a newer backup Restore would refuse is critical, and the age is the usable one's.
        string? newest = null;
        DateTime createdUtc = default;
        StocksRebuild.Backups.StandbyPoint? fromStandby = null;
        foreach (var (path, _) in backups)
        {
            var judged = BackupVerifier.Judge(path);
            if (judged.Refusal is null)
            {
                // A standby's backup is as old as the last transaction it had replayed.
                (newest, createdUtc, fromStandby) = (path, BackupManifest.DataAsOf(judged.Manifest, judged.CreatedUtc!.Value), judged.Manifest?.Standby);
                break;
            }
            findings.Add(new("backup", StatusLevel.Critical, $"{Path.GetFileName(path)}: {judged.Refusal}: Restore would refuse it" +
                (path == backups[0].Path ? " (it is the newest, which Restore picks)" : "")));
        }
        if (newest is null)
        {
            findings.Add(new("backup", StatusLevel.Critical, $"no usable backup in {options.BackupDirectory}: take one with --target=Backup"));
            return report;
        }
        var size = new FileInfo(newest).Length;
        var age = options.NowUtc - createdUtc;
        var tooOld = options.MaxBackupAge is { } max && age > max;
        findings.Add(new("backup", tooOld ? StatusLevel.Critical : StatusLevel.Ok,
            $"{(newest == backups[0].Path ? "newest" : "newest usable")} {Path.GetFileName(newest)}, {size:N0} bytes, " +
            (fromStandby is null ? $"created {Durations.Format(age)} ago" : $"taken on a standby, its data {Durations.Format(age)} old") +
            (options.MaxBackupAge is { } limit
                ? $" (limit {Durations.Format(limit)}, --max-backup-age{(tooOld ? ": backups have stopped?" : "")})"
                : " (no limit given: --max-backup-age)") +
            $"; {backups.Count} backup(s) in {options.BackupDirectory}"));

        var free = new DriveInfo(Path.GetFullPath(options.BackupDirectory)).AvailableFreeSpace;
        var space = free < size ? StatusLevel.Critical : free < 2 * size ? StatusLevel.Warning : StatusLevel.Ok;
        var room = space switch { StatusLevel.Critical => ": the next backup would not fit", StatusLevel.Warning => ": room for one more", _ => "" };
        findings.Add(new("disk", space, $"{free:N0} bytes free in {options.BackupDirectory}, the newest backup is {size:N0}{room}"));
        return report with { NewestBackupAgeSeconds = Math.Max(0, age.TotalSeconds) };
    }

    /// <summary>
    /// The off-site copy: its newest backup's age (from its manifest, the minute Backup started; else its name), and a
    /// warning when the local folder holds a newer backup than the remote (the copy lags: OffsiteCopy sends it).
    /// </summary>
    static StatusReport Offsite(OffsiteRemote remote, StatusOptions options, List<StatusFinding> findings, StatusReport report)
    {
        IReadOnlyList<OffsiteBackup> backups;
        try { backups = OffsiteListing.Backups(remote); }
        catch (RunbookException e)
        {
            findings.Add(new("offsite", StatusLevel.Critical, e.Message));
            return report;
        }
        if (backups.Count == 0)
        {
            findings.Add(new("offsite", StatusLevel.Critical, $"no backup off-site in {remote}: take one with --target=Backup --offsite={remote}"));
            return report with { OffsiteBackupsTotal = 0 };
        }
        // Judged as --from-offsite would pick and prove it, from the listing and the manifest (nothing downloaded): a newer
        // backup Restore would refuse is critical, and the age is the usable one's.
        OffsiteBackup? newest = null;
        BackupManifest? manifest = null;
        foreach (var candidate in backups)
        {
            var candidateManifest = candidate.HasManifest ? OffsiteListing.ManifestOf(remote, candidate.Name) : null;
            if (OffsiteRefusal(candidate, candidateManifest) is not { } refusal)
            {
                (newest, manifest) = (candidate, candidateManifest);
                break;
            }
            findings.Add(new("offsite", StatusLevel.Critical, $"{remote.PathOf(candidate.Name)}: {refusal}: Restore --from-offsite would refuse it" +
                (candidate == backups[0] ? " (it is the newest, which Restore picks)" : "")));
        }
        if (newest is null)
        {
            findings.Add(new("offsite", StatusLevel.Critical, $"no usable backup off-site in {remote}: take one with --target=Backup --offsite={remote}"));
            return report with { OffsiteBackupsTotal = backups.Count };
        }
        var age = options.NowUtc - (manifest?.DataAsOfUtc ?? newest.Utc);
        var local = BackupName.InFolder(options.BackupDirectory).FirstOrDefault();
        // Same name, other bytes: a backup of the same minute from another folder or host went off-site, not this one.
        var lags = local.Path is not null && (local.Utc > newest.Utc || local.Utc == newest.Utc && manifest is not null
            && BackupManifest.ReadFor(local.Path) is { } localManifest && localManifest.Sha256 != manifest.Sha256);
        var tooOld = options.MaxBackupAge is { } max && age > max;
        findings.Add(new("offsite", tooOld ? StatusLevel.Critical : lags ? StatusLevel.Warning : StatusLevel.Ok,
            $"{(newest == backups[0] ? "newest" : "newest usable")} {remote.PathOf(newest.Name)}, {newest.SizeBytes:N0} bytes, " +
            $"{Durations.Format(age)} old" + (manifest is null ? " (no manifest: proven only when downloaded)" : "") +
            (tooOld ? $" (limit {Durations.Format(options.MaxBackupAge!.Value)}, --max-backup-age: off-site copies have stopped?)" : "") +
            (lags ? $"; it lags the local {Path.GetFileName(local.Path)}: send it with --target=OffsiteCopy --offsite={remote}" : "") +
            $"; {backups.Count} backup(s) off-site"));
        return report with { OffsiteBackupsTotal = backups.Count, OffsiteNewestAgeSeconds = Math.Max(0, age.TotalSeconds) };
    }

    /// <summary>
    /// Why --from-offsite would refuse this backup, as far as its listing and manifest tell without the download: a manifest
    /// that cannot be read, another size than the manifest's, a creation time other than its name's (a renamed copy), or counts
    /// that cannot pass Validate. Bytes changed at the same size are found by the download's sha256.
    /// </summary>
    static string? OffsiteRefusal(OffsiteBackup backup, BackupManifest? manifest)
    {
        if (backup.HasManifest && manifest is null) return "its manifest cannot be read";
        if (manifest is null) return null;
        if (manifest.SizeBytes != backup.SizeBytes)
            return $"it is {backup.SizeBytes:N0} bytes off-site, its manifest says {manifest.SizeBytes:N0}: changed or damaged off-site";
        // VerifyBackup refuses an archive created at another time than its name says; the manifest holds that time.
        if (BackupVerifier.NameDisagrees(manifest.CreatedUtc, backup.Utc) is { } skew)
            return $"its manifest says it was created at {manifest.CreatedUtc:yyyy-MM-dd HH:mm} UTC, {skew}: a renamed copy of another backup?";
        var rules = Validator.JudgeManifest(manifest);
        return rules.Count == 0 ? null : $"it cannot pass Validate after the restore, as its manifest says: {string.Join("; ", rules)}";
    }

    static StatusReport Rehearsals(StatusOptions options, List<StatusFinding> findings, StatusReport report)
    {
        var path = Path.Combine(options.ReportDirectory, RehearsalHistory.FileName);
        var history = File.Exists(path) ? RehearsalHistory.Read(path).Where(e => e.Database == options.Database).ToList() : [];
        if (history.Count == 0)
        {
            findings.Add(new("rehearsal", StatusLevel.Warning, $"no rehearsal of \"{options.Database}\" in {path}: an untested backup is a hope, " +
                $"run --target=Rehearsal"));
            return report;
        }
        var last = history[^1];
        var lastSuccess = history.LastOrDefault(e => e.Status == RehearsalStatus.Passed);
        var level = last.Status switch { RehearsalStatus.Passed => StatusLevel.Ok, RehearsalStatus.Interrupted => StatusLevel.Warning,
            _ => StatusLevel.Critical };
        findings.Add(new("rehearsal", level, $"last {last.StartedUtc:yyyy-MM-dd HH:mm}Z {last.Status.ToString().ToLowerInvariant()}" +
            (last.RtoSeconds is { } rto ? $", RTO {Durations.Format(TimeSpan.FromSeconds(rto))}" : "") +
            (last.RpoSeconds is { } rpo ? $", RPO {Durations.Format(TimeSpan.FromSeconds(rpo))}" : "") +
            (level == StatusLevel.Ok ? "" : lastSuccess is null ? "; never passed" : $"; last passed {lastSuccess.StartedUtc:yyyy-MM-dd HH:mm}Z")));
        return report with
        {
            RehearsalLastPassed = last.Status == RehearsalStatus.Passed,
            RehearsalLastRtoSeconds = last.RtoSeconds,
            RehearsalLastRpoSeconds = last.RpoSeconds,
            RehearsalLastSuccessUtc = lastSuccess?.StartedUtc,
        };
    }

    static StatusReport Database(ServerConnection server, StatusOptions options, List<StatusFinding> findings, StatusReport report)
    {
        try
        {
            var plan = Migrator.Plan(server, options.Database);
            findings.Add(new("migrations", plan.Pending.Count == 0 ? StatusLevel.Ok : StatusLevel.Warning,
                plan.Pending.Count == 0 ? $"{plan.Applied.Count} applied, none pending" : $"{plan.Pending.Count} pending: " +
                    $"{string.Join(", ", plan.Pending)} (--target=Migrate)"));
            report = report with { MigrationsPending = plan.Pending.Count };

            using var connection = server.Open(options.Database, readOnly: true);
            // What is read here is a standby's: as recent as its replay, and nothing can be restored or ingested into it.
            if (StocksRebuild.Backups.StandbyPoint.Of(connection) is { } standby)
                findings.Add(new("database", StatusLevel.Ok, $"{server.Describe(options.Database)} is a standby" +
                    (standby.Primary is { } primary ? $" of {primary}" : "") + $" (read-only): {standby.Describe()}"));
            if (UnfinishedRestore.Of(connection, options.Database) is { } unfinished)
                findings.Add(new("restore", StatusLevel.Critical, $"{unfinished.Describe(options.Database)}: run Restore again, or --target=Validate, " +
                    $"which compares it with {unfinished.Backup}"));
            using var command = new NpgsqlCommand(SqlFiles.Read("status/last_ingestion.sql"), connection);
            using var reader = command.ExecuteReader();
            var jobs = 0;
            while (reader.Read())
            {
                jobs++;
                var status = reader.GetString(1);
                findings.Add(new("ingest", status == "succeeded" ? StatusLevel.Ok : StatusLevel.Warning,
                    $"{reader.GetString(0)}: {status} {reader.GetDateTime(2).ToUniversalTime():yyyy-MM-dd HH:mm}Z, " +
                    $"{reader.GetInt64(3):N0} rows read" +
                    (status == "running" ? " (running now, or killed: the next Ingest marks it failed)" : "")));
            }
            if (jobs == 0) findings.Add(new("ingest", StatusLevel.Ok, "no ingestion logged (a restored database needs none)"));
        }
        catch (Exception e) when (e is RunbookException or NpgsqlException)
        {
            findings.Add(new("database", StatusLevel.Critical, Secrets.Mask(e.Message, server)));
        }
        return report;
    }
}
