using StocksRebuild.Backups;
using StocksRebuild.Database;
using StocksRebuild.Tests.Support;
using StocksRebuild.Validation;

namespace StocksRebuild.Tests.Validation;

[TestFixture]
public sealed class ValidateTests
{
    [Test]
    public void TheSeededSamplePasses()
    {
        var database = Databases.Seeded();
        var report = Validator.Validate(TestServer.Connection, database);
        Assert.That(report.Passed, Is.True, report.FormatTable());
        Assert.That(report.Checks.Count(c => c.Check == "no orphans"), Is.EqualTo(6), "every foreign key of the schema, from the catalog");
    }

    [Test]
    public void AnOrphanBehindANotValidForeignKeyIsFound()
    {
        var database = Databases.Seeded();
        Databases.Execute(database, """
            ALTER TABLE stocks_research.prices_daily DROP CONSTRAINT prices_daily_security_id_fkey;
            INSERT INTO stocks_research.prices_daily VALUES (9999, '2024-01-02', 1, 1, 1, 1, 0);
            ALTER TABLE stocks_research.prices_daily ADD CONSTRAINT prices_daily_security_id_fkey
                FOREIGN KEY (security_id) REFERENCES stocks_research.securities (security_id) NOT VALID;
            """);

        var report = Validator.Validate(TestServer.Connection, database);

        Assert.That(report.Passed, Is.False);
        var orphan = report.Failures.Single(f => f.Check == "no orphans");
        Assert.That(orphan.Subject, Is.EqualTo("stocks_research.prices_daily.prices_daily_security_id_fkey"));
        Assert.That(orphan.Detail, Does.Contain("1 orphaned row(s)").And.Contain("NOT VALID"));
        Assert.That(report.FailureMessage(), Does.StartWith("Validation failed — stop and investigate"));
    }

    [Test]
    public void AnOrphanUnderACompositeKeyIsFound()
    {
        var database = Databases.Seeded();
        Databases.Execute(database, """
            SET session_replication_role = replica; -- skips FK triggers, as a careless bulk load would
            INSERT INTO stocks_research.fundamentals_yoy (security_id, fiscal_year, fiscal_quarter) VALUES (1, 2030, 1);
            """);

        var report = Validator.Validate(TestServer.Connection, database);

        var orphan = report.Failures.Single(f => f.Check == "no orphans");
        Assert.That(orphan.Detail, Does.Contain("fundamentals_yoy(security_id, fiscal_year, fiscal_quarter)"));
    }

    [Test]
    public void ABrokenViewIsFound()
    {
        var database = Databases.Seeded();
        Databases.Execute(database, """
            CREATE TABLE stocks_research.scratch (id int PRIMARY KEY);
            CREATE FUNCTION stocks_research.scratch_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM stocks_research.scratch';
            CREATE VIEW stocks_research.v_scratch AS SELECT stocks_research.scratch_count() AS n;
            DROP TABLE stocks_research.scratch;
            """);

        var report = Validator.Validate(TestServer.Connection, database);

        var view = report.Failures.Single(f => f.Check == "view resolves");
        Assert.That(view.Subject, Is.EqualTo("stocks_research.v_scratch"));
        Assert.That(view.Detail, Does.Contain("42P01"));
    }

