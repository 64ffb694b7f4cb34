using System.Text.Json;
using System.Text.Json.Serialization;

namespace FunctionSpace.Ising.Pipeline;

/// <summary>Collection settings of a run (null: the scenario's study default).</summary>
/// <param name="Networks">Networks trained per scenario.</param>
/// <param name="Samples">Configurations drawn from each trained network (with <c>best</c>, the candidates of which the best is kept).</param>
/// <param name="Threshold">Minimal test accuracy of a kept configuration.</param>
/// <param name="Selection">best (the study's design: one configuration per independently trained network, the best of
/// <paramref name="Samples"/> on the test set) or all (every sample; samples of one trained network differ in about 1 % of
/// their weights, so they are not independent draws and the sample size stays the number of networks).</param>
/// <param name="Epochs">Training epochs (null: 50).</param>
/// <param name="BlockSize">Networks trained together as one batch.</param>
/// <param name="TrainCount">Training images (null: the scenario's).</param>
public sealed record CollectConfig(int Networks = 512, int Samples = 50, double Threshold = 0.0, string Selection = "best",
    int? Epochs = null, int BlockSize = 64, int? TrainCount = null);

/// <summary>Fit settings of a run.</summary>
/// <param name="Parts">Sub-networks to fit (FULL, LB, ITER, RB; parts the architecture lacks are skipped).</param>
/// <param name="Method">Inverse method: mc (persistent-chain Monte-Carlo Boltzmann learning; the default, since BP
/// moments are biased on these dense models), bp (Boltzmann learning with BP, the study's method), pl, mf (TAP inversion) or nmf.</param>
/// <param name="MaxIterations">Learning-step cap.</param>
/// <param name="RmseTolerance">Stop when the moment RMSE falls below this.</param>
/// <param name="McSamples">Monte-Carlo samples per chain for the independent verification (0: skip).</param>
/// <param name="Triplets">Random triplets for the three-point check.</param>
/// <param name="Refine">mc: finish the method's fit with persistent-chain Monte-Carlo learning; null: no second stage.</param>
/// <param name="RefineIterations">Steps of the refinement stage.</param>
/// <param name="Chains">Persistent chains of the Monte-Carlo learning.</param>
/// <param name="StepSize">Step size of the Monte-Carlo learning.</param>
/// <param name="Ridge">Ridge of its data-fixed preconditioner for the parts.</param>
/// <param name="FullRidge">Ridge for FULL, which starts from the fitted LB, ITER and RB blocks when they are fitted too.</param>
public sealed record FitConfig(string[]? Parts = null, string Method = "mc", int MaxIterations = 200, double RmseTolerance = 1e-3,
    int McSamples = 2000, int Triplets = 2000, string? Refine = null, int RefineIterations = 200, int Chains = 256,
    double StepSize = 0.3, double Ridge = 0.05, double FullRidge = 2.0)
{
    /// <summary>The parts, defaulting to all four.</summary>
    [JsonIgnore] public IReadOnlyList<string> PartList => Parts ?? ["FULL", "LB", "ITER", "RB"];
}

/// <summary>Landscape settings of a run.</summary>
/// <param name="XMin">Lowest coupling field of the sweep.</param>
/// <param name="XMax">Highest coupling field.</param>
/// <param name="Points">Points per sweep direction.</param>
/// <param name="References">lowest, median, highest, or ensemble indices.</param>
/// <param name="TapStarts">Random starts of the TAP free-energy histogram (0: skip).</param>
/// <param name="DynamicsSweeps">Metropolis sweeps of the dynamics from each reference (0: skip).</param>
/// <param name="DynamicsReferences">References the dynamics averages over.</param>
public sealed record LandscapeConfig(double XMin = -1.0, double XMax = 4.0, int Points = 100, string[]? References = null,
    int TapStarts = 200, int DynamicsSweeps = 100, int DynamicsReferences = 5)
{
    /// <summary>The references, defaulting to lowest, median, highest.</summary>
    [JsonIgnore] public IReadOnlyList<string> ReferenceList => References ?? ["lowest", "median", "highest"];
}

