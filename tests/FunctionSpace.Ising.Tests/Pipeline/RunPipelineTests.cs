using FunctionSpace.Ising.Pipeline;
using FunctionSpace.Ising.Tests.Data;

namespace FunctionSpace.Ising.Tests.Pipeline;

/// <summary>End-to-end runs of the pipeline on a small synthetic dataset and the shallow network (4-10, 40 spins).</summary>
public class RunPipelineTests
{
    private static RunConfig TinyConfig(string dataDir) => new RunConfig("t", "quick", ["shallow"], 7, 4, dataDir,
        new CollectConfig(Networks: 6, Samples: 12, Threshold: 0.0, Epochs: 2, BlockSize: 2, TrainCount: 300),
        new FitConfig(MaxIterations: 20, McSamples: 200, Triplets: 50),
        new LandscapeConfig(XMin: -0.5, XMax: 2, Points: 8, TapStarts: 8, DynamicsSweeps: 6, DynamicsReferences: 2)).Validate();

    private sealed class Fixture : IDisposable
    {
        public readonly TempDirectory Data = new(), Cache = new(), Runs = new();
        public Fixture() => Data.SyntheticIdx(300, 80);
        public RunResult Run(RunConfig config, string name, CancellationToken ct = default, IProgress<ProgressReport>? progress = null) =>
            RunPipeline.Run(config, Path.Combine(Runs.Path, name), Cache.Path, TextWriter.Null, progress, ct);
        public void Dispose() { Data.Dispose(); Cache.Dispose(); Runs.Dispose(); }
    }

