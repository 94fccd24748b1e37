using StocksRebuild.Database;
using StocksRebuild.Ingestion;
using StocksRebuild.Rehearsal;
using StocksRebuild.Tools;

namespace StocksRebuild.FastTests;

/// <summary>
/// The command line as Cake hands it over, parsed into settings: what each flag means, and what stops the run before anything runs.
/// </summary>
[TestFixture]
public sealed class RunbookSettingsTests
{
    static readonly string[] Targets =
        ["Default", "Restore", "RestoreBackup", "Backup", "Validate", "Ingest", "ColdRebuild", "Prune", "Status", "Rehearsal"];

    static RunbookSettings Parse(params string[] words) => Parse(new Dictionary<string, string>(), words);

    static RunbookSettings Parse(IReadOnlyDictionary<string, string> environment, params string[] words)
    {
        // Cake's own parsing: --name=value and bare --switch, values collected per name.
        var arguments = new Dictionary<string, ICollection<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var word in words.Where(w => w.StartsWith("--", StringComparison.Ordinal)))
        {
            var (name, value) = word[2..].Split('=', 2) is [var n, var v] ? (n, v) : (word[2..], "true");
            if (!arguments.TryGetValue(name, out var values)) arguments[name] = values = new List<string>();
            values.Add(value);
        }
        return RunbookSettings.Parse(new CommandLine(arguments, words, Targets, name => environment.GetValueOrDefault(name)));
    }

    [Test]
    public void DefaultsAreTheRunbooksAndTheTargetIsMatchedWithoutRegardToCase()
    {
        var settings = Parse("--target=restore");
        Assert.That(settings.Target, Is.EqualTo("Restore"));
        Assert.That(settings.Database, Is.EqualTo("stocks_research"));
        Assert.That(settings.MaintenanceDatabase, Is.EqualTo("postgres"));
        Assert.That(settings.BackupDirectory, Is.EqualTo("backups"));
        Assert.That((settings.WritesDatabase, settings.ReadsDatabase, settings.InPlace, settings.IsDryRun), Is.EqualTo((true, false, false,
            false)));
        Assert.That(Parse("--target=Restore", "--in-place").InPlace, Is.True);
        Assert.That(Parse("--target=Backup").ReadsDatabase, Is.True);
        Assert.That(Parse("--target=Status").WritesDatabase || Parse("--target=Status").ReadsDatabase, Is.False);
    }

    [Test]
    public void PgDatabaseIsTheDefaultDatabaseAndAFlagWins()
    {
        var environment = new Dictionary<string, string> { ["PGDATABASE"] = "from_env" };
        Assert.That(Parse(environment, "--target=Backup").Database, Is.EqualTo("from_env"));
        Assert.That(Parse(environment, "--target=Backup", "--database=from_flag").Database, Is.EqualTo("from_flag"));
    }

    [Test]
    public void RelativePathsMeanWhatTheyMeantWhereTheCommandWasTyped()
    {
        var environment = new Dictionary<string, string> { ["STOCKSREBUILD_CALLER_DIR"] = "/srv/dba" };
        var settings = Parse(environment, "--target=Restore", "--backup=nightly/full_20261126_0300.dump", "--backup-dir=../b");
        Assert.That(settings.BackupFile, Is.EqualTo("/srv/dba/nightly/full_20261126_0300.dump"));
        Assert.That(settings.BackupDirectory, Is.EqualTo("/srv/b"));
    }

    [Test]
    public void ValuesAreParsedIntoTheirTypes()
    {
        var settings = Parse("--target=Ingest", "--max-backup-age=26h", "--wait-for-lock=10m", "--jobs=3", "--progress=off",
            "--ticker-valid-to=inclusive", "--keep=7", "--keep-for=30d", "--ignore-extra-files");
        Assert.That(settings.MaxBackupAge, Is.EqualTo(TimeSpan.FromHours(26)));
        Assert.That(settings.WaitForLock, Is.EqualTo(TimeSpan.FromMinutes(10)));
        Assert.That(settings.Jobs, Is.EqualTo(3));
        Assert.That(settings.Output.Progress, Is.EqualTo(ProgressMode.Off));
        Assert.That(settings.TickerValidTo, Is.EqualTo(ValidToConvention.Inclusive));
        Assert.That((settings.Retention.Keep, settings.Retention.KeepFor), Is.EqualTo(((int?)7, (TimeSpan?)TimeSpan.FromDays(30))));
        Assert.That(settings.IngestOptions.IgnoreExtraFiles, Is.True);
    }

    [Test]
    public void DryRunIsReadFromTheCommandLineBecauseCakeConsumesIt()
    {
        Assert.That(Parse("--target=Restore", "--dryrun").IsDryRun, Is.True);
        Assert.That(Parse("--target=Restore", "--whatif").IsDryRun, Is.True);
    }

    [Test]
    public void ConsentIsTheConfirmFlagOutsideTheSandboxAndNotNeededInIt()
    {
        Assert.Throws<RunbookException>(() => Parse("--target=Restore").Consent.Require("DropCreate", "stocks_research"));
        Assert.DoesNotThrow(() => Parse("--target=Restore", "--confirm=stocks_research").Consent.Require("DropCreate", "stocks_research"));
        Assert.DoesNotThrow(() => Parse("--target=Restore", "--sandbox").Consent.Require("DropCreate", "stocks_research"));
        Assert.That(Parse("--target=Restore", "--sandbox").BackupDirectory, Is.EqualTo(".sandbox/backups"));
    }

    [Test]
    public void TheRehearsalIsToldWhereToRestoreAndColdRebuildValidatesStrictly()
    {
        var docker = Parse("--target=Rehearsal", "--scratch=docker", "--scratch-image=pg:15-local").RehearsalOptions;
        Assert.That((docker.Scratch, docker.ScratchImage), Is.EqualTo((ScratchMode.Docker, "pg:15-local")));
        Assert.That(Parse("--target=Rehearsal").RehearsalOptions.Scratch, Is.EqualTo(ScratchMode.Live), "the default needs nothing installed");
        Assert.That(Parse("--target=ColdRebuild").ValidatesStrictly, Is.True, "these migrations just built it: a warning is a bug");
        Assert.That(Parse("--target=Restore").ValidatesStrictly, Is.False);
        Assert.That(Parse("--target=Restore", "--strict").ValidatesStrictly, Is.True);
    }

    [TestCase("--target=Backup --swap", "--swap goes with --target=Restore")]
    [TestCase("--target=Restore --swap --in-place", "--swap and --in-place contradict each other")]
    [TestCase("--target=Restore --read-only-live --in-place", "--read-only-live and --in-place contradict each other")]
    [TestCase("--target=Validate --read-only-live", "--read-only-live goes with --target=Restore or ColdRebuild, not --target=Validate")]
    [TestCase("--target=Ingest --in-place", "--in-place goes with --target=Restore or ColdRebuild, not --target=Ingest")]
    [TestCase("--target=RestoreBackup --keep-failed", "--keep-failed goes with --target=Restore or ColdRebuild, not --target=RestoreBackup")]
    [TestCase("--target=Backup --keep-sandbox", "--keep-sandbox goes with --sandbox")]
    [TestCase("--target=Backup --progress=loud", "--progress=loud is not auto, line or off")]
    [TestCase("--target=Ingest --ticker-valid-to=sometimes", "neither exclusive nor inclusive")]
    [TestCase("--target=Restore --jobs=0", "--jobs=0 is not a whole number of at least 1")]
    [TestCase("--target=Restore --max-backup-age=soon", "max-backup-age")]
    [TestCase("--target=Restore --confrim=stocks_research", "did you mean --confirm?")]
    [TestCase("--target=Restore --confirm=a --confirm=b", "--confirm is given 2 times")]
    [TestCase("--target=Restore --exclusive", "--exclusive is refused")]
    [TestCase("--target=Restroe", "Unknown target Restroe")]
    [TestCase("--target=Rehearsal --scratch=cloud", "--scratch=cloud is not live, local or docker")]
    [TestCase("--target=Restore --scratch=local", "--scratch and --scratch-image go with --target=Rehearsal, not --target=Restore")]
    [TestCase("--target=Rehearsal --scratch-image=postgres:16", "--scratch-image goes with --scratch=docker")]
    [TestCase("--target=Backup --offsite=no-colon", "is not an rclone remote REMOTE:PATH")]
    [TestCase("--target=Backup --offsite=/mnt/usb:x", "is not an rclone remote REMOTE:PATH")]
    [TestCase("--target=Ingest --offsite=s3:b/p", "--offsite goes with Backup, OffsiteCopy, Prune, Status")]
    [TestCase("--target=Restore --offsite=s3:b/p", "needs --from-offsite")]
    [TestCase("--target=Restore --from-offsite", "--from-offsite goes with --offsite=REMOTE:PATH")]
    [TestCase("--target=Backup --offsite=s3:b/p --from-offsite", "--from-offsite goes with VerifyBackup, Restore and Rehearsal")]
    [TestCase("--target=Rehearsal --offsite=s3:b/p --from-offsite --fresh-backup", "contradict each other")]
    [TestCase("--target=Status --offsite=s3:b/p --offsite-optional", "--offsite-optional goes with --target=Backup")]
    [TestCase("--target=Backup --offsite=s3:b/p --offsite-keep=3", "go with --target=Prune")]
    [TestCase("--target=Prune --offsite-keep=3", "--offsite-keep goes with --offsite=REMOTE:PATH")]
    [TestCase("--target=Prune --keep=3 --offsite=s3:b/p", "Prune --offsite needs the remote's rule")]
    public void AMalformedCommandStopsBeforeAnythingRuns(string command, string message) =>
        Assert.That(() => Parse(command.Split(' ')), Throws.InstanceOf<RunbookException>().With.Message.Contains(message));

    [Test]
    public void AnOffsiteRemoteIsReadTheRcloneWayAndItsCacheIsPrivateToTheBackupFolder()
    {
        var restore = Parse("--target=Restore", "--offsite=offsite:bucket/prod", "--from-offsite", "--backup-dir=/srv/backups");
        Assert.That(restore.OffsiteSource!.Remote.PathOf("full_20261127_0700.dump"), Is.EqualTo("offsite:bucket/prod/full_20261127_0700.dump"));
        Assert.That(restore.OffsiteSource.CacheDirectory, Is.EqualTo(Path.Combine("/srv/backups", "offsite-cache")));
        Assert.That(Parse("--target=Rehearsal", "--offsite=vault:", "--from-offsite").RehearsalOptions.FromOffsite!.Remote.PathOf("f"),
            Is.EqualTo("vault:f"), "a remote's root");
        var prune = Parse("--target=Prune", "--offsite=offsite:b", "--offsite-keep=7", "--offsite-keep-for=90d", "--keep-backup=20261101_0000");
        Assert.That((prune.OffsiteRetention.Keep, prune.OffsiteRetention.KeepFor, prune.OffsiteRetention.KeepBackup),
            Is.EqualTo(((int?)7, (TimeSpan?)TimeSpan.FromDays(90), "20261101_0000")));
        Assert.That(prune.Retention.Keep, Is.Null, "the local folder's rules are its own");
        Assert.That(Parse("--target=Status", "--offsite=offsite:b").StatusOptions.Offsite!.Spec, Is.EqualTo("offsite:b"));
    }

    [Test]
    public void AnRcloneConnectionStringIsRefusedWithoutEchoingItsSecrets()
    {
        var error = Assert.Throws<RunbookException>(() => Parse("--target=Backup", ":s3,access_key_id=AKIA,secret_access_key=TOPSECRET-42:b/p"
            .Insert(0, "--offsite=")))!;
        Assert.That(error.Message, Does.Contain("connection string is refused").And.Not.Contain("TOPSECRET-42"));
        Assert.That(() => Parse("--target=Backup", "--offsite=s3,secret_access_key=TOPSECRET-42:b"),
            Throws.InstanceOf<RunbookException>().With.Message.Not.Contain("TOPSECRET-42"));
    }
}
