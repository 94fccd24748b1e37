using System.Text.RegularExpressions;

namespace StocksRebuild.Ingestion;

/// <summary>
/// The seven jobs in the runbook's dependency order, with the source contract of each CSV job. Row rules
/// mirror the tables' CHECK constraints so that a bad row is named by file and line, not by constraint.
/// </summary>
public static partial class IngestJobs
{
    public static readonly IReadOnlyList<IIngestJob> InOrder =
    [
        Securities(),
        TickerHistory(),
        PricesDaily(),
        CorporateActions(),
        new DerivedJob("adjustment_factors"),
        FundamentalsRaw(),
        new DerivedJob("fundamentals_yoy"),
    ];

    public static IReadOnlyList<string> Names => InOrder.Select(j => j.Name).ToList();

    static CsvJob Securities()
    {
        const int currency = 3, listedOn = 5, delistedOn = 6;
        return new CsvJob
        {
            Name = "securities",
            Fields =
            [
                new("security_id"), new("name"), new("exchange"), new("currency"), new("sector", InHeader: false),
                new("listed_on", InHeader: false), new("delisted_on", InHeader: false)
            ],
            RowRules = (row, errors) =>
            {
                if (!row.IsNull(currency) && !CurrencyCode().IsMatch(row.Text(currency)!))
                    errors.Add(row, "currency", $"'{row.Text(currency)}' is not a three-letter ISO code in capitals");
                if (!row.IsNull(listedOn) && !row.IsNull(delistedOn) && row.Date(delistedOn) < row.Date(listedOn))
                    errors.Add(row, "delisted_on", $"{row.Date(delistedOn):yyyy-MM-dd} is before listed_on {row.Date(listedOn):yyyy-MM-dd}");
            },
        };
    }

    static CsvJob TickerHistory()
    {
        const int validFrom = 2, validTo = 3;
        return new CsvJob
        {
            Name = "ticker_history",
            Fields =
            [
                new("security_id"), new("ticker"), new("valid_from"), new("valid_to")
            ],
            // valid_to is exclusive in the table; a vendor's inclusive date (the last day held) is converted on read.
            OptionRules = options => (row, errors) =>
            {
                if (row.IsNull(validFrom) || row.IsNull(validTo)) return;
                if (options.TickerValidTo == ValidToConvention.Inclusive)
                {
                    if (row.Date(validTo) < row.Date(validFrom))
                        errors.Add(row, "valid_to", $"{row.Date(validTo):yyyy-MM-dd} is before valid_from {row.Date(validFrom):yyyy-MM-dd} " +
                            $"(--ticker-valid-to=inclusive: the last day held)");
                    else row.Set(validTo, row.Date(validTo).AddDays(1));
                }
                else if (row.Date(validTo) <= row.Date(validFrom))
                    errors.Add(row, "valid_to", $"{row.Date(validTo):yyyy-MM-dd} is not after valid_from {row.Date(validFrom):yyyy-MM-dd} " +
                                                "(valid_to is the first day the ticker no longer applies; for files giving the last day held, " +
                                                    "--ticker-valid-to=inclusive)");
            },
        };
    }

