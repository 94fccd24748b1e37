// Scenario A — Restore from Full Backup (the runbook's primary path), one task per numbered step.
using StocksRebuild.Backups;
using StocksRebuild.Connection;
using StocksRebuild.Restore;
using StocksRebuild.Validation;

// 1. Verify backup exists: one file, whole, readable by our pg_restore, of the expected time and age.
Task("VerifyBackup")
    .Description("Runbook A.1: pick one backup and prove it whole before anything is destroyed")
    .Does<RunbookParameters>((ctx, p) => p.VerifiedBackup = BackupVerifier.Verify(p.VerifyOptions, p.Log));

// Before step 2 destroys anything: the client tools log in exactly as pg_restore will (libpq, not Npgsql).
Task("Preflight")
    .Description("Before DropCreate: prove the client tools (libpq) log in with the environment pg_restore will get")
    .Does<RunbookParameters>((ctx, p) =>
    {
        ClientLogin.Prove(p.Server, p.MaintenanceDatabase, "RestoreBackup (pg_restore)");
        p.Log.Info($"Preflight: the client tools log in to {p.Server.Describe(p.MaintenanceDatabase)} as pg_restore will.");
    });

// 2. Create empty database (dropdb first when it exists: destructive, needs --confirm=<database>).
Task("DropCreate")
    .Description("Runbook A.2 / B.1: drop (with --confirm) and create the empty target database")
    .WithCriteria<RunbookParameters>((ctx, p) => !p.Swap, "--swap keeps the live database; the backup goes into a new one")
    .Does<RunbookParameters>((ctx, p) => p.Admin.DropCreate(p.Database, p.Confirm, p.UseSandbox, p.Log, p.Cancellation));

// 3. Restore full backup: pg_restore --no-owner --no-privileges, stopping at the first error.
Task("RestoreBackup")
    .Description("Runbook A.3: pg_restore the verified backup into the new database")
    .IsDependentOn("VerifyBackup")
    .IsDependentOn("Preflight")
    .IsDependentOn("DropCreate")
    .Does<RunbookParameters>((ctx, p) =>
    {
        if (p.Swap) SwapRestore.PrepareIncoming(p.Server, p.MaintenanceDatabase, p.Database, p.RestoreInto, p.Confirm, p.UseSandbox, p.Log, p.Cancellation);
        BackupRestorer.Restore(p.Server, (p.VerifiedBackup ?? throw new InvalidOperationException("VerifyBackup did not run")).Path, p.RestoreInto, p.Jobs, p.Log, p.Cancellation, p.Output);
    });

// 4. Post-restore validation: counts, every foreign key, every view, and the backup's manifest (--deep: amcheck, full reads).
Task("Validate")
    .Description("Runbook A.4 / B.5: read-only checks of the target database")
    .Does<RunbookParameters>((ctx, p) =>
    {
        var report = Validator.Validate(p.Server, p.RestoreInto, p.VerifiedBackup?.Manifest, p.Output.Start("Validate", p.Log));
        // A database the tool did not create is only read: amcheck is used when installed, never installed.
        if (p.Deep) report = report.Including(Validator.Deep(p.Server, p.RestoreInto, installAmcheck: false));
        p.Log.Info(report.FormatTable());
        if (!report.Passed) throw new RunbookException(report.FailureMessage());
        p.Log.Info($"Validate: \"{p.RestoreInto}\" passed {report.Checks.Count} checks in {report.Duration.TotalSeconds:0.0}s.");
    });

// --swap: only a validated copy replaces the live database, in one rename; the live one is kept as <db>_previous_<utc>.
Task("Swap")
    .Description("Restore --swap: end sessions on the live database for the instant of renaming it away and the validated copy in")
    .WithCriteria<RunbookParameters>((ctx, p) => p.Swap, "without --swap the backup was restored in place")
    .Does<RunbookParameters>((ctx, p) =>
    {
        var previous = SwapRestore.Swap(p.Server, p.MaintenanceDatabase, p.Database, p.RestoreInto, p.Log);
        p.Swapped = true;
        if (previous is not null)
            p.Log.Info($"The previous database is kept as \"{previous}\"; drop it when no longer needed: --target=DropPrevious --confirm={previous}");
    });

Task("Restore")
    .Description("Scenario A: VerifyBackup → Preflight → DropCreate → RestoreBackup → Validate (--swap: into a new database, then Swap)")
    .IsDependentOn("RestoreBackup")
    .IsDependentOn("Validate")
    .IsDependentOn("Swap");

Task("DropPrevious")
    .Description("Drop a <db>_previous_<utc> copy kept by Restore --swap, named exactly by --confirm")
    .Does<RunbookParameters>((ctx, p) => SwapRestore.DropPrevious(p.Server, p.MaintenanceDatabase, p.Database, p.Confirm, p.Log));

// Not a runbook step but the runbook's premise: a full backup, append-only, with its manifest.
Task("Backup")
    .Description("pg_dump -Fc the target database to full_YYYYMMDD_HHMM.dump with a manifest")
    .Does<RunbookParameters>((ctx, p) => BackupWriter.Backup(p.Server, p.Database, p.BackupDirectory, p.Log, cancellation: p.Cancellation, waitFor: p.WaitForLock, output: p.Output));
