// Speed, measured against the bare PostgreSQL tools in the same run (issue: every step at least as fast).
using StocksRebuild.Benchmarks;

Task("Benchmark")
    .Description("Measure Ingest, Backup, Restore, Validate and the warm start against their baselines: [--securities=5000 --years=5] [--quick]")
    .Does<RunSession>((ctx, s) =>
    {
        var report = new Benchmark(s.Run, s.Settings.BenchmarkOptions).Run();
        s.Log.Info(report.FormatTable());
        System.IO.Directory.CreateDirectory("artifacts/benchmark");
        System.IO.File.WriteAllText("artifacts/benchmark/benchmark.json", report.ToJson());
        System.IO.File.WriteAllText("artifacts/benchmark/benchmark.md", report.ToMarkdown());
        s.Log.Info("Benchmark: report in artifacts/benchmark/benchmark.md and .json");
        var missed = report.Figures.Where(f => f.Passed == false).Select(f => f.Name);
        if (!report.Passed) throw new StocksRebuild.RunbookException("Benchmark: goals missed: " + string.Join(", ", missed));
    });
