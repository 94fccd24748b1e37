
namespace StocksRebuild.Tools;

public sealed record ToolResult(int ExitCode, IReadOnlyList<string> StdOut, IReadOnlyList<string> StdErr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>"exited with 1", or "was killed by signal 9" (.NET reports a signalled child as 128 + signal).</summary>
    public string HowItEnded => ExitCode > 128 ? $"was killed by signal {ExitCode - 128}" : $"exited with {ExitCode}";
    public string ErrorText => string.Join(Environment.NewLine, StdErr.TakeLast(20));
}

/// <summary>How a tool runs beyond its program, arguments and environment.</summary>
public sealed record ToolRunOptions
{
    /// <summary>Each line as it comes (a DBA sees progress during a long restore).</summary>
    public Action<string>? OnStdOut { get; init; }
    public Action<string>? OnStdErr { get; init; }
    /// <summary>A cancellable tool runs in a session of its own and is killed by the run when it is stopped.</summary>
    public CancellationToken Cancellation { get; init; }
    public string? WorkingDirectory { get; init; }
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
        IReadOnlyDictionary<string, string?>? environment = null,
        ToolRunOptions? options = null)
    {
        options ??= new ToolRunOptions();
        var (onStdOut, onStdErr, cancellation) = (options.OnStdOut, options.OnStdErr, options.Cancellation);
        var start = StartInfo(fileName, arguments, environment, options);
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

    /// <summary>
    /// How a tool is started: its arguments as a list (never a shell string), its output and input redirected, the
    /// connection in its environment. A cancellable tool runs in a session of its own (see <see cref="Run"/>).
    /// </summary>
    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment,
        ToolRunOptions options)
    {
        // A tool the run will stop itself (cancellable) gets a session of its own: a signal to the run's process
        // group (Ctrl-C in a terminal, systemd, timeout) then reaches the run, which stops the tool at a safe point
        // and says so, instead of the tool dying on its own first and the run reporting a plain failure.
        var isolate = options.Cancellation.CanBeCanceled && Setsid is not null;
        // Whatever ends the run, kill -9 of its group or the OOM killer taking this process alone, the tool must not go on
        // unsupervised (a pg_restore finishing a database no run holds, a pg_dump writing a backup no one proves): the
        // kernel kills it with its parent (PR_SET_PDEATHSIG, set by util-linux setpriv, kept across exec). Its parent is
        // the thread that starts it, which waits in Run until it ends.
        string[] command = [.. Setpriv is null ? [] : new[] { Setpriv, "--pdeathsig", "KILL" }, .. isolate ? new[] { Setsid! } : [], fileName];
        var start = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = options.WorkingDirectory ?? "",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in command[1..].Concat(arguments)) start.ArgumentList.Add(argument);
        if (environment is not null)
            foreach (var (key, value) in environment)
                if (value is null) start.Environment.Remove(key); // null: not inherited either
                else start.Environment[key] = value;
        return start;
    }

    /// <summary>util-linux setpriv (Linux only): sets the parent-death signal and execs, keeping the pid.</summary>
    static readonly string? Setpriv = !OperatingSystem.IsLinux() ? null
        : new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists);

    /// <summary>util-linux setsid: as the child of this process (never a group leader) it calls setsid() and execs, keeping the pid.</summary>
    static readonly string? Setsid = OperatingSystem.IsWindows() ? null
        : new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);
}
