using System.Diagnostics;

namespace StocksRebuild.Tests.Support;

/// <summary>
/// The processes of a program that are running: a tool killed with its run is reparented and stays a zombie until the
/// machine's init reaps it (a container's may take its time), which is not a process that runs.
/// </summary>
public static class Processes
{
    public static IReadOnlyList<Process> Running(string name) => Process.GetProcessesByName(name).Where(p => IsRunning(p.Id)).ToList();

    /// <summary>Alive and not a zombie.</summary>
    public static bool IsRunning(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1][0] != 'Z'; }
        catch (IOException) { return false; }
    }
}
