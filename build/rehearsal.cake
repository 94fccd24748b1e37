// The third use: a scheduled disaster-recovery rehearsal that proves the backup restores, how long it
// takes (RTO), how much it would lose (RPO), and that live, backup and migrations hold one schema.
using StocksRebuild.Rehearsal;

Task("Rehearsal")
    .Description("DR rehearsal: backup → VerifyBackup → restore + Validate in a scratch database (RTO, RPO) → cold rebuild → compare → report")
    .Does<RunbookParameters>((ctx, p) =>
    {
        var report = RecoveryRehearsal.Run(p.Server, p.RehearsalOptions, p.Log, p.Cancellation);
        var where = System.IO.Path.Combine(p.ReportDirectory, "report.md");
        if (!report.Passed) throw new RunbookException($"Rehearsal FAILED: {report.FailureSummary()}. Report: {where}");
        p.Log.Info($"Rehearsal passed: RTO {Durations.Format(TimeSpan.FromSeconds(report.RtoSeconds ?? 0))}, RPO {Durations.Format(TimeSpan.FromSeconds(report.RpoSeconds ?? 0))}. Report: {where}");
    });
