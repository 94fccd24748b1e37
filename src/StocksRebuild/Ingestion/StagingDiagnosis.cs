using StocksRebuild.Validation;

namespace StocksRebuild.Ingestion;

/// <summary>
/// Names the staged rows the database refused, as FILE:LINE: COLUMN: reason. What every job shares comes
/// from the catalog: a natural key given twice (the table's primary key) and a value with no parent row
/// (each of the table's foreign keys). sql/ingest/&lt;job&gt;/diagnose.sql adds what is particular to a
/// job (overlapping ticker periods); check.sql holds cross-table rules a job checks before it writes.
/// </summary>
static class StagingDiagnosis
{
    public static List<string> Problems(JobContext context, string job, IReadOnlyList<string> files, int limit)
    {
        var stage = StagingTable.Name(job);
        var found = new List<(short file, long line, string text)>();

        var key = context.Catalog[job].PrimaryKey;
        foreach (var (file, line, values, firstFile, firstLine) in Read(context, DuplicatesSql(stage, key), files, limit,
                     r => (r.GetInt16(0), r.GetInt64(1), r.GetString(2), r.GetInt16(3), r.GetInt64(4))))
            found.Add((file, line, $"{string.Join(", ", key)}: ({values}) is also at {files[firstFile]}:{firstLine}"));

        foreach (var fk in ForeignKeysOf(context, job))
            foreach (var (file, line, values) in Read(context, fk.OrphanRowsSql(stage), files, limit,
                         r => (r.GetInt16(0), r.GetInt64(1), r.GetString(2))))
                found.Add((file, line, $"{string.Join(", ", fk.ChildColumns)}: {values} is not in {fk.ParentTable}"));

        found.AddRange(JobSpecific(context, $"ingest/{job}/diagnose.sql", files, limit));
        return Format(found, files, limit);
    }

    /// <summary>The job's cross-table rules (sql/ingest/&lt;job&gt;/check.sql) on the staged rows, before anything is written.</summary>
    public static List<string> Checks(JobContext context, string job, IReadOnlyList<string> files, int limit) =>
        Format(JobSpecific(context, $"ingest/{job}/check.sql", files, limit), files, limit);

    /// <summary>A job's own problem query, when it has one: rows of (src_file, src_line, column, reason).</summary>
    static List<(short file, long line, string text)> JobSpecific(JobContext context, string sqlFile, IReadOnlyList<string> files, int limit) =>
        SqlFiles.Exists(sqlFile)
            ? Read(context, SqlFiles.Read(sqlFile), files, limit, r => (r.GetInt16(0), r.GetInt64(1), $"{r.GetString(2)}: {r.GetString(3)}"))
            : [];

    static List<string> Format(List<(short file, long line, string text)> found, IReadOnlyList<string> files, int limit) =>
        found.OrderBy(p => p.file).ThenBy(p => p.line).Take(limit).Select(p => $"{files[p.file]}:{p.line}: {p.text}").ToList();

    /// <summary>Rows after the first of each key, with the key's values and where its first row is.</summary>
    internal static string DuplicatesSql(string stage, IReadOnlyList<string> key)
    {
        var columns = string.Join(", ", key.Select(DatabaseName.Quote));
        return $"SELECT src_file, src_line, {ForeignKey.Text(key, "d")}, first_file, first_line FROM (" +
               $"SELECT *, row_number() OVER same_key AS n, first_value(src_file) OVER same_key AS first_file, first_value(src_line) OVER same_key " +
                   $"AS first_line " +
               $"FROM {Statements.Qualified("pg_temp", stage)} WINDOW same_key AS (PARTITION BY {columns} ORDER BY src_file, src_line)) AS d " +
               "WHERE n > 1 ORDER BY src_file, src_line LIMIT @limit";
    }

    static List<ForeignKey> ForeignKeysOf(JobContext context, string job) =>
        ForeignKey.InSchema(context.Connection, Schema.Name).Where(fk => fk.ChildTable == job).ToList();

    static List<T> Read<T>(JobContext context, string sql, IReadOnlyList<string> files, int limit, Func<NpgsqlDataReader, T> map)
    {
        using var command = Sql.Command(context.Connection, sql, transaction: context.Transaction);
        if (sql.Contains("@files", StringComparison.Ordinal)) command.Parameters.AddWithValue("files", files.ToArray());
        if (sql.Contains("@limit", StringComparison.Ordinal)) command.Parameters.AddWithValue("limit", limit);
        return Sql.Read(command, map);
    }
}
