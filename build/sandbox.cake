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
    .Description("The whole story on --sandbox: SeedSample (cold rebuild of the sample) → Backup → Rehearsal (restore drill, schema proof, RTO/RPO report)")
    .IsDependentOn("SeedSample")
    .IsDependentOn("Backup")
    .IsDependentOn("Rehearsal");
