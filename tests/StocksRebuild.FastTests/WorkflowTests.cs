using System.Text.RegularExpressions;

namespace StocksRebuild.FastTests;

/// <summary>
/// The scheduled rehearsal runs on GitHub, not here. actionlint (in .ci/run) proves the workflow well formed;
/// what it cannot know is that its ./build.sh lines name targets and flags this tool has (an unknown flag would be
/// refused on the night it matters).
/// </summary>
[TestFixture]
public sealed class WorkflowTests
{
    static readonly string Workflow = File.ReadAllText(Path.Combine(Repository.Root, ".github", "workflows", "rehearsal.yml"));

    /// <summary>The text of every step that runs ./build.sh (a step starts at "      - ").</summary>
    static IReadOnlyList<string> BuildSteps() =>
        Regex.Split(Workflow, @"\n      - ").Where(step => step.Contains("run:", StringComparison.Ordinal) && step.Contains("./build.sh",
            StringComparison.Ordinal)).ToList();

    static IReadOnlySet<string> Targets() =>
        Directory.GetFiles(Path.Combine(Repository.Root, "build"), "*.cake")
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
}
