using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace StocksRebuild.Sandbox;

/// <summary>
/// A throwaway PostgreSQL the tool starts itself (initdb, pg_ctl) on a free loopback port with a random
/// password, so a newcomer, a test run or a rehearsal never needs, nor touches, a real server.
/// </summary>
public sealed class SandboxServer : IDisposable
{
    const string User = "stocksrebuild";
    // initdb refuses to run as root; as root the cluster is run by this unprivileged account instead.
    const string UnprivilegedAccount = "postgres";
    // A sandbox the user asked to keep is not a leftover, even though the run that made it has ended.
    const string KeptMarker = "KEPT";

    public ServerConnection Connection { get; }
    public string Directory { get; }
    public string PassFile => Path.Combine(Directory, "pgpass");
    string DataDirectory => Path.Combine(Directory, "data");
    readonly IRunbookLog log;
    bool stopped;

    SandboxServer(string directory, ServerConnection connection, IRunbookLog log)
    {
        Directory = directory;
        Connection = connection;
        this.log = log;
        // A Ctrl-C or SIGTERM must not leave a postmaster running behind the user's back.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(keep: false);
    }

    /// <summary>Starts a cluster under rootDirectory; durable keeps fsync on (a rehearsal's RTO), else it is off for speed.</summary>
    public static SandboxServer Start(string rootDirectory, IRunbookLog log, bool durable = false)
    {
        rootDirectory = ReachableRoot(rootDirectory, log);
        RemoveLeftovers(rootDirectory, log);
        var directory = NewDirectory(rootDirectory);

        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(18)).ToLowerInvariant();
        var port = FreePort();
        var passwordFile = Path.Combine(directory, "initdb-password");
        PrivateFiles.WriteAllText(passwordFile, password + "\n");
        GiveToServerAccount(directory);

        var initdb = RunAsServerAccount(PgTools.Find("initdb"),
            ["--pgdata=" + Path.Combine(directory, "data"), "--username=" + User, "--pwfile=" + passwordFile,
             "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"]);
        File.Delete(passwordFile);
        if (!initdb.Succeeded) throw new RunbookException($"Sandbox: initdb failed in {directory}: {initdb.ErrorText}");

        // Settings go into the cluster's own config, not through pg_ctl -o (which a shell would parse).
        string[] settings = [$"port = {port}", "listen_addresses = '127.0.0.1'", "unix_socket_directories = ''", "max_connections = 50"];
        // A throwaway cluster needs no crash safety; these make it quick.
        string[] quick = ["fsync = off", "synchronous_commit = off", "full_page_writes = off"];
        File.AppendAllText(Path.Combine(directory, "data", "postgresql.auto.conf"),
            string.Join("\n", durable ? settings : [.. settings, .. quick]) + "\n");

        var start = RunAsServerAccount(PgTools.Find("pg_ctl"),
            ["start", "--pgdata=" + Path.Combine(directory, "data"), "--log=" + Path.Combine(directory, "server.log"), "--wait", "--timeout=60",
                "--silent"]);
        if (!start.Succeeded)
            throw new RunbookException($"Sandbox: the server did not start: {start.ErrorText} (see {Path.Combine(directory, "server.log")})");

