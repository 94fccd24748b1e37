using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using NpgsqlTypes;

namespace StocksRebuild.Ingestion;

/// <summary>
/// A job that loads CSV files into its table, streaming every file through binary COPY with the row rules
/// checked on the way (file and line known). Three paths, one result:
/// - into an empty table (a cold rebuild), COPY goes straight into the table, whose unreferenced primary
///   key, foreign keys and plain indexes are built once at the end: the bulk-load recipe, inside the job's
///   transaction, so it is all-or-nothing like the rest; so does a drop of new keys into a populated table;
/// - into a populated table that may hold the drop's rows (a rerun), the files are first compared with the
///   table by per-group digests (RowDigest), and only the groups that differ are staged;
/// - otherwise, or when the database refuses the direct load, COPY goes into a staging table and one
///   set-based upsert by the natural key follows; a refused upsert is explained row by row from staging.
/// The upsert is generated from the catalog (UpsertSql); SQL particular to a job lives in sql/ingest/&lt;job&gt;/:
/// check.sql (cross-table rules run before the upsert) and diagnose.sql (refusals particular to it; see StagingDiagnosis).
/// </summary>
public sealed class CsvJob : IIngestJob
{
    public required string Name { get; init; }
    /// <summary>The source contract: the columns the files carry; their types and nullability are the table's (the catalog's).</summary>
    public required IReadOnlyList<CsvField> Fields { get; init; }
    /// <summary>Rules of one row, reported as FILE:LINE: COLUMN: reason. Stateless: the digest reads files on several threads at once.</summary>
    public Action<CsvRecord, IngestErrors> RowRules { get; init; } = (_, _) => { };
    /// <summary>Rules that depend on how the run reads its files (e.g. --ticker-valid-to); they may convert a value, as documented.</summary>
    public Func<IngestOptions, Action<CsvRecord, IngestErrors>>? OptionRules { get; init; }
    /// <summary>Rules of a header beyond "every required column is named"; given which columns are present.</summary>
    public Func<bool[], string?> HeaderRule { get; init; } = _ => null;
    /// <summary>A row rule that needs the database (e.g. a ticker's security on the trade date), prepared once per run.</summary>
    public Func<NpgsqlConnection, NpgsqlTransaction, Action<CsvRecord, IngestErrors>>? Resolver { get; init; }

    /// <summary>Quoted and qualified: regclass text for the catalog queries, a name for the statements.</summary>
    string Table => Statements.Table(Name);

    public JobResult Run(JobContext context)
    {
        var columns = CsvColumn.Bind(Fields, context.Catalog[Name]);
        var resolve = Resolver?.Invoke(context.Connection, context.Transaction) ?? ((_, _) => { });
        var limits = ColumnLimits.For(context.Catalog[Name], columns);
        var rules = RowRules;
        var optionRules = OptionRules?.Invoke(context.Options) ?? ((_, _) => { });
        // Exactness first: a value the column cannot hold is named before any rule compares it; a row with a problem is not resolved.
        var reader = new RowReader(columns, (row, errors) =>
        {
            limits.Check(row, errors);
            rules(row, errors);
            optionRules(row, errors);
            if (!errors.Any) resolve(row, errors);
        }, HeaderRule);
        // A job with cross-table checks (check.sql) reads them from staging, so it always stages. Otherwise COPY goes
        // straight into the table when it is empty (a cold rebuild), or when every file's first row is a new key (the
        // daily drop of new days): an insert is then the whole upsert, and a key that exists after all makes the
        // database refuse the load, which is rolled back and staged. A drop whose first rows exist is compared first.
        var staged = SqlFiles.Exists($"ingest/{Name}/check.sql");
        var empty = !staged && IsEmpty(context);
        if (!staged && (empty || FirstRowsAreNew(context, reader)))
        {
            context.Transaction.Save("direct");
            try
            {
                return LoadDirect(context, reader, rebuildIndexes: empty);
            }
            catch (PostgresException e) when (IsRefusal(e))
            {
                context.Transaction.Rollback("direct");
                context.FilesRead.Clear();
                context.Log.Info(empty
                    ? $"Ingest {Name}: the database refused the direct load ({e.SqlState}: {e.MessageText}); staging the files to name the rows " +
                      "at fault."
                    : $"Ingest {Name}: the direct load was refused ({e.SqlState}: {e.MessageText}): a key the files hold exists after all, or a " +
                      "row is at fault; staging the files for the upsert.");
            }
        }
        if (!staged && !empty && RowDigest.For(context.Catalog[Name], columns) is { } digest)
            return LoadCompared(context, reader, digest);
        return LoadStaged(context, reader);
    }

