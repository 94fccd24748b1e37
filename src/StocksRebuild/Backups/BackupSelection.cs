namespace StocksRebuild.Backups;

/// <summary>Runbook step 1 picks exactly one backup: the one named, else the newest in the folder by its name's timestamp.</summary>
public static class BackupSelection
{
    public static string Pick(string? explicitFile, string backupDirectory)
    {
        if (explicitFile is not null)
        {
            if (Directory.Exists(explicitFile))
                throw new RunbookException($"--backup={explicitFile} is a directory; VerifyBackup takes one pg_dump custom-format file " +
                    $"({BackupName.Pattern}), not a directory-format dump.");
            if (!File.Exists(explicitFile))
                throw new RunbookException($"--backup={explicitFile}: no such file.");
            return Judged(explicitFile);
        }

        if (!Directory.Exists(backupDirectory))
            throw new RunbookException($"--backup-dir={backupDirectory}: no such folder. Give --backup=FILE or --backup-dir=DIR.");

        return Judged(BackupName.InFolder(backupDirectory).FirstOrDefault().Path
            ?? throw new RunbookException($"No backup matching {BackupName.Pattern} in {backupDirectory}. Give --backup=FILE, or take one with " +
                $"--target=Backup."));
    }

    /// <summary>
    /// A symbolic link is judged as the file it points to: that file's name carries the timestamp and its
    /// manifest lies beside it, whatever the link is called.
    /// </summary>
    static string Judged(string path)
    {
        string target;
        try { target = File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path; }
        catch (IOException e) { throw new RunbookException($"VerifyBackup refused {path}: cannot be read: {e.Message}. Nothing was changed."); }
        if (!File.Exists(target))
            throw new RunbookException($"{path} is a link to {target}, which does not exist.");
        if (!BackupName.TryParse(Path.GetFileName(target), out _))
            throw new RunbookException($"{target}: the name does not follow {BackupName.Pattern} with a real date and time, so its timestamp " +
                $"cannot be checked. Rename it or pick another backup."
                + (target == path ? "" : $" ({path} is a link to it.)"));
        return target;
    }
}
