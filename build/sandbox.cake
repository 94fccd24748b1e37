// The newcomer's path: everything above, on a throwaway PostgreSQL, with a small sample to back up.
using StocksRebuild.Sample;

Task("SeedSample")
    .Description("Sandbox only: create the database, migrate it and ingest the sample drop (--source)")
    .WithCriteria<RunSession>((ctx, s) => s.Settings.UsesSandbox, "SeedSample writes sample rows, so it runs on --sandbox only")
    .Does<RunSession>((ctx, s) =>
    {
        s.Admin.DropCreate(s.Settings.Database, s.Settings.Consent, s.Log, s.Run.Cancellation);
        SampleData.Seed(s.Run, s.Settings.Database, s.Settings.SourceDirectory);
    });

Task("Demo")
    .Description("The whole story on --sandbox: SeedSample (cold rebuild of the sample) → Backup → Rehearsal (restore drill, schema proof, RTO/RPO " +
        "report)")
    .IsDependentOn("SeedSample")
    .IsDependentOn("Backup")
    .IsDependentOn("Rehearsal");
