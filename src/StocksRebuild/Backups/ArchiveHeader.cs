using System.Text;

namespace StocksRebuild.Backups;

/// <summary>
/// The first bytes of a pg_dump archive: "PGDMP", the archive version, and the format. Read by hand only
/// to name the problem precisely (plain SQL, garbage, directory or tar format) before pg_restore is asked.
/// </summary>
public sealed record ArchiveHeader(Version ArchiveVersion, bool IsCustomFormat)
{
    const byte CustomFormat = 1; // pg_backup.h: archCustom

    public static ArchiveHeader? Read(string path)
    {
        var bytes = new byte[11];
        int read;
        using (var stream = File.OpenRead(path))
            read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        if (read < bytes.Length || Encoding.ASCII.GetString(bytes, 0, 5) != "PGDMP") return null;
        return new ArchiveHeader(new Version(bytes[5], bytes[6], bytes[7]), bytes[10] == CustomFormat);
    }
}