    /// <summary>
    /// A derivation view is checked by its derivation, which reads it whole; when it fails, both checks say so, each
    /// with the server's error, and every view still has exactly one check.
    /// </summary>
    [Test]
    public void ABrokenDerivationViewFailsItsViewCheckAndItsDerivation()
    {
        var database = Databases.Seeded();
        Databases.Execute(database, """
            CREATE FUNCTION stocks_research.refuse() RETURNS boolean LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'refused'; END$$;
            ALTER VIEW stocks_research.v_fundamentals_yoy_derived RENAME TO v_fundamentals_yoy_derived_kept;
            CREATE VIEW stocks_research.v_fundamentals_yoy_derived AS
                SELECT * FROM stocks_research.v_fundamentals_yoy_derived_kept WHERE stocks_research.refuse();
            """);

        var report = Validator.Validate(TestServer.Connection, database);

        Assert.That(report.Failures.Select(f => (f.Check, f.Subject)), Is.EquivalentTo(new[]
        {
            ("view resolves", "stocks_research.v_fundamentals_yoy_derived"),
            ("= derivation", "stocks_research.fundamentals_yoy"),
        }));
        Assert.That(report.Failures.Select(f => f.Detail), Has.All.Contain("P0001"));
        Assert.That(report.Checks.Where(c => c.Check == "view resolves").Select(c => c.Subject).ToList(), Is.Unique.And.Count.EqualTo(6));
        Assert.That(report.Checks.Single(c => c.Subject == "stocks_research.v_adjustment_factors_derived").Detail,
            Is.EqualTo("selects (read whole by its derivation check)"));
    }

    [Test]
    public void AnEmptyTableOfTheRunbookIsFound()
    {
        var database = Databases.Seeded();
        // The factors derived from the actions go with them, so the empty table is the one finding.
        Databases.Execute(database, "DELETE FROM stocks_research.adjustment_factors; DELETE FROM stocks_research.corporate_actions");

        var report = Validator.Validate(TestServer.Connection, database);

        var empty = report.Failures.Single();
        Assert.That(empty.Subject, Is.EqualTo("stocks_research.corporate_actions"));
        Assert.That(empty.Detail, Is.EqualTo("0 rows"));
    }

    [Test]
    public void AMissingSchemaIsFound()
    {
        var database = Databases.NewName("bare");
        Databases.Admin.DropCreate(database, Consent.None, new TestLog());
        var report = Validator.Validate(TestServer.Connection, database);
        Assert.That(report.Passed, Is.False);
        Assert.That(report.FailureMessage(), Does.Contain("schema stocks_research does not exist"));
    }

    [Test]
    public void ValidateIsReadOnlyAndFailsTheBuildWithTheRunbooksWords()
    {
        var database = Databases.Seeded();
        Databases.Execute(database, "DELETE FROM stocks_research.corporate_actions");
        var before = Databases.Fingerprint(database);

        var run = BuildScript.Run("--target=Validate", $"--database={database}");

        Assert.That(run.ExitCode, Is.Not.Zero);
        Assert.That(run.Output, Does.Contain("Validation failed — stop and investigate").And.Contain("stocks_research.corporate_actions"));
        Assert.That(Databases.Fingerprint(database), Is.EqualTo(before));
    }

    /// <summary>
    /// A healthy database these migrations did not build (a table of the site's own without a key, no derivation
    /// views): Validate reports what it cannot judge and passes; --strict fails it. A table of the migrations without
    /// its key still fails. Read-only throughout.
    /// </summary>
    [Test]
    public void ADatabaseTheseMigrationsDidNotBuildIsWarnedAboutNotRefusedUnlessStrict()
    {
        var database = Databases.Seeded();
        Databases.Execute(database, """
            CREATE TABLE stocks_research.site_notes (note text);
            INSERT INTO stocks_research.site_notes VALUES ('kept by the desk');
            DROP VIEW stocks_research.v_fundamentals_yoy_derived CASCADE;
            """);
        var before = Databases.Fingerprint(database);

        var report = Validator.Validate(TestServer.Connection, database);
        Assert.That(report.Passed, Is.True, report.FormatTable());
        Assert.That(report.Warnings.Select(w => (w.Check, w.Subject)), Is.EquivalentTo(new[] { ("primary key", "stocks_research.site_notes") }));
        Assert.That(report.Checks.Where(c => c.Check == "= derivation").Select(c => (c.Subject, c.Skipped, c.Detail)), Is.EquivalentTo(new[]
        {
            ("stocks_research.adjustment_factors", false, "equals what its sources derive"),
            ("stocks_research.fundamentals_yoy", true, "skipped: no derivation defined in this database"),
        }));
        Assert.That(report.Strict().Passed, Is.False);

        var lenient = BuildScript.Run("--target=Validate", $"--database={database}");
        var strict = BuildScript.Run("--target=Validate", $"--database={database}", "--strict");
        Assert.That(lenient.ExitCode, Is.Zero, lenient.Output);
        Assert.That(lenient.Output, Does.Contain("1 with a warning"));
        Assert.That(lenient.Output, Does.Match(@"= derivation\s+stocks_research\.fundamentals_yoy\s+skip\s+skipped: no derivation defined"));
        Assert.That(strict.ExitCode, Is.Not.Zero);
        Assert.That(strict.Output, Does.Contain("Validation failed — stop and investigate").And.Contain("stocks_research.site_notes"));
        Assert.That(Databases.Fingerprint(database), Is.EqualTo(before));

        Databases.Execute(database, "ALTER TABLE stocks_research.securities DROP CONSTRAINT securities_pkey CASCADE");
        var keyless = Validator.Validate(TestServer.Connection, database);
        Assert.That(keyless.Failures.Select(f => (f.Check, f.Subject)), Does.Contain(("primary key", "stocks_research.securities")));
    }

