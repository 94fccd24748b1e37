using StocksRebuild.Sandbox;

namespace StocksRebuild.Rehearsal;

/// <summary>--scratch: where the rehearsal restores, validates and rebuilds.</summary>
public enum ScratchMode { Live, Local, Docker }

/// <summary>
/// The server the rehearsal's scratch databases live on. "live" is the live server itself (the default: nothing to
/// install); "local" a throwaway initdb cluster on this machine; "docker" a PostgreSQL container started through
/// Testcontainers. Away from live, the live server is only read (catalog, row counts): the restore's disk, CPU and
/// I/O land elsewhere, as dbatools' Test-DbaLastBackup -Destination and pgBackRest's restore hosts do it. A scratch
/// server older than live is refused before anything is restored: a restore must not rehearse a downgrade.
/// </summary>
public sealed class ScratchServer : IDisposable
{
    ScratchServer(ScratchMode mode, ServerConnection connection, string maintenanceDatabase, string where, Action? stop)
    {
        (Mode, Connection, MaintenanceDatabase, Where, this.stop) = (mode, connection, maintenanceDatabase, where, stop);
    }

    readonly Action? stop;

    public ScratchMode Mode { get; }
    public ServerConnection Connection { get; }
    /// <summary>Where the scratch databases are created and dropped.</summary>
    public string MaintenanceDatabase { get; }
    /// <summary>For the report: "the live server", "a local initdb cluster on 127.0.0.1:PORT", "container … of image …".</summary>
    public string Where { get; }
    /// <summary>The scratch server's version (SHOW server_version), read once it answers.</summary>
    public string Version { get; private set; } = "unknown";
    /// <summary>What starting found and removed: the clusters or containers of rehearsals that were killed.</summary>
    public IReadOnlyList<string> Leftovers { get; private set; } = [];

    public bool IsLive => Mode == ScratchMode.Live;

    /// <summary>Starts the scratch server --scratch names, refusing one older than the live server.</summary>
    public static ScratchServer Start(RunContext run, ScratchMode mode, string? image = null)
    {
        if (mode == ScratchMode.Live)
            return new ScratchServer(mode, run.Server, run.MaintenanceDatabase, $"the live server {run.Server.Host}:{run.Server.Port}", null)
                { Version = ServerVersion.Read(run.Server, run.MaintenanceDatabase).Text };
        // A live server that does not answer is the disaster itself: the backup is still rehearsed elsewhere, against
        // the version of this machine's client tools instead.
        var live = ServerVersion.TryRead(run.Server, run.MaintenanceDatabase);
        var major = live?.Major ?? PgTools.VersionOf("pg_restore").Major;
        var scratch = mode == ScratchMode.Local ? StartLocal(run, live) : DockerScratch.Start(run, image ?? $"postgres:{major}");
        try
        {
            var version = ServerVersion.Read(scratch.Connection, scratch.MaintenanceDatabase);
            scratch.Version = version.Text;
            if (live is not null && version.Major < live.Major)
                throw new RunbookException($"--scratch={Name(mode)}: the scratch server is PostgreSQL {version.Text}, older than the live server's " +
                    $"{live.Text}: a backup of {live.Major} is not rehearsed on {version.Major}." +
                    (mode == ScratchMode.Docker ? $" Give --scratch-image=postgres:{live.Major} (build/docker/postgres-image.sh builds it)." : ""));
            return scratch;
        }
        catch
        {
            scratch.Dispose();
            throw;
        }
    }

    static ScratchServer StartLocal(RunContext run, ServerVersion? live)
    {
        // Refused before initdb runs: the binaries' version is known without starting anything.
        var initdb = PgTools.VersionOf("initdb");
        if (live is not null && initdb.Major < live.Major)
            throw new RunbookException($"--scratch=local: this machine's initdb is PostgreSQL {initdb}, older than the live server's {live.Text}. " +
                $"Install postgresql-{live.Major} here, or use --scratch=docker.");
        // Durable like a real server (fsync on): the RTO measured there is one a DBA can plan with.
        var cluster = SandboxServer.Start(Path.Combine(".sandbox", "scratch"), run.Log, durable: true);
        return new ScratchServer(ScratchMode.Local, cluster.Connection, "postgres",
            $"a local initdb cluster on {cluster.Connection.Host}:{cluster.Connection.Port}", () => cluster.Stop(keep: false));
    }

    internal static ScratchServer FromContainer(ServerConnection connection, string where, Action remove, IReadOnlyList<string> leftovers) =>
        new(ScratchMode.Docker, connection, "postgres", where, remove) { Leftovers = leftovers };

    public static string Name(ScratchMode mode) => mode.ToString().ToLowerInvariant();

    public static ScratchMode Parse(string? text) => text?.ToLowerInvariant() switch
    {
        null or "live" => ScratchMode.Live,
        "local" => ScratchMode.Local,
        "docker" => ScratchMode.Docker,
        _ => throw new RunbookException($"--scratch={text} is not live, local or docker. Nothing was run."),
    };

    /// <summary>Stops the cluster or removes the container (the live server is left as it is).</summary>
    public void Dispose() => stop?.Invoke();
}
