using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StocksRebuild.Backups;

/// <summary>
/// What Backup records beside each backup, so a later VerifyBackup can prove the file is the one written
/// and Validate can prove the restore holds every row the source held.
/// </summary>
public sealed record BackupManifest
{
    public required string File { get; init; }
    public required long SizeBytes { get; init; }
    public required string Sha256 { get; init; }
    /// <summary>The hash S3 and most object stores keep: an off-site copy is proven against it without reading the file again.</summary>
    public string? Md5 { get; init; }
    public required string Database { get; init; }
    public required DateTime CreatedUtc { get; init; }
    public required string PgDumpVersion { get; init; }
    public required string ServerVersion { get; init; }
    /// <summary>Taken on a standby: how current its data were (null on a primary).</summary>
    public StandbyPoint? Standby { get; init; }

    /// <summary>
    /// How recent the data are, which is what the recovery point is: the commit time of the last transaction a standby had
    /// replayed, else the time pg_dump ran (a standby that replayed none since it started: unknown, and said by <see cref="Standby"/>).
    /// </summary>
    [JsonIgnore]
    public DateTime DataAsOfUtc => DataAsOf(this, CreatedUtc);

    /// <summary>The one rule for how old a backup's data are: a standby's last replayed transaction, else <paramref name="createdUtc"/>.</summary>
    public static DateTime DataAsOf(BackupManifest? manifest, DateTime createdUtc) => manifest?.Standby?.LastReplayedUtc ?? createdUtc;

    /// <summary>Exact row count per table ("schema.table"), taken in the snapshot pg_dump dumped.</summary>
    public required IReadOnlyDictionary<string, long> RowCounts { get; init; }

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static BackupManifest? ReadFor(string backupPath)
    {
        var path = BackupName.ManifestPathFor(backupPath);
        if (!System.IO.File.Exists(path)) return null;
        try { return Parse(System.IO.File.ReadAllText(path)); }
        catch (RunbookException e)
        {
            throw new RunbookException($"{path}: {e.Message}. Restore the manifest or move it away deliberately.", e);
        }
    }

    public static BackupManifest Parse(string json)
    {
        try { return JsonSerializer.Deserialize<BackupManifest>(json, Json) ?? throw new JsonException("empty document"); }
        catch (JsonException e) { throw new RunbookException($"not a readable backup manifest ({e.Message})", e); }
    }

    public static string Sha256Of(string path, CancellationToken cancellation = default)
    {
        using var stream = System.IO.File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashDataAsync(stream, cancellation).AsTask().GetAwaiter().GetResult()).ToLowerInvariant();
    }

    /// <summary>sha256 and md5 in one read of the file.</summary>
    public static (string Sha256, string Md5) HashesOf(string path)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var stream = System.IO.File.OpenRead(path);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            sha256.AppendData(buffer, 0, read);
            md5.AppendData(buffer, 0, read);
        }
        return (Hex(sha256.GetHashAndReset()), Hex(md5.GetHashAndReset()));
    }

    static string Hex(byte[] hash) => Convert.ToHexString(hash).ToLowerInvariant();
}

/// <summary>Where a standby's replay stood when the dump's snapshot was taken (read just before it: the snapshot holds at least this).</summary>
/// <param name="ReplayLsn">pg_last_wal_replay_lsn().</param>
/// <param name="LastReplayedUtc">pg_last_xact_replay_timestamp(): the commit time of the last transaction replayed; null when none since it started.</param>
/// <param name="Primary">The primary it follows (host and port), where the role may read primary_conninfo.</param>
public sealed record StandbyPoint(string ReplayLsn, DateTime? LastReplayedUtc, string? Primary)
{
    /// <summary>The point the server's replay stands at now; null on a primary.</summary>
    public static StandbyPoint? Of(NpgsqlConnection connection, NpgsqlTransaction? transaction = null) =>
        Sql.Query(connection, SqlFiles.Read("backup/standby_point.sql"), r => new StandbyPoint(r.GetString(0),
            r.IsDBNull(1) ? null : r.GetFieldValue<DateTime>(1).ToUniversalTime(), r.IsDBNull(2) ? null : r.GetString(2)), transaction: transaction)
            .SingleOrDefault();

    public string Describe() => LastReplayedUtc is { } at
        ? $"its data are as of the last transaction it had replayed, committed at {at:yyyy-MM-dd HH:mm:ss} UTC (replay point {ReplayLsn})"
        : $"it had replayed no transaction since it started (replay point {ReplayLsn}), so how recent its data are cannot be told";
}
