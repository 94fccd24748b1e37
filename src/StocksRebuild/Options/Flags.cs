namespace StocksRebuild;

/// <summary>
/// Every --flag the tool knows. Cake ignores flags it does not know; a tool that drops databases must not,
/// so an unknown or misspelt flag is refused before anything runs, naming the closest known one.
/// </summary>
public static class Flags
{
    public static readonly IReadOnlyDictionary<string, string> Runbook = new Dictionary<string, string>
    {
        ["database"] = "target database (default: PGDATABASE, else stocks_research)",
        ["maintenance-db"] = "database used for CREATE/DROP DATABASE (default: postgres)",
        ["backup"] = "the backup file to verify and restore (Validate: the backup to compare the database with)",
        ["backup-dir"] = "folder of full_YYYYMMDD_HHMM.dump backups (default: backups)",
        ["expect-backup"] = "the timestamp YYYYMMDD_HHMM the chosen backup must carry",
        ["max-backup-age"] = "refuse a backup older than this (e.g. 26h)",
        ["max-replay-lag"] = "Backup on a standby: refuse when its last replayed transaction is older than this (e.g. 5m)",
        ["confirm"] = "consent to a destructive step: the exact target database name",
        ["jobs"] = "parallel pg_restore jobs (default: number of cores)",
        ["sandbox"] = "run against a throwaway local PostgreSQL the tool starts itself",
        ["keep-sandbox"] = "leave the sandbox running at the end and print how to connect",
        ["wait-for-lock"] = "wait this long (e.g. 10m) for another run's lock on the database instead of failing",
        ["lock-timeout"] = "how long the tool's statements and pg_dump wait for a table lock another session holds before failing (default: 30s)",
        ["source"] = "the source drop folder Ingest reads (default: the shipped sample)",
        ["ignore-extra-files"] = "Ingest: load a drop holding files no job reads, listing them as ignored (default: refuse it)",
        ["ticker-valid-to"] = "Ingest: ticker_history's valid_to is exclusive (the first day no longer held, the default) or inclusive (the last " +
            "day held)",
        ["max-errors"] = "bad rows reported per ingestion job before it stops reading (default: 20)",
        ["securities"] = "GenerateSample: number of securities (default: 40)",
        ["years"] = "GenerateSample: calendar years of prices, ending 2025 (default: 2)",
        ["seed"] = "GenerateSample: random seed; the same seed gives the same files",
        ["quick"] = "Benchmark: 1,000 securities x 2 years instead of 5,000 x 5, for CI",
        ["out"] = "GenerateSample: the new folder to write the drop into",
        ["swap"] = "Restore: beside the live database, validated, then swapped in (the default; kept so that scripts saying it still work)",
        ["in-place"] = "Restore, ColdRebuild: the runbook's literal order, dropping the live database before the backup is proven to restore (a server " +
            "without room for two copies); needs --confirm=<db> too",
        ["read-only-live"] = "Restore, ColdRebuild: new sessions on the live database are read-only while the copy is built beside it " +
            "(default_transaction_read_only; open sessions can still write, and are counted)",
        ["keep-failed"] = "Restore, ColdRebuild: keep the incoming database of a build beside live that failed, for a look (Status names it; the next " +
            "Restore removes it)",
        ["deep"] = "Validate/Rehearsal: also amcheck every B-tree index and read every table in full",
        ["strict"] = "Validate/Restore: fail, not warn, on a database these migrations did not build (a table of its own without a " +
                     "primary key, a NOT VALID constraint); ColdRebuild and Rehearsal always validate strictly",
        ["scratch"] = "Rehearsal: restore and rebuild on the live server (live, the default), a throwaway local initdb cluster (local) or a " +
            "PostgreSQL container (docker); away from live, live is only read",
        ["scratch-image"] = "Rehearsal --scratch=docker: the image (default postgres:<live major>; build/docker/postgres-image.sh builds it)",
        ["fresh-backup"] = "Rehearsal: take a new backup of the live database first and rehearse that one",
        ["max-rto"] = "Rehearsal: fail when verify + restore + validate (--from-offsite: and the download) take longer than this (e.g. 30m)",
        ["keep"] = "Prune: the newest N backups stay",
        ["keep-for"] = "Prune: backups younger than this stay (e.g. 30d)",
        ["keep-backup"] = "Prune: the backup YYYYMMDD_HHMM stays whatever the rules say",
        ["offsite"] = "an rclone remote REMOTE:PATH (configured in rclone.conf or RCLONE_CONFIG_<NAME>_*): Backup copies each backup there and " +
            "proves it; Prune, Status and --from-offsite read it; OffsiteCopy sends a local backup",
        ["offsite-optional"] = "Backup: a failed off-site copy only warns (default: the run fails; the local backup is kept either way)",
        ["from-offsite"] = "VerifyBackup/Restore/Rehearsal: pick the backup off-site (--offsite) and download it to a private cache first",
        ["offsite-cache"] = "--from-offsite: the private cache folder (default: <backup-dir>/offsite-cache)",
        ["offsite-keep"] = "Prune --offsite: the newest N backups off-site stay",
        ["offsite-keep-for"] = "Prune --offsite: backups off-site younger than this stay (e.g. 90d)",
        ["metrics-file"] = "Status: write Prometheus metrics here (Backup, Rehearsal and Ingest refresh it)",
        ["progress"] = "auto (a live line in a terminal, else a line every 5 s), line, or off",
        ["progress-every"] = "without a terminal, a progress line this often (default: 5s)",
        ["report-dir"] = "Rehearsal: where report.md/json, history.jsonl and trend.svg go (default: artifacts/rehearsal)",
    };

