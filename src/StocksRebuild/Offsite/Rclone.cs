using System.Text.Json;

namespace StocksRebuild.Offsite;

/// <summary>
/// rclone, run the way the PostgreSQL tools are: arguments as a list, configuration only from rclone.conf or its
/// RCLONE_CONFIG_* environment (never a secret on the command line, where ps shows it to every local user), and
/// every line it prints masked before it is relayed.
/// </summary>
public static class Rclone
{
    /// <summary>Environment variables whose values are secrets of a remote (keys, passwords, tokens) or of rclone's config.</summary>
    static readonly string[] SecretWords = ["SECRET", "PASS", "KEY", "TOKEN", "SAS", "CREDENTIAL", "CLIENT_ID"];

    public static string Find() =>
        PgTools.OnPath(OperatingSystem.IsWindows() ? "rclone.exe" : "rclone")
            ?? throw new RunbookException("rclone was not found on PATH: --offsite needs it (Debian: apt-get install -y rclone; Windows: put " +
                "rclone.exe on PATH).");

    /// <summary>Runs rclone; the result's lines are masked and rclone's notice about a missing config file (env-only setups) is dropped.</summary>
    public static ToolResult Run(IEnumerable<string> arguments, CancellationToken cancellation = default)
    {
        var result = ToolRun.Run(Find(), arguments, ToolEnvironment(), new ToolRunOptions { Cancellation = cancellation });
        return new ToolResult(result.ExitCode, result.StdOut, Relayed(result.StdErr));
    }

    /// <summary>rclone's stdout as bytes (rclone cat), given to <paramref name="read"/> as it comes; its stderr masked.</summary>
    public static ToolResult Stream(IEnumerable<string> arguments, Action<Stream> read, CancellationToken cancellation)
    {
        var options = new ToolRunOptions { Cancellation = cancellation };
        var start = ToolRun.StartInfo(Find(), arguments, ToolEnvironment(), options);
        var stderr = new List<string>();
        using var process = new System.Diagnostics.Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Add(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginErrorReadLine();
        void Kill() { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }
        using (cancellation.Register(Kill))
        {
            try { read(process.StandardOutput.BaseStream); }
            catch { Kill(); throw; }
            process.WaitForExit();
        }
        process.WaitForExit();
        cancellation.ThrowIfCancellationRequested();
        return new ToolResult(process.ExitCode, [], Relayed(stderr));
    }

    /// <summary>rclone lsjson: the parsed entries, or null with the reason when it could not list.</summary>
    public static IReadOnlyList<RemoteEntry>? List(IEnumerable<string> arguments, out string error, CancellationToken cancellation = default)
    {
        var result = Run(["lsjson", .. arguments], cancellation);
        error = result.ErrorText;
        if (!result.Succeeded) return null;
        return JsonSerializer.Deserialize<List<RemoteEntry>>(string.Join("\n", result.StdOut), JsonOptions) ?? [];
    }

    /// <summary>Every secret of the environment rclone gets, replaced wherever it appears in a line.</summary>
    public static string Mask(string line)
    {
        foreach (var secret in Secrets()) line = line.Replace(secret, Connection.Secrets.Placeholder, StringComparison.Ordinal);
        return line;
    }

    static IEnumerable<string> Secrets() =>
        System.Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => (name.StartsWith("RCLONE_", StringComparison.Ordinal) || name.StartsWith("AWS_", StringComparison.Ordinal))
                           && SecretWords.Any(word => name.Contains(word, StringComparison.Ordinal)))
            .Select(name => System.Environment.GetEnvironmentVariable(name) ?? "")
            .Where(value => value.Length >= 4)
            .OrderByDescending(value => value.Length);

    static IReadOnlyList<string> Relayed(IEnumerable<string> lines) =>
        lines.Where(l => !l.Contains("Config file", StringComparison.Ordinal) || !l.Contains("not found - using defaults", StringComparison.Ordinal))
             .Select(Mask).ToList();

    // rclone 1.60's S3 client cannot load AWS_CA_BUNDLE (LoadCustomCABundleError for every request), so it is not handed
    // on (null); rclone's own --ca-cert (RCLONE_CA_CERT) reads the same bundle, so the operator's trust store still applies.
    static Dictionary<string, string?> ToolEnvironment()
    {
        var environment = new Dictionary<string, string?> { ["AWS_CA_BUNDLE"] = null };
        var bundle = System.Environment.GetEnvironmentVariable("AWS_CA_BUNDLE");
        if (!string.IsNullOrEmpty(bundle) && string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("RCLONE_CA_CERT")))
            environment["RCLONE_CA_CERT"] = bundle;
        return environment;
    }

    static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };
}

/// <summary>One object as rclone lsjson describes it: name, size, and the hashes the backend keeps (md5 on S3, none through crypt).</summary>
public sealed record RemoteEntry(string Name, long Size, bool IsDir, Dictionary<string, string>? Hashes, DateTime ModTime);
