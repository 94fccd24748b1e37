using System.Text.RegularExpressions;

namespace StocksRebuild.Tools;

/// <summary>
/// Finds PostgreSQL's programs: on PATH first, then in Debian's versioned folders, where initdb and
/// pg_ctl live without being on PATH.
/// </summary>
public static partial class PgTools
{
    public static string Find(string program)
    {
        if (OnPath(program) is { } onPath) return onPath;
        foreach (var dir in VersionedBinDirectories())
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        throw new RunbookException(
            $"{program} was not found on PATH nor under /usr/lib/postgresql/*/bin. Install the PostgreSQL binaries (Debian: apt-get install -y " +
                $"postgresql).");
    }

    /// <summary>
    /// Where libpq looks for pg_service.conf when PGSYSCONFDIR is unset: compiled into it, as pg_config --sysconfdir says
    /// (Debian and Ubuntu: /etc/postgresql-common).
    /// </summary>
    public static string SystemConfigurationDirectory()
    {
        try
        {
            var result = ToolRun.Run(Find("pg_config"), ["--sysconfdir"]);
            if (result.Succeeded && result.StdOut.FirstOrDefault(l => l.Trim().Length > 0) is { } folder) return folder.Trim();
        }
        catch (RunbookException)
        {
            // pg_config is not installed with every client; the packaged default follows.
        }
        return "/etc/postgresql-common";
    }

    /// <summary>The program in the first folder of PATH that holds it (rclone's lookup too); null when none does.</summary>
    public static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    static IEnumerable<string> VersionedBinDirectories()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return [];
        return Directory.GetDirectories(root)
            .Select(d => (dir: Path.Combine(d, "bin"), version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
            .OrderByDescending(d => d.version)
            .Select(d => d.dir);
    }

    /// <summary>The version a tool reports, e.g. 15.18 from "pg_restore (PostgreSQL) 15.18 (Debian ...)".</summary>
    public static Version VersionOf(string program)
    {
        var result = ToolRun.Run(Find(program), ["--version"]);
        return ParseVersion(string.Join(" ", result.StdOut))
            ?? throw new RunbookException($"Cannot read the version of {program} from: {string.Join(" ", result.StdOut)}");
    }

    public static Version? ParseVersion(string text)
    {
        var match = VersionPattern().Match(text);
        if (!match.Success) return null;
        return new Version(int.Parse(match.Groups[1].Value), match.Groups[2].Success ? int.Parse(match.Groups[2].Value) : 0);
    }

    [GeneratedRegex(@"(\d+)(?:\.(\d+))?")]
    private static partial Regex VersionPattern();
}
