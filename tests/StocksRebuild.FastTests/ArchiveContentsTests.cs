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
}