    /// <summary>
    /// A backup of a stocks_research database these migrations did not build: tables of the site's own (one without a
    /// key, owned by a role the target server lacks), an extension (citext), a materialized view, a NOT VALID foreign key
    /// no row breaks, no derivation views. Restore puts it back and Validate passes, listing what it only warns about.
    /// </summary>
    [Test]
    public void AForeignSchemaBackupRestoresAndValidatesGreenWithItsWarningsListed()
    {
        var source = Databases.Seeded();
        var role = Databases.NewName("desk_owner");
        Databases.Execute(source, $"""
            CREATE ROLE "{role}";
            CREATE EXTENSION IF NOT EXISTS citext SCHEMA public;
            CREATE TABLE stocks_research.desk_notes (security_id bigint, note public.citext NOT NULL);
            INSERT INTO stocks_research.desk_notes SELECT security_id, 'Watch ' || name FROM stocks_research.securities;
            ALTER TABLE stocks_research.desk_notes ADD CONSTRAINT desk_notes_security_fkey
                FOREIGN KEY (security_id) REFERENCES stocks_research.securities (security_id) NOT VALID;
            ALTER TABLE stocks_research.desk_notes OWNER TO "{role}";
            CREATE MATERIALIZED VIEW stocks_research.mv_last_close AS
                SELECT security_id, max(trade_date) AS last_day FROM stocks_research.prices_daily GROUP BY security_id;
            DROP VIEW stocks_research.v_adjustment_factors_derived, stocks_research.v_fundamentals_yoy_derived CASCADE;
            """);
        var backups = Directory.CreateTempSubdirectory("stocksrebuild-foreign-").FullName;
        var backup = BackupWriter.Backup(TestServer.Run(), source, backups);
        // The owner exists where the backup was taken, not where it is restored.
        Databases.Execute(source, $"""ALTER TABLE stocks_research.desk_notes OWNER TO CURRENT_USER; DROP ROLE "{role}";""");
        var target = Databases.NewName("foreign");

        var run = BuildScript.Run("--target=Restore", $"--database={target}", $"--backup={backup}", $"--confirm={target}");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("Validate: primary key stocks_research.desk_notes: table has no primary key"));
        Assert.That(run.Output, Does.Contain("Validate: validated stocks_research.desk_notes.desk_notes_security_fkey: constraint is NOT " +
            "VALID, and no row breaks it today"));
        Assert.That(run.Output, Does.Contain("2 with a warning"));
        Assert.That(run.Output, Does.Match(@"= derivation\s+stocks_research\.adjustment_factors\s+skip\s+skipped: no derivation defined"));
        Assert.That(Databases.Scalar<long>(target, "SELECT count(*) FROM stocks_research.desk_notes WHERE note = ('WATCH ' || " +
            "(SELECT upper(name) FROM stocks_research.securities ORDER BY security_id LIMIT 1))::public.citext"), Is.EqualTo(1),
            "citext compares without case");
        Assert.That(Databases.Scalar<long>(target, "SELECT count(*) FROM stocks_research.mv_last_close"),
            Is.EqualTo(Databases.Scalar<long>(source, "SELECT count(*) FROM stocks_research.mv_last_close")));

