using StocksRebuild.Connection;
using StocksRebuild.Tools;

namespace StocksRebuild.Tests.Support;

public sealed record BuildRun(int ExitCode, string Output)
{
    public override string ToString() => $"exit {ExitCode}\n{Output}";
}

/// <summary>Runs the real ./build.sh (or build.ps1) as a DBA would, pointed at the test server through PG* variables.</summary>
public static class BuildScript
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static BuildRun Run(params string[] arguments) => Run(TestServer.Connection, arguments);

    public static BuildRun Run(ServerConnection server, params string[] arguments) =>
        Start(Path.Combine(RepositoryRoot, "build.sh"), arguments, server);

    /// <summary>A run with more in its environment than the test server's (an rclone remote of its own, rclone's flags).</summary>
    public static BuildRun RunWith(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Start(Path.Combine(RepositoryRoot, "build.sh"), arguments, TestServer.Connection, environment);

    public static BuildRun RunPowerShell(params string[] arguments) =>
        Start("dotnet", ["tool", "run", "pwsh", "--", "-NoProfile", "-File", Path.Combine(RepositoryRoot, "build.ps1"), .. arguments],
            TestServer.Connection);

    /// <summary>The test server's PG* variables (no database: each run names its own), without colours in the output.</summary>
    static Dictionary<string, string?> Environment(ServerConnection server)
    {
        // Nothing of the caller's libpq settings (each null is unset): a run reaches the test server and nothing else.
        var environment = server.ClientEnvironment("postgres").ToDictionary();
        environment["PGDATABASE"] = null;
        environment["NO_COLOR"] = "1";
        return environment;
    }

    static BuildRun Start(string program, IEnumerable<string> arguments, ServerConnection server,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        var environment = Environment(server);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) environment[key] = value;
        var output = new System.Text.StringBuilder();
        void Collect(string line) { lock (output) output.AppendLine(line); }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        ToolResult result;
        try
        {
            result = ToolRun.Run(program, arguments, environment, new ToolRunOptions
            {
                OnStdOut = Collect, OnStdErr = Collect, Cancellation = timeout.Token,
                WorkingDirectory = RepositoryRoot,
            });
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{program} {string.Join(" ", arguments)} did not finish in 5 minutes:\n{output}");
            throw;
        }
        var run = new BuildRun(result.ExitCode, output.ToString());
        TestContext.Out.WriteLine(run.Output);
        return run;
    }

    /// <summary>Runs ./build.sh from another folder, as a DBA typing it elsewhere would.</summary>
    public static BuildRun RunFrom(string workingDirectory, params string[] arguments)
    {
        var output = new System.Text.StringBuilder();
        void Collect(string line) { lock (output) output.AppendLine(line); }
        var result = ToolRun.Run(Path.Combine(RepositoryRoot, "build.sh"), arguments, Environment(TestServer.Connection), new ToolRunOptions
        {
            OnStdOut = Collect, OnStdErr = Collect, WorkingDirectory = workingDirectory,
        });
        var run = new BuildRun(result.ExitCode, output.ToString());
        TestContext.Out.WriteLine(run.Output);
        return run;
    }

    /// <summary>Starts ./build.sh without waiting, for tests that signal or race it.</summary>
    public static RunningBuild Launch(params string[] arguments) => Launch(ownProcessGroup: false, arguments);

    /// <summary>
    /// Starts ./build.sh as the leader of a new process group (setsid), the way systemd, timeout and CI
    /// runners start a job: a signal to the group then reaches build.sh's process and every child at once.
    /// </summary>
    public static RunningBuild LaunchInOwnGroup(params string[] arguments) => Launch(ownProcessGroup: true, arguments);

    static RunningBuild Launch(bool ownProcessGroup, string[] arguments)
    {
        var script = Path.Combine(RepositoryRoot, "build.sh");
        var start = ToolRun.StartInfo(ownProcessGroup ? "setsid" : script, ownProcessGroup ? [script, .. arguments] : arguments,
            Environment(TestServer.Connection), new ToolRunOptions { WorkingDirectory = RepositoryRoot });
        var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Close(); // as for every tool: a prompt must fail, not wait
        return new RunningBuild(process);
    }

    static string FindRoot()
    {
        var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "build.sh")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("build.sh not found above the test folder");
    }
}

/// <summary>A ./build.sh run in progress: its output so far, and its process to signal.</summary>
public sealed class RunningBuild
{
    readonly System.Text.StringBuilder output = new();
    public System.Diagnostics.Process Process { get; }

    public RunningBuild(System.Diagnostics.Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string OutputSoFar { get { lock (output) return output.ToString(); } }

    /// <summary>Waits until the output holds <paramref name="text"/>; false if the run ended or the time ran out first.</summary>
    public bool WaitForOutput(string text, TimeSpan limit)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (OutputSoFar.Contains(text, StringComparison.Ordinal)) return true;
            if (Process.HasExited) return OutputSoFar.Contains(text, StringComparison.Ordinal);
            Thread.Sleep(50);
        }
        return false;
    }

    /// <summary>
    /// Sends SIGTERM while pg_restore COPYs into <paramref name="database"/> (asked once the restore has started,
    /// since a rehearsal names its scratch database then), and waits for the run to end.
    /// </summary>
    public BuildRun TerminateDuringRestore(Func<string> database)
    {
        Assert.That(WaitForOutput("Restore: pg_restore --jobs=1", TimeSpan.FromMinutes(1)), Is.True, OutputSoFar);
        Databases.WaitForStatement(TestServer.Connection, database(), "COPY", Task.Run(() => Process.WaitForExit()));
        Signal("TERM");
        return Finish();
    }

    /// <summary>Signals the process build.sh became (it execs Cake): what Ctrl-C's SIGINT or `kill PID` reach.</summary>
    public void Signal(string signal) =>
        StocksRebuild.Tools.ToolRun.Run("kill", ["-s", signal, Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    /// <summary>
    /// Signals the whole process group (a run started by <see cref="BuildScript.LaunchInOwnGroup"/>): what systemd, timeout and CI send.
    /// </summary>
    public void SignalGroup(string signal) =>
        StocksRebuild.Tools.ToolRun.Run("kill", ["-s", signal, "--", "-" + Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    public BuildRun Finish(TimeSpan? limit = null)
    {
        if (!Process.WaitForExit(limit ?? TimeSpan.FromMinutes(5)))
        {
            Process.Kill(entireProcessTree: true);
            Assert.Fail($"build.sh did not finish:\n{OutputSoFar}");
        }
        Process.WaitForExit();
        var run = new BuildRun(Process.ExitCode, OutputSoFar);
        TestContext.Out.WriteLine(run.Output);
        return run;
    }
}
