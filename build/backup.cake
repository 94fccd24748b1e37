// Not a runbook step but the runbook's premise: a full backup, append-only, with its manifest.
using StocksRebuild.Backups;

Task("Backup")
    .Description("pg_dump -Fc the target database to full_YYYYMMDD_HHMM.dump with a manifest")
    .Does<RunSession>((ctx, s) => BackupWriter.Backup(s.Run, s.Settings.Database, s.Settings.BackupDirectory));
