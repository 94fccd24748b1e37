namespace StocksRebuild.Database;

/// <summary>
/// The runbook's "Destructive — data loss is permanent": a destructive step on an existing database runs
/// only with --confirm naming that exact database. Nothing else (no variable, no other name) stands in.
/// A value, so that who may destroy what is said where the run starts, not by a flag passed down.
/// </summary>
public sealed record Consent
{
    readonly string? confirmed;
    readonly bool throwaway;

    Consent(string? confirmed, bool throwaway) => (this.confirmed, this.throwaway) = (confirmed, throwaway);

    /// <summary>What --confirm said (null: nothing).</summary>
    public static Consent Given(string? confirm) => new(confirm, throwaway: false);

    /// <summary>No consent given: fine for databases the run creates itself and for empty ones.</summary>
    public static Consent None { get; } = new(null, throwaway: false);

    /// <summary>The sandbox: a throwaway server the tool made itself, where nothing needs consent.</summary>
    public static Consent Throwaway { get; } = new(null, throwaway: true);

    /// <summary>For the inner steps of a run that required consent for everything it drops before it began (Benchmark).</summary>
    public static Consent Checked { get; } = new(null, throwaway: true);

    /// <param name="consequence">What the step does to the database, e.g. "would destroy the existing database".</param>
    public void Require(string step, string database, string consequence = "would destroy the existing database")
    {
        if (throwaway) return;
        if (confirmed is null)
            throw new RunbookException(
                $"{step} {consequence} \"{database}\". Re-run with --confirm={database} if that is what you mean. Nothing was changed.");
        if (!string.Equals(confirmed, database, StringComparison.Ordinal))
            throw new RunbookException(
                $"--confirm={confirmed} does not name the target database \"{database}\"; {step} needs --confirm={database}. Nothing was changed.");
    }
}
