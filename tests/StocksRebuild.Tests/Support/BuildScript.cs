using System.Diagnostics;
using StocksRebuild.Connection;

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

    public static BuildRun RunPowerShell(params string[] arguments) =>
        Start("dotnet", ["tool", "run", "pwsh", "--", "-NoProfile", "-File", Path.Combine(RepositoryRoot, "build.ps1"), .. arguments], TestServer.Connection);

    static BuildRun Start(string program, IEnumerable<string> arguments, ServerConnection server)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var name in new[] { "PGDATABASE", "PGPASSFILE", "PGSSLMODE", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD" })
            start.Environment.Remove(name);
        foreach (var (name, value) in server.ClientEnvironment("postgres"))
            if (name != "PGDATABASE") start.Environment[name] = value;
        start.Environment["NO_COLOR"] = "1";

        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(" ", arguments)} did not finish in 5 minutes:\n{output}");
        }
        process.WaitForExit();
        var run = new BuildRun(process.ExitCode, output.ToString());
        TestContext.Out.WriteLine(run.Output);
        return run;
    }

    static string FindRoot()
    {
        var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "build.sh")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("build.sh not found above the test folder");
    }
}