/// <summary>Sample-statistics settings of a run: how the moments are formed and how their noise is measured.</summary>
/// <param name="Symmetrize">Average the moments over relabellings of each hidden layer's units (exact orbit averages).
/// The study's ensemble is the hidden-node-permutation-symmetric distribution (one configuration per independently
/// trained network, unit labels arbitrary; its published moments are equal within each orbit to 0.001), and without
/// the averaging every label-dependent pair correlation of N networks carries noise ≈ 1/√N.</param>
/// <param name="BootstrapReplicates">Bootstrap replicates over networks for the data's noise floor (0: none).</param>
/// <param name="SplitHalf">Fit and analyse two disjoint halves of the networks and compare their landscapes: whether
/// the result is converged in the number of networks.</param>
public sealed record StatisticsConfig(bool Symmetrize = true, int BootstrapReplicates = 200, bool SplitHalf = true);

/// <summary>
/// Everything that determines an <c>fsi run</c>. Written into <c>manifest.json</c> and <c>config.json</c>;
/// <c>fsi run --config config.json</c> reproduces the run exactly.
/// </summary>
/// <param name="Name">Run name: the directory under models/runs/.</param>
/// <param name="Preset">The preset the values started from (standard, quick or paper).</param>
/// <param name="Scenarios">under, over, shallow.</param>
/// <param name="Seed">Master seed; every stage derives its seeds from it.</param>
/// <param name="Components">PCA components (the network input width).</param>
/// <param name="DataDir">IDX data directory (null: the embedded MNIST).</param>
/// <param name="Collect">Collection settings.</param>
/// <param name="Fit">Fit settings.</param>
/// <param name="Landscape">Landscape settings.</param>
/// <param name="FromEnsembles">Ensemble files (e.g. merged shards) to start from instead of collecting; the scenarios are read from their headers.</param>
/// <param name="Statistics">Sample-statistics settings (null: the defaults).</param>
public sealed record RunConfig(string Name, string Preset, string[] Scenarios, ulong Seed, int Components, string? DataDir,
    CollectConfig Collect, FitConfig Fit, LandscapeConfig Landscape, string[]? FromEnsembles = null, StatisticsConfig? Statistics = null)
{
    /// <summary>The sample-statistics settings, defaulting to <see cref="StatisticsConfig"/>'s.</summary>
    [JsonIgnore] public StatisticsConfig StatisticsOrDefault => Statistics ?? new StatisticsConfig();

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The scenarios every run knows.</summary>
    public static readonly string[] KnownScenarios = ["under", "over", "shallow"];

    /// <summary>The presets every run knows, the default first.</summary>
    public static readonly string[] KnownPresets = ["standard", "quick", "paper"];

    /// <summary>
    /// A preset. Every preset follows the study's collection design: one configuration per independently trained network
    /// (the best of 50 samples on the test set), moments averaged over hidden-node relabellings. <c>standard</c> (the
    /// default) is the smallest size at which the fits reach the data's noise floor and the two halves of the networks
    /// give the same landscapes (docs/collect.md, "Sizing the default run"); <c>quick</c> is a smoke test of every stage
    /// whose report says so; <c>paper</c> is the study's scale, one network per configuration of its published ensembles
    /// (2,000,000 for under; run its collection as shards).
    /// </summary>
    public static RunConfig FromPreset(string preset, IReadOnlyList<string> scenarios) => preset switch
    {
        "standard" => new RunConfig("standard", "standard", scenarios.ToArray(), 1, 20, null,
            new CollectConfig(Networks: 512, Samples: 50, Selection: "best", Epochs: 20, BlockSize: 64),
            new FitConfig(MaxIterations: 200, McSamples: 2000, Triplets: 2000, Chains: 256),
            new LandscapeConfig(Points: 100, TapStarts: 200, DynamicsSweeps: 100, DynamicsReferences: 5),
            Statistics: new StatisticsConfig(Symmetrize: true, BootstrapReplicates: 200, SplitHalf: true)),
        "quick" => new RunConfig("quick", "quick", scenarios.ToArray(), 1, 20, null,
            new CollectConfig(Networks: 128, Samples: 50, Selection: "best", Epochs: 20, BlockSize: 64),
            new FitConfig(MaxIterations: 100, McSamples: 1000, Triplets: 1000, Chains: 128),
            new LandscapeConfig(Points: 60, TapStarts: 100, DynamicsSweeps: 60, DynamicsReferences: 4),
            Statistics: new StatisticsConfig(Symmetrize: true, BootstrapReplicates: 100, SplitHalf: true)),
        "paper" => new RunConfig("paper", "paper", scenarios.ToArray(), 1, 20, null,
            new CollectConfig(Networks: 2_000_000, Samples: 50, Selection: "best", BlockSize: 128),
            new FitConfig(MaxIterations: 300, McSamples: 4000, Triplets: 10000, Chains: 256),
            new LandscapeConfig(Points: 200, TapStarts: 1000, DynamicsSweeps: 400, DynamicsReferences: 20),
            Statistics: new StatisticsConfig(Symmetrize: true, BootstrapReplicates: 200, SplitHalf: true)),
        _ => throw new InputException($"--preset: '{preset}' is not one of {string.Join(", ", KnownPresets)}"),
    };

    /// <summary>Expands "all" and validates scenario names.</summary>
    public static string[] ParseScenarios(string text)
    {
        if (text == "all") return KnownScenarios.ToArray();
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string name in names)
            if (!KnownScenarios.Contains(name)) throw new InputException($"--scenario: '{name}' is not one of under, over, shallow, all");
        if (names.Length == 0) throw new InputException("--scenario: empty");
        return names.Distinct().ToArray();
    }

    /// <summary>Checks every value; a bad one gives a one-line error naming it.</summary>
    public RunConfig Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || Name is "." or "..")
            throw new InputException($"--name: '{Name}' is not a valid directory name");
        if (Scenarios.Length == 0) throw new InputException("scenarios: none given");
        foreach (string s in Scenarios)
            if (!KnownScenarios.Contains(s)) throw new InputException($"scenarios: '{s}' is not one of under, over, shallow");
        if (Components < 1) throw new InputException($"--components: {Components} must be at least 1");
        if (Collect.Networks < 1) throw new InputException($"--networks: {Collect.Networks} must be at least 1");
        if (Collect.Samples < 1) throw new InputException($"--samples: {Collect.Samples} must be at least 1");
        if (!(Collect.Threshold >= 0 && Collect.Threshold <= 1)) throw new InputException($"--threshold: {Collect.Threshold} is outside 0..1");
        if (Collect.Selection is not ("all" or "best")) throw new InputException($"collect.selection: '{Collect.Selection}' is not all or best");
        if (Collect.Epochs is < 1) throw new InputException($"--epochs: {Collect.Epochs} must be at least 1");
        if (Fit.Method is not ("mc" or "bp" or "pl" or "mf" or "nmf" or "tap")) throw new InputException($"--method: '{Fit.Method}' is not one of mc, bp, pl, mf, nmf");
        if (Fit.Refine is not (null or "none" or "mc")) throw new InputException($"fit.refine: '{Fit.Refine}' is not none or mc");
        if (Fit.MaxIterations < 1) throw new InputException($"fit.max_iterations: {Fit.MaxIterations} must be at least 1");
        if (!(Landscape.XMax > Landscape.XMin)) throw new InputException($"--x-range: max {Landscape.XMax} must exceed min {Landscape.XMin}");
        if (Landscape.Points < 3) throw new InputException($"--points: {Landscape.Points} must be at least 3");
        return this;
    }

    /// <summary>The configuration as JSON (what config.json and the manifest hold).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a configuration file; unknown or malformed content is a one-line error naming the file.</summary>
    public static RunConfig Load(string path)
    {
        if (!File.Exists(path)) throw new InputException($"{path}: file not found");
        try
        {
            var options = new JsonSerializerOptions(Json) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };
            return JsonSerializer.Deserialize<RunConfig>(File.ReadAllText(path), options)
                   ?? throw new InputException($"{path}: empty configuration");
        }
        catch (JsonException e)
        {
            throw new InputException($"{path}: not a valid run configuration ({FirstLine(e.Message)})", e);
        }
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
