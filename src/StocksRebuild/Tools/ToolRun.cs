using System.Diagnostics;

namespace StocksRebuild.Tools;

public sealed record ToolResult(int ExitCode, IReadOnlyList<string> StdOut, IReadOnlyList<string> StdErr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>"exited with 1", or "was killed by signal 9" (.NET reports a signalled child as 128 + signal).</summary>
    public string HowItEnded => ExitCode > 128 ? $"was killed by signal {ExitCode - 128}" : $"exited with {ExitCode}";
    public string ErrorText => string.Join(Environment.NewLine, StdErr.TakeLast(20));
}

/// <summary>
/// Runs a PostgreSQL client tool with its arguments as a list (never a shell string) and its connection in
/// the environment, streaming each line as it comes so a DBA sees progress during a long restore.
/// </summary>
public static class ToolRun
{
    public static ToolResult Run(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        Action<string>? onStdOut = null,
        Action<string>? onStdErr = null,
        CancellationToken cancellation = default,
        string? workingDirectory = null,
        IEnumerable<string>? unsetEnvironment = null)
    {
        // A tool the run will stop itself (cancellable) gets a session of its own: a signal to the run's process
        // group (Ctrl-C in a terminal, systemd, timeout) then reaches the run, which stops the tool at a safe point
        // and says so, instead of the tool dying on its own first and the run reporting a plain failure.
        var isolate = cancellation.CanBeCanceled && Setsid is not null;
        var start = new ProcessStartInfo(isolate ? Setsid! : fileName)
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (isolate) start.ArgumentList.Add(fileName);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var name in unsetEnvironment ?? []) start.Environment.Remove(name);
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;

        var stdout = new List<string>();
        var stderr = new List<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is null) return; lock (stdout) stdout.Add(e.Data); onStdOut?.Invoke(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is null) return; lock (stderr) stderr.Add(e.Data); onStdErr?.Invoke(e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new RunbookException($"Cannot start {fileName}: {e.Message}. Is the PostgreSQL client installed and on PATH?", e);
        }
        process.StandardInput.Close(); // a tool that asks for a password must fail, not hang
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using (cancellation.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }))
            process.WaitForExit();
        process.WaitForExit(); // drains the asynchronous readers
        cancellation.ThrowIfCancellationRequested();
        return new ToolResult(process.ExitCode, stdout, stderr);
    }

    /// <summary>util-linux setsid: as the child of this process (never a group leader) it calls setsid() and execs, keeping the pid.</summary>
    static readonly string? Setsid = OperatingSystem.IsWindows() ? null
        : new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);
}
