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
    public required string Database { get; init; }
    public required DateTime CreatedUtc { get; init; }
    public required string PgDumpVersion { get; init; }
    public required string ServerVersion { get; init; }
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

    public static string Sha256Of(string path)
    {
        using var stream = System.IO.File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }
}
