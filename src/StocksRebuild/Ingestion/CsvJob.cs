using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace StocksRebuild.Ingestion;

/// <summary>
/// A job that loads CSV files into its table: stream every file through binary COPY into a staging table
/// (row rules checked on the way, with file and line), then one set-based upsert by the natural key.
/// SQL of the job lives in sql/ingest/&lt;job&gt;/: upsert.sql, diagnose.sql (run only when the upsert is
/// refused, to name the rows at fault) and an optional check.sql (cross-table rules run before the upsert).
/// </summary>
public sealed class CsvJob : IIngestJob
{
    static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);

    public required string Name { get; init; }
    public required IReadOnlyList<CsvColumn> Columns { get; init; }
    /// <summary>Rules of one row, reported as FILE:LINE: COLUMN: reason.</summary>
    public Action<CsvRecord, IngestErrors> RowRules { get; init; } = (_, _) => { };
    /// <summary>Rules of a header beyond "every required column is named"; given which columns are present.</summary>
    public Func<bool[], string?> HeaderRule { get; init; } = _ => null;

    public JobResult Run(JobContext context)
    {
        var (connection, transaction, drop, errors, log, cancellation) = context;
        var files = drop.FilesOf(Name);
        Execute(connection, transaction, StagingTable.Create(Name, Columns));

        var clock = Stopwatch.StartNew();
        var lastProgress = TimeSpan.Zero;
        long staged = 0;
        using (var importer = connection.BeginBinaryImport(StagingTable.Copy(Name, Columns)))
        {
            for (short index = 0; index < files.Count && !errors.Full; index++)
            {
                var fileIndex = index;
                var read = CsvSource.Read(drop.FullPath(files[index]), files[index], Columns, errors,
                    present => { if (HeaderRule(present) is { } problem) errors.Add(files[fileIndex], 1, null, problem); },
                    row =>
                    {
                        cancellation.ThrowIfCancellationRequested();
                        RowRules(row, errors);
                        // After the first problem nothing more is staged, but reading goes on to report more.
                        if (errors.Any) return;
                        Write(importer, fileIndex, row);
                        if (++staged % 65536 == 0 && clock.Elapsed - lastProgress > ProgressEvery)
                        {
                            lastProgress = clock.Elapsed;
                            log.Info($"Ingest {Name}: {staged:N0} rows read ({staged / clock.Elapsed.TotalSeconds:N0} rows/s)");
                        }
                    });
                context.FilesRead.Add(read);
            }
            if (errors.Any) throw new IngestException(Name, errors.Lines, errors.Full);
            importer.Complete();
        }

        if (SqlFiles.Exists($"ingest/{Name}/check.sql"))
            ThrowIfProblems(context, Problems(connection, transaction, $"ingest/{Name}/check.sql", files, errors.Limit), null);

        // A savepoint lets the job ask why the upsert was refused (duplicate key, unknown security, …).
        var table = $"stocks_research.{Name}";
        var bulk = IsEmpty(connection, transaction, table);
        transaction.Save("upsert");
        try
        {
            // Into an empty table (a cold rebuild), foreign keys and plain indexes are built once after the
            // load: several times faster, and as safe, since the drop and the rebuild share the job's transaction.
            var deferred = bulk ? DeferredObjects(connection, transaction, table) : [];
            foreach (var (dropStatement, _) in deferred) Execute(connection, transaction, dropStatement);
            var (inserted, updated) = Upsert(connection, transaction);
            foreach (var (_, createStatement) in deferred) Execute(connection, transaction, createStatement);
            if (bulk) Execute(connection, transaction, $"ANALYZE {table}");
            // Duplicate rows equal to a stored row pass ON CONFLICT … WHERE IS DISTINCT FROM unseen; when
            // any row was left unchanged, ask for duplicates explicitly (a first load never pays for this).
            if (staged > inserted + updated
                && Problems(connection, transaction, $"ingest/{Name}/diagnose.sql", files, errors.Limit) is { Count: > 0 } duplicates)
            {
                transaction.Rollback("upsert");
                ThrowIfProblems(context, duplicates, null);
            }
            return new JobResult(Name, staged, inserted, updated, context.FilesRead);
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("23", StringComparison.Ordinal) || e.SqlState == PostgresErrorCodes.CardinalityViolation)
        {
            transaction.Rollback("upsert");
            var problems = Problems(connection, transaction, $"ingest/{Name}/diagnose.sql", files, errors.Limit);
            ThrowIfProblems(context, problems, e);
            throw new IngestException(Name, [$"{e.SqlState}: {e.MessageText}{(e.Detail is null ? "" : " " + e.Detail)}"], false, e);
        }
    }

    void Write(NpgsqlBinaryImporter importer, short file, CsvRecord row)
    {
        importer.StartRow();
        importer.Write(file, NpgsqlDbType.Smallint);
        importer.Write(row.Line, NpgsqlDbType.Bigint);
        for (var c = 0; c < Columns.Count; c++)
        {
            if (row.IsNull(c)) { importer.WriteNull(); continue; }
            switch (Columns[c].Type)
            {
                case CsvType.BigInt: importer.Write(row.Integer(c), NpgsqlDbType.Bigint); break;
                case CsvType.SmallInt: importer.Write((short)row.Integer(c), NpgsqlDbType.Smallint); break;
                case CsvType.Numeric: importer.Write(row.Decimal(c), NpgsqlDbType.Numeric); break;
                case CsvType.Date: importer.Write(row.Date(c), NpgsqlDbType.Date); break;
                default: importer.Write(row.Text(c)!, NpgsqlDbType.Text); break;
            }
        }
    }

    (long inserted, long updated) Upsert(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        using var command = new NpgsqlCommand(SqlFiles.Read($"ingest/{Name}/upsert.sql"), connection, transaction);
        command.CommandTimeout = 0; // a five-year drop takes minutes; the server's statement_timeout still applies
        using var reader = command.ExecuteReader();
        (long, long) counts = default;
        // Scripts may end with statements that return nothing (e.g. SET CONSTRAINTS … IMMEDIATE); read them all.
        do
        {
            if (reader.FieldCount == 2 && reader.Read()) counts = (reader.GetInt64(0), reader.GetInt64(1));
        } while (reader.NextResult());
        return counts;
    }

    /// <summary>Runs a problems query: rows of (file, line, column, reason), limited, ordered by file and line.</summary>
    static List<string> Problems(NpgsqlConnection connection, NpgsqlTransaction transaction, string sqlFile, IReadOnlyList<string> files, int limit)
    {
        using var command = new NpgsqlCommand(SqlFiles.Read(sqlFile), connection, transaction);
        command.CommandTimeout = 0;
        command.Parameters.AddWithValue("files", files.ToArray());
        command.Parameters.AddWithValue("limit", limit);
        using var reader = command.ExecuteReader();
        var problems = new List<string>();
        while (reader.Read())
            problems.Add(reader.IsDBNull(2)
                ? $"{reader.GetString(0)}:{reader.GetInt64(1)}: {reader.GetString(3)}"
                : $"{reader.GetString(0)}:{reader.GetInt64(1)}: {reader.GetString(2)}: {reader.GetString(3)}");
        return problems;
    }

    void ThrowIfProblems(JobContext context, List<string> problems, Exception? cause)
    {
        if (problems.Count == 0) return;
        foreach (var problem in problems) context.Errors.Add(problem);
        throw new IngestException(Name, context.Errors.Lines, context.Errors.Full, cause);
    }

    static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.CommandTimeout = 0;
        command.ExecuteNonQuery();
    }

    static bool IsEmpty(NpgsqlConnection connection, NpgsqlTransaction transaction, string table)
    {
        using var command = new NpgsqlCommand($"SELECT NOT EXISTS (SELECT 1 FROM {table})", connection, transaction);
        return (bool)command.ExecuteScalar()!;
    }

    static List<(string drop, string create)> DeferredObjects(NpgsqlConnection connection, NpgsqlTransaction transaction, string table)
    {
        using var command = new NpgsqlCommand(SqlFiles.Read("ingest/bulk/deferred_objects.sql"), connection, transaction);
        command.Parameters.AddWithValue("table", table);
        using var reader = command.ExecuteReader();
        var objects = new List<(string, string)>();
        while (reader.Read()) objects.Add((reader.GetString(0), reader.GetString(1)));
        return objects;
    }
}