    static bool IsRefusal(PostgresException e) =>
        e.SqlState.StartsWith("23", StringComparison.Ordinal) || e.SqlState == PostgresErrorCodes.CardinalityViolation;

    /// <summary>
    /// Into a populated table: whether the first row of every file has a key the table does not hold. Cheap (a row a
    /// file, an index probe each), and only a guess that decides the path: the primary key still refuses any other.
    /// A first row with a problem stages, where the problem is reported.
    /// </summary>
    bool FirstRowsAreNew(JobContext context, RowReader reader)
    {
        var columns = reader.Columns;
        var key = context.Catalog[Name].PrimaryKey;
        var positions = key.Select(k => columns.Select(c => c.Name).ToList().IndexOf(k)).ToList();
        if (key.Count == 0 || positions.Contains(-1)) return false;
        var exists = Statements.KeyExists(Name, key);
        foreach (var file in context.Drop.FilesOf(Name))
        {
            var errors = new IngestErrors(1);
            object?[]? first = null;
            try
            {
                CsvSource.Read(context.Drop.FullPath(file), file, new CsvReading(columns, errors, _ => { }, row =>
                {
                    reader.Check(row, errors);
                    first = errors.Any ? [] : positions.Select(p => Value(columns[p], p, row)).ToArray();
                    throw new FirstRowRead();
                }));
            }
            catch (FirstRowRead) { }
            catch (RunbookException) { return false; }
            if (first is null) continue; // a file with a header only
            if (first.Length == 0 || first.Contains(null)) return false;
            using var command = Sql.Command(context.Connection, exists, transaction: context.Transaction);
            for (var i = 0; i < first.Length; i++) command.Parameters.AddWithValue($"k{i}", first[i]!);
            if ((bool)command.ExecuteScalar()!) return false;
        }
        return true;
    }

    sealed class FirstRowRead : Exception;

    static object? Value(CsvColumn column, int index, CsvRecord row) => row.IsNull(index) ? null : column.Type switch
    {
        CsvType.BigInt => row.Integer(index),
        CsvType.SmallInt => (short)row.Integer(index),
        CsvType.Numeric => row.Decimal(index),
        CsvType.Date => row.Date(index),
        _ => row.Text(index),
    };

    /// <summary>COPY into the table itself; into an empty one its keys and indexes are dropped first and built once at the end.</summary>
    JobResult LoadDirect(JobContext context, RowReader reader, bool rebuildIndexes)
    {
        var clock = Stopwatch.StartNew();
        var deferred = rebuildIndexes ? DeferredObjects(context) : [];
        foreach (var (dropStatement, _) in deferred) Execute(context, dropStatement);
        var target = reader.Columns.Select((column, index) => (column, index)).Where(c => !c.column.StagedOnly).ToList();
        var copy = Statements.CopyBinary(Table, target.Select(c => c.column.Name));
        long rows;
        using (var importer = context.Connection.BeginBinaryImport(copy))
        {
            rows = ReadFiles(context, reader, (_, row) =>
            {
                importer.StartRow();
                foreach (var (column, index) in target) Write(importer, column, index, row);
            });
            importer.Complete();
        }
        var loaded = clock.Elapsed;
        if (!rebuildIndexes)
        {
            context.Log.Info($"Ingest {Name}: every file's first row is a new key: appended by COPY in {loaded.TotalSeconds:0.0}s");
            return new JobResult(Name, rows, rows, 0, context.FilesRead);
        }
        foreach (var (_, createStatement) in deferred) Execute(context, createStatement);
        Execute(context, Statements.Analyze(Name));
        context.Log.Info($"Ingest {Name}: read and loaded in {loaded.TotalSeconds:0.0}s; {deferred.Count} key(s) and index(es) built and the table " +
            $"analyzed in {(clock.Elapsed - loaded).TotalSeconds:0.0}s");
        return new JobResult(Name, rows, rows, 0, context.FilesRead);
    }

