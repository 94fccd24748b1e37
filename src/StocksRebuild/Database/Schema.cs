namespace StocksRebuild.Database;

/// <summary>The runbook's schema: its name is written here and nowhere else in the code.</summary>
public static class Schema
{
    public const string Name = "stocks_research";
}
