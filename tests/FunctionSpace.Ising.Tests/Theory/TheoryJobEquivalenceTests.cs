using FunctionSpace.Ising.Cli;
using FunctionSpace.Ising.Theory;

namespace FunctionSpace.Ising.Tests.Theory;

/// <summary>The CLI and a direct library Run + Write of the same settings write the same files, byte for byte.</summary>
public class TheoryJobEquivalenceTests
{
    private static void Cli(string directory, params string[] args)
    {
        var stderr = new StringWriter();
        int code = CliApp.Run([.. args, "--out", directory, "--quiet"], new StringWriter(), stderr);
        Assert.True(code == CliApp.ExitOk, stderr.ToString());
    }

    [Fact]
    public void Dense_max_entropy()
    {
        using TempDirectory cli = new(), library = new();
        Cli(cli.Path, "theory", "dense", "--layers", "2", "--errors", "8", "--grid", "41", "--beta", "3");
        MaxEntropyStudy.Write(MaxEntropyStudy.Run(MaxEntropyStudySettings.Default with { Layers = 2, Errors = 8, Grid = 41, Beta = 3 }), library.Path);
        SameFiles.Assert(cli.Path, library.Path);
    }

    [Fact]
    public void Sparse_majority_with_its_defaults_but_the_grid()
    {
        using TempDirectory cli = new(), library = new();
        Cli(cli.Path, "theory", "sparse", "--points", "7", "--layers", "12");
        SparseMajorityStudy.Write(SparseMajorityStudy.Run(SparseMajorityStudySettings.Default with { Points = 7, Layers = 12 }), library.Path);
        SameFiles.Assert(cli.Path, library.Path);
    }

    [Fact]
    public void Sparse_and_dense_boolean_functions()
    {
        using TempDirectory cli = new(), library = new(), denseCli = new(), denseLibrary = new();
        Cli(cli.Path, "theory", "boolean", "--gate", "xor", "--k", "2", "--layers", "3", "--p", "0", "0.2", "--negations");
        BooleanFunctionStudy.Write(BooleanFunctionStudy.Run(BooleanFunctionStudySettings.Default with
            { Gate = "xor", FanIn = 2, Layers = 3, Probabilities = [0, 0.2], Negations = true }), library.Path);
        SameFiles.Assert(cli.Path, library.Path);

        Cli(denseCli.Path, "theory", "boolean", "--model", "dense", "--layers", "2", "--width", "21", "--networks", "3", "--seed", "4");
        DenseBooleanStudy.Write(DenseBooleanStudy.Run(DenseBooleanStudySettings.Default with { Layers = 2, Widths = [21], Networks = 3, Seed = 4 }), denseLibrary.Path);
        SameFiles.Assert(denseCli.Path, denseLibrary.Path);
    }

    [Fact]
    public void Finite_size_simulations()
    {
        using TempDirectory cli = new(), library = new();
        Cli(cli.Path, "theory", "simulate", "--model", "sparse", "--width", "41", "--layers", "3", "--inputs", "4", "--repeats", "3", "--seed", "6");
        Cli(cli.Path, "theory", "simulate", "--width", "17", "--layers", "2", "--inputs", "2", "--repeats", "2", "--kind", "continuous", "--strength", "0.3", "--seed", "6");
        var sparse = SimulationStudySettings.Default with { Model = SimulatedModel.Sparse, Width = 41, Layers = 3, Inputs = 4, Repeats = 3, Seed = 6 };
        SimulationStudy.Write(SimulationStudy.Run(sparse), library.Path);
        var dense = SimulationStudySettings.Default with { Width = 17, Layers = 2, Inputs = 2, Repeats = 2, Kind = PerturbationKind.Continuous, Strength = 0.3, Seed = 6 };
        SimulationStudy.Write(SimulationStudy.Run(dense), library.Path);
        SameFiles.Assert(cli.Path, library.Path);
    }

    [Fact]
    public void Signal_propagation()
    {
        using TempDirectory cli = new(), library = new();
        Cli(cli.Path, "theory", "signal", "--points", "3", "--sigma-b", "1");
        SignalPropagationStudy.Write(SignalPropagationStudy.Run(SignalPropagationStudySettings.Default with { Points = 3, SigmaB = [1] }), library.Path);
        SameFiles.Assert(cli.Path, library.Path);
    }

    [Fact]
    public void Settings_name_the_option_they_reject()
    {
        Assert.Equal("--grid: 40 is outside 41..4001", Assert.Throws<InputException>(() => (MaxEntropyStudySettings.Default with { Grid = 40 }).Validate()).Message);
        Assert.Equal("--points: 2 is outside 3..10001", Assert.Throws<InputException>(() => (SparseMajorityStudySettings.Default with { Points = 2 }).Validate()).Message);
        Assert.Equal("--sigma-b: -1 must be non-negative", Assert.Throws<InputException>(() => (SignalPropagationStudySettings.Default with { SigmaB = [-1] }).Validate()).Message);
        Assert.Equal("--strength: 0.6 must lie in [0, 0.5] for the sparse model (p)",
            Assert.Throws<InputException>(() => (SimulationStudySettings.Default with { Model = SimulatedModel.Sparse, Strength = 0.6 }).Validate()).Message);
        Assert.Equal("--networks: 1 must be 0 (theory only) or at least 2", Assert.Throws<InputException>(() => (DenseBooleanStudySettings.Default with { Networks = 1 }).Validate()).Message);
    }
}

public class TheorySettingsJsonTests
{
    private static void RoundTrips<T>(T settings)
    {
        string json = TheorySettingsJson.Serialize(settings);
        Assert.Equal(json, TheorySettingsJson.Serialize(TheorySettingsJson.Deserialize<T>(json)));
    }

    [Fact]
    public void Every_job_s_settings_round_trip()
    {
        RoundTrips(MaxEntropyStudySettings.Default);
        RoundTrips(MaxEntropyStudySettings.Default with { Beta = 2.5 });
        RoundTrips(SparseMajorityStudySettings.Default with { Probabilities = [0.1] });
        RoundTrips(BooleanFunctionStudySettings.Default with { Gate = "xor", Negations = true });
        RoundTrips(DenseBooleanStudySettings.Default with { Weights = WeightDistribution.Binary, Widths = [33] });
        RoundTrips(SignalPropagationStudySettings.Default);
        RoundTrips(SimulationStudySettings.Default with { Model = SimulatedModel.Sparse, Seed = ulong.MaxValue });
        Assert.Contains("\"Beta\": \"Infinity\"", TheorySettingsJson.Serialize(MaxEntropyStudySettings.Default));
        Assert.Contains("\"Model\": \"Sparse\"", TheorySettingsJson.Serialize(SimulationStudySettings.Default with { Model = SimulatedModel.Sparse }));
        Assert.Equal(3, TheorySettingsJson.Deserialize<SparseMajorityStudySettings>("{\"FanIn\": 3}").FanIn);
        Assert.StartsWith("job.json: ", Assert.Throws<InputException>(() => TheorySettingsJson.Deserialize<SparseMajorityStudySettings>("{\"FanIn\": \"three\"}", "job.json")).Message);
    }
}
