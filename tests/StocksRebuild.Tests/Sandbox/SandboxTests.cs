using StocksRebuild.Sandbox;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Sandbox;

[TestFixture]
public sealed class SandboxTests
{
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
