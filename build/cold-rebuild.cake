// Scenario B — Schema + Ingestion Rebuild (the runbook's secondary path): the steps that exist so far.
using StocksRebuild.Migrations;
using StocksRebuild.Validation;

// 2. Apply schema migrations in version order (DbUp, one transaction per script, checksummed journal).
Task("Migrate")
    .Description("Runbook B.2: apply sql/migrations in version order; a database with rows needs --confirm")
    .Does<RunbookParameters>((ctx, p) => Migrator.Migrate(p.Server, p.Database, p.Confirm, p.UseSandbox, p.Log));

// 3. Verify empty schema: every table exists and holds 0 rows.
Task("VerifyEmptySchema")
    .Description("Runbook B.3: every table exists and is empty")
    .Does<RunbookParameters>((ctx, p) => EmptySchemaCheck.Verify(p.Server, p.Database, p.Log));
