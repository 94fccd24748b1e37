using System.Globalization;
using System.Text.RegularExpressions;
using StocksRebuild.Backups;
using StocksRebuild.Validation;

namespace StocksRebuild.Restore;

/// <summary>
/// A restore into the database's own name (a new database, or --in-place) leaves a partial database until its Validate
/// passes: pg_restore killed in its data, index or foreign-key phase leaves tables without rows, keys or indexes that the
/// checks without the backup cannot all see. From the moment pg_restore starts, the database's comment names the restore
/// and its backup; Validate, Status and Backup judge the database by it, and a Validate that finds it equal to that
/// backup (the Restore's own, or a later one's) removes it. A restore beside live needs none: its incoming copy's name says it.
/// </summary>
/// <param name="OwnComment">The comment the database had when it was marked, kept inside the mark and given back when it is removed.</param>
public sealed partial record UnfinishedRestore(string Backup, DateTime StartedUtc, string? OwnComment = null)
{
    /// <summary>What the database is, in one sentence for a refusal or a finding.</summary>
    public string Describe(string database) =>
        $"\"{database}\" is partial: a Restore of {Backup} into it began at {StartedUtc:yyyy-MM-dd HH:mm:ss} UTC and has not validated " +
        "(it was stopped, killed or failed), so it may lack rows, keys or indexes; no role but its owner and superusers may connect to it " +
        "until a Restore or Validate passes";

    /// <summary>How the mark begins: what the swap does not carry from a partial live database onto its whole replacement.</summary>
    public const string CommentPrefix = "stocksrebuild: a Restore of ";

    string Comment => $"{CommentPrefix}{Backup} began at {StartedUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} " +
        "UTC; the database is partial until its Validate passes" + (OwnComment is null ? "" : OwnCommentSeparator + OwnComment);

    const string OwnCommentSeparator = "\nIts own comment: ";

    /// <summary>
    /// Validate's verdict on a marked database: complete when every check passed against the backup the restore was
    /// restoring (with its manifest's counts, unless this run's own pg_restore just ended green); then the caller removes the mark.
    /// </summary>
    public ValidationReport Judge(ValidationReport report, VerifiedBackup? against, bool restoredByThisRun)
    {
        var database = report.Database;
        ValidationCheck check = against is null
            ? new(Check, database, false, $"{Describe(database)}; that backup is not there to compare it with: run Restore again")
            : !string.Equals(Path.GetFullPath(against.Path), Backup, StringComparison.Ordinal)
                ? new(Check, database, false, $"{Describe(database)}; Validate compared it with {against.Path}, not that backup: run Restore " +
                    $"again, or Validate --backup={Backup}")
                : against.Manifest is null && !restoredByThisRun
                    ? new(Check, database, false, $"{Describe(database)}; its backup has no manifest, so whether every row came back cannot be " +
                        "told: run Restore again")
                    : !report.Passed
                        ? new(Check, database, false, Describe(database))
                        : new(Check, database, true, $"equal to {Path.GetFileName(Backup)} by every check above: the restore is complete, and " +
                            "its mark is removed");
        return report with { Checks = [.. report.Checks, check] };
    }

    public const string Check = "restore finished";

    /// <summary>
    /// Marks the database, keeping the comment it has (its own) inside the mark, and closes it to other roles: an application
    /// that reconnects to the database's name must not read or write it half restored. The mark says whose the closure is.
    /// </summary>
    public static void Mark(RunContext run, string database, string backup)
    {
        using var connection = run.Server.Open(run.MaintenanceDatabase);
        var comment = CommentOf(connection, database);
        var mark = new UnfinishedRestore(Path.GetFullPath(backup), run.UtcNow(), Parse(comment) is { } earlier ? earlier.OwnComment : comment);
        Sql.Execute(connection, $"COMMENT ON DATABASE {DatabaseName.Quote(database)} IS {Statements.Literal(mark.Comment)}");
        DatabaseAdmin.CloseToOtherRoles(connection, database);
    }

    /// <summary>The restore is proven: the database's own comment takes the mark's place again, and it is open as a new one is.</summary>
    public void Clear(RunContext run, string database)
    {
        using var connection = run.Server.Open(run.MaintenanceDatabase);
        DatabaseAdmin.OpenToPublic(connection, database);
        Sql.Execute(connection, $"COMMENT ON DATABASE {DatabaseName.Quote(database)} IS " +
            (OwnComment is null ? "NULL" : Statements.Literal(OwnComment)));
    }

    /// <summary>The mark on <paramref name="database"/>, read through any database of the server; null when it has none.</summary>
    public static UnfinishedRestore? Of(NpgsqlConnection connection, string database) => Parse(CommentOf(connection, database));

    static string? CommentOf(NpgsqlConnection connection, string database) =>
        Sql.Query(connection, SqlFiles.Read("database/comment.sql"), r => r.IsDBNull(0) ? null : r.GetString(0), new { database }).SingleOrDefault();

    public static UnfinishedRestore? Parse(string? comment) =>
        comment is not null && Marked().Match(comment) is { Success: true } m
            ? new UnfinishedRestore(m.Groups["backup"].Value, DateTime.SpecifyKind(DateTime.ParseExact(m.Groups["at"].Value, "yyyy-MM-dd HH:mm:ss",
                CultureInfo.InvariantCulture), DateTimeKind.Utc), m.Groups["own"].Success ? m.Groups["own"].Value : null)
            : null;

    [GeneratedRegex(@"\Astocksrebuild: a Restore of (?<backup>.+) began at (?<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC; the database is " +
        @"partial until its Validate passes(?:\nIts own comment: (?<own>[\s\S]*))?\z")]
    private static partial Regex Marked();
}
