using System.Text.Json.Nodes;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Pipeline;
using FunctionSpace.Ising.Tests.Inverse;

namespace FunctionSpace.Ising.Tests.Cli;

/// <summary><c>fsi fit</c> and the fit stage of <c>fsi run</c> are one code path: the same moments and settings give the same files.</summary>
public class FitStageParityTests
{
    // Keys whose values are wall-clock times or dates: they differ between any two runs, so they are left out of the comparison.
    private static readonly HashSet<string> Timings = ["seconds", "created_utc", "estimate_seconds", "update_seconds", "check_seconds", "sample_seconds"];

    [Fact]
    public void Fit_and_the_run_fit_stage_write_the_same_files_for_the_same_moments_and_settings()
    {
        // 30 networks × 4 configurations of a planted N = 10 model, moments with a bootstrap over networks as the run
        // writes them. Both sides use every default of the fit except the step cap and the verification's samples (kept
        // small for the test) and the seed, given alike.
        const int networks = 30, per = 4, n = 10;
        var model = InverseTestModels.Random(n, 0.3, 0.3, 7);
        var spins = InverseTestModels.ExactSamples(model, networks * per, 11);
        var ids = Enumerable.Range(0, networks * per).Select(r => r / per).ToArray();
        var chunk = new EnsembleChunk(networks * per, n, spins, new float[networks * per], ids, new float[networks * per]);
        var moments = EnsembleMoments.Compute([chunk], n, null, new MomentsSettings { BootstrapReplicates = 20, BootstrapSeed = 3 }, "test");
        using var dir = new TempDirectory();
        string stem = dir.File("moments");
        EnsembleMoments.Write(moments, stem, new Dictionary<string, object?>());

        var (exit, _, err) = CliHarness.Run("fit", "--moments", stem, "--part", "FULL", "--max-iterations", "12", "--mc-samples", "60",
            "--seed", "5", "--quiet", "-o", dir.File("cli"));
        Assert.True(exit == 0, err);
        RunPipeline.FitStage(new FitConfig(Parts: ["FULL"], MaxIterations: 12, McSamples: 60), stem, ["FULL"], 5, ensemble: "unused",
            dir.File("stage"), progress: null, CancellationToken.None);

        var cli = Files(dir.File("cli"));
        Assert.Equal(cli, Files(dir.File("stage")));
        Assert.Contains("fit.json", cli);
        Assert.Contains(cli, f => f.EndsWith(".J.npy", StringComparison.Ordinal));
        foreach (string name in cli.Where(f => !f.EndsWith(".png", StringComparison.Ordinal) && !f.EndsWith(".svg", StringComparison.Ordinal)))
        {
            string a = Path.Combine(dir.File("cli"), name), b = Path.Combine(dir.File("stage"), name);
            if (name.EndsWith(".json", StringComparison.Ordinal))
                Assert.Equal(WithoutTimings(File.ReadAllText(a)), WithoutTimings(File.ReadAllText(b)));
            else
                Assert.True(File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b)), $"{name} differs");
        }
    }

    private static string[] Files(string directory) =>
        Directory.EnumerateFiles(directory).Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal).ToArray()!;

    // The JSON with every timing key removed, at any depth.
    private static string WithoutTimings(string json)
    {
        var node = JsonNode.Parse(json)!;
        Strip(node);
        return node.ToJsonString();
    }

    private static void Strip(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (string key in o.Select(p => p.Key).Where(Timings.Contains).ToArray()) o.Remove(key);
                foreach (var (_, value) in o) Strip(value);
                break;
            case JsonArray a:
                foreach (var item in a) Strip(item);
                break;
        }
    }
}
