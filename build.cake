// StocksRebuild: the stocks_research disaster-recovery runbook (../SCHEMA_REBUILD.md) as Cake targets.
// Thin on purpose: the runbook's logic is the StocksRebuild library, which build.sh builds first.
#r "./.build/lib/StocksRebuild.dll"
#load "./build/session.cake"
#load "./build/restore.cake"
#load "./build/backup.cake"
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

// Parsed after the tasks exist (target names are matched against them), before anything runs.
var session = CakeRun.Session(Context, Tasks.Select(t => t.Name));
session.DescribeDryRun();

// Not Teardown<T>: it must also run when Setup failed, before the context data existed.
Setup<RunSession>(ctx => { session.Start(); return session; });
Teardown(ctx => session.Dispose());

try
{
    RunTarget(session.Settings.Target);
    // Status speaks the Nagios convention through its exit code; Cake would say 0 for any finished run.
    if (session.ExitCode != 0) System.Environment.Exit(session.ExitCode);
}
catch (Exception e) when (session.Interruption is not null)
{
    // Cake would exit 1 like any failure; a scheduler must see that the run was stopped, not that it failed.
    Error(e.Message);
    System.Environment.Exit(session.InterruptedExitCode);
}
