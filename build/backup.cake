// Not a runbook step but the runbook's premise: a full backup, append-only, with its manifest; --offsite copies it off the host.
using StocksRebuild.Offsite;

Task("Backup")
    .Description("pg_dump -Fc the target database to full_YYYYMMDD_HHMM.dump with a manifest; --offsite=REMOTE:PATH copies both there and " +
        "proves them")
    .Does<RunSession>((ctx, s) => s.Backup());

// After an interrupted or failed copy, or when Status says the off-site copy lags: send a local backup, proven first.
Task("OffsiteCopy")
    .Description("Copy a verified local backup (the newest, or --backup=FILE) to --offsite=REMOTE:PATH and prove it there")
    .IsDependentOn("VerifyBackup")
    .Does<RunSession>((ctx, s) => s.CopyOffsite(OffsiteCopy.Preflight(s.Settings.Offsite!, s.Run.Cancellation), s.VerifiedBackup!.Path));
