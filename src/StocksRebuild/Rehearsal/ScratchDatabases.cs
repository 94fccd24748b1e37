using System.Globalization;

namespace StocksRebuild.Rehearsal;

/// <summary>
/// The rehearsal's throwaway databases, named "&lt;db&gt;_rehearsal_&lt;utc&gt;_&lt;random&gt;_&lt;role&gt;" and each held under the
/// run lock while it exists. They are dropped whatever happens; a run that was killed leaves them behind,
/// and the next run recognises them by the prefix, a timestamp older than its own start and a lock no live
/// run holds, and drops them.
/// </summary>
public sealed class ScratchDatabases(ServerConnection server, string maintenanceDatabase, string liveDatabase, IRunbookLog log)
{
    const string TimestampFormat = "yyyyMMddHHmmss";
    readonly DateTime startedUtc = DateTime.UtcNow;
    readonly string run = DateTime.UtcNow.ToString(TimestampFormat, CultureInfo.InvariantCulture) + "_" +
                          Convert.ToHexString(Guid.NewGuid().ToByteArray())[..4].ToLowerInvariant();
    readonly List<(string name, RunLock runLock)> created = new();

    /// <summary>"&lt;db&gt;_rehearsal_": the live name is shortened so every scratch name stays within 63 bytes.</summary>
    public static string PrefixFor(string liveDatabase) =>
        (liveDatabase.Length > 20 ? liveDatabase[..20] : liveDatabase) + "_rehearsal_";

    public string Prefix => PrefixFor(liveDatabase);
    /// <summary>The scratch databases this run holds now.</summary>
    public IReadOnlyList<string> Created => created.Select(c => c.name).ToList();

    /// <summary>Every scratch database this run created, dropped or not: for the report.</summary>
    public IReadOnlyList<string> Names => names;
    readonly List<string> names = new();

    /// <summary>Creates an empty scratch database for one role ("backup", "migrations") and holds its lock.</summary>
    public string Create(string role)
    {
        var name = DatabaseName.Check($"{Prefix}{run}_{role}");
        var runLock = RunLock.Acquire(server, name, log);
        try
        {
            new DatabaseAdmin(server, maintenanceDatabase).DropCreate(name, Consent.None, log);
        }
        catch
        {
            runLock.Dispose();
            throw;
        }
        created.Add((name, runLock));
        names.Add(name);
        return name;
    }

    /// <summary>Drops the scratch databases of killed runs; returns one line per database found.</summary>
    public IReadOnlyList<string> RemoveLeftovers()
    {
        var found = new List<string>();
        foreach (var name in WithPrefix().Where(n => !Created.Contains(n)))
        {
            var age = TimestampOf(name) is { } utc ? startedUtc - utc : (TimeSpan?)null;
            // Only runs older than this one, and only when no live run holds the database's lock.
            if (age is not { } started || started <= TimeSpan.Zero) continue;
            using var runLock = RunLock.TryAcquire(server, name, log);
            if (runLock is null)
            {
                found.Add($"kept \"{name}\": a rehearsal still running holds it");
                continue;
            }
            new DatabaseAdmin(server, maintenanceDatabase).Drop(name);
            found.Add($"removed leftover scratch database \"{name}\" of a rehearsal that did not finish ({Durations.Format(started)} ago)");
        }
        foreach (var line in found) log.Info($"Rehearsal: {line}.");
        return found;
    }

    /// <summary>Drops every scratch database this run created; returns the names dropped.</summary>
    public IReadOnlyList<string> DropAll()
    {
        var dropped = new List<string>();
        var errors = new List<string>();
        foreach (var (name, runLock) in created)
        {
            try
            {
                new DatabaseAdmin(server, maintenanceDatabase).Drop(name);
                dropped.Add(name);
            }
            catch (Exception e) when (e is NpgsqlException or RunbookException)
            {
                errors.Add($"\"{name}\": {Secrets.Mask(e.Message, server)}");
            }
            finally
            {
                runLock.Dispose();
            }
        }
        created.Clear();
        if (dropped.Count > 0) log.Info($"Rehearsal: dropped scratch database(s) {string.Join(", ", dropped.Select(d => $"\"{d}\""))}.");
        if (errors.Count > 0)
            throw new RunbookException($"Rehearsal could not drop its scratch database(s) {string.Join("; ", errors)}; the next rehearsal removes " +
                $"them.");
        return dropped;
    }

    IReadOnlyList<string> WithPrefix() => new DatabaseAdmin(server, maintenanceDatabase).WithPrefix(Prefix);

    DateTime? TimestampOf(string name) =>
        name.Length >= Prefix.Length + TimestampFormat.Length
        && DateTime.TryParseExact(name.AsSpan(Prefix.Length, TimestampFormat.Length), TimestampFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var utc)
            ? utc
            : null;
}
