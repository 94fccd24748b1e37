using System.Security.Cryptography;
using StocksRebuild.Sample;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Ingestion;

[TestFixture]
public sealed class GenerateSampleTests
{
    static string NewFolder() => Path.Combine(Directory.CreateTempSubdirectory("stocksrebuild-gen-").FullName, "drop");

    static Dictionary<string, string> Hashes(string drop) =>
        Directory.EnumerateFiles(drop, "*.csv", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(drop, f),
            f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    [Test]
    public void TheShippedSampleIsExactlyWhatTheDocumentedCommandWrites()
    {
        var drop = NewFolder();

        var run = BuildScript.Run("--target=GenerateSample", "--securities=40", "--years=2", $"--out={drop}");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(Hashes(drop), Is.EqualTo(Hashes(Drops.Sample)), "sample/ is generated, never edited by hand");
    }

    [Test]
    public void AnotherSeedGivesOtherPricesAndTheSameShape()
    {
        var drop = NewFolder();
        SampleGenerator.Generate(new SampleSpec { Seed = 7 }, drop, new TestLog());

        var ours = Hashes(drop);
        var shipped = Hashes(Drops.Sample);
        Assert.That(ours.Keys, Is.EquivalentTo(shipped.Keys));
        Assert.That(ours["prices/2024_by_id.csv"], Is.Not.EqualTo(shipped["prices/2024_by_id.csv"]));
        Assert.That(File.ReadAllText(Path.Combine(drop, "ticker_history.csv")), Is.EqualTo(File.ReadAllText(Path.Combine(Drops.Sample,
            "ticker_history.csv"))));
    }

    [Test]
    public void AFolderThatIsNotEmptyIsRefused()
    {
        var drop = NewFolder();
        Directory.CreateDirectory(drop);
        File.WriteAllText(Path.Combine(drop, "keep.txt"), "mine");

        var error = Assert.Throws<RunbookException>(() => SampleGenerator.Generate(new SampleSpec(), drop, new TestLog()));

        Assert.That(error!.Message, Does.Contain($"{drop} is not empty"));
        Assert.That(Directory.GetFiles(drop), Is.EqualTo(new[] { Path.Combine(drop, "keep.txt") }));
    }
}
