namespace StocksRebuild.Restore;

/// <summary>
/// Preflight's proof, before DropCreate, of what the restore will use: connections for pg_restore's jobs and for
/// Validate after it (a default --jobs is capped to what the server and the role have free, a given one refused), the
/// privilege to create the database, to rename (the swap) or drop (--in-place) the target, and to end every session on
/// it. Without it a restore fails where it uses them: a worker refused a connection halfway through pg_restore, a swap
/// that cannot end an application's session after the whole restore, a drop that ended some sessions and not others.
/// </summary>
public sealed record RestoreResources(int Jobs, string Connections)
{
    /// <summary>
    /// The connections a restore opens beyond those the run holds already (its lock's): the session guard's (<see
    /// cref="SessionGuard"/>), and pg_restore's leader and one per job, then Validate's main session, one per scan session
    /// and pg_dump --schema-only.
    /// </summary>
    public static int ConnectionsFor(int jobs) => 1 + Math.Max(jobs + 1, Validation.Validator.ScanSessions + 2);

    /// <param name="jobsGiven">--jobs was given: refused when too many, where the default is capped.</param>
    public static RestoreResources Check(RunContext run, string maintenanceDatabase, string database, RestoreMode mode, int jobs, bool jobsGiven)
    {
        var server = run.Server;
        using var connection = server.Open(maintenanceDatabase);
        var r = Sql.Query(connection, SqlFiles.Read("database/restore_resources.sql"), x => new
        {
            Max = x.GetInt32(0), Reserved = x.GetInt32(1), Open = x.GetInt32(2), RoleLimit = x.GetInt32(3), RoleSessions = x.GetInt32(4),
            CanCreate = x.GetBoolean(5), OwnsTarget = x.GetBoolean(6), Unendable = x.IsDBNull(7) ? null : x.GetString(7),
        }, new { database }).Single();
        var role = server.User;
        const string unchanged = " Nothing was changed.";

        var creates = mode == RestoreMode.Beside ? $"an incoming database beside \"{database}\"" : $"\"{database}\"";
        if (!r.CanCreate)
            throw new RunbookException($"Preflight refused: the role \"{role}\" may not create databases, and the restore creates {creates}: " +
                $"ALTER ROLE {DatabaseName.Quote(role)} CREATEDB (as a superuser), or run as a role that may.{unchanged}");
        if (mode != RestoreMode.Direct && !r.OwnsTarget)
            throw new RunbookException($"Preflight refused: the role \"{role}\" does not own \"{database}\", and " +
                (mode == RestoreMode.Beside ? "the swap renames it" : "--in-place drops it") + ", which only its owner (or a superuser) may: " +
                $"run as its owner, or ALTER DATABASE {DatabaseName.Quote(database)} OWNER TO {DatabaseName.Quote(role)}.{unchanged}");
        if (mode != RestoreMode.Direct && r.Unendable is { } roles)
            throw new RunbookException($"Preflight refused: sessions of {roles} are connected to \"{database}\", and the role \"{role}\" cannot end " +
                $"them (it is not a member of their role, nor of pg_signal_backend for a non-superuser's session), while " +
                (mode == RestoreMode.Beside ? "the swap" : "--in-place's drop") + $" must end every session on it: GRANT pg_signal_backend TO " +
                $"{DatabaseName.Quote(role)}, or end those sessions first.{unchanged}");

        // Connections: the server's free slots for this role, and the role's own limit.
        var serverFree = r.Max - r.Reserved - r.Open;
        var roleFree = r.RoleLimit < 0 ? int.MaxValue : r.RoleLimit - r.RoleSessions;
        var free = Math.Min(serverFree, roleFree);
        var figures = $"max_connections {r.Max}" + (r.Reserved > 0 ? $", {r.Reserved} reserved for superusers" : "") + $", {r.Open} open" +
            (r.RoleLimit >= 0 ? $"; the role's CONNECTION LIMIT {r.RoleLimit}, {r.RoleSessions} of its sessions open" : "");
        if (ConnectionsFor(jobs) <= free)
            return new RestoreResources(jobs, $"{ConnectionsFor(jobs)} connections needed, {free} free ({figures})");
        var fitting = free - 2; // the guard and pg_restore's leader beside its jobs
        if (!jobsGiven && fitting >= 1 && ConnectionsFor(fitting) <= free)
            return new RestoreResources(fitting, $"--jobs capped at {fitting} (the default is {jobs}, one per core): {free} connections free " +
                $"({figures})");
        throw new RunbookException($"Preflight refused: the restore needs {ConnectionsFor(jobs)} connections beyond those open (pg_restore's " +
            $"leader and --jobs={jobs}, then Validate's {Validation.Validator.ScanSessions + 2}, and the session guard's), and the role " +
            $"\"{role}\" may open {Math.Max(free, 0)} now ({figures}). " + (fitting >= 1 && ConnectionsFor(fitting) <= free ? $"Give --jobs={fitting}, or " : "") +
            $"end idle sessions or raise the limits first.{unchanged}");
    }
}
