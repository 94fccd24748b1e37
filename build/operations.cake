// Running it for years: retention with a safety floor, and a status check a monitor can read.
using StocksRebuild.Backups;
using StocksRebuild.Monitoring;

// Not a runbook step: the folder of append-only backups would otherwise grow forever.
Task("Prune")
    .Description("Retention for --backup-dir: --keep=N and/or --keep-for=30d (both must allow), never the newest verified backup; deletes only " +
        "with --confirm=prune; --offsite with --offsite-keep/--offsite-keep-for does the same off-site")
    .Does<RunSession>((ctx, s) => s.Prune(dryRun: false));

// One screen for the operator, an exit code for a monitor (0 OK, 1 warning, 2 critical), --metrics-file for Prometheus.
Task("Status")
    .Description("Newest backup and its real age, free space, last rehearsal, last ingestion per job, pending migrations; exit 0/1/2; " +
        "--metrics-file=PATH")
    .Does<RunSession>((ctx, s) =>
    {
        var status = s.WriteStatus();
        s.Log.Info(status.FormatTable());
        s.ExitCode = status.ExitCode;
    });
