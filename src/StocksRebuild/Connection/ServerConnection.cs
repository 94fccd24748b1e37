
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

    public static ServerConnection FromEnvironment(Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => string.IsNullOrEmpty(getEnv(name)) ? null : getEnv(name);

        var port = 5432;
        if (Get("PGPORT") is { } portText && (!int.TryParse(portText, out port) || port is < 1 or > 65535))
            throw new RunbookException($"PGPORT={portText} is not a TCP port number (1-65535).");

        return new ServerConnection
        {
            Host = Get("PGHOST") ?? "localhost",
            Port = port,
            User = Get("PGUSER") ?? Environment.UserName,
            Password = Get("PGPASSWORD"),
            PassFile = Get("PGPASSFILE"),
            SslMode = Get("PGSSLMODE"),
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
        if (SslMode is not null)
        {
            if (!Enum.TryParse<SslMode>(SslMode.Replace("-", ""), ignoreCase: true, out var mode))
                throw new RunbookException($"PGSSLMODE={SslMode} is not an SSL mode (disable, allow, prefer, require, verify-ca, verify-full).");
            builder.SslMode = mode;
        }
        // A production role or database often limits statements and idle transactions for the application; the tool's own
        // sessions load, count and hold a dump's snapshot for as long as the data needs, as pg_dump and pg_restore set for theirs.
        builder.Options = "-c statement_timeout=0 -c idle_in_transaction_session_timeout=0" + (readOnly ? " -c default_transaction_read_only=on" : "");
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

    /// <summary>The variables a PostgreSQL client tool needs; the password travels here, never on a command line.</summary>
    public IReadOnlyDictionary<string, string> ClientEnvironment(string database)
    {
        var env = new Dictionary<string, string>
        {
            ["PGHOST"] = Host,
            ["PGPORT"] = Port.ToString(),
            ["PGUSER"] = User,
            ["PGDATABASE"] = database,
            ["PGAPPNAME"] = "StocksRebuild",
        };
        if (Password is not null) env["PGPASSWORD"] = Password;
        if (PassFile is not null) env["PGPASSFILE"] = PassFile;
        if (SslMode is not null) env["PGSSLMODE"] = SslMode;
        return env;
    }

    /// <summary>What is safe to print: user, host, port and database, never the password.</summary>
    public string Describe(string database) => $"database \"{database}\" on {User}@{Host}:{Port}";
}
