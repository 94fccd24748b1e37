using System.Globalization;

namespace StocksRebuild.Connection;

/// <summary>
/// The server named by the runbook's PG* variables, handed identically to Npgsql and to the PostgreSQL
/// client tools, so both always talk to the same server as the same user.
/// </summary>
public sealed record ServerConnection
{
    public string Host { get; init; } = "localhost";
    public int Port { get; init; } = 5432;
    public string User { get; init; } = Environment.UserName;
    public string? Password { get; init; }
    public string? PassFile { get; init; }
    public string? SslMode { get; init; }
    public string? SslRootCert { get; init; }
    public string? SslCert { get; init; }
    public string? SslKey { get; init; }
    /// <summary>Seconds to wait for a connection (libpq's connect_timeout); null waits as each client does by default.</summary>
    public int? ConnectTimeout { get; init; }
    /// <summary>
    /// How long the tool's own statements wait for a lock another session holds (lock_timeout, and pg_dump's
    /// --lock-wait-timeout): an application's long transaction then fails the step with its reason instead of holding the
    /// run, and everyone queued behind the run's lock request, indefinitely. A role's or database's lock_timeout is the
    /// application's, not the tool's.
    /// </summary>
    public TimeSpan LockTimeout { get; init; } = DefaultLockTimeout;

    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The caller's own server options (libpq's options, PGOPTIONS), given to every session before the tool's.</summary>
    public string? Options { get; init; }

    /// <summary>The server as libpq would reach it from this environment: PG* variables and the service they name (<see cref="LibpqEnvironment"/>).</summary>
    public static ServerConnection FromEnvironment(Func<string, string?>? getEnv = null)
    {
        if (getEnv is null) LibpqEnvironment.UnsetEmpty();
        var settings = LibpqEnvironment.Resolve(getEnv ?? Environment.GetEnvironmentVariable);
        string? Get(string name) => settings.TryGetValue(name, out var value) ? value : null;

        var port = 5432;
        if (Get("PGPORT") is { } portText && (!int.TryParse(portText, out port) || port is < 1 or > 65535))
            throw new RunbookException($"PGPORT={portText} is not a TCP port number (1-65535).");
        int? timeout = null;
        if (Get("PGCONNECT_TIMEOUT") is { } timeoutText)
            timeout = int.TryParse(timeoutText, out var seconds) && seconds >= 0 ? seconds
                : throw new RunbookException($"PGCONNECT_TIMEOUT={timeoutText} is not a number of seconds.");

        return new ServerConnection
        {
            Host = Get("PGHOST") ?? "localhost",
            Port = port,
            User = Get("PGUSER") ?? Environment.UserName,
            Password = Get("PGPASSWORD"),
            PassFile = Get("PGPASSFILE"),
            SslMode = Get("PGSSLMODE"),
            SslRootCert = Get("PGSSLROOTCERT"),
            SslCert = Get("PGSSLCERT"),
            SslKey = Get("PGSSLKEY"),
            ConnectTimeout = timeout,
            Options = Get("PGOPTIONS"),
        };
    }

    public string ConnectionString(string database, bool readOnly = false, string applicationName = "StocksRebuild")
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Username = User,
            Database = database,
            Password = Password,
            ApplicationName = applicationName,
            // Pooling would keep idle sessions on a database that DropCreate is about to drop.
            Pooling = false,
            CommandTimeout = 0,
            IncludeErrorDetail = true,
        };
        if (PassFile is not null) builder.Passfile = PassFile;
        if (SslRootCert is not null) builder.RootCertificate = SslRootCert;
        if (SslCert is not null) builder.SslCertificate = SslCert;
        if (SslKey is not null) builder.SslKey = SslKey;
        if (ConnectTimeout is { } timeout) builder.Timeout = Math.Min(timeout, 1024);
        // Npgsql would take PGCLIENTENCODING as libpq does not for our text: a drop's text goes to the tables as written.
        builder.ClientEncoding = "UTF8";
        if (SslMode is not null)
        {
            if (!Enum.TryParse<SslMode>(SslMode.Replace("-", ""), ignoreCase: true, out var mode))
                throw new RunbookException($"PGSSLMODE={SslMode} is not an SSL mode (disable, allow, prefer, require, verify-ca, verify-full).");
            builder.SslMode = mode;
        }
        // A production role or database often limits statements and idle transactions for the application; the tool's own
        // sessions load, count and hold a dump's snapshot for as long as the data needs, as pg_dump and pg_restore set for theirs.
        builder.Options = (Options is null ? "" : Options + " ") + "-c statement_timeout=0 -c idle_in_transaction_session_timeout=0 " +
            $"-c lock_timeout={(long)LockTimeout.TotalMilliseconds}" + (readOnly ? " -c default_transaction_read_only=on" : "");
        return builder.ConnectionString;
    }

    public NpgsqlConnection Open(string database, bool readOnly = false, string applicationName = "StocksRebuild")
    {
        var connection = new NpgsqlConnection(ConnectionString(database, readOnly, applicationName));
        try
        {
            connection.Open();
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            connection.Dispose();
            throw new RunbookException($"Cannot connect to {Describe(database)}: {Secrets.Mask(e.Message, this)}", e);
        }
    }

    /// <summary>
    /// The variables a PostgreSQL client tool needs, and nothing of the caller's libpq settings beside them (each null is
    /// unset): a service or PGHOSTADDR inherited would send the tool elsewhere. The password travels here, never on a command line.
    /// </summary>
    public IReadOnlyDictionary<string, string?> ClientEnvironment(string database)
    {
        var env = LibpqEnvironment.NotInherited.Distinct().ToDictionary(name => name, _ => (string?)null);
        env["PGHOST"] = Host;
        env["PGPORT"] = Port.ToString(CultureInfo.InvariantCulture);
        env["PGUSER"] = User;
        env["PGDATABASE"] = database;
        env["PGAPPNAME"] = "StocksRebuild";
        env["PGPASSWORD"] = Password;
        env["PGPASSFILE"] = PassFile;
        env["PGSSLMODE"] = SslMode;
        env["PGSSLROOTCERT"] = SslRootCert;
        env["PGSSLCERT"] = SslCert;
        env["PGSSLKEY"] = SslKey;
        env["PGCONNECT_TIMEOUT"] = ConnectTimeout?.ToString(CultureInfo.InvariantCulture);
        env["PGOPTIONS"] = Options;
        return env;
    }

    /// <summary>What is safe to print: user, host, port and database, never the password.</summary>
    public string Describe(string database) => $"database \"{database}\" on {User}@{Host}:{Port}";
}
