using StocksRebuild.Validation;

namespace StocksRebuild.FastTests;

/// <summary>
/// The schema comparison of Validate after a restore, on scripts shaped as pg_restore and pg_dump write them: what two
/// dumps of one schema differ in is ignored, and every object missing, extra or defined otherwise is named by its entry.
/// </summary>
[TestFixture]
public sealed class BackupSchemaTests
{
    static string Script(string version, string restrictKey, params string[] objects) => string.Join('\n',
    [
        "--", "-- PostgreSQL database dump", "--", "", $"\\restrict {restrictKey}", "",
        $"-- Dumped from database version {version}.18", $"-- Dumped by pg_dump version {version}.18", "",
        "SET statement_timeout = 0;", "",
        .. objects,
        "--", "-- PostgreSQL database dump complete", "--", "", $"\\unrestrict {restrictKey}", "",
    ]);

    static string Object(string name, string type, string schema, params string[] body) =>
        string.Join('\n', ["--", $"-- Name: {name}; Type: {type}; Schema: {schema}; Owner: -", "--", "", .. body, "", ""]);

    static readonly string Table = "SET default_tablespace = '';\n\nSET default_table_access_method = heap;\n\n" +
        Object("prices_daily", "TABLE", "stocks_research", "CREATE TABLE stocks_research.prices_daily (", "    security_id bigint NOT NULL,",
            "    close numeric(18,6) NOT NULL", ");");
    static readonly string Key = Object("prices_daily prices_daily_pkey", "CONSTRAINT", "stocks_research",
        "ALTER TABLE ONLY stocks_research.prices_daily", "    ADD CONSTRAINT prices_daily_pkey PRIMARY KEY (security_id);");
    static readonly string Foreign = Object("prices_daily prices_daily_security_id_fkey", "FK CONSTRAINT", "stocks_research",
        "ALTER TABLE ONLY stocks_research.prices_daily", "    ADD CONSTRAINT prices_daily_security_id_fkey FOREIGN KEY (security_id) " +
        "REFERENCES stocks_research.securities(security_id);");
    static readonly string Index = Object("prices_daily_trade_date_idx", "INDEX", "stocks_research",
        "CREATE INDEX prices_daily_trade_date_idx ON stocks_research.prices_daily USING btree (trade_date);");

    [Test]
    public void TwoDumpsOfOneSchemaAreTheSame()
    {
        // The \restrict key is random per dump, and the SETs move when a neighbour is missing: neither is the schema.
        var checks = BackupSchema.Compare(Script("15", "aaa", Table, Key, Foreign, Index), Script("15", "bbb", Table.Replace("SET default_tablespace = '';\n\n", ""), Key, Foreign, Index));
        Assert.That(checks.Select(c => (c.Passed, c.Subject)), Is.EqualTo(new[] { (true, "4 objects") }));
        Assert.That(checks.Single().Detail, Does.StartWith("every object of the backup's table of contents is here, defined as in the backup"));
    }

    [Test]
    public void EachObjectMissingExtraOrDefinedOtherwiseFailsByItsEntry()
    {
        var notValid = Foreign.Replace("(security_id);", "(security_id) NOT VALID;");
        var extra = Object("v_extra", "VIEW", "stocks_research", "CREATE VIEW stocks_research.v_extra AS", " SELECT 1;");
        var checks = BackupSchema.Compare(Script("15", "a", Table, Key, Foreign, Index), Script("15", "b", Table, notValid, extra));

        Assert.That(checks.Select(c => (c.Passed, c.Subject, c.Detail)), Is.EqualTo(new[]
        {
            (false, "CONSTRAINT stocks_research prices_daily prices_daily_pkey", "in the backup, missing here"),
            (false, "FK CONSTRAINT stocks_research prices_daily prices_daily_security_id_fkey", "differs from the backup: the backup has " +
                "\"ADD CONSTRAINT prices_daily_security_id_fkey FOREIGN KEY (security_id) REFERENCES stocks_research.securities(security_id);\", " +
                "this database \"ADD CONSTRAINT prices_daily_security_id_fkey FOREIGN KEY (security_id) REFERENCES stocks_research.securities(security_id) NOT VALID;\""),
            (false, "INDEX stocks_research prices_daily_trade_date_idx", "in the backup, missing here"),
            (false, "VIEW stocks_research v_extra", "here, not in the backup"),
        }));
    }

    [Test]
    public void AnotherPgDumpMajorComparesEntriesOnly()
    {
        var reworded = Index.Replace("USING btree ", "");
        var same = BackupSchema.Compare(Script("14", "a", Table, Index), Script("15", "b", Table, reworded));
        Assert.That((same.Single().Passed, same.Single().Detail), Is.EqualTo((true, "every object of the backup's table of contents is here, and " +
            "nothing else (the backup's pg_dump 14 and this one 15 word definitions differently: compared by entry only)")));

        var missing = BackupSchema.Compare(Script("14", "a", Table, Index), Script("15", "b", Table));
        Assert.That(missing.Select(c => (c.Passed, c.Subject, c.Skipped)), Is.EqualTo(new[]
        {
            (false, "INDEX stocks_research prices_daily_trade_date_idx", false), (true, "definitions", true),
        }));
    }

    [Test]
    public void AFunctionBodysOwnCommentsAndBlankLinesAreItsDefinition()
    {
        var function = Object("f(integer)", "FUNCTION", "stocks_research", "CREATE FUNCTION stocks_research.f(x integer) RETURNS integer",
            "    LANGUAGE sql", "    AS $$", "-- doubles", "SELECT x * 2", "$$;");
        var parsed = BackupSchema.Parse(Script("15", "a", function));
        Assert.That(parsed.Single().Entry, Is.EqualTo("FUNCTION stocks_research f(integer)"));
        Assert.That(parsed.Single().Definition, Does.Contain("-- doubles\nSELECT x * 2"));
        Assert.That(BackupSchema.Compare(Script("15", "a", function), Script("15", "a", function.Replace("x * 2", "x * 3"))).Single().Passed, Is.False);
    }
}
