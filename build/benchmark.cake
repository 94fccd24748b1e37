// Speed, measured against the bare PostgreSQL tools in the same run (issue: every step at least as fast).
using StocksRebuild.Benchmarks;

Task("Benchmark")
    .Description("Measure Ingest, Backup, Restore, Validate and the warm start against their baselines: [--securities=5000 --years=5] [--quick]")
    .Does<RunbookParameters>((ctx, p) =>
    {
        var report = new Benchmark(p.Server, p.MaintenanceDatabase, p.BenchmarkOptions, p.Log).Run();
        p.Log.Info(report.FormatTable());
        System.IO.Directory.CreateDirectory("artifacts/benchmark");
        System.IO.File.WriteAllText("artifacts/benchmark/benchmark.json", report.ToJson());
        System.IO.File.WriteAllText("artifacts/benchmark/benchmark.md", report.ToMarkdown());
        p.Log.Info("Benchmark: report in artifacts/benchmark/benchmark.md and .json");
        if (!report.Passed) throw new StocksRebuild.RunbookException("Benchmark: goals missed: " + string.Join(", ", report.Figures.Where(f => f.Passed == false).Select(f => f.Name)));
    });