    [Fact]
    public void Reruns_skip_everything_and_a_deleted_output_reruns_that_stage_and_later_ones()
    {
        using var f = new Fixture();
        var config = TinyConfig(f.Data.Path);
        string directory = Path.Combine(f.Runs.Path, "a");
        // A plan of a new run: every stage would run, and nothing is written (no run directory, no PCA cache).
        var fresh = RunPipeline.Plan(config, directory, f.Cache.Path);
        Assert.Equal(RunPipeline.StageNames(config), fresh.Select(p => p.Name));
        Assert.All(fresh, p => Assert.False(p.Cached));
        Assert.False(Directory.Exists(directory));
        Assert.Empty(Directory.EnumerateFileSystemEntries(f.Cache.Path));

        var first = f.Run(config, "a");
        Assert.All(first.Stages, s => Assert.Equal(StageOutcome.Ran, s.Outcome));
        Assert.Equal(RunPipeline.StageNames(config), first.Stages.Select(s => s.Stage));
        Assert.All(RunPipeline.Plan(config, directory, f.Cache.Path), p => Assert.True(p.Cached, p.Name));
        string report = File.ReadAllText(first.ReportPath);
        Assert.Contains("## Scenario `shallow`", report);
        Assert.Contains("![s(d)](shallow/landscape/lowest/entropy_vs_distance.png)", report);
        // The landscape findings as a table per reference, the TAP census in words, no prose in code blocks.
        Assert.Contains("| part | N | max gap to the bound (d ≤ 0.5) |", report);
        Assert.Contains("TAP starts converged", report);
        // The statistics a reader needs to trust the result: the sample size in networks, the noise floor of the
        // moments, the split-half check (6 networks: halves of 3), and the study's findings judged against the numbers.
        Assert.Contains("Effective sample size: **6 independently trained networks**", report);
        Assert.Matches(@"Mean overlap q between two networks: FULL -?\d\.\d{3}", report);
        Assert.Contains("noise floor (the RMSE a perfect model would show against these data, bootstrap over networks): FULL ", report);
        Assert.Contains("Split-half check (3 + 3 independently trained networks", report);
        Assert.Contains("![split-half gaps](shallow/split-half/split_half_gaps.png)", report);
        Assert.Contains("## The study's findings on this run", report);
        Assert.Matches(@"\| shallow: the whole network's d\(x\) jumps \(first order\) with hysteresis \| \d+ proven first-order jump\(s\), \d+ hysteresis loop\(s\) over 3 reference\(s\)[^|]* \| (\*\*holds\*\*|\*\*does not hold\*\*|not settled: [^|]+) \|", report);
        var split = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(first.RunDirectory, "shallow", "split-half", "split_half.json")))!;
        Assert.Equal(3, split["networks_a"]!.GetValue<int>());
        Assert.Equal("FULL", split["parts"]![0]!["part"]!.GetValue<string>());
        Assert.DoesNotContain("```", report);
        foreach (string image in new[] { "shallow/split-half/split_half_gaps.png", "shallow/split-half/A/landscape/entropy_vs_distance.png", "shallow/accuracy.png", "shallow/landscape/lowest/entropy_vs_distance.png", "shallow/tap/tap_histogram.png", "shallow/dynamics/dynamics_energy.png" })
            Assert.True(File.Exists(Path.Combine(first.RunDirectory, image)), image);

        var second = f.Run(config, "a");
        Assert.All(second.Stages.Where(s => s.Stage != "report"), s => Assert.Equal(StageOutcome.Skipped, s.Outcome));

        File.Delete(Path.Combine(first.RunDirectory, "shallow", "landscape", "lowest", "landscape.csv"));
        string manifestBefore = File.ReadAllText(Path.Combine(directory, "manifest.json"));
        var planned = RunPipeline.Plan(config, directory, f.Cache.Path);
        Assert.Equal(manifestBefore, File.ReadAllText(Path.Combine(directory, "manifest.json")));
        var log = new StringWriter();
        var third = RunPipeline.Run(config, directory, f.Cache.Path, log);
        // The same configuration ran before: what is left is what the remaining stages took then.
        Assert.Matches(@"\[shallow/landscape\] done in [0-9.]+ s; run ≈ \d+ (min \d+ )?s left \(as the last run of this configuration took\)", log.ToString());
        var ran = third.Stages.Where(s => s.Outcome == StageOutcome.Ran).Select(s => s.Stage).ToArray();
        Assert.Equal(new[] { "shallow/landscape", "shallow/split-half", "shallow/tap", "shallow/dynamics", "report" }, ran);
        // The plan said exactly that.
        Assert.Equal(ran, planned.Where(p => !p.Cached).Select(p => p.Name));

        var manifest = RunManifest.LoadOrNew(Path.Combine(first.RunDirectory, "manifest.json"));
        Assert.Equal(7UL, manifest.Config!["seed"]!.GetValue<ulong>());
        Assert.True(manifest.Versions.ContainsKey("TorchSharp"));
    }

    [Fact]
    public void An_interrupted_collection_resumes_without_losing_or_duplicating_configurations()
    {
        using var f = new Fixture();
        var config = TinyConfig(f.Data.Path) with { Landscape = new LandscapeConfig(Points: 4, TapStarts: 0, DynamicsSweeps: 0) };
        var reference = f.Run(config, "whole");

        using var cancel = new CancellationTokenSource();
        // Cancel once the collection has written its second block (of three).
        var watcher = new SynchronousProgress(r => { if (r.Stage == "collect" && r.Detail?.StartsWith("block 2/3,") == true) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => f.Run(config, "cut", cancel.Token, watcher));
        f.Run(config, "cut");
        Assert.Equal(File.ReadAllBytes(Path.Combine(reference.RunDirectory, "shallow", RunPipeline.EnsembleFile)),
            File.ReadAllBytes(Path.Combine(f.Runs.Path, "cut", "shallow", RunPipeline.EnsembleFile)));
    }

    [Fact]
    public void The_config_file_reproduces_the_run_and_bad_configs_are_one_line_errors()
    {
        using var dir = new TempDirectory();
        var config = RunConfig.FromPreset("quick", ["under", "shallow"]);
        File.WriteAllText(dir.File("c.json"), config.ToJson());
        Assert.Equal(config.ToJson(), RunConfig.Load(dir.File("c.json")).ToJson());
        File.WriteAllText(dir.File("bad.json"), config.ToJson().Replace("\"seed\"", "\"sead\""));
        var e = Assert.Throws<InputException>(() => RunConfig.Load(dir.File("bad.json")));
        Assert.StartsWith($"{dir.File("bad.json")}: not a valid run configuration (", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        Assert.Equal("--scenario: 'deep' is not one of under, over, shallow, all",
            Assert.Throws<InputException>(() => RunConfig.ParseScenarios("under,deep")).Message);
    }

    private sealed class SynchronousProgress(Action<ProgressReport> action) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport value) => action(value);
    }

    [Fact]
    public void The_time_left_is_the_last_computation_of_every_remaining_stage_or_nothing()
    {
        string[] order = ["data", "u/collect", "u/fit", "report"];
        var last = new Dictionary<string, double> { ["data"] = 1, ["u/collect"] = 40, ["u/fit"] = 80, ["report"] = 0.5 };
        Assert.Equal(80.5, RunPipeline.RemainingSeconds(order, "u/collect", last));
        Assert.Equal(0, RunPipeline.RemainingSeconds(order, "report", last));
        last.Remove("report");
        Assert.Null(RunPipeline.RemainingSeconds(order, "u/collect", last));
        Assert.Null(RunPipeline.RemainingSeconds(order, "elsewhere", last));
        Assert.Equal("59 s", RunPipeline.Duration(59.4));
        Assert.Equal("1 min 10 s", RunPipeline.Duration(70));
        Assert.Equal("2 h 05 min", RunPipeline.Duration(7500));
    }
}
