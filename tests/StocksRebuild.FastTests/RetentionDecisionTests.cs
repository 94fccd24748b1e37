using StocksRebuild.Backups;

namespace StocksRebuild.FastTests;

/// <summary>Prune's decisions from given backups: the rules, the floor and --keep-backup, without a server.</summary>
[TestFixture]
public sealed class RetentionDecisionTests
{
    static readonly DateTime Now = new(2026, 11, 26, 12, 0, 0, DateTimeKind.Utc);
    static readonly (string, DateTime)[] FiveDaily = Enumerable.Range(0, 5).Select(d => (BackupName.For(Now.AddDays(-d)), Now.AddDays(-d))).ToArray();

    static string[] Deleted(RetentionPolicy policy, string? floor = null) =>
        BackupRetention.Decide(FiveDaily, policy, Now, floor).Where(d => d.Delete).Select(d => d.File).ToArray();

    [Test]
    public void CountOnlyTimeOnlyAndBothRulesTogether()
    {
        var floor = FiveDaily[0].Item1;
        Assert.That(Deleted(new RetentionPolicy { Keep = 2 }, floor), Is.EqualTo(FiveDaily.Skip(2).Select(b => b.Item1)));
        Assert.That(Deleted(new RetentionPolicy { KeepFor = TimeSpan.FromDays(3) }, floor), Is.EqualTo(FiveDaily.Skip(4).Select(b => b.Item1)));
        // Both given: a backup goes only when both let it go (the newest 4 by count, the last 1 day by time).
        Assert.That(Deleted(new RetentionPolicy { Keep = 4, KeepFor = TimeSpan.FromDays(1) }, floor), Is.EqualTo(FiveDaily.Skip(4).Select(b
            => b.Item1)));
        Assert.That(Deleted(new RetentionPolicy { Keep = 1, KeepFor = TimeSpan.FromDays(2) }, floor), Is.EqualTo(FiveDaily.Skip(3).Select(b
            => b.Item1)));
    }

    [Test]
    public void TheFloorAndKeepBackupStayWhateverTheRulesSay()
    {
        var oldestVerified = FiveDaily[3].Item1;
        var decisions = BackupRetention.Decide(FiveDaily, new RetentionPolicy { Keep = 1,
            KeepBackup = FiveDaily[4].Item2.ToString(BackupName.TimestampFormat) }, Now, oldestVerified);
        Assert.That(decisions.Where(d => d.Delete).Select(d => d.File), Is.EqualTo(new[] { FiveDaily[1].Item1, FiveDaily[2].Item1 }));
        Assert.That(decisions.Single(d => d.File == oldestVerified).Reason, Does.Contain("the floor"));
        Assert.That(decisions.Single(d => d.File == FiveDaily[4].Item1).Reason, Does.Contain("--keep-backup="));
        Assert.That(decisions.Single(d => d.File == FiveDaily[1].Item1).Reason, Is.EqualTo("allowed by --keep=1 (number 2)"));
    }

    [Test]
    public void NoRuleIsRefused() =>
        Assert.That(() => Deleted(new RetentionPolicy()), Throws.InstanceOf<RunbookException>().With.Message.Contains("Prune needs a rule"));
}
