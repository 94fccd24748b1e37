using StocksRebuild.Sandbox;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Sandbox;

[TestFixture]
public sealed class SandboxTests
{
    [Test]
    public void AsRootBelowAPrivateFolderTheClusterGoesToASharedTemporaryFolder()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Ignore("only root hands the cluster to another account");
        // A checkout cloned into `mktemp -d` sits below a 0700 folder the 'postgres' account cannot enter.
        var root = Path.Combine(Directory.CreateTempSubdirectory("private-").FullName, ".sandbox");
        var log = new TestLog();

        using var sandbox = SandboxServer.Start(root, log);

        Assert.That(sandbox.Directory, Does.StartWith(Path.Combine(Path.GetTempPath(), "stocksrebuild-sandbox")));
        Assert.That(log.Text, Does.Contain("cannot reach").And.Contain("the cluster goes to"));
        using var connection = sandbox.Connection.Open("postgres");
        Assert.That(connection.State, Is.EqualTo(System.Data.ConnectionState.Open));
    }

    [Test]
    public void AKeptSandboxSurvivesALaterRunAndAnAbandonedOneDoesNot()
    {
        var root = Directory.CreateTempSubdirectory("sandbox-root-").FullName;
        // As root the cluster runs as 'postgres', which must reach the folder (temp folders are 0700).
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        // A sandbox folder whose process is long gone and that nobody asked to keep: a leftover.
        var abandoned = Directory.CreateDirectory(Path.Combine(root, "pg-20200101000000-999999")).FullName;

        var kept = SandboxServer.Start(root, new TestLog());
        kept.Stop(keep: true);
        var keptDirectory = kept.Directory;
        try
        {
            using var later = SandboxServer.Start(root, new TestLog());

            Assert.That(Directory.Exists(abandoned), Is.False, "the abandoned folder is removed");
            Assert.That(Directory.Exists(keptDirectory), Is.True, "the kept sandbox stays");
            using var connection = kept.Connection.Open("postgres");
            Assert.That(connection.State, Is.EqualTo(System.Data.ConnectionState.Open), "and keeps serving");
        }
        finally
        {
            SandboxServer.StopServer(Path.Combine(keptDirectory, "data"), "immediate");
            Directory.Delete(root, recursive: true);
        }
    }
}
