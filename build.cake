// StocksRebuild: the stocks_research disaster-recovery runbook (../SCHEMA_REBUILD.md) as Cake targets.
// Thin on purpose: the runbook's logic is the StocksRebuild library, which build.sh builds first.
#r "./.build/lib/StocksRebuild.dll"
#load "./build/parameters.cake"
#load "./build/restore.cake"
#load "./build/cold-rebuild.cake"
#load "./build/rehearsal.cake"
#load "./build/sandbox.cake"
#load "./build/benchmark.cake"
#load "./build/operations.cake"
#load "./build/tests.cake"

using StocksRebuild;

Task("Default")
    .Description("Lists the targets and the flags")
    .Does(ctx =>
    {
        Information("Targets (--target=NAME):");
        foreach (var task in Tasks.Where(t => !string.IsNullOrEmpty(t.Description))) Information($"  {task.Name,-18} {task.Description}");
        Information("Flags:");
        foreach (var (flag, meaning) in Flags.Runbook) Information($"  --{flag,-17} {meaning}");
        Information("See README.md.");
    });

// Parsed once, before anything runs (and even on --dryrun): an unknown or ambiguous flag stops here.
var parameters = new RunbookParameters(Context, Tasks.Select(t => t.Name));
parameters.HandleInterruptions();
parameters.DescribeDryRun();

// ------------------------------------------------------------------- Setup / Teardown
Setup<RunbookParameters>(ctx =>
{
    parameters.StartSandbox();
    parameters.AcquireRunLock();
    if (parameters.Target != "Test")
        parameters.Log.Info($"Target {parameters.Target} on " + (parameters.Server is null ? $"database \"{parameters.Database}\" in a new sandbox" : parameters.Server.Describe(parameters.Database)));
    return parameters;
});

// Not Teardown<T>: it must also run when Setup failed, before the context data existed.
Teardown(ctx =>
{
    parameters.DropUnswappedRestore();
    parameters.RefreshMetrics();
    parameters.ReleaseRunLock();
    parameters.StopSandbox();
});

// ------------------------------------------------------------------- Run
try
{
    RunTarget(parameters.Target);
    // Status speaks the Nagios convention through its exit code; Cake would say 0 for any finished run.
    if (parameters.ExitCode != 0) System.Environment.Exit(parameters.ExitCode);
}
catch (Exception e) when (parameters.Interruption is not null)
{
    // Cake would exit 1 like any failure; a scheduler must see that the run was stopped, not that it failed.
    Error(e.Message);
    System.Environment.Exit(parameters.InterruptedExitCode);
}
