
namespace StocksRebuild.Ingestion;

/// <summary>
/// A job that recomputes a derived table from its sources with one upsert from the table's derivation
/// view (sql/migrations/V008): the same view Validate compares the table with.
/// </summary>
public sealed class DerivedJob(string name) : IIngestJob
{
    public string Name { get; } = name;

    /// <summary>The derivation (sql/migrations/V008): the same view Validate compares the table with.</summary>
    public string View => $"v_{Name}_derived";

    public JobResult Run(JobContext context)
    {
        using var command = Sql.Command(context.Connection, UpsertSql.FromView(context.Catalog[Name], View), transaction: context.Transaction);
        try
        {
            using var reader = command.ExecuteReader();
            reader.Read();
            return new JobResult(Name, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), []);
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("23", StringComparison.Ordinal)
                                          || e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            throw new IngestException(Name, [$"deriving {Name}: {e.SqlState}: {e.MessageText}{(e.Detail is null ? "" : " " + e.Detail)}"], false, e);
        }
    }
}
