using System.Text.RegularExpressions;
using StocksRebuild.Validation;

namespace StocksRebuild.Backups;

public sealed record VerifyBackupOptions
{
    /// <summary>--backup=FILE; null picks the newest in <see cref="BackupDirectory"/>.</summary>
    public string? BackupFile { get; init; }
    public string BackupDirectory { get; init; } = "backups";
    /// <summary>--expect-backup=YYYYMMDD_HHMM: the runbook's "filename timestamp matches expectation".</summary>
    public string? ExpectTimestamp { get; init; }
    public TimeSpan? MaxAge { get; init; }
    public DateTime NowUtc { get; init; } = DateTime.UtcNow;
    /// <summary>
    /// Restore beside live: the restore into the incoming database reads every data block itself (and stops at the first
    /// it cannot read) and the sha256 is read while it runs (<see cref="BackupVerifier.ProveChecksum"/>); the swap waits
    /// for both, so the full read before it would only delay the restore. Everywhere else the full read comes first.
    /// </summary>
    public bool ReadDuringRestore { get; init; }
}

public sealed record VerifiedBackup(
    string Path,
    long SizeBytes,
    DateTime TimestampUtc,
    DateTime CreatedUtc,
    TimeSpan Age,
    ArchiveContents Contents,
    string PgDumpVersion,
    string SourceServerVersion,
    string SourceDatabase,
    int TableCount,
    string? Sha256,
    BackupManifest? Manifest)
{
    /// <summary>How recent its data are (the recovery point): a standby's last replayed transaction, else pg_dump's time.</summary>
    public DateTime DataAsOfUtc => BackupManifest.DataAsOf(Manifest, CreatedUtc);

    /// <summary>Not yet read: the restore beside live reads the data and the sha256 (<see cref="VerifyBackupOptions.ReadDuringRestore"/>).</summary>
    public bool ReadDuringRestore => Sha256 is null;

    public IEnumerable<string> Describe()
    {
        yield return $"Backup:          {Path}";
        yield return $"Size:            {SizeBytes:N0} bytes";
        yield return $"Created:         {CreatedUtc:yyyy-MM-dd HH:mm:ss} UTC by pg_dump (age {Durations.Format(Age)}); name says " +
            $"{TimestampUtc:yyyy-MM-dd HH:mm}";
        if (Manifest?.Standby is { } standby) yield return $"From a standby:  {standby.Describe()}; its age is counted from it";
        yield return $"Contents:        {Contents.Describe()}";
        yield return $"pg_dump version: {PgDumpVersion} (source server {SourceServerVersion})";
        yield return $"Source database: {SourceDatabase}";
        yield return $"Tables:          {TableCount}";
        yield return Sha256 is null
            ? "Data, sha256:    read while RestoreBackup restores beside live; the swap waits for both"
            : $"sha256:          {Sha256}";
        yield return Manifest is null
            ? "Manifest:        none (size and checksum not compared; backups made by --target=Backup have one)"
            : Sha256 is null ? $"Manifest:        size matches {BackupName.ManifestPathFor(Path)}; its sha256 is compared after the read"
            : $"Manifest:        size and sha256 match {BackupName.ManifestPathFor(Path)}";
    }
}

