using System.Net;
using System.Net.Sockets;

namespace StocksRebuild.Tests.Support;

/// <summary>
/// A real S3-protocol server on loopback (s3rver, npm) with one bucket, "backups", in a folder of its own, and the rclone
/// remotes the tests name: OFFSITE (s3 on it, configured only by RCLONE_CONFIG_OFFSITE_*) and VAULT (crypt over OFFSITE).
/// Ignores the fixture when rclone or s3rver is missing (.ci/run installs both).
/// </summary>
public sealed class S3Server : IDisposable
{
    readonly System.Diagnostics.Process process;
    public string DataDirectory { get; }
    public int Port { get; }

    S3Server(System.Diagnostics.Process process, string dataDirectory, int port) =>
        (this.process, DataDirectory, Port) = (process, dataDirectory, port);

    public const string Bucket = "backups";

    /// <summary>The remote's variables; set in this process for the fixture's life, so every ./build.sh it runs inherits them.</summary>
    public static Dictionary<string, string> Remote(string name, int port, string secret = "S3RVER") => new()
    {
        [$"RCLONE_CONFIG_{name}_TYPE"] = "s3",
        [$"RCLONE_CONFIG_{name}_PROVIDER"] = "Other",
        [$"RCLONE_CONFIG_{name}_ENDPOINT"] = $"http://127.0.0.1:{port}",
        [$"RCLONE_CONFIG_{name}_ACCESS_KEY_ID"] = "S3RVER",
        [$"RCLONE_CONFIG_{name}_SECRET_ACCESS_KEY"] = secret,
        [$"RCLONE_CONFIG_{name}_FORCE_PATH_STYLE"] = "true",
    };

    public static S3Server Start()
    {
        var rclone = OnPath("rclone");
        var s3rver = new[] { System.Environment.GetEnvironmentVariable("STOCKSREBUILD_S3RVER"),
                             Path.Combine(BuildScript.RepositoryRoot, ".build/s3rver/node_modules/.bin/s3rver"), OnPath("s3rver") }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));
        if (rclone is null || s3rver is null) Assert.Ignore("rclone or s3rver is missing: .ci/run installs them (apt rclone, npm s3rver@3.7.1)");
        var data = Directory.CreateTempSubdirectory("stocksrebuild-s3-").FullName;
        var port = FreePort();
        var start = new System.Diagnostics.ProcessStartInfo(s3rver!)
        {
            ArgumentList = { "--directory", data, "--port", port.ToString(), "--address", "127.0.0.1", "--configure-bucket", Bucket, "--silent" },
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var process = System.Diagnostics.Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) TestContext.Progress.WriteLine($"s3rver: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new S3Server(process, data, port);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!Answers(port))
        {
            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                server.Dispose();
                Assert.Fail($"s3rver did not answer on 127.0.0.1:{port}");
            }
            Thread.Sleep(100);
        }
        foreach (var (key, value) in Remote("OFFSITE", port)) System.Environment.SetEnvironmentVariable(key, value);
        System.Environment.SetEnvironmentVariable("RCLONE_CONFIG_VAULT_TYPE", "crypt");
        System.Environment.SetEnvironmentVariable("RCLONE_CONFIG_VAULT_REMOTE", $"OFFSITE:{Bucket}/vault");
        System.Environment.SetEnvironmentVariable("RCLONE_CONFIG_VAULT_PASSWORD", Rclone("obscure", VaultPassphrase).StdOut.Single());
        return server;
    }

    /// <summary>VAULT: rclone's crypt over OFFSITE:backups/vault, its password given obscured, the rclone way.</summary>
    public const string VaultPassphrase = "vault passphrase for the tests";
    static readonly string[] VaultKeys = ["RCLONE_CONFIG_VAULT_TYPE", "RCLONE_CONFIG_VAULT_REMOTE", "RCLONE_CONFIG_VAULT_PASSWORD"];

    /// <summary>Where s3rver keeps an object's bytes: a test may rewrite them as a failing disk or an attacker would.</summary>
    public string ObjectFile(string key) => Path.Combine(DataDirectory, Bucket, key + "._S3rver_object");

    /// <summary>Runs rclone for a test's own look at the remote (the tool's process environment, AWS_CA_BUNDLE aside).</summary>
    public static StocksRebuild.Tools.ToolResult Rclone(params string[] arguments) =>
        StocksRebuild.Offsite.Rclone.Run(arguments);

    public void Dispose()
    {
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        process.WaitForExit();
        foreach (var key in Remote("OFFSITE", Port).Keys.Concat(VaultKeys)) System.Environment.SetEnvironmentVariable(key, null);
        Directory.Delete(DataDirectory, recursive: true);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static bool Answers(int port)
    {
        try { using var client = new TcpClient("127.0.0.1", port); return true; }
        catch (SocketException) { return false; }
    }

    static string? OnPath(string program) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
}
