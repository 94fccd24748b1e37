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

    public static BuildRun RunPowerShell(params string[] arguments) =>
        Start("dotnet", ["tool", "run", "pwsh", "--", "-NoProfile", "-File", Path.Combine(RepositoryRoot, "build.ps1"), .. arguments], TestServer.Connection);

    static BuildRun Start(string program, IEnumerable<string> arguments, ServerConnection server)
    {
        var environment = server.ClientEnvironment("postgres").Where(kv => kv.Key != "PGDATABASE").ToDictionary();
        environment["NO_COLOR"] = "1";
        var output = new System.Text.StringBuilder();
        void Collect(string line) { lock (output) output.AppendLine(line); }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        ToolResult result;
        try
        {
            result = ToolRun.Run(program, arguments, environment, Collect, Collect, timeout.Token, RepositoryRoot,
                unsetEnvironment: ["PGDATABASE", "PGPASSFILE", "PGSSLMODE", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD"]);
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

    static string FindRoot()
    {
        var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "build.sh")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("build.sh not found above the test folder");
    }
}