/// <summary>
/// Runbook step 1, done as a careful DBA would: everything about the file is proven before anything is
/// destroyed, including a full read of every data block (pg_restore --list alone accepts a truncated file).
/// </summary>
public static partial class BackupVerifier
{
    public static VerifiedBackup Verify(VerifyBackupOptions options, IRunbookLog log)
    {
        var path = BackupSelection.Pick(options.BackupFile, options.BackupDirectory);
        var name = System.IO.Path.GetFileName(path);
        BackupName.TryParse(name, out var timestamp);
        var link = options.BackupFile is { } given && Path.GetFullPath(given) != Path.GetFullPath(path) ? $" (--backup={given} is a link to it)" : "";
        log.Info($"VerifyBackup: checking {path}{link}");

        if (options.ExpectTimestamp is { } expected)
        {
            if (!BackupName.TryParseTimestamp(expected, out var expectedUtc))
                throw new RunbookException($"--expect-backup={expected} is not a timestamp YYYYMMDD_HHMM.");
            if (expectedUtc != timestamp)
                throw Refuse(path, $"its timestamp {timestamp:yyyyMMdd_HHmm} is not the expected {expected} (--expect-backup)");
        }
        var judged = Judge(path);
        if (judged.Refusal is { } refusal) throw Refuse(path, refusal);
        var (size, toc, contents, created, manifest) = (judged.SizeBytes, judged.Toc!, judged.Contents!, judged.CreatedUtc!.Value, judged.Manifest);
        var pgRestore = PgTools.Find("pg_restore");
        // A standby's backup is as old as the last transaction it had replayed, which may be older than the archive.
        var dataAsOf = BackupManifest.DataAsOf(manifest, created);
        var age = options.NowUtc - dataAsOf;
        if (options.MaxAge is { } maxAge && age > maxAge)
            throw Refuse(path, (dataAsOf == created ? $"pg_dump created it {Durations.Format(age)} ago ({created:yyyy-MM-dd HH:mm:ss} UTC)"
                : $"it was taken on a standby whose last replayed transaction committed {Durations.Format(age)} ago ({dataAsOf:yyyy-MM-dd HH:mm:ss} UTC)") +
                $", longer than --max-backup-age={Durations.Format(maxAge)}");

        string? sha256 = null;
        if (!options.ReadDuringRestore)
        {
            // Reading every data block is what exposes a truncated or corrupt archive.
            var fullRead = ToolRun.Run(pgRestore, ["--file=/dev/null", path]);
            if (!fullRead.Succeeded) throw Refuse(path, $"truncated or corrupt: pg_restore failed reading its data: {fullRead.ErrorText}");
            sha256 = BackupManifest.Sha256Of(path);
            if (ChecksumRefusal(sha256, manifest) is { } differs) throw Refuse(path, differs);
        }

        var verified = new VerifiedBackup(
            path, size, timestamp, created, age, contents,
            PgDumpVersion: TocField(toc, "Dumped by pg_dump version") ?? "unknown",
            SourceServerVersion: TocField(toc, "Dumped from database version") ?? "unknown",
            SourceDatabase: TocField(toc, "dbname") ?? "unknown",
            TableCount: TableEntry().Matches(toc).Count,
            sha256, manifest);
        foreach (var line in verified.Describe()) log.Info(line);
        return verified;
    }

    /// <summary>
    /// The sha256 of a backup whose data the restore beside live reads (<see cref="VerifyBackupOptions.ReadDuringRestore"/>),
    /// read while pg_restore runs and compared with the manifest; the run's stop signal ends it.
    /// </summary>
    public static VerifiedBackup ProveChecksum(VerifiedBackup backup, string live, string incoming, CancellationToken cancellation)
    {
        var sha256 = BackupManifest.Sha256Of(backup.Path, cancellation);
        if (ChecksumRefusal(sha256, backup.Manifest) is { } differs)
            throw new RunbookException($"VerifyBackup refused {backup.Path}: {differs}. The live \"{live}\" was not touched and keeps serving; " +
                $"the incoming \"{incoming}\", restored from it, is removed at the end of the run (kept with --keep-failed).");
        return backup with { Sha256 = sha256 };
    }

    static string? ChecksumRefusal(string sha256, BackupManifest? manifest) =>
        manifest is not null && !string.Equals(manifest.Sha256, sha256, StringComparison.OrdinalIgnoreCase)
            ? $"its sha256 {sha256} differs from its manifest's {manifest.Sha256}"
            : null;

    /// <summary>What <see cref="Judge"/> found: the refusal, or what the checks read on the way.</summary>
    public sealed record Judgement(string? Refusal, long SizeBytes, string? Toc, ArchiveContents? Contents, DateTime? CreatedUtc,
        BackupManifest? Manifest = null);

    /// <summary>
    /// VerifyBackup's checks that need no full read, in its order: empty, not a custom-format pg_dump archive, a table of
    /// contents pg_restore cannot read, without the runbook's schema, tables and rows, without a creation time, named for
    /// another time, or another size than its manifest's. What Status judges every newer backup by; VerifyBackup then reads
    /// every data block and the sha256.
    /// </summary>
    public static Judgement Judge(string path)
    {
        var size = new FileInfo(path).Length;
        Judgement Refused(string reason) => new(reason, size, null, null, null);
        if (size == 0) return Refused("the file is empty (0 bytes)");

        ArchiveHeader? header;
        try { header = ArchiveHeader.Read(path); }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return Refused($"cannot be read: {e.Message}");
        }
        if (header is null) return Refused("not a pg_dump archive (no PGDMP header): a plain SQL dump or another file renamed .dump?");
        if (!header.IsCustomFormat) return Refused("a pg_dump archive, but not custom format (-Fc); the runbook restores one custom-format file");

