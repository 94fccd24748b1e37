using StocksRebuild.Database;
using Npgsql;
using StocksRebuild.Backups;
using StocksRebuild.Rehearsal;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Rehearsal;

/// <summary>The rehearsal and --swap through ./build.sh, as CI and a DBA run them: exit codes, output, signals, kills.</summary>
[TestFixture]
public sealed class RehearsalBuildScriptTests
{
    static string NewFolder(string name) => Directory.CreateTempSubdirectory($"stocksrebuild-{name}-").FullName;

    static IReadOnlyList<string> ScratchOf(string live) => Databases.Admin.WithPrefix(ScratchDatabases.PrefixFor(live));

    [Test]
    public void AColumnAddedByHandToLiveTurnsTheRehearsalRedNamingIt()
    {
        var live = Databases.Seeded();
        var backups = NewFolder("drift-backups");
        BackupWriter.Backup(TestServer.Run(), live, backups);
        Databases.Execute(live, "ALTER TABLE stocks_research.securities ADD COLUMN isin text");
        Databases.Execute(live, "ALTER TABLE stocks_research.securities ALTER COLUMN sector SET DEFAULT 'n/a'");
        var before = Databases.Fingerprint(live);
        var reports = NewFolder("drift-report");

        var run = BuildScript.Run("--target=Rehearsal", $"--database={live}", $"--backup-dir={backups}", $"--report-dir={reports}");

        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("column stocks_research.securities.isin: in live, missing in backup, missing in migrations"));
        Assert.That(run.Output, Does.Contain("column stocks_research.securities.sector: \"text null default 'n/a'::text\" in live; \"text null\" " +
            "in backup; \"text null\" in migrations"));
        Assert.That(run.Output, Does.Contain("Rehearsal FAILED: Schema identity:").And.Contain($"Report: {reports}/report.md"));
        var report = RehearsalReport.FromJson(File.ReadAllText(Path.Combine(reports, "report.json")));
        Assert.That(report.Status, Is.EqualTo(RehearsalStatus.Failed));
        Assert.That(report.SchemaDifferences, Has.Count.EqualTo(2));
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before), "the live database was only read");
        Assert.That(ScratchOf(live), Is.Empty);
    }

    [Test, Category("Fault")]
    public void ARehearsalKilledMidRestoreLeavesAScratchDatabaseThatTheNextRunRemoves()
    {
        var live = Databases.Medium;
        var run = BuildScript.Launch("--target=Rehearsal", $"--database={live}", $"--backup-dir={Databases.MediumBackup.Folder}",
            "--jobs=1", $"--report-dir={NewFolder("killed-report")}");
        Assert.That(run.WaitForOutput("Restore: pg_restore --jobs=1", TimeSpan.FromMinutes(1)), Is.True, run.OutputSoFar);
        // kill -9 of the whole run (dotnet and its pg_restore): nothing gets to clean up.
        run.Process.Kill(entireProcessTree: true);
        run.Process.WaitForExit();
        var left = ScratchOf(live);
        Assert.That(left, Has.Count.EqualTo(1), "the killed run left its restore target");

        var next = BuildScript.Run("--target=Rehearsal", $"--database={live}", $"--backup-dir={Databases.MediumBackup.Folder}",
            $"--report-dir={NewFolder("next-report")}");

        Assert.That(next.ExitCode, Is.Zero, next.ToString());
        Assert.That(next.Output,
            Does.Match($"removed leftover scratch database \"{left[0]}\" of a rehearsal that did not finish \\([0-9.]+s ago\\)"));
        Assert.That(ScratchOf(live), Is.Empty);
    }

    [Test]
    public void ARehearsalNeverRemovesTheScratchDatabaseOfARehearsalStillRunning()
    {
        var live = Databases.Medium;
        var first = BuildScript.Launch("--target=Rehearsal", $"--database={live}", $"--backup-dir={Databases.MediumBackup.Folder}",
            "--jobs=1", $"--report-dir={NewFolder("first-report")}");
        Assert.That(first.WaitForOutput("Restore: pg_restore --jobs=1", TimeSpan.FromMinutes(1)), Is.True, first.OutputSoFar);
        var running = ScratchOf(live).Single();

        var second = RecoveryRehearsal.Run(TestServer.Run(), new RehearsalOptions { Database = live, BackupDirectory = Databases.MediumBackup.Folder,
            ReportDirectory = NewFolder("second-report") });
        var result = first.Finish();

        Assert.That(second.Checks.Single(c => c.Name == "Leftovers").Findings,
            Does.Contain($"kept \"{running}\": a rehearsal still running holds it"));
        Assert.That(second.Status, Is.EqualTo(RehearsalStatus.Passed), second.FailureSummary());
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(ScratchOf(live), Is.Empty);
    }

    [Test, Category("Fault")]
    public void SigtermDuringTheRehearsalRestoreDropsTheScratchDatabasesAndSaysSo()
    {
        var live = Databases.Medium;
        var reports = NewFolder("sigterm-report");
        var run = BuildScript.Launch("--target=Rehearsal", $"--database={live}", $"--backup-dir={Databases.MediumBackup.Folder}", "--jobs=1",
            $"--report-dir={reports}");
        var scratch = "";
        var result = run.TerminateDuringRestore(() => scratch = ScratchOf(live).Single());

        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.Output, Does.Contain($"Interrupted during Rehearsal: the live database \"{live}\" was only read, never changed; its " +
            $"scratch database(s) \"{scratch}\" were dropped"));
        Assert.That(result.Output, Does.Contain($"Rehearsal: dropped scratch database(s) \"{scratch}\""));
        Assert.That(ScratchOf(live), Is.Empty);
        Assert.That(RehearsalReport.FromJson(File.ReadAllText(Path.Combine(reports, "report.json"))).Status, Is.EqualTo(RehearsalStatus.Interrupted));
    }

    [Test]
    public void RestoreSwapKeepsLiveServingAClientThroughoutAndKeepsThePreviousCopy()
    {
        var live = Databases.Seeded();
        var backups = NewFolder("swap-backups");
        BackupWriter.Backup(TestServer.Run(), live, backups);
        // Written after the backup: in the previous copy after the swap, not in the restored one.
        Databases.Execute(live, "INSERT INTO stocks_research.securities (security_id, name, exchange, currency) VALUES (990001, 'After the " +
            "backup', 'XNYS', 'USD')");

        // A client querying by name all along, reconnecting when its session is ended, as an application would.
        var results = new List<(DateTime at, long? securities, string? error)>();
        using var stop = new CancellationTokenSource();
        var client = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var connection = new NpgsqlConnection(TestServer.Connection.ConnectionString(live));
                    connection.Open();
                    while (!stop.IsCancellationRequested)
                    {
                        using var command = new NpgsqlCommand("SELECT count(*) FROM stocks_research.securities", connection);
                        lock (results) results.Add((DateTime.UtcNow, (long)command.ExecuteScalar()!, null));
                        Thread.Sleep(10);
                    }
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
                {
                    lock (results) results.Add((DateTime.UtcNow, null, e.Message));
                    Thread.Sleep(10);
                }
            }
        });
        while (results.Count == 0) Thread.Sleep(10);

        var run = BuildScript.Run("--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup-dir={backups}");
        Thread.Sleep(300);
        stop.Cancel();
        client.Wait();

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var previous = SwapRestoreNames(live).Single();
        Assert.That(run.Output, Does.Contain($"the previous one is \"{previous}\"").And.Contain($"--target=DropPrevious --confirm={previous}"));
        Assert.That(run.Output, Does.Contain($"DropCreate: \"{live}_incoming_").And.Contain("does not exist; creating it"),
            "DropCreate creates the incoming database; the live one is never dropped");
        Assert.That(run.Output, Does.Contain($"Preflight: \"{live}\" exists: the backup is restored beside it"));

        // Old rows (41 securities) until the swap, restored ones (40) after; errors only at the swap, then served again.
        var answers = results.Where(r => r.securities is not null).Select(r => r.securities!.Value).ToList();
        Assert.That(answers.First(), Is.EqualTo(41));
        Assert.That(answers.Last(), Is.EqualTo(40));
        Assert.That(answers.SkipWhile(n => n == 41).All(n => n == 40), Is.True, "the client never went back to the old database");
        var firstNew = results.FindIndex(r => r.securities == 40);
        var errors = results.Where(r => r.error is not null).ToList();
        TestContext.Out.WriteLine($"client: {answers.Count} answers, {errors.Count} error(s)" +
            (errors.Count == 0 ? "" : $" within {(errors.Last().at - errors.First().at).TotalMilliseconds:0} ms: " +
                $"{string.Join("; ", errors.Select(e => e.error).Distinct())}"));
        Assert.That(results.Take(results.FindLastIndex(r => r.securities == 41) + 1).Where(r => r.error is not null), Is.Empty,
            "no error while the backup was restored and validated");
        Assert.That(errors.Count == 0 || errors.Last().at - errors.First().at < TimeSpan.FromSeconds(5), Is.True,
            $"unavailable only around the swap: {string.Join("; ", errors.Select(e => e.error).Distinct())}");
        Assert.That(results.Skip(firstNew).Count(r => r.securities == 40), Is.GreaterThan(1), "served after the swap");

        Assert.That(Databases.Scalar<long>(previous, "SELECT count(*) FROM stocks_research.securities WHERE security_id = 990001"), Is.EqualTo(1));
        Assert.That(Databases.Scalar<long>(live, "SELECT count(*) FROM stocks_research.securities WHERE security_id = 990001"), Is.Zero);

        var refused = BuildScript.Run("--target=DropPrevious", $"--database={live}");
        Assert.That(refused.ExitCode, Is.Not.Zero);
        Assert.That(refused.Output, Does.Contain($"name it with --confirm=<name> (there is \"{previous}\")"));
        Assert.That(Databases.Exists(previous), Is.True);
        var dropped = BuildScript.Run("--target=DropPrevious", $"--database={live}", $"--confirm={previous}");
        Assert.That(dropped.ExitCode, Is.Zero, dropped.ToString());
        Assert.That(Databases.Exists(previous), Is.False);
    }

    [Test, Category("Fault")]
    public void RestoreSwapThatFailsValidationLeavesLiveUntouchedAndDropsTheNewDatabase()
    {
        var live = Databases.Seeded();
        var backups = NewFolder("swap-bad-backups");
        var backup = BackupWriter.Backup(TestServer.Run(), live, backups);
        // The manifest promises a row the backup does not hold: Validate fails after the restore, before the swap.
        var manifest = BackupName.ManifestPathFor(backup);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"stocks_research.securities\": 40", "\"stocks_research.securities\": 41"));
        var before = Databases.Fingerprint(live);
        // What a --swap run killed with kill -9 leaves: its new database, which the next --swap run removes.
        var leftover = StocksRebuild.Restore.SwapRestore.IncomingName(live, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Databases.Admin.DropCreate(leftover, Consent.None, new TestLog());

        var run = BuildScript.Run("--target=Restore", $"--database={live}", $"--confirm={live}", $"--backup-dir={backups}");

        Assert.That(run.ExitCode, Is.Not.Zero);
        Assert.That(run.Output, Does.Contain("= manifest stocks_research.securities: 40 rows here, 41 in the manifest"));
        Assert.That(run.Output, Does.Contain($"\"{live}\" was not touched and kept serving"));
        Assert.That(run.Output, Does.Contain($"removed \"{leftover}\", the incoming database of an earlier Restore that did not finish"));
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before));
        Assert.That(Databases.Admin.WithPrefix(live + "_incoming_"), Is.Empty);
        Assert.That(SwapRestoreNames(live), Is.Empty);
    }

    [Test, Category("BadInput")]
    public void RestoreSwapWithoutConsentIsRefusedAndLeavesNothingBehind()
    {
        var (live, backup) = Databases.SourceWithBackup;
        var before = Databases.Fingerprint(live);

        var run = BuildScript.Run("--target=Restore", "--swap", $"--database={live}", $"--backup={backup}");

        Assert.That(run.ExitCode, Is.Not.Zero);
        Assert.That(run.Output, Does.Contain($"Restore would end every session on and replace (keeping it as <db>_previous_<utc>) the live " +
            $"database \"{live}\". Re-run with --confirm={live}"));
        Assert.That(Databases.Fingerprint(live), Is.EqualTo(before));
        Assert.That(Databases.Admin.WithPrefix(live + "_incoming_"), Is.Empty);
    }

    [Test, Category("BadInput")]
    public void SwapWithAnotherTargetThanRestoreIsRefusedBeforeAnythingRuns()
    {
        var run = BuildScript.Run("--target=ColdRebuild", "--swap", "--database=never_created_swap");
        Assert.That(run.ExitCode, Is.Not.Zero);
        Assert.That(run.Output, Does.Contain("--swap goes with --target=Restore, not --target=ColdRebuild."));
        Assert.That(Databases.Exists("never_created_swap"), Is.False);
    }

    static IReadOnlyList<string> SwapRestoreNames(string live) => StocksRebuild.Restore.SwapRestore.Previous(TestServer.Run(), live);
}
