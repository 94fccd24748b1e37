using System.Globalization;
using System.Text.RegularExpressions;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Operations;

/// <summary>
/// Progress on long steps through ./build.sh without a terminal: lines whose percentages rise and end at 100 %, and the tools' complete output
/// in artifacts/logs.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[TestFixture]
public sealed class ProgressTests
{
    static List<int> Percentages(string output, string step) =>
        output.Split('\n').Select(l => Regex.Match(l, $@"^{Regex.Escape(step)}: (\d+)% \(")).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();

    static void AssertRisesTo100(string output, string step)
    {
        var shares = Percentages(output, step);
        Assert.That(shares.Count, Is.GreaterThanOrEqualTo(2), $"{step}: a line while it runs and one at the end\n{output}");
        Assert.That(shares, Is.Ordered.Ascending, step);
        Assert.That(shares[^1], Is.EqualTo(100), step);
    }

    [Test]
    public void RestorePrintsRisingProgressAndKeepsPgRestoresWholeOutputInALogFile()
    {
        var target = Databases.NewName("progress");
        var run = BuildScript.Run("--target=Restore", $"--database={target}", $"--backup={Databases.MediumBackup.Backup}", "--jobs=1",
            "--progress=line", "--progress-every=0.1s");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        AssertRisesTo100(run.Output, "Restore");
        Assert.That(run.Output, Does.Not.Contain("pg_restore: creating TABLE"), "the object-by-object account is in the file, not on the console");

        var log = Regex.Match(run.Output, @"pg_restore's complete output goes to (\S+);").Groups[1].Value;
        var lines = File.ReadAllLines(Path.Combine(BuildScript.RepositoryRoot, log));
        Assert.That(lines, Does.Contain("pg_restore: creating TABLE \"stocks_research.prices_daily\""));
        Assert.That(lines, Does.Contain("pg_restore: processing data for table \"stocks_research.prices_daily\""));
        Assert.That(lines.Count(l => l.StartsWith("pg_restore: creating ", StringComparison.Ordinal) || l.StartsWith("pg_restore: executing ",
            StringComparison.Ordinal)
                                     || l.StartsWith("pg_restore: processing data", StringComparison.Ordinal)),
            Is.EqualTo(int.Parse(Regex.Match(run.Output, @"Restore: 100% \((\d+) of").Groups[1].Value, CultureInfo.InvariantCulture)),
                "every object restored is in the file");
        Assert.That(File.GetUnixFileMode(Path.Combine(BuildScript.RepositoryRoot, log)), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public void IngestPrintsRisingProgressPerJob()
    {
        var database = Databases.Migrated("progress");
        var run = BuildScript.Run("--target=Ingest", $"--database={database}", $"--source={Drops.Medium}", "--progress=line",
            "--progress-every=0.05s");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        AssertRisesTo100(run.Output, "Ingest prices_daily");
        Assert.That(run.Output, Does.Match(@"Ingest prices_daily: \d+% \([\d,]+ of [\d,]+ bytes\), prices/\S+\.csv, [\d,]+ rows, [\d,]+ rows/s"));
    }

    [Test]
    public void InATerminalTheLineIsRewrittenInPlace()
    {
        // script(1) gives build.sh a pseudo-terminal, as a DBA's shell does.
        var database = Databases.Migrated("tty");
        var command = $"./build.sh --target=Ingest --database={database} --source={Drops.Medium}";
        var output = new System.Text.StringBuilder();
        var environment = TestServer.Connection.ClientEnvironment(database).ToDictionary();
        environment["PGDATABASE"] = null; // the command names its database
        var result = StocksRebuild.Tools.ToolRun.Run("script", ["-q", "-e", "-c", command, "/dev/null"], environment,
            new StocksRebuild.Tools.ToolRunOptions
            {
                OnStdOut = line => output.AppendLine(line),
                WorkingDirectory = BuildScript.RepositoryRoot,
            });
        Assert.That(result.ExitCode, Is.Zero, output.ToString());
        // The reader splits at the carriage return each line starts with; what stays is the erase-to-end of every rewrite.
        Assert.That(output.ToString().Split('\n').Count(l => l.StartsWith("Ingest prices_daily: ",
            StringComparison.Ordinal) && l.TrimEnd().EndsWith("\u001b[K", StringComparison.Ordinal)),
            Is.GreaterThan(2), "rewritten in place, several times a second: carriage return, the line, erase to its end");
        Assert.That(output.ToString(), Does.Contain("Ingest prices_daily: 100% ("));
    }

    [Test]
    public void ProgressOffPrintsNone()
    {
        var database = Databases.Migrated("noprogress");
        var run = BuildScript.Run("--target=Ingest", $"--database={database}", $"--source={Drops.Sample}", "--progress=off");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(Percentages(run.Output, "Ingest prices_daily"), Is.Empty);
    }
}
