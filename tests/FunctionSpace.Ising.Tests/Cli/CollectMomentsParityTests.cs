using System.Globalization;
using System.Text.Json.Nodes;
using FunctionSpace.Ising.Pipeline;
using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Tests.Data;

namespace FunctionSpace.Ising.Tests.Cli;

/// <summary>
/// <c>fsi collect</c> and <c>fsi moments</c> against the run's collect and moments stages: given the same inputs and the
/// settings the run maps its configuration onto, they must write the same files (one code path each).
/// </summary>
public class CollectMomentsParityTests
{
    [Fact]
    public void Fsi_collect_and_fsi_moments_write_the_files_of_the_runs_collect_and_moments_stages()
    {
        using var data = new TempDirectory();
        using var cache = new TempDirectory();
        using var runs = new TempDirectory();
        using var cli = new TempDirectory();
        data.SyntheticIdx(300, 80);
        const ulong seed = 7;
        var config = new RunConfig("t", "quick", ["shallow"], seed, 4, data.Path,
            new CollectConfig(Networks: 4, Samples: 5, Threshold: 0.0, Selection: "all", Epochs: 1, BlockSize: 2, TrainCount: 300),
            new FitConfig(MaxIterations: 2, McSamples: 50, Triplets: 40),
            new LandscapeConfig(XMin: -0.5, XMax: 1, Points: 4, TapStarts: 0, DynamicsSweeps: 0),
            Statistics: new StatisticsConfig(BootstrapReplicates: 20, SplitHalf: false)).Validate();
        var run = RunPipeline.Run(config, Path.Combine(runs.Path, "r"), cache.Path, TextWriter.Null);
        string scenario = Path.Combine(run.RunDirectory, "shallow");

        // The collection: the run's settings for the scenario as options (its seed is the scenario's collect stream).
        var c = CultureInfo.InvariantCulture;
        string ensemble = cli.File("ensemble.fsie"), summary = cli.File("summary");
        var (exit, _, stderr) = CliHarness.Run("collect", "--scenario", "shallow", "--data-dir", data.Path, "--cache-dir", cache.Path,
            "--components", "4", "--networks", "4", "--samples", "5", "--threshold", "0", "--select", "all", "--epochs", "1", "--block", "2",
            "--train-count", "300", "--seed", RunPipeline.DerivedSeed(seed, "shallow", SeedStreams.Collect).ToString(c), "--created", "0",
            "--out", ensemble, "--summary-dir", summary, "--threads", "1", "--quiet");
        Assert.True(exit == 0, stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(scenario, RunPipeline.EnsembleFile)), File.ReadAllBytes(ensemble));
        Assert.Equal(File.ReadAllBytes(Path.Combine(scenario, "accuracy.csv")), File.ReadAllBytes(Path.Combine(summary, "accuracy.csv")));
        // collect.json: identical but for the wall times.
        Assert.Equal(Without(Path.Combine(scenario, "collect.json"), "train_seconds", "evaluate_seconds"),
            Without(Path.Combine(summary, "collect.json"), "train_seconds", "evaluate_seconds"));

        // The moments of the run's ensemble with the run's statistics, seeded from the scenario's node of the seed tree.
        string stem = cli.File("moments");
        (exit, _, stderr) = CliHarness.Run("moments", "--ensemble", Path.Combine(scenario, RunPipeline.EnsembleFile), "--triplets", "40",
            "--bootstrap", "20", "--seed", new SeedTree(seed).Child("shallow").Seed.ToString(c), "-o", stem, "--quiet");
        Assert.True(exit == 0, stderr);
        var runFiles = Directory.GetFiles(Path.Combine(scenario, "moments")).Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(runFiles, Directory.GetFiles(cli.Path, "moments*").Select(f => Path.GetFileName(f)).Order().ToArray());
        Assert.Contains("moments.triplets.npy", runFiles);
        Assert.Contains("moments.noise.C.npy", runFiles);
        foreach (string file in runFiles)
        {
            string a = Path.Combine(scenario, "moments", file), b = Path.Combine(cli.Path, file);
            if (file.EndsWith(".npy", StringComparison.Ordinal)) Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
            // The JSON names its source (a path relative to the run, or the full path given) and when it was written.
            else Assert.Equal(Without(a, "source", "created_utc"), Without(b, "source", "created_utc"));
        }
    }

    private static string Without(string jsonPath, params string[] keys)
    {
        var node = JsonNode.Parse(File.ReadAllText(jsonPath))!.AsObject();
        foreach (string key in keys) node.Remove(key);
        return node.ToJsonString();
    }
}