    /// <summary>
    /// Into a populated table whose rows the drop may already hold (a rerun, a correction): the files are read once into
    /// per-group digests, the server compares them with the table in one pass, and only the groups that differ are
    /// read again and staged for the upsert. A rerun of an unchanged drop writes nothing and stages nothing.
    /// </summary>
    JobResult LoadCompared(JobContext context, RowReader reader, RowDigest digest)
    {
        var clock = Stopwatch.StartNew();
        var read = ReadInParallel(context, reader, digest);
        var readAfter = clock.Elapsed;
        var differing = digest.Compare(context.Connection, context.Transaction);
        var compared = $"compared {read:N0} rows in {digest.Groups:N0} group(s) by {digest.GroupColumn} with the table (read in " +
            $"{readAfter.TotalSeconds:0.0}s, compared in {(clock.Elapsed - readAfter).TotalSeconds:0.0}s)";
        if (differing == 0)
        {
            context.Log.Info($"Ingest {Name}: {compared}: every group equal, nothing staged");
            return new JobResult(Name, read, 0, 0, context.FilesRead);
        }
        context.Log.Info($"Ingest {Name}: {compared}: {differing:N0} group(s) differ (a new or changed row, or rows only the table holds); " +
            $"staging their {digest.RowsDiffering:N0} rows for the upsert");
        // The second read must see the files the comparison saw.
        var firstRead = context.FilesRead.ToList();
        context.FilesRead.Clear();
        var result = LoadStaged(context, reader, digest.Differs);
        var changed = firstRead.Zip(context.FilesRead).Where(f => f.First.Sha256 != f.Second.Sha256).Select(f => f.First.File).ToList();
        if (changed.Count > 0 || firstRead.Count != context.FilesRead.Count)
            throw new IngestException(Name, [$"{string.Join(", ", changed.DefaultIfEmpty("a file"))} changed between the comparison and the " +
                "upsert (its sha256 differs): the drop was still being written. Run Ingest again once it is complete."], false);
        return result;
    }

    JobResult LoadStaged(JobContext context, RowReader reader, Func<CsvRecord, bool>? only = null)
    {
        var columns = reader.Columns;
        var (connection, transaction, drop, errors, _, _) = context;
        var files = drop.FilesOf(Name);
        var clock = Stopwatch.StartNew();
        Execute(context, StagingTable.Create(Name, columns));
        long read, staged = 0;
        using (var importer = connection.BeginBinaryImport(StagingTable.Copy(Name, columns)))
        {
            read = ReadFiles(context, reader, (file, row) =>
            {
                if (only is not null && !only(row)) return;
                staged++;
                importer.StartRow();
                importer.Write(file, NpgsqlDbType.Smallint);
                importer.Write(row.Line, NpgsqlDbType.Bigint);
                for (var c = 0; c < columns.Count; c++) Write(importer, columns[c], c, row);
            });
            importer.Complete();
        }
        var stagedAfter = clock.Elapsed;

        if (SqlFiles.Exists($"ingest/{Name}/check.sql"))
            ThrowIfProblems(context, StagingDiagnosis.Checks(context, Name, files, errors.Limit), null);

        // A savepoint lets the job ask why the database refused (duplicate key, unknown security, …).
        transaction.Save("upsert");
        try
        {
            // A unique index on the staged key refuses a key given twice, even twice with the stored values.
            var key = context.Catalog[Name].PrimaryKey;
            Execute(context, Statements.CreateUniqueIndex(Statements.Qualified("pg_temp", StagingTable.Name(Name)), key));
            var (inserted, updated) = Upsert(context, columns);
            context.Log.Info($"Ingest {Name}: read and staged in {stagedAfter.TotalSeconds:0.0}s, upserted in " +
                $"{(clock.Elapsed - stagedAfter).TotalSeconds:0.0}s");
            return new JobResult(Name, read, inserted, updated, context.FilesRead) { Staged = staged };
        }
        catch (PostgresException e) when (IsRefusal(e))
        {
            transaction.Rollback("upsert");
            ThrowIfProblems(context, StagingDiagnosis.Problems(context, Name, files, errors.Limit), e);
            throw new IngestException(Name, [$"{e.SqlState}: {e.MessageText}{(e.Detail is null ? "" : " " + e.Detail)}"], false, e);
        }
    }