        var strict = BuildScript.Run("--target=Validate", $"--database={target}", "--strict");
        Assert.That(strict.ExitCode, Is.Not.Zero);
        Assert.That(strict.Output, Does.Contain("Validation failed — stop and investigate"));
    }

    /// <summary>
    /// After a restore Validate compares the database's schema with the backup's, object by object: the wrong databases
    /// it must tell from the restored one are each a restore that lost or changed one object the other checks do not
    /// see (a foreign key, an index, a CHECK of a table, a view, a foreign key left NOT VALID) or gained one.
    /// Validate alone compares with the backup --backup names; it stays read-only.
    /// </summary>
    [Test]
    public void EveryObjectOfTheBackupIsComparedAndEachOneLostChangedOrAddedIsNamed()
    {
        var (_, backup) = Databases.SourceWithBackup;
        var target = Databases.NewName("schema");
        var restore = BuildScript.Run("--target=Restore", $"--database={target}", $"--backup={backup}", $"--confirm={target}");
        Assert.That(restore.ExitCode, Is.Zero, restore.ToString());
        Assert.That(restore.Output, Does.Match(@"= backup schema\s+\d\d+ objects\s+ok\s+every object of the backup's table of contents is here, " +
            "defined as in the backup, and nothing else"));

        Databases.Execute(target, """
            ALTER TABLE stocks_research.prices_daily DROP CONSTRAINT prices_daily_security_id_fkey;
            DROP INDEX stocks_research.corporate_actions_ex_date_idx;
            ALTER TABLE stocks_research.prices_daily DROP CONSTRAINT prices_daily_volume_check;
            DROP VIEW stocks_research.v_latest_fundamentals;
            ALTER TABLE stocks_research.corporate_actions DROP CONSTRAINT corporate_actions_security_id_fkey;
            ALTER TABLE stocks_research.corporate_actions ADD CONSTRAINT corporate_actions_security_id_fkey
                FOREIGN KEY (security_id) REFERENCES stocks_research.securities (security_id) NOT VALID;
            CREATE TABLE stocks_research.desk_notes (note_id int PRIMARY KEY);
            """);
        var before = Databases.Fingerprint(target);

        var run = BuildScript.Run("--target=Validate", $"--database={target}", $"--backup={backup}");

        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("Validation failed — stop and investigate"));
        string[] named =
        [
            "= backup schema FK CONSTRAINT stocks_research prices_daily prices_daily_security_id_fkey: in the backup, missing here",
            "= backup schema INDEX stocks_research corporate_actions_ex_date_idx: in the backup, missing here",
            "= backup schema TABLE stocks_research prices_daily: differs from the backup: the backup has \"CONSTRAINT prices_daily_volume_check CHECK ((volume >= 0))\"",
            "= backup schema VIEW stocks_research v_latest_fundamentals: in the backup, missing here",
            "= backup schema FK CONSTRAINT stocks_research corporate_actions corporate_actions_security_id_fkey: differs from the backup",
            "= backup schema TABLE stocks_research desk_notes: here, not in the backup",
            "= backup schema CONSTRAINT stocks_research desk_notes desk_notes_pkey: here, not in the backup",
        ];
        foreach (var failure in named) Assert.That(run.Output, Does.Contain(failure));
        Assert.That(Databases.Fingerprint(target), Is.EqualTo(before), "Validate changes nothing");
    }
}
