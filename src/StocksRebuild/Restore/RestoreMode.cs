namespace StocksRebuild.Restore;

/// <summary>Where Restore puts the backup: decided once, when the run starts, from whether the target exists and --in-place.</summary>
public enum RestoreMode
{
    /// <summary>The target does not exist: the runbook's own case, restored into its name (nothing to swap).</summary>
    Direct,

    /// <summary>The default when the target exists: restored and validated in an incoming database, then swapped in.</summary>
    Beside,

    /// <summary>--in-place: the runbook's literal order; the live database is dropped before the backup is proven to restore.</summary>
    InPlace,
}

public static class RestoreModes
{
    public static RestoreMode Decide(bool targetExists, bool inPlace) =>
        !targetExists ? RestoreMode.Direct : inPlace ? RestoreMode.InPlace : RestoreMode.Beside;

    /// <summary>What Preflight and the dry run say of the mode: which one, and why.</summary>
    /// <param name="built">What the run builds: "the backup is restored" (Restore), "the database is rebuilt" (ColdRebuild).</param>
    public static string Describe(this RestoreMode mode, string database, string? incoming, string built = "the backup is restored") => mode switch
    {
        RestoreMode.Direct => $"\"{database}\" does not exist: {built} into it directly (no incoming database, no swap).",
        RestoreMode.Beside => $"\"{database}\" exists: {built} beside it into \"{incoming}\", validated, and only then swapped in " +
            $"(the live one kept as a previous copy); until the swap \"{database}\" is not touched and keeps serving.",
        _ => $"--in-place: \"{database}\" is dropped before {built}; if that or Validate fails, the live database is gone " +
            $"(without --in-place, {built} beside live and swapped in only when green).",
    };
}