    /// <summary>Cake's own options, which Cake consumes or shows to the script.</summary>
    public static readonly IReadOnlySet<string> Cake = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "target", "t", "verbosity", "v", "dryrun", "noop", "whatif", "exclusive", "e", "description",
        "showdescription", "tree", "showtree", "debug", "d", "recompile", "help", "h", "version", "info",
        "bootstrap", "skip-bootstrap", "invalidate-script-cache",
    };

    public static void RefuseUnknown(IEnumerable<string> given)
    {
        foreach (var flag in given)
        {
            if (Runbook.ContainsKey(flag) || Cake.Contains(flag)) continue;
            var closest = Closest(flag);
            throw new RunbookException(
                $"Unknown flag --{flag}" + (closest is null ? "." : $"; did you mean --{closest}?") +
                " Nothing was run. Known flags: " + string.Join(", ", Runbook.Keys.Select(k => "--" + k)) + ".");
        }
    }

    /// <summary>
    /// A command that could mean two things stops before anything runs: a flag given twice with different values
    /// (Cake would silently take one), -t beside a different --target, and Cake's --exclusive, which runs a
    /// target without the steps it depends on (an aggregate such as Restore would do nothing and report success).
    /// </summary>
    public static void RefuseAmbiguous(IDictionary<string, ICollection<string>> given, IEnumerable<string> commandLine)
    {
        foreach (var (flag, values) in given)
        {
            var distinct = values.Distinct(StringComparer.Ordinal).ToList();
            if (distinct.Count > 1)
                throw new RunbookException($"--{flag} is given {values.Count} times, as " +
                    $"{string.Join(" and ", distinct.Select(v => $"--{flag}={v}"))}; say it once. Nothing was run.");
        }
        if (given.TryGetValue("t", out var t) && given.TryGetValue("target", out var target)
            && !t.First().Equals(target.First(), StringComparison.OrdinalIgnoreCase))
            throw new RunbookException($"-t {t.First()} and --target={target.First()} name different targets; say it once. Nothing was run.");
        if (commandLine.Any(a => a is "--exclusive" or "-e" || a.StartsWith("--exclusive=", StringComparison.OrdinalIgnoreCase)))
            throw new RunbookException("--exclusive is refused: it runs a target without the steps it depends on, and the runbook's safety lies in " +
                                       "those steps (VerifyBackup before DropCreate). Run the step you want as its own --target. Nothing was run.");
    }

    /// <summary>The target's name as the build script defines it, found without regard to case; an unknown one lists the targets.</summary>
    public static string CanonicalTarget(string given, IEnumerable<string> targets)
    {
        var known = targets.ToList();
        return known.FirstOrDefault(t => t.Equals(given, StringComparison.OrdinalIgnoreCase))
            ?? throw new RunbookException($"Unknown target {given}. Nothing was run. Targets: {string.Join(", ", known)}.");
    }

    public static string? Closest(string flag) =>
        Runbook.Keys.Concat(["target", "verbosity", "dryrun"])
            .Select(k => (k, distance: Distance(flag.ToLowerInvariant(), k)))
            .Where(c => c.distance <= Math.Max(2, c.k.Length / 3))
            .OrderBy(c => c.distance)
            .Select(c => c.k)
            .FirstOrDefault();

    public static int PositiveInt(string value, string flag) =>
        int.TryParse(value, out var n) && n > 0
            ? n
            : throw new RunbookException($"--{flag}={value} is not a whole number of at least 1.");

    /// <summary>Optimal string alignment distance: an adjacent swap (confrim/confirm) counts as one edit.</summary>
    static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
        {
            var cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
        }
        return d[a.Length, b.Length];
    }
}
