using System.Text;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Reliability;

/// <summary>The password never leaves the environment it came in; backups are private to their owner.</summary>
[TestFixture, Category("Security")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes are a Unix matter
public sealed class SecretsTests
{
    [Test]
    public void NothingTheToolPrintsLogsOrWritesHoldsThePassword()
    {
        var password = TestServer.Connection.Password!;
        Assert.That(password, Has.Length.GreaterThanOrEqualTo(16), "a distinctive password, so a leak cannot hide");
        var database = Databases.NewName("secret");
        var folder = Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-secret-").FullName, "backups");
        var reports = Directory.CreateTempSubdirectory("stocksrebuild-secret-report-").FullName;
        var badDrop = Drops.CopyOfSample();
        Drops.ReplaceLine(badDrop, "securities.csv", 3, "2,Bad,LSE,gbp,,,");

        var runs = new[]
        {
            BuildScript.Run("--target=ColdRebuild", $"--database={database}", $"--confirm={database}"),
            BuildScript.Run("--target=Backup", $"--database={database}", $"--backup-dir={folder}"),
            BuildScript.Run("--target=Ingest", $"--database={database}", $"--source={badDrop}"),
            BuildScript.Run("--target=Rehearsal", $"--database={database}", $"--backup-dir={folder}", $"--report-dir={reports}"),
        };

        Assert.That(runs.Select(r => r.ExitCode), Is.EqualTo(new[] { 0, 0, 1, 0 }), string.Join("\n", runs.Select(r => r.Output)));
        Assert.That(Directory.GetFiles(reports), Has.Length.EqualTo(4), "report.json, report.md, history.jsonl, trend.svg");
        foreach (var file in Directory.GetFiles(reports))
            Assert.That(File.ReadAllText(file), Does.Not.Contain(password), file);
        foreach (var run in runs) Assert.That(run.Output, Does.Not.Contain(password));
        Assert.That(Databases.Scalar<string>(database, "SELECT string_agg(l::text, E'\\n') FROM stocks_research.ingestion_log l"),
            Does.Contain("currency").And.Not.Contain(password), "the ingestion log, failure included");
        foreach (var file in Directory.GetFiles(folder))
            Assert.That(Encoding.Latin1.GetString(File.ReadAllBytes(file)), Does.Not.Contain(password), file);

        var manifest = Directory.GetFiles(folder, "*.manifest.json").Single();
        var dump = Directory.GetFiles(folder, "*.dump").Single();
        Assert.That(File.GetUnixFileMode(folder), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute),
            "the backup folder is 0700");
        Assert.That(File.GetUnixFileMode(dump), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "the backup is 0600");
        Assert.That(File.GetUnixFileMode(manifest), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "the manifest is 0600");
    }
}