    static CsvJob PricesDaily()
    {
        const int securityId = 0, ticker = 1, tradeDate = 2, open = 3, high = 4, low = 5, close = 6, volume = 7;
        (int, string)[] prices = [(open, "open"), (high, "high"), (low, "low"), (close, "close")];
        (int, string)[] withinRange = [(open, "open"), (close, "close")];
        return new CsvJob
        {
            Name = "prices_daily",
            Fields =
            [
                new("security_id", InHeader: false, Resolved: true), new("ticker", InHeader: false, SourceOnly: CsvType.Text),
                new("trade_date"), new("open"), new("high"), new("low"), new("close"), new("volume")
            ],
            Resolver = (connection, transaction) =>
            {
                var tickers = TickerResolver.Load(connection, transaction);
                return (row, errors) =>
                {
                    if (!row.IsNull(securityId) || row.IsNull(ticker)) return;
                    if (tickers.SecurityOn(row.Text(ticker)!, row.Date(tradeDate)) is { } security) row.Set(securityId, security);
                    else errors.Add(row, "ticker", tickers.Unresolved(row.Text(ticker)!, row.Date(tradeDate)));
                };
            },
            HeaderRule = present => present[securityId] || present[ticker]
                ? null
                : "the header names neither security_id nor ticker; prices need one of them",
            RowRules = (row, errors) =>
            {
                if (row.IsNull(securityId) && row.IsNull(ticker))
                    errors.Add(row, "security_id", "neither security_id nor ticker is given");
                var pricesPositive = true;
                foreach (var (column, name) in prices)
                    if (!row.IsNull(column) && row.Decimal(column) <= 0)
                    {
                        errors.Add(row, name, $"{row.Decimal(column)} is not above 0");
                        pricesPositive = false;
                    }
                if (!row.IsNull(volume) && row.Integer(volume) < 0)
                    errors.Add(row, "volume", $"{row.Integer(volume)} is negative");
                if (!pricesPositive || row.IsNull(open) || row.IsNull(high) || row.IsNull(low) || row.IsNull(close)) return;
                if (row.Decimal(high) < row.Decimal(low))
                    errors.Add(row, "high", $"{row.Decimal(high)} is below low {row.Decimal(low)}");
                else
                    foreach (var (column, name) in withinRange)
                        if (row.Decimal(column) < row.Decimal(low) || row.Decimal(column) > row.Decimal(high))
                            errors.Add(row, name, $"{row.Decimal(column)} is outside low {row.Decimal(low)} .. high {row.Decimal(high)}");
            },
        };
    }

    static CsvJob CorporateActions()
    {
        const int actionType = 2, splitRatio = 3, cashAmount = 4;
        return new CsvJob
        {
            Name = "corporate_actions",
            Fields =
            [
                new("security_id"), new("ex_date"), new("action_type"), new("split_ratio"), new("cash_amount")
            ],
            RowRules = (row, errors) =>
            {
                // An action carries its own amount, above 0, and not the other kind's.
                void Carries(string action, (int index, string name) own, (int index, string name) other)
                {
                    if (row.IsNull(own.index)) errors.Add(row, own.name, $"a {action} needs a {own.name}");
                    else if (row.Decimal(own.index) <= 0) errors.Add(row, own.name, $"{row.Decimal(own.index)} is not above 0");
                    if (!row.IsNull(other.index)) errors.Add(row, other.name, $"a {action} carries no {other.name}");
                }
                switch (row.Text(actionType))
                {
                    case null: break;
                    case "split": Carries("split", (splitRatio, "split_ratio"), (cashAmount, "cash_amount")); break;
                    case "dividend": Carries("dividend", (cashAmount, "cash_amount"), (splitRatio, "split_ratio")); break;
                    default:
                        errors.Add(row, "action_type", $"'{row.Text(actionType)}' is neither split nor dividend");
                        break;
                }
            },
        };
    }

    static CsvJob FundamentalsRaw()
    {
        const int fiscalYear = 1, fiscalQuarter = 2, sharesOutstanding = 7;
        return new CsvJob
        {
            Name = "fundamentals_raw",
            Fields =
            [
                new("security_id"), new("fiscal_year"), new("fiscal_quarter"), new("period_end"), new("revenue"), new("net_income"),
                new("eps_diluted"), new("shares_outstanding")
            ],
            RowRules = (row, errors) =>
            {
                if (!row.IsNull(fiscalYear) && row.Integer(fiscalYear) is < 1900 or > 2200)
                    errors.Add(row, "fiscal_year", $"{row.Integer(fiscalYear)} is not between 1900 and 2200");
                if (!row.IsNull(fiscalQuarter) && row.Integer(fiscalQuarter) is < 1 or > 4)
                    errors.Add(row, "fiscal_quarter", $"{row.Integer(fiscalQuarter)} is not 1, 2, 3 or 4");
                if (!row.IsNull(sharesOutstanding) && row.Integer(sharesOutstanding) < 0)
                    errors.Add(row, "shares_outstanding", $"{row.Integer(sharesOutstanding)} is negative");
            },
        };
    }

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyCode();
}
