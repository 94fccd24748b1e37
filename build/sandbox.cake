// The newcomer's path: everything above, on a throwaway PostgreSQL, with a small sample to back up.
using StocksRebuild.Sample;

Task("SeedSample")
    .Description("Sandbox only: create the database, migrate it and ingest the sample drop (--source)")
    .WithCriteria<RunbookParameters>((ctx, p) => p.UseSandbox, "SeedSample writes sample rows, so it runs on --sandbox only")
    .Does<RunbookParameters>((ctx, p) =>
    {
        p.Admin.DropCreate(p.Database, p.Confirm, p.UseSandbox, p.Log, p.Cancellation);
        SampleData.Seed(p.Server, p.Database, p.SourceDirectory, p.Log, p.Cancellation);
    });

Task("Demo")
    .Description("Scenario A end to end on --sandbox: SeedSample → Backup → Restore (verify, drop/create, restore, validate)")
    .IsDependentOn("SeedSample")
    .IsDependentOn("Backup")
    .IsDependentOn("Restore");
