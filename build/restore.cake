// Scenario A — Restore from Full Backup (the runbook's primary path), one task per numbered step.
using StocksRebuild.Backups;
using StocksRebuild.Restore;
using StocksRebuild.Validation;

// 1. Verify backup exists: one file, whole, readable by our pg_restore, of the expected time and age.
Task("VerifyBackup")
    .Description("Runbook A.1: pick one backup and prove it whole before anything is destroyed")
    .Does<RunbookParameters>((ctx, p) => p.VerifiedBackup = BackupVerifier.Verify(p.VerifyOptions, p.Log));

// 2. Create empty database (dropdb first when it exists: destructive, needs --confirm=<database>).
Task("DropCreate")
    .Description("Runbook A.2 / B.1: drop (with --confirm) and create the empty target database")
    .Does<RunbookParameters>((ctx, p) => p.Admin.DropCreate(p.Database, p.Confirm, p.UseSandbox, p.Log, p.Cancellation));

// 3. Restore full backup: pg_restore --no-owner --no-privileges, stopping at the first error.
Task("RestoreBackup")
    .Description("Runbook A.3: pg_restore the verified backup into the new database")
    .IsDependentOn("VerifyBackup")
    .IsDependentOn("DropCreate")
    .Does<RunbookParameters>((ctx, p) =>
        BackupRestorer.Restore(p.Server, p.VerifiedBackup.Path, p.Database, p.Jobs, p.Log, p.Cancellation));

// 4. Post-restore validation: counts, every foreign key, every view, and the backup's manifest.
Task("Validate")
    .Description("Runbook A.4 / B.5: read-only checks of the target database")
    .Does<RunbookParameters>((ctx, p) =>
    {
        var report = Validator.Validate(p.Server, p.Database, p.VerifiedBackup?.Manifest);
        p.Log.Info(report.FormatTable());
        if (!report.Passed) throw new RunbookException(report.FailureMessage());
        p.Log.Info($"Validate: \"{p.Database}\" passed {report.Checks.Count} checks in {report.Duration.TotalSeconds:0.0}s.");
    });

Task("Restore")
    .Description("Scenario A: VerifyBackup → DropCreate → RestoreBackup → Validate")
    .IsDependentOn("RestoreBackup")
    .IsDependentOn("Validate");

// Not a runbook step but the runbook's premise: a full backup, append-only, with its manifest.
Task("Backup")
    .Description("pg_dump -Fc the target database to full_YYYYMMDD_HHMM.dump with a manifest")
    .Does<RunbookParameters>((ctx, p) => BackupWriter.Backup(p.Server, p.Database, p.BackupDirectory, p.Log, cancellation: p.Cancellation));
