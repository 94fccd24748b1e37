using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Preflight;

/// <summary>
/// Ambiguity stops the run: a command that could mean two things is refused before anything runs, with the live database unchanged.
/// </summary>
[TestFixture, Category("BadInput")]
public sealed class CommandLineTests : SeededLive
{
    void AssertRefused(BuildRun run, string expected)
    {
        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain(expected));
        Assert.That(run.Output, Does.Not.Contain("   at "), "one clear line, no stack trace");
        Assert.That(Databases.Fingerprint(Live), Is.EqualTo(Before));
    }

    [Test]
    public void AConfirmGivenTwiceWithDifferentValuesIsRefusedNamingBoth() =>
        AssertRefused(BuildScript.Run("--target=Restore", $"--database={Live}", "--confirm=other", $"--confirm={Live}",
            $"--backup={Databases.SourceWithBackup.Backup}"),
            $"--confirm is given 2 times, as --confirm=other and --confirm={Live}; say it once. Nothing was run.");

    [Test]
    public void ExclusiveIsRefusedBecauseItWouldSkipTheStepsARestoreDependsOn() =>
        AssertRefused(BuildScript.Run("--exclusive", "--target=Restore", $"--database={Live}", $"--confirm={Live}",
            $"--backup={Databases.SourceWithBackup.Backup}"),
            "--exclusive is refused: it runs a target without the steps it depends on");

    [Test]
    public void ShortTargetRunsThatTargetAndAConflictingPairIsRefused()
    {
        var run = BuildScript.Run("-t", "Validate", $"--database={Live}");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain($"Validate: \"{Live}\" passed"));

        AssertRefused(BuildScript.Run("-t", "Validate", "--target=Restore", $"--database={Live}", $"--confirm={Live}"),
            "-t Validate and --target=Restore name different targets");
    }

    [Test]
    public void AnUnknownTargetListsTheTargets() =>
        AssertRefused(BuildScript.Run("--target=Restroe", $"--database={Live}"), "Unknown target Restroe. Nothing was run. Targets: VerifyBackup, " +
            "Preflight, DropCreate");

    [Test]
    public void DefaultListsTheTargetsAndTheFlags()
    {
        var run = BuildScript.Run();
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        foreach (var target in new[] { "Restore", "ColdRebuild", "Backup", "Rehearsal", "Preflight" })
            Assert.That(run.Output, Does.Match($@"(?m)^\s+{target}\s+\S"), target);
        foreach (var flag in Flags.Runbook.Keys) Assert.That(run.Output, Does.Contain($"--{flag} "), flag);
    }

    [Test]
    public void ASetupFailurePrintsOneLineWithoutAStackTrace()
    {
        var nowhere = TestServer.Connection with { Host = "127.0.0.1", Port = 1 };
        var run = BuildScript.Run(nowhere, "--target=Validate", $"--database={Live}");
        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("Cannot connect to database \"postgres\" on"));
        Assert.That(run.Output, Does.Not.Contain("context data").And.Not.Contain("   at "));
    }

    [Test]
    public void ARelativeBackupPathMeansWhatItMeantWhereTheCommandWasTyped()
    {
        var backup = Databases.CopyOfBackup();
        var typedIn = Path.GetDirectoryName(Path.GetDirectoryName(backup))!;
        var relative = Path.GetRelativePath(typedIn, backup);
        var run = BuildScript.RunFrom(typedIn, "--target=VerifyBackup", $"--backup={relative}");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain($"VerifyBackup: checking {backup}"));
    }
}
