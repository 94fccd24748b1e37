using Npgsql;
using StocksRebuild.Connection;
using StocksRebuild.Sandbox;
using StocksRebuild.Tests.Support;
using DotNet.Testcontainers.Configurations;
using StocksRebuild.Rehearsal;
using Testcontainers.PostgreSql;

namespace StocksRebuild.Tests;

/// <summary>
/// The one PostgreSQL the whole suite runs against: the server in STOCKSREBUILD_TEST_CONNECTION (an Npgsql
/// connection string) when given, else a Testcontainers PostgreSQL when a Docker engine answers, else a
/// throwaway cluster started with initdb/pg_ctl (the path CI takes on machines without Docker).
/// </summary>
[SetUpFixture]
public sealed class TestServer
{
    public const string ConnectionVariable = "STOCKSREBUILD_TEST_CONNECTION";

    static ServerConnection? connection;
    static SandboxServer? sandbox;
    static PostgreSqlContainer? container;

    public static ServerConnection Connection => connection ?? throw new InvalidOperationException("TestServer not started");

    public static bool IsStarted => connection is not null;

    /// <summary>What a step of a run gets: this server (or another), a log, no stop signal unless one is set.</summary>
    public static RunContext Run(IRunbookLog? log = null, ServerConnection? server = null) => new(server ?? Connection, log ?? new TestLog());
    public static string Kind { get; private set; } = "";

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var log = new TestLog();
        if (Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } given)
        {
            var builder = new NpgsqlConnectionStringBuilder(given);
            connection = new ServerConnection
            {
                Host = builder.Host ?? "localhost", Port = builder.Port, User = builder.Username ?? Environment.UserName, Password = builder.Password,
            };
            Kind = ConnectionVariable;
        }
        else if (await TryContainerAsync() is { } fromDocker)
        {
            connection = fromDocker;
            Kind = "Testcontainers";
        }
        else
        {
            sandbox = SandboxServer.Start(Path.Combine(Path.GetTempPath(), "stocksrebuild-tests"), log);
            connection = sandbox.Connection;
            Kind = "initdb/pg_ctl cluster";
        }
        TestContext.Progress.WriteLine($"Test server: {Kind} at {connection.Host}:{connection.Port}");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        connection = null;
        sandbox?.Stop(keep: false);
        if (container is not null) await container.DisposeAsync();
    }

    static async Task<ServerConnection?> TryContainerAsync()
    {
        if (!File.Exists("/var/run/docker.sock") && Environment.GetEnvironmentVariable("DOCKER_HOST") is null)
        {
            TestContext.Progress.WriteLine("No Docker engine here: the Testcontainers path is skipped; using a local initdb cluster.");
            return null;
        }
        try
        {
            // As the rehearsal's --scratch=docker does: the engine's own API version, and no reaper image (we dispose it).
            DockerScratch.NegotiateApiVersion(new TestLog());
            TestcontainersSettings.ResourceReaperEnabled = false;
            // A password of its own: the default ("postgres") is also the user's name, and tests prove the password is never printed.
            container = new PostgreSqlBuilder("postgres:15")
                .WithUsername("stocksrebuild")
                .WithPassword(Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18)).ToLowerInvariant())
                .Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await container.StartAsync(timeout.Token);
            var builder = new NpgsqlConnectionStringBuilder(container.GetConnectionString());
            return new ServerConnection { Host = builder.Host!, Port = builder.Port, User = builder.Username!, Password = builder.Password };
        }
        catch (Exception e)
        {
            TestContext.Progress.WriteLine($"No Docker engine answered ({e.GetType().Name}: {e.Message}); the Testcontainers path is skipped; " +
                "using a local initdb cluster.");
            container = null;
            return null;
        }
    }
}
