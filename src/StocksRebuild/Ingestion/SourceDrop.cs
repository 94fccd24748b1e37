namespace StocksRebuild.Ingestion;

/// <summary>
/// The input drop of Scenario B: securities.csv, ticker_history.csv, prices_daily.csv and/or prices/*.csv,
/// corporate_actions.csv, fundamentals.csv. Every file is located before the first job starts, so a
/// drop with a file missing changes nothing. Names are matched without regard to case (Prices/2025.CSV is
/// a prices file, as its author meant), and every other file or folder in the drop is named: refused, or
/// with --ignore-extra-files listed as ignored. A file no job reads is never skipped without a word.
/// </summary>
public sealed class SourceDrop
{
    public string Directory { get; }
    /// <summary>Files and folders no job reads, relative with '/'; the run was told to ignore them, or the drop is documentation.</summary>
    public IReadOnlyList<string> Ignored { get; }
    readonly Dictionary<string, IReadOnlyList<string>> files;

    SourceDrop(string directory, Dictionary<string, IReadOnlyList<string>> files, IReadOnlyList<string> ignored)
    {
        Directory = directory;
        this.files = files;
        Ignored = ignored;
    }

    /// <summary>The files of a job as paths relative to the drop, with '/' (as errors show them).</summary>
    public IReadOnlyList<string> FilesOf(string job) => files[job];

    public string FullPath(string relative) => Path.Combine(Directory, relative);

    /// <summary>A job's files, or "(no file: derived)" for a job computed from the tables.</summary>
    public IReadOnlyList<string> FilesOfOrNone(string job) => files.TryGetValue(job, out var list) ? list : ["(no file: derived from the tables)"];

    /// <summary>The top-level file of each job that reads one file.</summary>
    static readonly (string job, string file)[] SingleFiles =
    [
        ("securities", "securities.csv"), ("ticker_history", "ticker_history.csv"),
        ("corporate_actions", "corporate_actions.csv"), ("fundamentals_raw", "fundamentals.csv"),
    ];

    public static SourceDrop Open(string directory, bool ignoreExtraFiles = false)
    {
        if (!System.IO.Directory.Exists(directory))
            throw new RunbookException($"Ingest refused: the source folder {directory} does not exist (--source).");
        var found = new Dictionary<string, IReadOnlyList<string>>();
        var missing = new List<string>();
        var problems = new List<string>();
        var top = Entries(directory);

        // One name may match twice when only case tells them apart (securities.csv and SECURITIES.csv).
        string? Match(IEnumerable<string> names, string wanted)
        {
            var matches = names.Where(n => n.Equals(wanted, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count > 1) problems.Add($"{string.Join(" and ", matches)} differ only by case; keep one");
            return matches.FirstOrDefault();
        }

        var claimed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (job, file) in SingleFiles)
        {
            if (Match(top.Files, file) is { } name) { found[job] = [name]; claimed.Add(name); }
            else missing.Add(file);
        }
        var prices = new List<string>();
        if (Match(top.Files, "prices_daily.csv") is { } daily) { prices.Add(daily); claimed.Add(daily); }
        var extra = top.Files.Where(f => !claimed.Contains(f)).ToList();
        foreach (var folder in top.Folders)
        {
            if (!folder.Equals("prices", StringComparison.OrdinalIgnoreCase)) { extra.Add(folder + "/"); continue; }
            var inside = Entries(Path.Combine(directory, folder));
            foreach (var file in inside.Files)
                (file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? prices : extra).Add($"{folder}/{file}");
            extra.AddRange(inside.Folders.Select(f => $"{folder}/{f}/"));
        }
        if (top.Folders.Count(f => f.Equals("prices", StringComparison.OrdinalIgnoreCase)) > 1)
        {
            var twins = top.Folders.Where(f => f.Equals("prices", StringComparison.OrdinalIgnoreCase)).Select(f => f + "/");
            problems.Add($"{string.Join(" and ", twins)} differ only by case; keep one");
        }
        prices.Sort(StringComparer.Ordinal);
        if (prices.Count == 0) missing.Add("prices_daily.csv or prices/*.csv");
        else found["prices_daily"] = prices;

        if (missing.Count > 0)
            throw new RunbookException(
                $"Ingest refused: the source folder {directory} lacks {string.Join(", ", missing)}. " +
                "A drop holds securities.csv, ticker_history.csv, prices_daily.csv or prices/*.csv, corporate_actions.csv and fundamentals.csv. " +
                    "Nothing was changed.");
        if (problems.Count > 0)
            throw new RunbookException($"Ingest refused: in {directory}, {string.Join("; ", problems)}. Nothing was changed.");

        // A README describes the drop; it holds no rows.
        var unread = extra.Where(e => !IsDocumentation(e)).Order(StringComparer.Ordinal).ToList();
        if (unread.Count > 0 && !ignoreExtraFiles)
            throw new RunbookException(
                $"Ingest refused: no job reads {string.Join(", ", unread)} in {directory}. A file no job reads would be data left behind without a " +
                    $"word: " +
                "move it out of the drop, rename it to what it is (e.g. prices/NAME.csv), or give --ignore-extra-files to load the rest and list " +
                    "it as ignored. Nothing was changed.");
        return new SourceDrop(directory, found, extra.Order(StringComparer.Ordinal).ToList());
    }

    static bool IsDocumentation(string relative) =>
        !relative.Contains('/') && Path.GetFileNameWithoutExtension(relative).Equals("README", StringComparison.OrdinalIgnoreCase);

    static (List<string> Files, List<string> Folders) Entries(string directory)
    {
        var all = new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false };
        return (System.IO.Directory.EnumerateFiles(directory, "*", all).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToList(),
            System.IO.Directory.EnumerateDirectories(directory, "*", all).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToList());
    }
}
