using System.Net.Sockets;
using System.Text.RegularExpressions;
using StocksRebuild.Backups;
using StocksRebuild.Rehearsal;
using StocksRebuild.Tests.Support;
using StocksRebuild.Tools;

namespace StocksRebuild.Tests.Rehearsal;

/// <summary>
/// Rehearsal --scratch=local and --scratch=docker through ./build.sh: the restore, its Validate and the rebuild run on
/// a server of their own, the live server is only read, and nothing is left behind (cluster, container, database)
/// whether the rehearsal passes, is stopped by SIGTERM, or is killed.
/// </summary>
[TestFixture]
public sealed class ScratchServerTests
{
    static string NewFolder(string name) => Directory.CreateTempSubdirectory($"stocksrebuild-{name}-").FullName;

    static IReadOnlyList<string> ScratchOf(string live) => Databases.Admin.WithPrefix(ScratchDatabases.PrefixFor(live));

    static RehearsalReport ReportIn(string folder) => RehearsalReport.FromJson(File.ReadAllText(Path.Combine(folder, "report.json")));

    /// <summary>The port pg_restore restored into, from its own line in the output.</summary>
    static int RestoredOnPort(string output) =>
        int.Parse(Regex.Match(output, @"Restore: pg_restore --jobs=\d+ \S+ into database ""[^""]+"" on \S+@[^:]+:(\d+)").Groups[1].Value);

