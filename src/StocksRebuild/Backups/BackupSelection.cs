namespace StocksRebuild.Backups;

/// <summary>Runbook step 1 picks exactly one backup: the one named, else the newest in the folder by its name's timestamp.</summary>
public static class BackupSelection
{
    public static string Pick(string? explicitFile, string backupDirectory)
    {
        if (explicitFile is not null)
        {
            if (Directory.Exists(explicitFile))
                throw new RunbookException($"--backup={explicitFile} is a directory; VerifyBackup takes one pg_dump custom-format file ({BackupName.Pattern}), not a directory-format dump.");
            if (!File.Exists(explicitFile))
                throw new RunbookException($"--backup={explicitFile}: no such file.");
            if (!BackupName.TryParse(Path.GetFileName(explicitFile), out _))
                throw new RunbookException($"{explicitFile}: the name does not follow {BackupName.Pattern} with a real date and time, so its timestamp cannot be checked. Rename it or pick another backup.");
            return explicitFile;
        }

        if (!Directory.Exists(backupDirectory))
            throw new RunbookException($"--backup-dir={backupDirectory}: no such folder. Give --backup=FILE or --backup-dir=DIR.");

        var newest = Directory.EnumerateFiles(backupDirectory, "full_*.dump")
            .Select(path => (path, ok: BackupName.TryParse(Path.GetFileName(path), out var utc), utc))
            .Where(c => c.ok)
            .OrderByDescending(c => c.utc)
            .FirstOrDefault();
        return newest.path
            ?? throw new RunbookException($"No backup matching {BackupName.Pattern} in {backupDirectory}. Give --backup=FILE, or take one with --target=Backup.");
    }
}
