using FunctionSpace.Ising.Cli;
using FunctionSpace.Ising.Pipeline;
using FunctionSpace.Ising.Tests.Data;

namespace FunctionSpace.Ising.Tests.Pipeline;

/// <summary>
/// <c>fsi landscape</c> and the run's landscape stage are one analysis: given the run's fitted models, ensemble and
/// landscape settings, the command writes the same files, byte for byte, as the stage.
/// </summary>
public class LandscapeStageEquivalenceTests
{
    [Fact]
    public void Fsi_landscape_with_the_runs_settings_writes_what_the_runs_landscape_stage_wrote()
    {
        using var data = new TempDirectory();
        using var cache = new TempDirectory();
        using var runs = new TempDirectory();
        using var cli = new TempDirectory();
        data.SyntheticIdx(300, 80);
        var landscape = new LandscapeConfig(XMin: -0.5, XMax: 2, Points: 8, TapStarts: 0, DynamicsSweeps: 0, IsoEnergyPoints: 3);
        var config = new RunConfig("t", "quick", ["shallow"], 7, 4, data.Path,
            new CollectConfig(Networks: 6, Samples: 12, Threshold: 0.0, Epochs: 2, BlockSize: 2, TrainCount: 300),
            new FitConfig(MaxIterations: 20, McSamples: 200, Triplets: 50),
            landscape, Statistics: new StatisticsConfig(SplitHalf: false)).Validate();
        var run = RunPipeline.Run(config, Path.Combine(runs.Path, "r"), cache.Path, TextWriter.Null);
        string scenario = Path.Combine(run.RunDirectory, "shallow");
        string stem = Path.Combine(scenario, "fit", "FULL_mc");
        Assert.True(File.Exists(stem + ".J.npy"), "the run's FULL fit");

        string outDir = Path.Combine(cli.Path, "out");
        var stderr = new StringWriter();
        int code = CliApp.Run(["landscape", "--model", stem, "--ensemble", Path.Combine(scenario, "ensemble.fsie"), "--part", "FULL",
            "--reference", "lowest,median,highest", "--x-range", "-0.5:2", "--points", "8", "--iso-energy-points", "3", "-o", outDir, "--quiet"],
            new StringWriter(), stderr);
        Assert.True(code == 0, stderr.ToString());

        string stageDir = Path.Combine(scenario, "landscape");
        var stageCsvs = Directory.EnumerateFiles(stageDir, "*.csv", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(stageDir, f)).Order().ToArray();
        Assert.Contains(Path.Combine("lowest", "landscape.csv"), stageCsvs);
        Assert.Contains(Path.Combine("lowest", "iso_energy.csv"), stageCsvs);
        foreach (string relative in stageCsvs)
            Assert.True(File.ReadAllBytes(Path.Combine(stageDir, relative)).SequenceEqual(File.ReadAllBytes(Path.Combine(outDir, relative))), relative);
        // The findings of each reference: the same sweeps, the same proven jumps and loops.
        var stageJson = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(stageDir, "landscape.json")))!.AsArray();
        var cliJson = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "landscape.json")))!.AsArray();
        Assert.Equal(stageJson.Count, cliJson.Count);
        for (int r = 0; r < stageJson.Count; r++)
        {
            // The labels name the scenario ("shallow") and the model file ("FULL_mc") respectively; the reference is the same.
            static string Reference(System.Text.Json.Nodes.JsonNode entry) => entry["label"]!.GetValue<string>().Split(", ", 2)[1];
            Assert.Equal(Reference(stageJson[r]!), Reference(cliJson[r]!));
            Assert.Equal(stageJson[r]!["findings"]!.ToJsonString(), cliJson[r]!["findings"]!.ToJsonString());
            Assert.Equal(stageJson[r]!["bp_sweeps"]!.ToJsonString(), cliJson[r]!["bp_sweeps"]!.ToJsonString());
        }
    }
}
