using StocksRebuild.Catalog;
using StocksRebuild.Ingestion;

namespace StocksRebuild.FastTests;

/// <summary>
/// Tables as the catalog would describe them after the migrations (the database tier reads the real catalog): enough
/// to bind a job's contract without a server.
/// </summary>
static class Tables
{
    static CatalogColumn Key(string name, string type = "int8") => new(name, type, NotNull: true);
    static CatalogColumn Required(string name, string type, int? precision = null, int? scale = null) => new(name, type, precision, scale, true);
    static CatalogColumn Optional(string name, string type, int? precision = null, int? scale = null) => new(name, type, precision, scale);

    public static readonly CatalogTable Securities = new("securities",
        [Key("security_id"), Required("name", "text"), Required("exchange", "text"), Required("currency", "bpchar"),
         Optional("sector", "text"), Optional("listed_on", "date"), Optional("delisted_on", "date")],
        ["security_id"]);

    public static readonly CatalogTable PricesDaily = new("prices_daily",
        [Key("security_id"), Key("trade_date", "date"), Required("open", "numeric", 18, 6), Required("high", "numeric", 18, 6),
         Required("low", "numeric", 18, 6), Required("close", "numeric", 18, 6), Required("volume", "int8")],
        ["security_id", "trade_date"]);

    public static readonly CatalogTable CorporateActions = new("corporate_actions",
        [Key("security_id"), Key("ex_date", "date"), Key("action_type", "text"), Optional("split_ratio", "numeric", 18, 8),
         Optional("cash_amount", "numeric", 18, 6)],
        ["security_id", "ex_date", "action_type"]);

    static readonly Dictionary<string, CatalogTable> ByName =
        new[] { Securities, PricesDaily, CorporateActions }.ToDictionary(t => t.Name);

    public static CsvJob Job(string name) => (CsvJob)IngestJobs.InOrder.Single(j => j.Name == name);

    /// <summary>The job's contract bound to its table, as Ingest binds it.</summary>
    public static IReadOnlyList<CsvColumn> Columns(string job) => CsvColumn.Bind(Job(job).Fields, ByName[job]);
}