        var connection = new ServerConnection { Host = "127.0.0.1", Port = port, User = User, Password = password };
        WritePassFile(Path.Combine(directory, "pgpass"), connection);
        log.Info($"Sandbox: PostgreSQL started on 127.0.0.1:{port} in {directory}");
        return new SandboxServer(directory, connection, log);
    }

    /// <summary>A cluster's folder, named after the process that made it (see <see cref="RemoveLeftovers"/>).</summary>
    static string NewDirectory(string rootDirectory)
    {
        var directory = Path.GetFullPath(Path.Combine(rootDirectory,
            $"pg-{DateTime.UtcNow:yyyyMMddHHmmss}-{RandomNumberGenerator.GetHexString(4, lowercase: true)}-{Environment.ProcessId}"));
        System.IO.Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>A streaming standby of this server (pg_basebackup -R) on a port of its own, beside it: for tests of what runs on a standby.</summary>
    internal SandboxServer StartStandby(IRunbookLog log)
    {
        var directory = NewDirectory(Path.GetDirectoryName(Directory)!);
        GiveToServerAccount(directory);
        var data = Path.Combine(directory, "data");
        var copy = RunAsServerAccount(PgTools.Find("pg_basebackup"),
            ["--pgdata=" + data, "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast", "--no-sync"], Connection.ClientEnvironment("postgres"));
        if (!copy.Succeeded) throw new RunbookException($"Sandbox: pg_basebackup failed: {Secrets.Mask(copy.ErrorText, Connection)}");
        var port = FreePort();
        File.AppendAllText(Path.Combine(data, "postgresql.auto.conf"), $"port = {port}\n");
        var start = RunAsServerAccount(PgTools.Find("pg_ctl"),
            ["start", "--pgdata=" + data, "--log=" + Path.Combine(directory, "server.log"), "--wait", "--timeout=60", "--silent"]);
        if (!start.Succeeded)
            throw new RunbookException($"Sandbox: the standby did not start: {start.ErrorText} (see {Path.Combine(directory, "server.log")})");
        var connection = Connection with { Port = port };
        WritePassFile(Path.Combine(directory, "pgpass"), connection);
        log.Info($"Sandbox: a standby of 127.0.0.1:{Connection.Port} started on 127.0.0.1:{port} in {directory}");
        return new SandboxServer(directory, connection, log);
    }

    /// <summary>The lines a user can paste to reach a kept sandbox; the password stays in a 0600 file.</summary>
    public IEnumerable<string> HowToConnect()
    {
        yield return $"export PGHOST={Connection.Host} PGPORT={Connection.Port} PGUSER={Connection.User} PGPASSFILE={PassFile}";
        var account = Environment.IsPrivilegedProcess ? $" (as {UnprivilegedAccount})" : "";
        yield return $"stop it with: pg_ctl stop -D {DataDirectory}{account}, then remove {Directory}";
    }

    public void Stop(bool keep)
    {
        if (stopped) return;
        stopped = true;
        if (keep)
        {
            File.WriteAllText(Path.Combine(Directory, KeptMarker), "kept by --keep-sandbox; later runs leave this folder alone\n");
            log.Info("Sandbox: kept running (--keep-sandbox). Connect with:");
            foreach (var line in HowToConnect()) log.Info("  " + line);
            return;
        }
        StopServer(DataDirectory, "fast");
        TryDelete(Directory);
        log.Info("Sandbox: stopped and removed.");
    }

    public void Dispose() => Stop(keep: false);

    /// <summary>
    /// Clusters of killed runs: the folder is named after the process that made it (pg-STAMP-RANDOM-PID: one process may start
    /// two in a second), and a
    /// folder whose process is gone is a leftover: its server is stopped and the folder removed.
    /// </summary>
    static void RemoveLeftovers(string rootDirectory, IRunbookLog log)
    {
        foreach (var directory in System.IO.Directory.GetDirectories(rootDirectory, "pg-*"))
        {
            var owner = Path.GetFileName(directory).Split('-').Last();
            if (int.TryParse(owner, out var pid) && IsAlive(pid)) continue;
            if (File.Exists(Path.Combine(directory, KeptMarker))) continue;
            if (File.Exists(Path.Combine(directory, "data", "postmaster.pid")))
                StopServer(Path.Combine(directory, "data"), "immediate");
            TryDelete(directory);
            log.Info($"Sandbox: removed the leftover of an earlier, interrupted run: {directory}");
        }
    }

    static bool IsAlive(int pid)
    {
        try { return !System.Diagnostics.Process.GetProcessById(pid).HasExited; }
        catch (ArgumentException) { return false; }
    }

    static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Stops the server the way a crash would ("immediate") and starts it again: for fault tests.</summary>
    internal void Restart()
    {
        var restart = RunAsServerAccount(PgTools.Find("pg_ctl"),
            ["restart", "--pgdata=" + DataDirectory, "--mode=immediate", "--log=" + Path.Combine(Directory, "server.log"), "--wait", "--timeout=60",
                "--silent"]);
        if (!restart.Succeeded) throw new RunbookException($"Sandbox: the server did not restart: {restart.ErrorText}");
    }

    /// <summary>pg_ctl stop as the account that runs the cluster: "fast" ends sessions cleanly, "immediate" does not wait for them.</summary>
    internal static ToolResult StopServer(string dataDirectory, string mode) =>
        RunAsServerAccount(PgTools.Find("pg_ctl"), ["stop", "--pgdata=" + dataDirectory, "--mode=" + mode, "--wait", "--silent"]);

    static ToolResult RunAsServerAccount(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment = null) =>
        Environment.IsPrivilegedProcess
            ? ToolRun.Run("runuser", ["-u", UnprivilegedAccount, "--", program, .. arguments], environment)
            : ToolRun.Run(program, arguments, environment);

    /// <summary>
    /// As root the cluster runs as the server account, which cannot enter a checkout below a private folder
    /// (a `mktemp -d` clone is 0700): the cluster then goes to a shared temporary folder, and says so.
    /// </summary>
    static string ReachableRoot(string rootDirectory, IRunbookLog log)
    {
        System.IO.Directory.CreateDirectory(rootDirectory);
        if (!Environment.IsPrivilegedProcess || OperatingSystem.IsWindows() || ServerAccountCan("-x", rootDirectory)) return rootDirectory;
        var shared = Path.Combine(Path.GetTempPath(), "stocksrebuild-sandbox");
        System.IO.Directory.CreateDirectory(shared);
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_101_101);
        log.Info($"Sandbox: the '{UnprivilegedAccount}' account cannot reach {Path.GetFullPath(rootDirectory)} (a parent folder is private); the " +
            $"cluster goes to {shared}.");
        return shared;
    }

    static bool ServerAccountCan(string testFlag, string path) =>
        ToolRun.Run("runuser", ["-u", UnprivilegedAccount, "--", "test", testFlag, Path.GetFullPath(path)]).Succeeded;

    static void GiveToServerAccount(string directory)
    {
        if (!Environment.IsPrivilegedProcess) return;
        var chown = ToolRun.Run("chown", ["-R", UnprivilegedAccount, directory]);
        if (!chown.Succeeded)
            throw new RunbookException($"Sandbox: running as root, the cluster must belong to the '{UnprivilegedAccount}' account, and chown " +
                $"failed: {chown.ErrorText}. Install PostgreSQL (it creates that account) or run as a normal user.");
        if (!ServerAccountCan("-w", directory))
            throw new RunbookException($"Sandbox: the '{UnprivilegedAccount}' account cannot reach {directory} (a parent folder is private). Run " +
                $"as a normal user or from a checkout others can read.");
    }

    static void WritePassFile(string path, ServerConnection connection)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var writer = new StreamWriter(new FileStream(path, options));
        writer.WriteLine($"{connection.Host}:{connection.Port}:*:{connection.User}:{connection.Password}");
    }

    static void TryDelete(string directory)
    {
        try { System.IO.Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
