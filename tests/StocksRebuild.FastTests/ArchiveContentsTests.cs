using StocksRebuild.Backups;

namespace StocksRebuild.FastTests;

/// <summary>The table of contents as pg_restore --list prints it, read without a file or a server.</summary>
[TestFixture]
public sealed class ArchiveContentsTests
{
    const string Toc = """
        ;
        ; Archive created at 2026-11-25 19:18:26 CET
        ;     dbname: stocks_research
        ;
        7; 2615 16385 SCHEMA - stocks_research owner
        225; 1259 17107 TABLE stocks_research securities owner
        226; 1259 17108 TABLE stocks_research prices_daily owner
        3740; 0 17107 TABLE DATA stocks_research securities owner
        3741; 0 17108 TABLE DATA stocks_research prices_daily owner
        3742; 0 17109 TABLE DATA public notes owner
        """;

    [Test]
    public void NamesWhatTheRunbookNeedsAndTheArchiveLacks()
    {
        var contents = ArchiveContents.Parse(Toc, TimeZoneInfo.Utc);
        Assert.That(contents.MissingFor("stocks_research", ["securities", "prices_daily", "corporate_actions"]),
            Is.EqualTo(new[] { "table stocks_research.corporate_actions", "the rows of stocks_research.corporate_actions (no TABLE DATA entry)" }));
        Assert.That(contents.Describe(), Is.EqualTo("schema and data, tables 1 in public, 2 in stocks_research"));
        Assert.That(contents.Entries, Is.EqualTo(6), "every entry of the table of contents, the progress total of a restore");
    }

    [Test]
    public void ReadsTheCreationTimeAsTheDumpingMachinesLocalTime()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        Assert.That(ArchiveContents.Parse(Toc, berlin).CreatedUtc, Is.EqualTo(new DateTime(2026, 11, 25, 18, 18, 26, DateTimeKind.Utc)));
        Assert.That(ArchiveContents.Parse("no header", TimeZoneInfo.Utc).CreatedUtc, Is.Null);
    }

    [TestCase("3740; 0 17107 TABLE DATA stocks_research securities owner", "data-only")]
    [TestCase("225; 1259 17107 TABLE stocks_research securities owner", "schema-only")]
    public void TellsASchemaOnlyFromADataOnlyDump(string entry, string kind) =>
        Assert.That(ArchiveContents.Parse(entry, TimeZoneInfo.Utc).Kind, Is.EqualTo(kind));

    /// <summary>pg_dump writes a partitioned table's rows under its partitions (at any depth), an inheritance child's under itself.</summary>
    [Test]
    public void APartitionedTablesRowsAreThoseOfItsPartitions()
    {
        const string toc = """
            7; 2615 16385 SCHEMA - stocks_research owner
            225; 1259 17107 TABLE stocks_research prices_daily owner
            226; 1259 17108 TABLE stocks_research prices_daily_2024 owner
            227; 1259 17109 TABLE stocks_research prices_daily_2024_h2 owner
            228; 1259 17110 TABLE stocks_research corporate_actions owner
            229; 1259 17111 TABLE stocks_research "corporate actions old" owner
            3600; 0 0 TABLE ATTACH stocks_research prices_daily_2024 owner
            3601; 0 0 TABLE ATTACH stocks_research prices_daily_2024_h2 owner
            3740; 0 17109 TABLE DATA stocks_research prices_daily_2024_h2 owner
            3741; 0 17111 TABLE DATA stocks_research securities owner
            """;
        const string preData = """
            CREATE TABLE stocks_research.prices_daily (
                security_id bigint NOT NULL
            )
            PARTITION BY RANGE (trade_date);

            CREATE TABLE stocks_research.corporate_actions (
                action_id bigint NOT NULL
            );

            CREATE TABLE stocks_research."corporate ""actions"" old" (
                note text
            )
            INHERITS (stocks_research.corporate_actions);

            ALTER TABLE ONLY stocks_research.prices_daily ATTACH PARTITION stocks_research.prices_daily_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
            ALTER TABLE ONLY stocks_research.prices_daily_2024 ATTACH PARTITION stocks_research.prices_daily_2024_h2 FOR VALUES FROM ('2024-07-01') TO ('2025-01-01');
            """;
        var listed = ArchiveContents.Parse(toc, TimeZoneInfo.Utc);
        Assert.That(listed.Describe(), Is.EqualTo("schema and data, tables 6 in stocks_research"), "TABLE ATTACH is no table");
        Assert.That(listed.HoldsRowsOf("stocks_research.prices_daily"), Is.False, "without the script, the list alone cannot tell");

        var contents = listed.WithDescendants(preData);
        Assert.That(contents.HoldsRowsOf("stocks_research.prices_daily"), Is.True, "two levels down");
        Assert.That(contents.Children["stocks_research.corporate_actions"], Is.EqualTo(new[] { "stocks_research.corporate \"actions\" old" }));
        Assert.That(contents.MissingFor("stocks_research", ["prices_daily", "corporate_actions"]),
            Is.EqualTo(new[] { "the rows of stocks_research.corporate_actions (no TABLE DATA entry, nor one of its partitions)" }),
            "a child without rows holds none of its parent's");
    }
}