    /// <summary>
    /// A rehearsal of a seeded database through ./build.sh --scratch=MODE, which must pass and leave live, its backup
    /// folder and the live server's database list as they were.
    /// </summary>
    static (BuildRun run, RehearsalReport report) RehearseSeeded(ScratchMode mode)
    {
        var live = Databases.Seeded();
        var backups = NewFolder($"{mode}-backups");
        BackupWriter.Backup(TestServer.Run(), live, backups);
        var before = Databases.Fingerprint(live);
        var listing = Databases.Listing(backups);
        var reports = NewFolder($"{mode}-report");

        var run = BuildScript.Run("--target=Rehearsal", $"--scratch={ScratchServer.Name(mode)}", $"--database={live}", $"--backup-dir={backups}",
            $"--report-dir={reports}");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var report = ReportIn(reports);
        Assert.That(report.Status, Is.EqualTo(RehearsalStatus.Passed), report.FailureSummary());
        Assert.That(report.Scratch, Is.EqualTo(mode));
        Assert.That(report.Checks.Single(c => c.Name == "Schema identity").Detail, Does.Contain("live, backup, migrations: identical"));
        Assert.That(report.RowCounts.All(t => t.Live == t.Backup), Is.True, "live's counts were read on the live server");
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before));
        Assert.That(Databases.Listing(backups), Is.EqualTo(listing));
        Assert.That(ScratchOf(live), Is.Empty);
        return (run, report);
    }

    [Test]
    public void ARehearsalOnALocalClusterRestoresThereReadsLiveOnlyAndStopsTheCluster()
    {
        var (run, report) = RehearseSeeded(ScratchMode.Local);

        var port = int.Parse(Regex.Match(report.ScratchServer!, @"^a local initdb cluster on 127\.0\.0\.1:(\d+), PostgreSQL 15\.").Groups[1].Value);
        Assert.That(port, Is.Not.EqualTo(TestServer.Connection.Port));
        Assert.That(RestoredOnPort(run.Output), Is.EqualTo(port), "pg_restore wrote to the scratch cluster, not to the live server");
        Assert.That(Answers(port), Is.False, "the scratch cluster was stopped");
    }

    /// <summary>
    /// Live reached through a service file, with PGOPTIONS and PGAPPNAME of the caller's: the scratch cluster has connection
    /// settings of its own, and nothing of live's reaches it (a service inherited by its pg_restore would send the restore
    /// to live's server, where libpq gives the service precedence over PGHOST and PGPORT).
    /// </summary>
    [Test]
    public void NothingOfTheLiveServersConnectionSettingsReachesTheScratchCluster()
    {
        var live = Databases.Seeded();
        var backups = NewFolder("service-backups");
        BackupWriter.Backup(TestServer.Run(), live, backups);
        var before = Databases.Fingerprint(live);
        var server = TestServer.Connection;
        var service = Path.Combine(NewFolder("service"), "pg_service.conf");
        StocksRebuild.Tools.PrivateFiles.WriteAllText(service, $"[live]\nhost={server.Host}\nport={server.Port}\nuser={server.User}\n" +
            (server.Password is { } password ? $"password={password}\n" : "") + (server.PassFile is { } passfile ? $"passfile={passfile}\n" : ""));
        var environment = new Dictionary<string, string>
        {
            ["PGSERVICEFILE"] = service, ["PGSERVICE"] = "live", ["PGOPTIONS"] = "-c search_path=nowhere", ["PGAPPNAME"] = "callers-app",
        };

        var run = BuildScript.RunWith(environment, "--target=Rehearsal", "--scratch=local", $"--database={live}", $"--backup-dir={backups}",
            $"--report-dir={NewFolder("service-report")}");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var port = int.Parse(Regex.Match(run.Output, @"a local initdb cluster on 127\.0\.0\.1:(\d+)").Groups[1].Value);
        Assert.That(port, Is.Not.EqualTo(server.Port));
        Assert.That(RestoredOnPort(run.Output), Is.EqualTo(port), "pg_restore wrote to the scratch cluster, not to the service's server");
        Assert.That(run.Output, Does.Not.Contain(server.Password ?? "\0"));
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before));
        Assert.That(ScratchOf(live), Is.Empty, "no scratch database on the live server");
    }

    /// <summary>A scratch server older than live would rehearse a downgrade: refused before initdb runs, live untouched.</summary>
    [Test, Category("BadInput")]
    public void ALocalInitdbOlderThanTheLiveServerIsRefusedNamingBothVersions()
    {
        var live = Databases.Seeded();
        var backups = NewFolder("old-initdb-backups");
        BackupWriter.Backup(TestServer.Run(), live, backups);
        var before = Databases.Fingerprint(live);
        var listing = Databases.Listing(backups);
        var fakeBin = NewFolder("old-initdb-bin");
        File.WriteAllText(Path.Combine(fakeBin, "initdb"), "#!/bin/sh\necho 'initdb (PostgreSQL) 13.4'\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(fakeBin, "initdb"), (UnixFileMode)0b111_101_101);
        var path = Environment.GetEnvironmentVariable("PATH");
        RehearsalReport report;
        try
        {
            Environment.SetEnvironmentVariable("PATH", fakeBin + Path.PathSeparator + path);
            report = RecoveryRehearsal.Run(TestServer.Run(), new RehearsalOptions
            {
                Database = live, BackupDirectory = backups, ReportDirectory = NewFolder("old-initdb-report"), Scratch = ScratchMode.Local,
            });
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }

        Assert.That(report.Status, Is.EqualTo(RehearsalStatus.Failed));
        Assert.That(report.Checks[0].Detail,
            Does.Match(@"--scratch=local: this machine's initdb is PostgreSQL 13\.4, older than the live server's 15\.\d+"));
        Assert.That(report.Checks.Where(c => c.Name is "Restore" or "Cold rebuild").Select(c => c.Status), Is.All.EqualTo(CheckStatus.Skipped));
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before));
        Assert.That(Databases.Listing(backups), Is.EqualTo(listing));
        Assert.That(ScratchOf(live), Is.Empty);
    }

    /// <summary>The disaster itself: the live server does not answer, and the backup is still proven on a cluster of its own.</summary>
    [Test]
    public void WithTheLiveServerDownALocalRehearsalStillRestoresAndValidatesTheBackup()
    {
        var (live, backup) = Databases.SourceWithBackup;
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var down = TestServer.Connection with { Host = "127.0.0.1", Port = closedPort };

        var report = RecoveryRehearsal.Run(TestServer.Run(server: down), new RehearsalOptions
        {
            Database = live, BackupFile = backup, ReportDirectory = NewFolder("live-down-report"), Scratch = ScratchMode.Local,
        });

        Assert.That(report.Status, Is.EqualTo(RehearsalStatus.Passed), report.FailureSummary());
        Assert.That(report.Checks.Single(c => c.Name == "Live database").Status, Is.EqualTo(CheckStatus.Skipped));
        Assert.That(report.Checks.Where(c => c.Name is "VerifyBackup" or "Restore" or "Validate" or "RTO").Select(c => c.Status),
            Is.All.EqualTo(CheckStatus.Passed));
        Assert.That(report.SchemaCompared, Is.EqualTo(new[] { RecoveryRehearsal.BackupLabel, RecoveryRehearsal.Migrations }));
        Assert.That(report.RowCounts.All(t => t.Live is null && t.Backup == t.Manifest), Is.True);
    }

    [Test]
    public void ARehearsalInAContainerRestoresThereAndLeavesNoContainer()
    {
        RequireDocker();

        var (run, report) = RehearseSeeded(ScratchMode.Docker);

        var where = Regex.Match(report.ScratchServer!, @"^container ([0-9a-f]{12}) of image postgres:15 on [^:]+:(\d+), PostgreSQL 15\.");
        Assert.That(where.Success, Is.True, report.ScratchServer);
        Assert.That(RestoredOnPort(run.Output), Is.EqualTo(int.Parse(where.Groups[2].Value)));
        Assert.That(ScratchContainers(), Is.Empty, "the container was removed");
    }

    /// <summary>
    /// A rehearsal of the medium database on a scratch server of <paramref name="mode"/>, stopped by SIGTERM to its
    /// process group while it restores (what systemd, timeout and CI send): exit 143, the message names the scratch
    /// server as stopped and removed (<paramref name="scratchServer"/>, a pattern), the report says interrupted, and
    /// live is unchanged with no scratch database ever on it. Returns the message's match.
    /// </summary>
    static Match StopDuringRestore(ScratchMode mode, string scratchServer, Action? whileRestoring = null)
    {
        var live = Databases.Medium;
        var before = Databases.Fingerprint(live);
        var reports = NewFolder($"{mode}-sigterm-report");
        var run = BuildScript.LaunchInOwnGroup("--target=Rehearsal", $"--scratch={ScratchServer.Name(mode)}", $"--database={live}",
            $"--backup-dir={Databases.MediumBackup.Folder}", "--jobs=1", $"--report-dir={reports}");
        Assert.That(run.WaitForOutput("Restore: pg_restore --jobs=1", TimeSpan.FromMinutes(2)), Is.True, run.OutputSoFar);
        whileRestoring?.Invoke();

        run.SignalGroup("TERM");
        var result = run.Finish();

        Assert.That(result.ExitCode, Is.EqualTo(143), result.ToString());
        var stopped = Regex.Match(result.Output, $"Interrupted during Rehearsal: the live database \"{live}\" was only read, never changed; the " +
            $@"scratch server \({scratchServer}\) was stopped and removed\. Next: run --target=Rehearsal again");
        Assert.That(stopped.Success, Is.True, result.Output);
        Assert.That(ReportIn(reports).Status, Is.EqualTo(RehearsalStatus.Interrupted));
        Assert.That(ScratchOf(live), Is.Empty, "nothing was ever created on the live server");
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before));
        return stopped;
    }

    /// <summary>pg_ctl starts the scratch cluster in a session of its own: a signal to the run's group stops the run, and the run stops it.</summary>
    [Test, Category("Fault")]
    public void SigtermToTheGroupDuringALocalRestoreStopsTheClusterAndSaysSo()
    {
        var stopped = StopDuringRestore(ScratchMode.Local, @"a local initdb cluster on 127\.0\.0\.1:(\d+)");

        Assert.That(Answers(int.Parse(stopped.Groups[1].Value)), Is.False, "the scratch cluster is stopped");
    }

    [Test, Category("Fault")]
    public void SigtermToTheGroupDuringAContainerRestoreRemovesTheContainerAndSaysSo()
    {
        RequireDocker();

        StopDuringRestore(ScratchMode.Docker, @"container [0-9a-f]{12} of image postgres:15 on [^)]+", whileRestoring: () =>
        {
            Assert.That(ScratchContainers(), Has.Count.EqualTo(1));
            Assert.That(ScratchOf(Databases.Medium), Is.Empty, "the restore runs in the container, not on the live server");
        });

        Assert.That(ScratchContainers(), Is.Empty);
    }

    [Test, Category("Fault")]
    public void AContainerLeftByAKilledRehearsalIsRemovedByTheNextOne()
    {
        RequireDocker();
        var live = Databases.Medium;
        var run = BuildScript.Launch("--target=Rehearsal", "--scratch=docker", $"--database={live}", $"--backup-dir={Databases.MediumBackup.Folder}",
            "--jobs=1", $"--report-dir={NewFolder("docker-killed-report")}");
        Assert.That(run.WaitForOutput("Restore: pg_restore --jobs=1", TimeSpan.FromMinutes(2)), Is.True, run.OutputSoFar);
        run.Process.Kill(entireProcessTree: true);
        run.Process.WaitForExit();
        var left = ScratchContainers();
        Assert.That(left, Has.Count.EqualTo(1), "kill -9 leaves the container");

        var next = BuildScript.Run("--target=Rehearsal", "--scratch=docker", $"--database={live}", $"--backup-dir={Databases.MediumBackup.Folder}",
            $"--report-dir={NewFolder("docker-next-report")}");

        Assert.That(next.ExitCode, Is.Zero, next.ToString());
        Assert.That(next.Output, Does.Contain($"removed leftover scratch container {left[0]} of a rehearsal that did not finish"));
        Assert.That(ScratchContainers(), Is.Empty);
    }

    /// <summary>The ids (12 characters) of containers the rehearsal labelled as its scratch servers.</summary>
    static IReadOnlyList<string> ScratchContainers()
    {
        var listed = ToolRun.Run("docker", ["ps", "--all", "--quiet", "--no-trunc", "--filter", "label=org.stocksrebuild.scratch"]);
        Assert.That(listed.Succeeded, Is.True, listed.ErrorText);
        return [.. listed.StdOut.Where(l => l.Length >= 12).Select(l => l[..12])];
    }

    /// <summary>Docker is optional on a developer's machine; CI installs it, and there these tests run.</summary>
    static void RequireDocker()
    {
        var engine = DockerAnswers();
        if (engine is not null) Assert.Ignore($"--scratch=docker not rehearsed here: {engine}");
    }

    static string? DockerAnswers()
    {
        try
        {
            var version = ToolRun.Run("docker", ["version", "--format", "{{.Server.Version}}"]);
            if (!version.Succeeded) return $"no Docker engine answered ({version.ErrorText.Trim()})";
            var image = ToolRun.Run("docker", ["image", "inspect", "postgres:15"]);
            return image.Succeeded ? null : "no postgres:15 image (build/docker/postgres-image.sh builds it)";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or RunbookException)
        {
            return "no docker command";
        }
    }

    static bool Answers(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