        var list = ToolRun.Run(PgTools.Find("pg_restore"), ["--list", path]);
        if (!list.Succeeded)
        {
            if (list.ErrorText.Contains("unsupported version", StringComparison.OrdinalIgnoreCase))
                return Refused($"archive format {header.ArchiveVersion.ToString(2)} was written by a pg_dump newer than the local pg_restore " +
                    $"{PgTools.VersionOf("pg_restore")} reads; restore with a newer pg_restore");
            return Refused($"pg_restore cannot read its table of contents: {list.ErrorText}");
        }
        var toc = string.Join("\n", list.StdOut);

        // What the destructive steps will need, proven from the archive itself before anything is dropped.
        var contents = ArchiveContents.Parse(toc);
        var missing = contents.MissingFor(Schema.Name, Validator.TablesThatMustHaveRows);
        if (missing.Count > 0)
        {
            // A partitioned table's rows are under its partitions (an inheritance parent's may be under its children): the
            // pre-data script says which tables those are.
            var preData = ToolRun.Run(PgTools.Find("pg_restore"), ["--section=pre-data", "--file=-", path]);
            if (preData.Succeeded)
            {
                contents = contents.WithDescendants(string.Join('\n', preData.StdOut));
                missing = contents.MissingFor(Schema.Name, Validator.TablesThatMustHaveRows);
            }
        }
        if (missing.Count > 0)
            return Refused($"it lacks {string.Join(", ", missing)}: the archive is {contents.Describe()}; restoring it would leave " +
                $"\"{Schema.Name}\" without its data");

        // Age is the archive's own creation time: a name can be given to any file, the header only by pg_dump.
        if (contents.CreatedUtc is not { } created) return Refused("its table of contents has no creation time");
        BackupName.TryParse(Path.GetFileName(path), out var timestamp);
        if (NameDisagrees(created, timestamp) is { } skew)
            return Refused($"pg_dump created it at {created:yyyy-MM-dd HH:mm:ss} UTC, {skew}; " +
                $"a renamed copy of another backup? If it is the one you mean, rename it {BackupName.For(created)}");
        var manifest = BackupManifest.ReadFor(path);
        if (manifest is not null && manifest.SizeBytes != size)
            return Refused($"its size {size:N0} bytes differs from its manifest's {manifest.SizeBytes:N0}");
        return new(null, size, toc, contents, created, manifest);
    }

    /// <summary>Backup names the minute it starts and pg_dump stamps its archive moments later; more is another file's name.</summary>
    public static readonly TimeSpan NameTolerance = TimeSpan.FromMinutes(10);

    /// <summary>"3d0h00m before the time in its name" when a backup was created further from its name's time than <see cref="NameTolerance"/>.</summary>
    public static string? NameDisagrees(DateTime createdUtc, DateTime namedUtc)
    {
        var skew = createdUtc - namedUtc;
        return skew.Duration() <= NameTolerance ? null
            : $"{Durations.Format(skew.Duration())} {(skew < TimeSpan.Zero ? "before" : "after")} the time in its name";
    }

    static RunbookException Refuse(string path, string reason) =>
        new($"VerifyBackup refused {path}: {reason}. Nothing was changed.");

    static string? TocField(string toc, string field)
    {
        var match = Regex.Match(toc, @"^;\s+" + Regex.Escape(field) + @":\s*(.+?)\s*$", RegexOptions.Multiline);
        return match.Success ? match.Groups[1].Value : null;
    }

    // "218; 1259 16390 TABLE stocks_research securities owner" (a TABLE DATA line is the data, not the table)
    [GeneratedRegex(@"^\d+; \d+ \d+ TABLE (?!DATA |ATTACH )", RegexOptions.Multiline)]
    private static partial Regex TableEntry();
}
