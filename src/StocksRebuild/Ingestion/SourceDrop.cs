namespace StocksRebuild.Ingestion;

/// <summary>
/// The input drop of Scenario B: securities.csv, ticker_history.csv, prices_daily.csv and/or prices/*.csv,
/// corporate_actions.csv, fundamentals.csv. Every file is located before the first job starts, so a
/// drop with a file missing changes nothing.
/// </summary>
public sealed class SourceDrop
{
    public string Directory { get; }
    readonly Dictionary<string, IReadOnlyList<string>> files;

    SourceDrop(string directory, Dictionary<string, IReadOnlyList<string>> files)
    {
        Directory = directory;
        this.files = files;
    }

    /// <summary>The files of a job as paths relative to the drop, with '/' (as errors show them).</summary>
    public IReadOnlyList<string> FilesOf(string job) => files[job];

    public string FullPath(string relative) => Path.Combine(Directory, relative);

    public static SourceDrop Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
            throw new RunbookException($"Ingest refused: the source folder {directory} does not exist (--source).");
        var found = new Dictionary<string, IReadOnlyList<string>>();
        var missing = new List<string>();

        void One(string job, string file)
        {
            if (File.Exists(Path.Combine(directory, file))) found[job] = [file];
            else missing.Add(file);
        }

        One("securities", "securities.csv");
        One("ticker_history", "ticker_history.csv");
        var prices = new List<string>();
        if (File.Exists(Path.Combine(directory, "prices_daily.csv"))) prices.Add("prices_daily.csv");
        var pricesFolder = Path.Combine(directory, "prices");
        if (System.IO.Directory.Exists(pricesFolder))
            prices.AddRange(System.IO.Directory.EnumerateFiles(pricesFolder, "*.csv")
                .Select(f => "prices/" + Path.GetFileName(f))
                .Order(StringComparer.Ordinal));
        if (prices.Count == 0) missing.Add("prices_daily.csv or prices/*.csv");
        else found["prices_daily"] = prices;
        One("corporate_actions", "corporate_actions.csv");
        One("fundamentals_raw", "fundamentals.csv");

        if (missing.Count > 0)
            throw new RunbookException(
                $"Ingest refused: the source folder {directory} lacks {string.Join(", ", missing)}. " +
                "A drop holds securities.csv, ticker_history.csv, prices_daily.csv or prices/*.csv, corporate_actions.csv and fundamentals.csv. Nothing was changed.");
        return new SourceDrop(directory, found);
    }
}
