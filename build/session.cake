#nullable enable
// The run's settings and session live in the library (StocksRebuild.RunbookSettings, RunSession); this file
// only connects them to Cake: its arguments in, its log out.
using StocksRebuild;

public static class CakeRun
{
    /// <summary>Every flag parsed once, before anything runs (and even on --dryrun): an unknown or ambiguous one stops here.</summary>
    public static RunSession Session(ICakeContext context, IEnumerable<string> targets) =>
        new(RunbookSettings.Parse(new CommandLine(
                context.Arguments.GetArguments(),
                Environment.GetCommandLineArgs(),
                targets.ToList(),
                name => context.EnvironmentVariable(name))),
            new CakeRunbookLog(context));
}

// The library reports through IRunbookLog and knows nothing of Cake; this is the one adapter.
public sealed class CakeRunbookLog : IRunbookLog
{
    readonly ICakeContext context;
    public CakeRunbookLog(ICakeContext context) => this.context = context;
    public void Info(string message) => context.Log.Information("{0}", message);
    public void Warning(string message) => context.Log.Warning("{0}", message);
}
