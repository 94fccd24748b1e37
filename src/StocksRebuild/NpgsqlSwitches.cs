using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace StocksRebuild;

/// <summary>Npgsql settings that must hold before its first use in the process (Cake's host has no runtimeconfig of ours).</summary>
static class NpgsqlSwitches
{
    /// <summary>
    /// By default Npgsql writes DateOnly.MinValue and MaxValue as -infinity and infinity: a drop's 0001-01-01 or
    /// 9999-12-31 (a common "open" date) would be stored as something else. With the switch, a date is the date.
    /// </summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The library is the application inside Cake's host, which it cannot configure.")]
    internal static void Set() => AppContext.SetSwitch("Npgsql.DisableDateTimeInfinityConversions", true);
}
