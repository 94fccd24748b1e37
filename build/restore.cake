// Scenario A — Restore from Full Backup (the runbook's primary path), one task per numbered step.
using StocksRebuild.Connection;
using StocksRebuild.Restore;
using StocksRebuild.Validation;

// 1. Verify backup exists: one file, whole, readable by our pg_restore, of the expected time and age.
Task("VerifyBackup")
    .Description("Runbook A.1: pick one backup and prove it whole before anything is destroyed")
    .Does<RunSession>((ctx, s) => s.VerifyBackup());

// Before step 2 destroys anything: the client tools log in exactly as pg_restore will (libpq, not Npgsql).
Task("Preflight")
    .Description("Before DropCreate: prove the client tools (libpq) log in with the environment pg_restore will get")
    .Does<RunSession>((ctx, s) =>
    {
        ClientLogin.Prove(s.Run.Server, s.Settings.MaintenanceDatabase, "RestoreBackup (pg_restore)");
        s.Log.Info($"Preflight: the client tools log in to {s.Run.Server.Describe(s.Settings.MaintenanceDatabase)} as pg_restore will.");
    });

// 2. Create empty database (dropdb first when it exists: destructive, needs --confirm=<database>).
Task("DropCreate")
    .Description("Runbook A.2 / B.1: drop (with --confirm) and create the empty target database")
    .WithCriteria<RunSession>((ctx, s) => !s.Settings.ShouldSwap, "--swap keeps the live database; the backup goes into a new one")
    .Does<RunSession>((ctx, s) => s.Admin.DropCreate(s.Settings.Database, s.Settings.Consent, s.Log, s.Run.Cancellation));

// 3. Restore full backup: pg_restore --no-owner --no-privileges, stopping at the first error.
Task("RestoreBackup")
    .Description("Runbook A.3: pg_restore the verified backup into the new database")
    .IsDependentOn("VerifyBackup")
    .IsDependentOn("Preflight")
    .IsDependentOn("DropCreate")
    .Does<RunSession>((ctx, s) =>
    {
        s.Swap?.Prepare();
        var backup = s.VerifiedBackup ?? throw new InvalidOperationException("VerifyBackup did not run");
        BackupRestorer.Restore(s.Run, backup.Path, s.RestoreInto, s.Settings.Jobs);
    });

// 4. Post-restore validation: counts, every foreign key, every view, and the backup's manifest (--deep: amcheck, full reads).
Task("Validate")
    .Description("Runbook A.4 / B.5: read-only checks of the target database")
    .Does<RunSession>((ctx, s) =>
    {
        var report = Validator.Validate(s.Run.Server, s.RestoreInto, s.VerifiedBackup?.Manifest, s.Settings.Output.Start("Validate", s.Log));
        // A database the tool did not create is only read: amcheck is used when installed, never installed.
        if (s.Settings.IsDeep) report = report.Including(Validator.Deep(s.Run.Server, s.RestoreInto, installAmcheck: false));
        if (s.Settings.ValidatesStrictly) report = report.Strict();
        s.Log.Info(report.FormatTable());
        if (!report.Passed) throw new RunbookException(report.FailureMessage());
        var warnings = report.Warnings.ToList();
        foreach (var warning in warnings) s.Log.Warning($"Validate: {warning.Check} {warning.Subject}: {warning.Detail}");
        var warned = warnings.Count == 0 ? "" : $", {warnings.Count} with a warning (a database these migrations did not build? --strict fails them)";
        s.Log.Info($"Validate: \"{s.RestoreInto}\" passed {report.Checks.Count} checks in {report.Duration.TotalSeconds:0.0}s{warned}.");
    });

// --swap: only a validated copy replaces the live database, in one rename; the live one is kept as <db>_previous_<utc>.
Task("Swap")
    .Description("Restore --swap: end sessions on the live database for the instant of renaming it away and the validated copy in")
    .WithCriteria<RunSession>((ctx, s) => s.Settings.ShouldSwap, "without --swap the backup was restored in place")
    .Does<RunSession>((ctx, s) =>
    {
        var previous = s.Swap!.Swap();
        if (previous is not null)
            s.Log.Info($"The previous database is kept as \"{previous}\"; drop it when no longer needed: --target=DropPrevious --confirm={previous}");
    });

Task("Restore")
    .Description("Scenario A: VerifyBackup → Preflight → DropCreate → RestoreBackup → Validate (--swap: into a new database, then Swap)")
    .IsDependentOn("VerifyBackup")
    .IsDependentOn("Preflight")
    .IsDependentOn("DropCreate")
    .IsDependentOn("RestoreBackup")
    .IsDependentOn("Validate")
    .IsDependentOn("Swap");

Task("DropPrevious")
    .Description("Drop a <db>_previous_<utc> copy kept by Restore --swap, named exactly by --confirm")
    .Does<RunSession>((ctx, s) => SwapRestore.DropPrevious(s.Run, s.Settings.Database, s.Settings.Confirm));
