// Scenario A — Restore from Full Backup (the runbook's primary path), one task per numbered step.
using StocksRebuild.Connection;
using StocksRebuild.Restore;
using StocksRebuild.Validation;

// 1. Verify backup exists: one file, whole, readable by our pg_restore, of the expected time and age.
Task("VerifyBackup")
    .Description("Runbook A.1: pick one backup and prove it whole before anything is destroyed")
    .Does<RunSession>((ctx, s) => s.VerifyBackup());

// Before step 2 destroys anything: the client tools log in exactly as pg_restore will (libpq, not Npgsql); the mode and its consent.
Task("Preflight")
    .Description("Before DropCreate: prove the client tools (libpq) log in as pg_restore will; say the restore's mode and check its consent")
    .Does<RunSession>((ctx, s) => s.Preflight());

// 2. Create empty database (dropdb first when it exists: destructive, needs --confirm=<database>); beside live, the incoming one.
Task("DropCreate")
    .Description("Runbook A.2 / B.1: create the empty target database (Restore beside live: the incoming one; --in-place: dropped first)")
    .Does<RunSession>((ctx, s) => s.DropCreate());

// 3. Restore full backup: pg_restore --no-owner --no-privileges, stopping at the first error.
Task("RestoreBackup")
    .Description("Runbook A.3: pg_restore the verified backup into the new database")
    .IsDependentOn("VerifyBackup")
    .IsDependentOn("Preflight")
    .IsDependentOn("DropCreate")
    .Does<RunSession>((ctx, s) => s.RestoreBackup());

// 4. Post-restore validation: counts, every foreign key, every view, and the backup's manifest (--deep: amcheck, full reads).
Task("Validate")
    .Description("Runbook A.4 / B.5: read-only checks of the target database")
    .Does<RunSession>((ctx, s) =>
    {
        var unfinished = s.UnfinishedRestoreOf();
        var backup = s.BackupToValidateAgainst(unfinished);
        var report = Validator.Validate(s.Run.Server, s.BuildInto, backup?.Manifest, s.Settings.Output.Start("Validate", s.Log), backup?.Path);
        // A database the tool did not create is only read: amcheck is used when installed, never installed.
        if (s.Settings.IsDeep) report = report.Including(Validator.Deep(s.Run.Server, s.BuildInto, installAmcheck: false));
        if (s.Settings.ValidatesStrictly) report = report.Strict();
        report = s.JudgeSessions(report);
        if (unfinished is not null) report = unfinished.Judge(report, backup, s.RestoredHere);
        s.Log.Info(report.FormatTable());
        if (!report.Passed) throw new RunbookException(report.FailureMessage());
        s.Validated(unfinished);
        var warnings = report.Warnings.ToList();
        foreach (var warning in warnings) s.Log.Warning($"Validate: {warning.Check} {warning.Subject}: {warning.Detail}");
        var warned = warnings.Count == 0 ? "" : $", {warnings.Count} with a warning (a database these migrations did not build? --strict fails them)";
        s.Log.Info($"Validate: \"{s.BuildInto}\" passed {report.Checks.Count} checks in {report.Duration.TotalSeconds:0.0}s{warned}.");
    });

// Beside live: only a validated copy replaces the live database, in one rename; the live one is kept as <db>_previous_<utc>.
Task("Swap")
    .Description("Restore beside live: carry the database's grants and settings, end its sessions and rename it away and the validated copy in")
    .WithCriteria<RunSession>((ctx, s) => s.Swap is not null, "nothing to swap: the backup went into the target's own name (it did not exist, or --in-place)")
    .Does<RunSession>((ctx, s) =>
    {
        var previous = s.Swap!.Swap();
        if (previous is not null)
            s.Log.Info($"The previous database is kept as \"{previous}\": to go back to it, --target=SwapBack --confirm={previous}; drop it when " +
                $"no longer needed: --target=DropPrevious --confirm={previous}");
    });

Task("Restore")
    .Description("Scenario A: VerifyBackup → Preflight → DropCreate → RestoreBackup → Validate → Swap (beside an existing database; --in-place: drop it first)")
    .IsDependentOn("VerifyBackup")
    .IsDependentOn("Preflight")
    .IsDependentOn("DropCreate")
    .IsDependentOn("RestoreBackup")
    .IsDependentOn("Validate")
    .IsDependentOn("Swap");

Task("DropPrevious")
    .Description("Drop a <db>_previous_<utc> copy kept by Restore, named exactly by --confirm")
    .Does<RunSession>((ctx, s) => SwapRestore.DropPrevious(s.Run, s.Settings.Database, s.Settings.Confirm));

Task("SwapBack")
    .Description("Put a <db>_previous_<utc> copy back as <db>, named exactly by --confirm; the database it replaces is kept as a previous copy")
    .Does<RunSession>((ctx, s) => SwapRestore.SwapBack(s.Run, s.Settings.Database, s.Settings.Confirm));
