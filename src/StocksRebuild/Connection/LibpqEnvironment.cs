namespace StocksRebuild.Connection;

/// <summary>
/// Where and how libpq (psql, pg_dump, pg_restore) would connect, read as libpq reads it, so that the tool's own
/// connections (Npgsql, which reads neither service files nor most PG* variables) go to the same server the same way.
/// Each libpq variable is either given its libpq meaning for both kinds of client, or owned by the tool, or refused
/// before anything starts: a variable only libpq follows could send pg_restore to one server while the tool drops or
/// counts on another.
/// </summary>
public static class LibpqEnvironment
{
    /// <summary>The settings both kinds of client follow, by their service-file keyword and their variable.</summary>
    public static readonly IReadOnlyDictionary<string, string> Followed = new Dictionary<string, string>
    {
        ["host"] = "PGHOST", ["port"] = "PGPORT", ["user"] = "PGUSER", ["password"] = "PGPASSWORD", ["passfile"] = "PGPASSFILE",
        ["sslmode"] = "PGSSLMODE", ["sslrootcert"] = "PGSSLROOTCERT", ["sslcert"] = "PGSSLCERT", ["sslkey"] = "PGSSLKEY",
        ["connect_timeout"] = "PGCONNECT_TIMEOUT", ["options"] = "PGOPTIONS",
    };

    /// <summary>
    /// The settings the tool sets itself for every client: the target database (--database), the application name (the
    /// tool's sessions are named StocksRebuild), the client encoding (UTF-8: a drop's text must reach the tables as written).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Owned = new Dictionary<string, string>
    {
        ["dbname"] = "PGDATABASE", ["application_name"] = "PGAPPNAME", ["client_encoding"] = "PGCLIENTENCODING",
    };

    /// <summary>The variables that name a service; resolved here, never handed on (libpq would read the service again).</summary>
    public static readonly IReadOnlyList<string> ServiceVariables = ["PGSERVICE", "PGSERVICEFILE", "PGSYSCONFDIR"];

    /// <summary>
    /// Every other variable libpq reads (PostgreSQL 17's list): each changes where a connection goes (PGHOSTADDR,
    /// PGTARGETSESSIONATTRS, PGLOADBALANCEHOSTS) or what it demands of the server (TLS, GSS, authentication), which the
    /// tool's own connections cannot follow. Set, it is refused; it never reaches a client tool.
    /// </summary>
    public static readonly IReadOnlyList<string> Refused =
    [
        "PGHOSTADDR", "PGTARGETSESSIONATTRS", "PGLOADBALANCEHOSTS", "PGREQUIREAUTH", "PGCHANNELBINDING", "PGREQUIRESSL",
        "PGSSLNEGOTIATION", "PGSSLCOMPRESSION", "PGSSLCERTMODE", "PGSSLCRL", "PGSSLCRLDIR", "PGSSLSNI", "PGREQUIREPEER",
        "PGSSLMINPROTOCOLVERSION", "PGSSLMAXPROTOCOLVERSION", "PGGSSENCMODE", "PGKRBSRVNAME", "PGGSSLIB", "PGGSSDELEGATION",
    ];

    /// <summary>Every libpq variable a client tool must not inherit from the caller: what it needs, it is given.</summary>
    public static IEnumerable<string> NotInherited =>
        Followed.Values.Concat(Owned.Values).Concat(ServiceVariables).Concat(Refused);

    /// <summary>
    /// An empty PG* variable means "not set" to libpq (PGPASSWORD= still reads the password file), while Npgsql, which
    /// reads some of them itself, takes it as a value (an empty password, and the password file unread): the tool's own
    /// process forgets them.
    /// </summary>
    public static void UnsetEmpty()
    {
        foreach (var name in NotInherited)
            if (Environment.GetEnvironmentVariable(name) is "") Environment.SetEnvironmentVariable(name, null);
    }

    /// <summary>
    /// The followed settings, by variable, as libpq resolves them: a service's value wins over the environment's
    /// (libpq fills from the service first, then from PG* variables for what is still unset). Refuses, naming the
    /// setting and why, what the tool's own connections could not follow.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Resolve(Func<string, string?> getEnv)
    {
        string? Get(string name) => string.IsNullOrEmpty(getEnv(name)) ? null : getEnv(name);

        var refused = Refused.Where(name => Get(name) is not null).ToList();
        if (refused.Count > 0)
            throw new RunbookException($"{string.Join(", ", refused.Select(n => n + "=" + Get(n)))}: libpq (pg_dump, pg_restore, psql) would follow " +
                $"{(refused.Count == 1 ? "it" : "them")}, and the tool's own connections (Npgsql) cannot, so the two could reach different " +
                "servers or connect differently. Unset it for the run" + (refused.Contains("PGHOSTADDR") ? " (name the server's address in PGHOST instead)" : "") +
                ". Nothing was changed.");

        var settings = new Dictionary<string, string>();
        if (Get("PGSERVICE") is { } service)
            foreach (var (keyword, value) in ReadService(service, Get))
            {
                if (Followed.TryGetValue(keyword, out var variable)) settings[variable] = value;
                else if (!Owned.ContainsKey(keyword))
                    throw new RunbookException($"The service \"{service}\" sets {keyword}=" +
                        (keyword.Contains("password", StringComparison.OrdinalIgnoreCase) ? "…" : value) + ": libpq would follow it, and the tool's own connections " +
                        $"(Npgsql) cannot. Keep to {string.Join(", ", Followed.Keys)} in the service the tool uses. Nothing was changed.");
            }
        foreach (var variable in Followed.Values)
            if (!settings.ContainsKey(variable) && Get(variable) is { } value) settings[variable] = value;
        return settings;
    }

    /// <summary>
    /// The service's keywords, from the first file that defines it, in libpq's order: PGSERVICEFILE (else
    /// ~/.pg_service.conf), then pg_service.conf in PGSYSCONFDIR (else the client's own configuration folder).
    /// </summary>
    static IReadOnlyList<(string keyword, string value)> ReadService(string service, Func<string, string?> get)
    {
        var home = get("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var own = get("PGSERVICEFILE") ?? Path.Combine(home, ".pg_service.conf");
        if (File.Exists(own) && ParseService(own, service) is { } inOwn) return inOwn;
        var system = Path.Combine(get("PGSYSCONFDIR") ?? PgTools.SystemConfigurationDirectory(), "pg_service.conf");
        if (File.Exists(system) && ParseService(system, service) is { } inSystem) return inSystem;
        throw new RunbookException($"PGSERVICE={service}: no service of that name in {own} or {system} (libpq would refuse to connect too). " +
            "Nothing was changed.");
    }

    /// <summary>libpq's reading of a service file: [name] sections, keyword=value lines, '#' comments, no spaces around '='.</summary>
    public static IReadOnlyList<(string keyword, string value)>? ParseService(string file, string service)
    {
        List<(string, string)>? found = null;
        var number = 0;
        foreach (var raw in File.ReadLines(file))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            if (line[0] == '[')
            {
                if (found is not null) break;
                if (line == $"[{service}]") found = [];
                continue;
            }
            if (found is null) continue;
            var equals = line.IndexOf('=');
            if (equals <= 0)
                throw new RunbookException($"{file}:{number}: service \"{service}\": \"{line}\" is not keyword=value (libpq refuses the file too).");
            found.Add((line[..equals], line[(equals + 1)..]));
        }
        return found;
    }
}
