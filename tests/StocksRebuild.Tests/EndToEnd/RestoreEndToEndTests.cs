using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.EndToEnd;

/// <summary>The runbook's Scenario A as a DBA types it: the real ./build.sh, the real pg_dump and pg_restore.</summary>
[TestFixture]
public sealed class RestoreEndToEndTests
{
    [Test]
    public void RestoreOfABackupMadeByBackupEqualsTheSource()
    {
        var (source, _) = Databases.SourceWithBackup;
        var backups = Directory.CreateTempSubdirectory("e2e-backups-").FullName;
        var target = Databases.NewName("e2e");

        var backup = BuildScript.Run("--target=Backup", $"--database={source}", $"--backup-dir={backups}");
        Assert.That(backup.ExitCode, Is.Zero, backup.ToString());

        var restore = BuildScript.Run("--target=Restore", $"--database={target}", $"--backup-dir={backups}", "--jobs=2");
        Assert.That(restore.ExitCode, Is.Zero, restore.ToString());

        Assert.That(Databases.Fingerprint(target), Is.EqualTo(Databases.Fingerprint(source)), "counts and content of every table");
        Assert.That(restore.Output, Does.Contain("Validate: \"" + target + "\" passed"));
        Assert.That(restore.Output, Does.Contain("= manifest"));
        foreach (var line in new[] { "Size:", "Created:", "Contents:        schema and data", "pg_dump version:", "Source database: " + source,
            "Tables:          10" })
            Assert.That(restore.Output, Does.Contain(line));
        Assert.That(backup.Output + restore.Output, Does.Not.Contain(TestServer.Connection.Password!), "the password must never be printed");
    }

    [Test]
    [Category("Security")]
    public void RestoringOverAnExistingDatabaseNeedsItsExactName()
    {
        var (_, backupPath) = Databases.SourceWithBackup;
        var target = Databases.Seeded();
        Databases.Execute(target, "DELETE FROM stocks_research.fundamentals_yoy");
        var before = Databases.Fingerprint(target);

        var refused = BuildScript.Run("--target=Restore", $"--database={target}", $"--backup={backupPath}");
        Assert.That(refused.ExitCode, Is.Not.Zero);
        Assert.That(Databases.Fingerprint(target), Is.EqualTo(before));

        var restored = BuildScript.Run("--target=Restore", $"--database={target}", $"--backup={backupPath}", $"--confirm={target}");
        Assert.That(restored.ExitCode, Is.Zero, restored.ToString());
        Assert.That(Databases.Fingerprint(target), Is.EqualTo(Databases.Fingerprint(Databases.SourceWithBackup.Database)));
    }

    [Test]
    [Category("BadInput")]
    public void AMisspeltFlagIsRefusedBeforeAnythingRuns()
    {
        var target = Databases.Seeded();
        var before = Databases.Fingerprint(target);

        var run = BuildScript.Run("--target=DropCreate", $"--database={target}", $"--confrim={target}");

        Assert.That(run.ExitCode, Is.Not.Zero);
        Assert.That(run.Output, Does.Contain("Unknown flag --confrim; did you mean --confirm?"));
        Assert.That(run.Output, Does.Not.Contain("DropCreate:"));
        Assert.That(Databases.Fingerprint(target), Is.EqualTo(before));
    }

    [Test]
    [Category("Security")]
    public void AFailedConnectionNamesTheServerButNotThePassword()
    {
        var run = BuildScript.Run("--target=Validate", "--database=no_such_database_here");
        Assert.That(run.ExitCode, Is.Not.Zero);
        Assert.That(run.Output, Does.Contain("no_such_database_here"));
        Assert.That(run.Output, Does.Not.Contain(TestServer.Connection.Password!));
    }

    [Test]
    public void BuildPs1BehavesTheSame()
    {
        var database = Databases.Seeded();

        var refused = BuildScript.RunPowerShell("--target=DropCreate", $"--database={database}", "--confrim=x");
        Assert.That(refused.ExitCode, Is.Not.Zero, refused.ToString());
        Assert.That(refused.Output, Does.Contain("did you mean --confirm?"));

        var validated = BuildScript.RunPowerShell("--target=Validate", $"--database={database}");
        Assert.That(validated.ExitCode, Is.Zero, validated.ToString());
        Assert.That(validated.Output, Does.Contain($"Validate: \"{database}\" passed"));
    }
}
