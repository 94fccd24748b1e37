using System.Reflection;
using System.Runtime.InteropServices;

namespace StocksRebuild.Tools;

/// <summary>What a report records about where it ran: server, client tools, this tool, runtime, machine.</summary>
public static class Versions
{
    public static Dictionary<string, string> Of(ServerConnection server, string? database)
    {
        var versions = new Dictionary<string, string>
        {
            ["server"] =
                $"PostgreSQL {Tools.ServerVersion.TryRead(server, database ?? "postgres")?.Text ?? "unknown"} on {server.Host}:{server.Port}",
            ["pg_dump"] = Safely(() => PgTools.VersionOf("pg_dump").ToString()),
            ["pg_restore"] = Safely(() => PgTools.VersionOf("pg_restore").ToString()),
            ["StocksRebuild"] = typeof(Versions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                ?? "unknown",
            [".NET"] = RuntimeInformation.FrameworkDescription,
            ["machine"] = $"{RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, " +
                $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0:0} GiB",
        };
        return versions;
    }


    static string Safely(Func<string> read)
    {
        try { return read(); }
        catch (Exception e) when (e is RunbookException or NpgsqlException or InvalidOperationException) { return "unknown"; }
    }
}
