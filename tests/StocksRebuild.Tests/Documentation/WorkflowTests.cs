using System.Text.RegularExpressions;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Documentation;

/// <summary>
/// The scheduled rehearsal runs on GitHub, not here; what can be proven here is that its ./build.sh lines
/// name targets and flags the tool has (an unknown flag would be refused on the night it matters).
/// </summary>
[TestFixture]
public sealed class WorkflowTests
{
    static readonly string Workflow = File.ReadAllText(Path.Combine(BuildScript.RepositoryRoot, ".github", "workflows", "rehearsal.yml"));

    /// <summary>The text of every step that runs ./build.sh (a step starts at "      - ").</summary>
    static IReadOnlyList<string> BuildSteps() =>
        Regex.Split(Workflow, @"\n      - ").Where(step => step.Contains("run:", StringComparison.Ordinal) && step.Contains("./build.sh", StringComparison.Ordinal)).ToList();

    static IReadOnlySet<string> Targets() =>
        Directory.GetFiles(Path.Combine(BuildScript.RepositoryRoot, "build"), "*.cake")
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), @"Task\(""(\w+)""\)").Select(m => m.Groups[1].Value))
            .ToHashSet();

    [Test]
    public void TheWorkflowRunsColdRebuildBackupAndRehearsalWithFlagsTheToolKnows()
    {
        var steps = BuildSteps();
        var targets = steps.SelectMany(s => Regex.Matches(s, @"--target=(\w+)").Select(m => m.Groups[1].Value)).ToList();
        Assert.That(targets, Is.EqualTo(new[] { "ColdRebuild", "Backup", "Rehearsal" }));
        Assert.That(targets, Is.SubsetOf(Targets()));
        var flags = steps.SelectMany(s => Regex.Matches(s, @"(?<=[\s'])--([a-z][a-z-]*)").Select(m => m.Groups[1].Value)).Distinct().ToList();
        Assert.That(flags, Does.Contain("max-rto").And.Contain("max-backup-age").And.Contain("deep"));
        Assert.That(flags.Where(f => !Flags.Runbook.ContainsKey(f) && !Flags.Cake.Contains(f)), Is.Empty);
    }

    [Test]
    public void TheWorkflowIsScheduledOnDemandAgainstAServiceContainerAndKeepsItsReport()
    {
        Assert.That(Workflow, Does.Contain("schedule:").And.Contain("workflow_dispatch:"));
        Assert.That(Workflow, Does.Match(@"services:\s+postgres:\s+image: postgres:"));
        Assert.That(Workflow, Does.Contain("actions/upload-artifact").And.Contain("path: artifacts/rehearsal/"));
        Assert.That(Workflow, Does.Contain("artifacts/rehearsal/history.jsonl"), "the trend needs the history of earlier runs");
    }
}