    /// <summary>Reads every file of the job, checking each row; good rows go to <paramref name="write"/> until the first problem.</summary>
    long ReadFiles(JobContext context, RowReader reader, Action<short, CsvRecord> write)
    {
        var (_, _, drop, errors, log, cancellation) = context;
        var files = drop.FilesOf(Name);
        var progress = context.Options.Output.Start($"Ingest {Name}", log);
        var sizes = files.Select(f => new FileInfo(drop.FullPath(f)).Length).ToArray();
        var total = sizes.Sum();
        long written = 0, before = 0;
        for (short index = 0; index < files.Count && !errors.Full; index++)
        {
            var fileIndex = index;
            var offset = before;
            var read = CsvSource.Read(drop.FullPath(files[index]), files[index], reader.For(files[index], errors, cancellation, row =>
            {
                write(fileIndex, row);
                if (++written % 4096 == 0)
                    progress.Report(offset + row.BytesRead, total, "bytes",
                        $"{files[fileIndex]}, {written:N0} rows, {written / Math.Max(progress.Elapsed.TotalSeconds, 0.001):N0} rows/s");
            }));
            context.FilesRead.Add(read);
            before += sizes[index];
        }
        if (errors.Any) throw new IngestException(Name, errors.Lines, errors.Full);
        progress.Done(total, "bytes", $"{files.Count} file(s), {written:N0} rows read");
        return written;
    }

