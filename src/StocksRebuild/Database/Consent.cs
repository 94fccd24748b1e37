namespace StocksRebuild.Database;

/// <summary>
/// The runbook's "Destructive — data loss is permanent": a destructive step on an existing database runs
/// only with --confirm naming that exact database. Nothing else (no variable, no other name) stands in.
/// </summary>
public static class Consent
{
    /// <param name="consequence">What the step does to the database, e.g. "would destroy the existing database".</param>
    public static void Require(string step, string database, string? confirm, bool sandbox, string consequence = "would destroy the existing database")
    {
        if (sandbox) return; // the sandbox is a throwaway server the tool made itself
        if (confirm is null)
            throw new RunbookException(
                $"{step} {consequence} \"{database}\". Re-run with --confirm={database} if that is what you mean. Nothing was changed.");
        if (!string.Equals(confirm, database, StringComparison.Ordinal))
            throw new RunbookException(
                $"--confirm={confirm} does not name the target database \"{database}\"; {step} needs --confirm={database}. Nothing was changed.");
    }
}
