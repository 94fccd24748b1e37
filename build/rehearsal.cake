// The third use: a scheduled disaster-recovery rehearsal that proves the backup restores, how long it
// takes (RTO), how much it would lose (RPO), and that live, backup and migrations hold one schema.
using StocksRebuild.Rehearsal;

Task("Rehearsal")
    .Description("DR rehearsal: backup → VerifyBackup → restore + Validate in a scratch database (RTO, RPO) → cold rebuild → compare → report")
    .Does<RunSession>((ctx, s) =>
    {
        var report = RecoveryRehearsal.Run(s.Run, s.Settings.RehearsalOptions);
        var where = System.IO.Path.Combine(s.Settings.ReportDirectory, "report.md");
        if (!report.Passed) throw new RunbookException($"Rehearsal FAILED: {report.FailureSummary()}. Report: {where}");
        s.Log.Info($"Rehearsal passed: RTO {Durations.Format(TimeSpan.FromSeconds(report.RtoSeconds ?? 0))}, " +
                   $"RPO {Durations.Format(TimeSpan.FromSeconds(report.RpoSeconds ?? 0))}. Report: {where}");
    });
