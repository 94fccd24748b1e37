// Scenario B — Schema + Ingestion Rebuild (the runbook's secondary path), one task per numbered step.
using StocksRebuild.Ingestion;
using StocksRebuild.Migrations;
using StocksRebuild.Sample;
using StocksRebuild.Validation;

// 1. Create empty database: the DropCreate task of Scenario A (restore.cake).

// 2. Apply schema migrations in version order (DbUp, one transaction per script, checksummed journal).
Task("Migrate")
    .Description("Runbook B.2: apply sql/migrations in version order; a database with rows needs --confirm")
    .Does<RunSession>((ctx, s) => Migrator.Migrate(s.Run, s.BuildInto, s.Settings.Consent));

// 3. Verify empty schema: every table exists and holds 0 rows.
Task("VerifyEmptySchema")
    .Description("Runbook B.3: every table exists and is empty")
    .Does<RunSession>((ctx, s) =>
    {
        var result = EmptySchemaCheck.Check(s.Run.Server, s.BuildInto);
        if (!result.Passed) throw new RunbookException(result.Summary);
        s.Log.Info(result.Summary);
    });

// 4. Run ingestion jobs in dependency order, each one transaction, logged in ingestion_log.
Task("Ingest")
    .Description("Runbook B.4: the seven ingestion jobs from --source (default: the shipped sample)")
    .Does<RunSession>((ctx, s) => Ingestor.Ingest(s.Run, s.BuildInto, s.Settings.IngestOptions));

// 5. Validate: the Validate task of Scenario A (restore.cake), with the derived-table checks.
// Over an existing database the rebuild happens beside it and Swap (restore.cake) puts it in place only when green.
Task("ColdRebuild")
    .Description("Scenario B: DropCreate → Migrate → VerifyEmptySchema → Ingest → Validate → Swap (beside an existing database; --in-place: drop it first)")
    .IsDependentOn("DropCreate")
    .IsDependentOn("Migrate")
    .IsDependentOn("VerifyEmptySchema")
    .IsDependentOn("Ingest")
    .IsDependentOn("Validate")
    .IsDependentOn("Swap");

// Not a runbook step: source drops of any size for tests and the benchmark, the same files for a seed.
Task("GenerateSample")
    .Description("Write a seeded source drop: --out=DIR [--securities=40 --years=2 --seed=N]")
    .Does<RunSession>((ctx, s) => SampleGenerator.Generate(s.Settings.SampleSpec,
        s.Settings.SampleOut ?? throw new RunbookException("GenerateSample needs --out=DIR, a new folder for the drop."), s.Log));
