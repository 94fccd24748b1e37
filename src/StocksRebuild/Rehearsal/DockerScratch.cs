using System.Net.Sockets;
using System.Security.Cryptography;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Configurations;
using Testcontainers.PostgreSql;

namespace StocksRebuild.Rehearsal;

/// <summary>
/// --scratch=docker: a PostgreSQL container through Testcontainers. Testcontainers' reaper (Ryuk) needs an image of its
/// own, which a machine without a registry lacks, so the tool removes its containers itself: when the rehearsal ends,
/// when the process exits, and (after a kill -9) on the next run, which finds them by label and by a dead owner.
/// </summary>
static class DockerScratch
{
    const string Label = "org.stocksrebuild.scratch";
    const string OwnerLabel = Label + ".owner";

    public static ScratchServer Start(RunContext run, string image)
    {
        // Before Testcontainers reads its settings: they are read once, from the environment.
        NegotiateApiVersion(run.Log);
        TestcontainersSettings.ResourceReaperEnabled = false;
        var leftovers = RemoveLeftovers(run.Log);
        PostgreSqlContainer? container = null;
        var removed = 0;
        void Remove()
        {
            if (container is null || Interlocked.Exchange(ref removed, 1) == 1) return;
            try { container.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
            catch (Exception e)
            {
                run.Log.Warning($"Rehearsal: could not remove the scratch container: {e.Message} (the next rehearsal removes it)");
            }
        }
        // A second signal or an unhandled end must not leave a container running behind the DBA's back.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove();
        run.Log.Info($"Rehearsal: starting a PostgreSQL container from {image} (Testcontainers) …");
        try
        {
            container = new PostgreSqlBuilder(image)
                .WithPassword(Convert.ToHexString(RandomNumberGenerator.GetBytes(18)).ToLowerInvariant())
                .WithLabel(Label, "rehearsal")
                .WithLabel(OwnerLabel, Owner(Environment.ProcessId))
                // Testcontainers turns fsync off for speed; a rehearsal measures a real recovery time (the last -c wins).
                .WithCommand("-c", "fsync=on", "-c", "synchronous_commit=on")
                .Build();
            container.StartAsync(run.Cancellation).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (run.Cancellation.IsCancellationRequested)
        {
            Remove();
            throw new RunInterruptedException("Rehearsal", "the scratch container was starting and has been removed; nothing was restored.",
                "run --target=Rehearsal again when convenient; nothing needs repair.");
        }
        catch (Exception e) when (e is not RunbookException)
        {
            Remove();
            throw new RunbookException($"--scratch=docker: no PostgreSQL container started from {image}: {Inner(e)}. A Docker engine must answer " +
                "(DOCKER_HOST, or /var/run/docker.sock) and the image must be here (no registry is assumed: build/docker/postgres-image.sh " +
                "builds postgres:<major>), or use --scratch=local");
        }
        var given = new NpgsqlConnectionStringBuilder(container.GetConnectionString());
        var connection = new ServerConnection { Host = given.Host!, Port = given.Port, User = given.Username!, Password = given.Password };
        return ScratchServer.FromContainer(connection, $"container {container.Id[..12]} of image {image} on {connection.Host}:{connection.Port}",
            Remove, leftovers);
    }

    /// <summary>Containers of rehearsals on this machine whose process is gone: a kill -9 left them.</summary>
    static IReadOnlyList<string> RemoveLeftovers(IRunbookLog log)
    {
        var found = new List<string>();
        try
        {
            using var client = TestcontainersSettings.OS.DockerEndpointAuthConfig.GetDockerClientBuilder(Guid.NewGuid()).Build();
            var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [Label] = true } };
            var containers = client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter })
                .GetAwaiter().GetResult();
            foreach (var container in containers)
            {
                var owner = container.Labels.TryGetValue(OwnerLabel, out var o) ? o : "";
                if (!IsDeadOwner(owner)) continue;
                client.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }).GetAwaiter().GetResult();
                found.Add($"removed leftover scratch container {container.ID[..12]} of a rehearsal that did not finish ({owner})");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not finding leftovers is not a reason to refuse the rehearsal: the start below says what is wrong with Docker.
            found.Add($"could not look for leftover scratch containers: {Inner(e)}");
        }
        foreach (var line in found) log.Info($"Rehearsal: {line}.");
        return found;
    }

    /// <summary>
    /// Testcontainers speaks Docker API 1.44; an older engine (Debian's dockerd 20.10 answers 1.41) refuses it. As the
    /// docker CLI does, ask the engine which version it speaks (the unversioned /version) and use that, unless
    /// DOCKER_API_VERSION says otherwise. Only for a local socket; a remote DOCKER_HOST keeps its own settings.
    /// </summary>
    internal static void NegotiateApiVersion(IRunbookLog log)
    {
        const string socket = "/var/run/docker.sock";
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_API_VERSION"))) return;
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        var path = string.IsNullOrEmpty(host) ? socket : host.StartsWith("unix://", StringComparison.Ordinal) ? host["unix://".Length..] : null;
        if (path is null || !File.Exists(path)) return;
        try
        {
            using var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, token) =>
                {
                    var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await unix.ConnectAsync(new UnixDomainSocketEndPoint(path), token);
                    return new NetworkStream(unix, ownsSocket: true);
                },
            };
            using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
            using var json = System.Text.Json.JsonDocument.Parse(client.GetStringAsync("http://docker/version").GetAwaiter().GetResult());
            var answered = json.RootElement.GetProperty("ApiVersion").GetString();
            if (System.Version.TryParse(answered, out var version) && version < new System.Version(1, 44))
            {
                Environment.SetEnvironmentVariable("DOCKER_API_VERSION", answered);
                log.Info($"Docker: the engine speaks API {answered}; using it (DOCKER_API_VERSION overrides).");
            }
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or TaskCanceledException
            or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // No answer here: the start below says what is wrong, in Testcontainers' words.
        }
    }

    static string Owner(int pid) => $"{Environment.MachineName}:{pid}";

    static bool IsDeadOwner(string owner)
    {
        var colon = owner.LastIndexOf(':');
        if (colon < 0 || owner[..colon] != Environment.MachineName || !int.TryParse(owner[(colon + 1)..], out var pid)) return false;
        try { return Process.GetProcessById(pid).HasExited; }
        catch (ArgumentException) { return true; }
    }

    static string Inner(Exception e) =>
        (e.InnerException is { } inner && inner.Message != e.Message ? $"{e.Message} ({inner.Message})" : e.Message).Trim().TrimEnd('.');
}
