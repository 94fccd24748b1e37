using System.Text;

namespace StocksRebuild.Tests.Support;

/// <summary>Source drops for ingestion tests: the shipped sample, and copies of it a test may damage.</summary>
public static class Drops
{
    public static string Sample => Path.Combine(BuildScript.RepositoryRoot, "sample");

    static readonly Lazy<string> medium = new(() =>
    {
        var drop = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-medium-").FullName, "drop");
        StocksRebuild.Sample.SampleGenerator.Generate(new StocksRebuild.Sample.SampleSpec { Securities = 600, Years = 2 }, drop, new TestLog());
        return drop;
    });

    /// <summary>A generated drop big enough (about 300,000 prices) that its jobs and restores last seconds: long enough to interrupt.</summary>
    public static string Medium => medium.Value;

    static readonly Lazy<string> large = new(() =>
    {
        var drop = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-large-").FullName, "drop");
        StocksRebuild.Sample.SampleGenerator.Generate(new StocksRebuild.Sample.SampleSpec { Securities = 4000, Years = 2 }, drop, new TestLog());
        return drop;
    });

    /// <summary>About two million prices: an Ingest that lasts several seconds even on the fast path, for races.</summary>
    public static string Large => large.Value;

    /// <summary>A copy of the shipped sample in a new folder.</summary>
    public static string CopyOfSample()
    {
        var target = Directory.CreateTempSubdirectory("stocksrebuild-drop-").FullName;
        foreach (var file in Directory.EnumerateFiles(Sample, "*.csv", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Sample, file);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, relative))!);
            File.Copy(file, Path.Combine(target, relative));
        }
        return target;
    }

    /// <summary>Lines of a drop file (LF), 1-based as errors count them: Lines(...)[0] is line 1, the header.</summary>
    public static List<string> Lines(string drop, string file) => File.ReadAllText(Path.Combine(drop, file)).TrimEnd('\n').Split('\n').ToList();

    public static void Write(string drop, string file, IEnumerable<string> lines) =>
        File.WriteAllText(Path.Combine(drop, file), string.Join("\n", lines) + "\n", new UTF8Encoding(false));

    /// <summary>Replaces line <paramref name="line"/> (1 = header) of a drop file.</summary>
    public static void ReplaceLine(string drop, string file, int line, string text)
    {
        var lines = Lines(drop, file);
        lines[line - 1] = text;
        Write(drop, file, lines);
    }

    public static void Append(string drop, string file, params string[] rows) => Write(drop, file, Lines(drop, file).Concat(rows));

    /// <summary>Data rows of a CSV file without quoted line breaks (the sample has none): lines minus the header.</summary>
    public static long DataRows(string path) => File.ReadLines(path).Skip(1).Count(l => l.Length > 0);
}
