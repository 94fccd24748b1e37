using System.Text;

namespace StocksRebuild.Validation;

public sealed record ValidationCheck(string Check, string Subject, bool Passed, string Detail)
{
    /// <summary>Not run, and said so (amcheck not installed): passes, but is not a proof.</summary>
    public bool Skipped { get; init; }

    /// <summary>
    /// Not passed, but hygiene rather than the data (a table these migrations do not create has no primary key, a NOT
    /// VALID constraint no row breaks): a database they did not build is reported, not refused. --strict makes it a failure.
    /// </summary>
    public bool Warning { get; init; }
}

public sealed record ValidationReport(string Database, IReadOnlyList<ValidationCheck> Checks, TimeSpan Duration)
{
    /// <summary>The exact count of every table of the schema ("schema.table"), as Validate counted them.</summary>
    public IReadOnlyDictionary<string, long> RowCounts { get; init; } = new Dictionary<string, long>();

    public bool Passed => Checks.All(c => c.Passed || c.Warning);

    /// <summary>This report followed by another's checks on the same database (Validate --deep).</summary>
    public ValidationReport Including(ValidationReport more) =>
        this with { Checks = [.. Checks, .. more.Checks], Duration = Duration + more.Duration };
    public IEnumerable<ValidationCheck> Failures => Checks.Where(c => !c.Passed && !c.Warning);

    public IEnumerable<ValidationCheck> Warnings => Checks.Where(c => !c.Passed && c.Warning);

    /// <summary>--strict: every warning is a failure.</summary>
    public ValidationReport Strict() => this with { Checks = [.. Checks.Select(c => c with { Warning = false })] };

    public string FormatTable()
    {
        var checkWidth = Math.Max(5, Checks.Max(c => c.Check.Length));
        var subjectWidth = Math.Max(7, Checks.Max(c => c.Subject.Length));
        var text = new StringBuilder();
        text.AppendLine($"{"Check".PadRight(checkWidth)}  {"Subject".PadRight(subjectWidth)}  Result  Detail");
        text.AppendLine($"{new string('-', checkWidth)}  {new string('-', subjectWidth)}  ------  ------");
        foreach (var c in Checks)
        {
            var result = c.Skipped ? "skip  " : c.Passed ? "ok    " : c.Warning ? "warn  " : "FAILED";
            text.AppendLine($"{c.Check.PadRight(checkWidth)}  {c.Subject.PadRight(subjectWidth)}  {result}  {c.Detail}");
        }
        return text.ToString();
    }

    /// <summary>The runbook's own words on failure, then each failing object by name.</summary>
    public string FailureMessage() =>
        "Validation failed — stop and investigate. " +
        string.Join("; ", Failures.Select(f => $"{f.Check} {f.Subject}: {f.Detail}"));
}
