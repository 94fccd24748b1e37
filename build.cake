// StocksRebuild: the stocks_research disaster-recovery runbook (../SCHEMA_REBUILD.md) as Cake targets.
// Thin on purpose: the runbook's logic is the StocksRebuild library, which build.sh builds first.
#r "./.build/lib/StocksRebuild.dll"
#load "./build/parameters.cake"
#load "./build/restore.cake"
#load "./build/cold-rebuild.cake"
#load "./build/rehearsal.cake"
#load "./build/sandbox.cake"
#load "./build/benchmark.cake"
#load "./build/tests.cake"

using StocksRebuild;

// Parsed before anything runs (and even on --dryrun): an unknown flag stops here.
var parameters = new RunbookParameters(Context);
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

Teardown<RunbookParameters>((ctx, p) =>
{
    p.DropUnswappedRestore();
    p.ReleaseRunLock();
    p.StopSandbox();
});

// ------------------------------------------------------------------- Targets
Task("Default")
    .Description("Lists the targets")
    .Does(ctx => Information("Targets: Restore (VerifyBackup, DropCreate, RestoreBackup, Validate; --swap), ColdRebuild (DropCreate, Migrate, VerifyEmptySchema, Ingest, Validate), Backup, Rehearsal, DropPrevious, GenerateSample, Demo (--sandbox), Benchmark, Test. See README.md."));

RunTarget(parameters.Target);
