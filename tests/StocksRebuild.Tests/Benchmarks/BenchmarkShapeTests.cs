using System.Text.Json;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Benchmarks;

/// <summary>
/// The benchmark's shape, not its values (those belong to the benchmark, not to a timed test): every row
/// is there with a number, every row with a baseline has a ratio and a verdict, and the reports are written.
/// </summary>
[TestFixture]
public sealed class BenchmarkShapeTests
{
    [Test]
    public void QuickBenchmarkReportsEveryFigureWithNumbersAndRatios()
    {
        var database = Databases.NewName("bench");
        var report = Path.Combine(BuildScript.RepositoryRoot, "artifacts", "benchmark", "benchmark.json");
        if (File.Exists(report)) File.Delete(report); // a fresh clone has no artifacts/ yet

        var run = BuildScript.Run("--target=Benchmark", "--quick", $"--database={database}", $"--confirm={database}");

        // Missed goals fail the run on purpose (CI can gate on them); anything else is a broken benchmark.
        Assert.That(run.ExitCode == 0 || run.Output.Contains("Benchmark: goals missed:"), Is.True, run.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var figures = json.RootElement.GetProperty("figures").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);

        string[] withBaseline =
        [
            "Ingest, whole drop, into an empty schema", "Ingest rerun of the same drop (nothing changes)", "Backup",
            "Restore --jobs=1", $"Restore --jobs={Environment.ProcessorCount}", "Validate", "Peak memory of the tool during Ingest",
            "Ingest of the next drop (the years after) into the populated database",
            "Restore over live, verified, validated and swapped (./build.sh, the default)", "Restore --in-place, verified and validated (./build.sh)",
        ];
        foreach (var name in withBaseline)
        {
            Assert.That(figures, Does.ContainKey(name));
            var figure = figures[name];
            Assert.That(figure.GetProperty("ours").GetDouble(), Is.GreaterThan(0), name);
            Assert.That(figure.GetProperty("baseline").GetDouble(), Is.GreaterThan(0), name);
            Assert.That(figure.GetProperty("ratio").GetDouble(), Is.GreaterThan(0), name);
            Assert.That(figure.GetProperty("passed").ValueKind, Is.AnyOf(JsonValueKind.True, JsonValueKind.False), name);
        }
        // Cold Ingest is judged against PostgreSQL's own floor (COPY, then the schema's keys from the catalog, ANALYZE), plain COPY beside it.
        var ingest = figures["Ingest, whole drop, into an empty schema"];
        Assert.That(ingest.GetProperty("baseline_name").GetString(), Is.EqualTo("floor: COPY, then the schema's keys, ANALYZE"));
        Assert.That(ingest.GetProperty("goal").GetDouble(), Is.EqualTo(1.15));
        Assert.That(ingest.GetProperty("detail").GetString(), Does.Match("the floor builds 1[0-9] keys and indexes"));
        var plain = figures["  the same Ingest against COPY into plain tables"];
        Assert.That(plain.GetProperty("baseline").GetDouble(), Is.LessThan(ingest.GetProperty("baseline").GetDouble()),
            "building the keys costs the floor time beyond plain COPY");
        Assert.That(figures["Ingest of the shipped 40-security sample (the fixed cost of a run)"].GetProperty("goal").GetDouble(), Is.EqualTo(1.0));
        Assert.That(figures["Warm start of ./build.sh (a target that does nothing)"].GetProperty("ours").GetDouble(), Is.GreaterThan(0));
        // The RTO a DBA sees, against what they would type by hand; the whole command includes its start-up, said beside it.
        var beside = figures["Restore over live, verified, validated and swapped (./build.sh, the default)"];
        Assert.That(beside.GetProperty("baseline_name").GetString(), Is.EqualTo($"createdb + pg_restore -j {Environment.ProcessorCount}"));
        Assert.That(beside.GetProperty("goal").GetDouble(), Is.EqualTo(1.15));
        Assert.That(beside.GetProperty("detail").GetString(), Does.Match(@"^with the warm start of \./build\.sh \(\d+\.\d\d s\); less it: \d+\.\d\d×$"));
        foreach (var job in new[] { "securities", "ticker_history", "prices_daily", "corporate_actions", "adjustment_factors", "fundamentals_raw",
            "fundamentals_yoy" })
        {
            Assert.That(figures[$"  job {job} (rerun)"].GetProperty("ours").GetDouble(), Is.GreaterThan(0), job);
            Assert.That(figures[$"  job {job} (next drop)"].GetProperty("ours").GetDouble(), Is.GreaterThan(0), job);
        }
        // The profile behind the rerun: its prices proven by digest, none staged; the next drop's new days appended, none staged.
        Assert.That(figures["  job prices_daily (rerun)"].GetProperty("detail").GetString(), Does.EndWith("; 0 written, 0 staged"));
        Assert.That(figures["  job prices_daily (next drop)"].GetProperty("detail").GetString(), Does.EndWith(", 0 staged"));
        Assert.That(File.ReadAllText(Path.ChangeExtension(report, ".md")), Does.Contain("| Ingest, whole drop, into an empty schema |"));
        Assert.That(run.Output, Does.Contain("figure").And.Contain("baseline").And.Contain("ratio"), "the table is printed");
        Assert.That(Databases.Exists(database + "_baseline") || Databases.Exists(database + "_restore"), Is.False, "scratch databases are dropped");
    }
}
