
namespace StocksRebuild.Backups;

/// <summary>
/// One Backup per folder at a time: an exclusive lock on DIR/.stocksrebuild.lock (flock on Unix, taken
/// by .NET for FileShare.None and released by the kernel when the holder dies). The holder's pid, host
/// and start go to a file beside it, readable while the lock is held and removed with it.
/// </summary>
public sealed class BackupFolderLock : IDisposable
{
    const string LockName = ".stocksrebuild.lock";
    readonly FileStream stream;

    BackupFolderLock(FileStream stream) => this.stream = stream;

    public static BackupFolderLock Acquire(string directory)
    {
        var path = Path.Combine(directory, LockName);
        try
        {
            // 0600 like everything the tool writes beside backups, though it holds nothing.
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            var stream = new FileStream(path, options);
            // A lock file an older version made with the umask's mode is made private too.
            if (!OperatingSystem.IsWindows()) try { File.SetUnixFileMode(path, options.UnixCreateMode!.Value); } catch (UnauthorizedAccessException) { }
            PrivateFiles.WriteAllText(path + ".holder", $"pid {Environment.ProcessId}, host {Environment.MachineName}, since " +
                $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}Z");
            return new BackupFolderLock(stream);
        }
        catch (IOException)
        {
            var holder = File.Exists(path + ".holder") ? File.ReadAllText(path + ".holder") : "holder unknown";
            throw new RunbookException($"another StocksRebuild run holds the lock on the backup folder {directory} ({holder}); nothing was " +
                $"written. Wait for its Backup to finish.");
        }
    }

    // The lock file stays (removing it would race with a run opening it); the holder note goes.
    public void Dispose()
    {
        File.Delete(stream.Name + ".holder");
        stream.Dispose();
    }
}