    /// <summary>
    /// ReadFiles for the digest: sums add up in any order, so the files are read on every core, each into its own part.
    /// Problems are reported as a sequential read reports them: in file order, up to the limit.
    /// </summary>
    long ReadInParallel(JobContext context, RowReader reader, RowDigest digest)
    {
        var (drop, cancellation) = (context.Drop, context.Cancellation);
        var files = drop.FilesOf(Name);
        var progress = context.Options.Output.Start($"Ingest {Name}", context.Log);
        var sizes = files.Select(f => new FileInfo(drop.FullPath(f)).Length).ToArray();
        var totalBytes = sizes.Sum();
        var done = new long[files.Count];
        var parts = new (RowDigest digest, IngestErrors errors, SourceFileRead? read, long rows)[files.Count];
        long written = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellation };
        try
        {
            // Largest first, one file at a time: the threads end together.
            var largestFirst = Enumerable.Range(0, files.Count).OrderByDescending(i => sizes[i]).ToList();
            Parallel.ForEach(Partitioner.Create(largestFirst, EnumerablePartitionerOptions.NoBuffering), options, index =>
            {
                var (part, errors, rows) = (digest.Part(), new IngestErrors(context.Errors.Limit), 0L);
                var read = CsvSource.Read(drop.FullPath(files[index]), files[index], reader.For(files[index], errors, cancellation, row =>
                {
                    part.Add(row);
                    if (++rows % 4096 != 0) return;
                    done[index] = row.BytesRead;
                    var total = Interlocked.Add(ref written, 4096);
                    lock (progress) progress.Report(done.Sum(), totalBytes, "bytes", $"comparing, {total:N0} rows");
                }));
                parts[index] = (part, errors, read, rows);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        finally
        {
            // As the sequential read does, the ingestion log lists the files read before a failure or an interruption.
            foreach (var (_, _, read, _) in parts)
                if (read is not null) context.FilesRead.Add(read);
        }
        foreach (var (part, errors, _, _) in parts)
        {
            foreach (var line in errors.Lines) context.Errors.Add(line);
            digest.Merge(part);
        }
        if (context.Errors.Any) throw new IngestException(Name, context.Errors.Lines, context.Errors.Full);
        var rowsRead = parts.Sum(p => p.rows);
        progress.Done(totalBytes, "bytes", $"{files.Count} file(s), {rowsRead:N0} rows read");
        return rowsRead;
    }

    /// <summary>How every path reads the job's files: its columns, the checks of a row (resolving it last), the header rule.</summary>
    sealed record RowReader(IReadOnlyList<CsvColumn> Columns, Action<CsvRecord, IngestErrors> Check, Func<bool[], string?> HeaderRule)
    {
        /// <summary>One file: accept gets each row without a problem; after the first problem none, but reading goes on to report more.</summary>
        public CsvReading For(string file, IngestErrors errors, CancellationToken cancellation, Action<CsvRecord> accept) => new(Columns, errors,
            present => { if (HeaderRule(present) is { } problem) errors.Add(file, 1, null, problem); },
            row =>
            {
                cancellation.ThrowIfCancellationRequested();
                Check(row, errors);
                if (!errors.Any) accept(row);
            });
    }

    static void Write(NpgsqlBinaryImporter importer, CsvColumn column, int index, CsvRecord row)
    {
        if (row.IsNull(index)) { importer.WriteNull(); return; }
        switch (column.Type)
        {
            case CsvType.BigInt: importer.Write(row.Integer(index), NpgsqlDbType.Bigint); break;
            case CsvType.SmallInt: importer.Write((short)row.Integer(index), NpgsqlDbType.Smallint); break;
            case CsvType.Numeric: importer.Write(row.Decimal(index), NpgsqlDbType.Numeric); break;
            case CsvType.Date: importer.Write(row.Date(index), NpgsqlDbType.Date); break;
            default: importer.Write(row.Text(index)!, NpgsqlDbType.Text); break;
        }
    }

    (long inserted, long updated) Upsert(JobContext context, IReadOnlyList<CsvColumn> columns)
    {
        var upsert = UpsertSql.FromStage(context.Catalog[Name], StagingTable.Name(Name), [.. columns.Where(c => !c.StagedOnly).Select(c => c.Name)]);
        using var command = Sql.Command(context.Connection, upsert, transaction: context.Transaction);
        using var reader = command.ExecuteReader();
        (long, long) counts = default;
        // The upsert may end with a statement that returns nothing (SET CONSTRAINTS … IMMEDIATE); read them all.
        do
        {
            if (reader.FieldCount == 2 && reader.Read()) counts = (reader.GetInt64(0), reader.GetInt64(1));
        } while (reader.NextResult());
        return counts;
    }

    void ThrowIfProblems(JobContext context, List<string> problems, Exception? cause)
    {
        if (problems.Count == 0) return;
        foreach (var problem in problems) context.Errors.Add(problem);
        throw new IngestException(Name, context.Errors.Lines, context.Errors.Full, cause);
    }

    static void Execute(JobContext context, string sql) => Sql.Execute(context.Connection, sql, transaction: context.Transaction);

    bool IsEmpty(JobContext context) => Sql.Scalar<bool>(context.Connection, Statements.IsEmpty(Name), transaction: context.Transaction);

    List<(string drop, string create)> DeferredObjects(JobContext context) =>
        Sql.Query(context.Connection, SqlFiles.Read("ingest/bulk/deferred_objects.sql"), r => (r.GetString(0), r.GetString(1)),
            new { table = Table }, context.Transaction);
}
