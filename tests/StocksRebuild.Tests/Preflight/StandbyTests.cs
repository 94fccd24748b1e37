using StocksRebuild.Sandbox;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Preflight;

/// <summary>
/// A real streaming standby (pg_basebackup -R of a primary the fixture starts): every writing target run against it is
/// refused at the start with the word standby and the primary it follows, before the lock and anything else.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[TestFixture, Category("BadInput")]
public sealed class StandbyTests
{
    SandboxServer primary = null!;
    SandboxServer standby = null!;
    string database = "";
    string folder = "";

    [OneTimeSetUp]
    public void StartPrimaryAndStandby()
    {
        folder = Directory.CreateTempSubdirectory("stocksrebuild-standby-").FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        primary = SandboxServer.Start(folder, new TestLog());
        database = Databases.Migrated("standby", primary.Connection);
        standby = primary.StartStandby(new TestLog());
    }

    [OneTimeTearDown]
    public void StopThem()
    {
        standby.Dispose();
        primary.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    [TestCase("--target=Restore", "--confirm")]
    [TestCase("--target=Restore", "--confirm", "--in-place")]
    [TestCase("--target=Ingest")]
    [TestCase("--target=ColdRebuild", "--confirm")]
    [TestCase("--target=Migrate")]
    public void AWritingTargetOnAStandbyIsRefusedNamingItsPrimary(params string[] arguments)
    {
        var backup = Databases.CopyOfBackup();
        var listing = Databases.Listing(Path.GetDirectoryName(backup)!);
        var before = Databases.Fingerprint(database, primary.Connection);
        string[] command = [.. arguments.Select(a => a == "--confirm" ? $"--confirm={database}" : a), $"--database={database}", $"--backup={backup}"];

        var run = BuildScript.Run(standby.Connection, command);

        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain($"{arguments[0]["--target=".Length..]} refused: database \"postgres\" on {standby.Connection.User}@127.0.0.1:" +
            $"{standby.Connection.Port} is a standby (in recovery): it cannot be written"), run.ToString());
        Assert.That(run.Output, Does.Contain($"(this standby follows host=127.0.0.1 port={primary.Connection.Port})"));
        Assert.That(run.Output, Does.Not.Contain(primary.Connection.Password!));
        Assert.That(Databases.Fingerprint(database, primary.Connection), Is.EqualTo(before));
        Assert.That(Databases.Listing(Path.GetDirectoryName(backup)!), Is.EqualTo(listing));
    }
}
