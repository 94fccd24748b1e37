namespace StocksRebuild.Restore;

/// <summary>
/// Before a copy is built beside live: room for it where the server keeps the live database. PostgreSQL stops when it
/// cannot write WAL, so a second copy that fills the disk would take live down with it. Where the server's file system
/// can be seen (a server on this machine whose data directory, or the database's tablespace, exists here), a copy that
/// would leave less than the margin free is refused before anything starts; elsewhere the run says it cannot know.
/// </summary>
public static class BesideSpace
{
    /// <summary>Never less than this free after the copy: WAL, the sort space of the index builds, the other databases.</summary>
    public const long MinimumMarginBytes = 256L << 20;

    /// <summary>
    /// Above the minimum: this share of the file system, but no more than twice max_wal_size (what WAL may take between
    /// checkpoints), so that a large file system with ample room is not refused for want of 5% of it.
    /// </summary>
    public const double MarginShare = 0.05;

    /// <param name="refuse">false for --dryrun: say what would be refused, refuse nothing.</param>
    public static void Check(RunContext run, string live, string runName, bool refuse = true)
    {
        var (log, server) = (run.Log, run.Server);
        long needed, maxWal;
        string? place;
        using (var connection = server.Open(run.MaintenanceDatabase))
        {
            (long bytes, string? tablespace) row;
            try
            {
                row = Sql.Query(connection, SqlFiles.Read("database/beside_space.sql"),
                    r => (r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1)), new { database = live }).SingleOrDefault();
            }
            catch (PostgresException e)
            {
                // pg_database_size needs CONNECT on live (or pg_read_all_stats): without it the copy cannot be weighed.
                log.Info($"{runName}: the size of a copy of \"{live}\" beside it cannot be known ({e.MessageText}): be sure the server has room " +
                    $"for it, or go without a second copy: --in-place --confirm={live}.");
                return;
            }
            if (row == default) return; // gone since the run started: the restore goes in directly
            needed = row.bytes;
            place = row.tablespace ?? DataDirectory(connection);
            maxWal = Sql.Scalar<long>(connection, "SELECT pg_size_bytes(current_setting('max_wal_size'))");
        }
        var copy = $"a copy of \"{live}\" beside it needs about {Mb(needed)} (its size now)";
        var localPlace = IsOnThisMachine(server) && place is not null && Directory.Exists(place) ? place : null;
        if (localPlace is null)
        {
            var why = !IsOnThisMachine(server) ? $"the server {server.Host} is not on this machine"
                : place is null ? "this role may not read the server's data_directory"
                : $"{place} is not on this machine";
            log.Info($"{runName}: {copy}; the free space there cannot be known ({why}): be sure the server has room for it, or go " +
                $"without a second copy: --in-place --confirm={live}.");
            return;
        }
        var drive = new DriveInfo(localPlace);
        var margin = Math.Max(MinimumMarginBytes, Math.Min((long)(drive.TotalSize * MarginShare), 2 * maxWal));
        var free = drive.AvailableFreeSpace;
        var figures = $"{copy}; the file system of {localPlace} has {Mb(free)} free of {Mb(drive.TotalSize)}, and {Mb(margin)} must stay free " +
            $"(5% of it up to twice max_wal_size, at least {Mb(MinimumMarginBytes)})";
        if (free - needed >= margin)
        {
            log.Info($"{runName}: {figures}: room enough.");
            return;
        }
        var refusal = $"{runName} refused: {figures}: PostgreSQL stops when it cannot write WAL, which would take \"{live}\" down with the copy. " +
            $"Free space there, or on a server without room for two copies run in place: --in-place --confirm={live} (it drops \"{live}\" " +
            "first). Nothing was changed.";
        if (refuse) throw new RunbookException(refusal);
        log.Warning(refusal.Replace(" refused:", " would be refused:", StringComparison.Ordinal));
    }

    static string? DataDirectory(NpgsqlConnection connection)
    {
        try { return Sql.Scalar<string>(connection, "SELECT current_setting('data_directory')"); }
        catch (PostgresException) { return null; } // neither superuser nor pg_read_all_settings
    }

    /// <summary>
    /// A Unix socket, or the loopback: the only servers whose paths can mean something here. A container reached through
    /// the loopback is told apart by its data directory not existing here, not proven otherwise.
    /// </summary>
    static bool IsOnThisMachine(ServerConnection server) =>
        server.Host.StartsWith('/') || server.Host is "localhost" or "127.0.0.1" or "::1";

    static string Mb(long bytes) => $"{bytes / 1048576.0:N0} MB";
}
