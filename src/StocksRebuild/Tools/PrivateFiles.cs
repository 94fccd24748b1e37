namespace StocksRebuild.Tools;

/// <summary>
/// Files that can hold data (backups, manifests, reports, lock notes) are the owner's from their first byte:
/// created 0600 in folders created 0700, never chmod-ed afterwards, when a reader could already have opened them.
/// </summary>
public static class PrivateFiles
{
    const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    const UnixFileMode OwnerFolder = OwnerFile | UnixFileMode.UserExecute;

    /// <summary>Creates the folder (and missing parents) 0700; an existing folder keeps its mode.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) { Directory.CreateDirectory(path); return; }
        // .NET gives the mode to the last folder only: each missing parent is created here first, 0700 too.
        var full = Path.GetFullPath(path);
        var parent = Path.GetDirectoryName(full);
        if (parent is not null && !Directory.Exists(parent)) CreateDirectory(parent);
        Directory.CreateDirectory(full, OwnerFolder);
    }

    /// <summary>A new, empty file, 0600 from the moment it exists; fails if the name is taken.</summary>
    public static FileStream CreateNew(string path) => Open(path, FileMode.CreateNew);

    /// <summary>Replaces the file whole: written 0600 under a temporary name, then renamed over the old one.</summary>
    public static void WriteAllText(string path, string text)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.partial");
        try
        {
            using (var stream = CreateNew(temporary))
            using (var writer = new StreamWriter(stream))
                writer.Write(text);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Appends, creating the file 0600 when it is new.</summary>
    public static void AppendAllText(string path, string text)
    {
        using var stream = Open(path, FileMode.Append);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    static FileStream Open(string path, FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerFile;
        return new FileStream(path, options);
    }
}
