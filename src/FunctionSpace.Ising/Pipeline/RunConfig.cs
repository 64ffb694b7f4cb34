using System.Text.Json;
using System.Text.Json.Serialization;
using FunctionSpace.Ising.Inverse;

namespace FunctionSpace.Ising.Pipeline;

/// <summary>Collection settings of a run (null: the scenario's study default).</summary>
/// <param name="Networks">Networks trained per scenario.</param>
/// <param name="Samples">Configurations drawn from each trained network.</param>
/// <param name="Threshold">Minimal test accuracy of a kept configuration.</param>
/// <param name="Selection">all or best.</param>
/// <param name="Epochs">Training epochs (null: 50).</param>
/// <param name="BlockSize">Networks trained together as one batch.</param>
/// <param name="TrainCount">Training images (null: the scenario's).</param>
public sealed record CollectConfig(int Networks = 64, int Samples = 100, double Threshold = 0.0, string Selection = "all",
    int? Epochs = null, int BlockSize = 64, int? TrainCount = null);

/// <summary>
/// Fit settings of a run: the values a run may change; every one defaults to <see cref="FitDefaults"/>, the defaults of
/// <c>fsi fit</c>, and maps onto the same <see cref="FitSettings"/> (<see cref="ToSettings"/>).
/// </summary>
/// <param name="Parts">Sub-networks to fit (FULL, LB, ITER, RB; parts the architecture lacks are skipped).</param>
/// <param name="Method">Inverse method (<see cref="FitDefaults.Method"/>: Monte-Carlo learning; study, bp, pl, mf, nmf).</param>
/// <param name="MaxIterations">Learning-step cap.</param>
/// <param name="RmseTolerance">The learning stops once its verified, noise-corrected RMSE is at or below this.</param>
/// <param name="McSamples">Samples per chain of the final Monte-Carlo verification (0: skip).</param>
/// <param name="Triplets">Random triplets for the three-point check.</param>
/// <param name="Init">Start of the learning (zero, independent, best, tap, nmf).</param>
/// <param name="L2">L2 strength on J when no penalty is selected.</param>
/// <param name="L1">L1 strength on J when no penalty is selected.</param>
/// <param name="Penalty">l2 or l1: choose the penalty on J by held-out networks (null: use <paramref name="L2"/>, <paramref name="L1"/>).</param>
/// <param name="Folds">Groups of networks (by network id) for the held-out choice.</param>
public sealed record FitConfig(string[]? Parts = null, string Method = FitDefaults.Method, int MaxIterations = FitDefaults.MaxIterations,
    double RmseTolerance = FitDefaults.RmseTolerance, int McSamples = FitDefaults.VerificationSamples, int Triplets = 2000,
    string Init = FitDefaults.Init, double L2 = 0, double L1 = 0, string? Penalty = null, int Folds = 2)
{
    /// <summary>The parts, defaulting to all four.</summary>
    [JsonIgnore] public IReadOnlyList<string> PartList => Parts ?? ["FULL", "LB", "ITER", "RB"];

    /// <summary>The penalty kind, or null.</summary>
    [JsonIgnore] public PenaltyKind? PenaltyKind => Penalty switch
    {
        null or "none" => null,
        "l2" => Inverse.PenaltyKind.L2,
        "l1" => Inverse.PenaltyKind.L1,
        _ => throw new InputException($"fit.penalty: '{Penalty}' is not none, l2 or l1"),
    };

    /// <summary>The settings of <c>fsi fit</c> with this configuration's values.</summary>
    public FitSettings ToSettings(FitInput input, IReadOnlyList<string> parts, string? outputDirectory, ulong seed) =>
        new(input, parts, outputDirectory)
        {
            Method = Method,
            Init = Init,
            Fit = new FitOptions(MaxIterations: MaxIterations, RmseTolerance: RmseTolerance, L2: L2, L1: L1),
            Seed = seed,
            MonteCarlo = FitDefaults.Verification(seed) with { Samples = Math.Max(0, McSamples) },
            Penalty = PenaltyKind,
            FoldCount = Folds,
        };
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

/// <summary>
/// Everything that determines an <c>fsi run</c>. Written into <c>manifest.json</c> and <c>config.json</c>;
/// <c>fsi run --config config.json</c> reproduces the run exactly.
/// </summary>
/// <param name="Name">Run name: the directory under models/runs/.</param>
/// <param name="Preset">The preset the values started from (quick or paper).</param>
/// <param name="Scenarios">under, over, shallow.</param>
/// <param name="Seed">Master seed; every stage derives its seeds from it.</param>
/// <param name="Components">PCA components (the network input width).</param>
/// <param name="DataDir">IDX data directory (null: the embedded MNIST).</param>
/// <param name="Collect">Collection settings.</param>
/// <param name="Fit">Fit settings.</param>
/// <param name="Landscape">Landscape settings.</param>
/// <param name="FromEnsembles">Ensemble files (e.g. merged shards) to start from instead of collecting; the scenarios are read from their headers.</param>
public sealed record RunConfig(string Name, string Preset, string[] Scenarios, ulong Seed, int Components, string? DataDir,
    CollectConfig Collect, FitConfig Fit, LandscapeConfig Landscape, string[]? FromEnsembles = null)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The scenarios every run knows.</summary>
    public static readonly string[] KnownScenarios = ["under", "over", "shallow"];

    /// <summary>
    /// A preset. <c>quick</c> (the default) finishes in minutes on 2 cores and shows the qualitative picture;
    /// <c>paper</c> is the study's scale (2,000,000 / 1,000,000 / 500,000 configurations for under / over / shallow,
    /// reached by the network count × samples with threshold selection).
    /// </summary>
    public static RunConfig FromPreset(string preset, IReadOnlyList<string> scenarios) => preset switch
    {
        "quick" => new RunConfig("quick", "quick", scenarios.ToArray(), 1, 20, null,
            new CollectConfig(Networks: 64, Samples: 100, Threshold: 0.0, Epochs: 20, BlockSize: 64),
            new FitConfig(Triplets: 1000),
            new LandscapeConfig(Points: 60, TapStarts: 100, DynamicsSweeps: 60, DynamicsReferences: 4)),
        "paper" => new RunConfig("paper", "paper", scenarios.ToArray(), 1, 20, null,
            new CollectConfig(Networks: 20000, Samples: 100, Threshold: 0.0, BlockSize: 128),
            new FitConfig(Triplets: 10000),
            new LandscapeConfig(Points: 200, TapStarts: 1000, DynamicsSweeps: 400, DynamicsReferences: 20)),
        _ => throw new InputException($"--preset: '{preset}' is not one of quick, paper"),
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
        if (!FitPipeline.Methods.Contains(Fit.Method)) throw new InputException($"--method: '{Fit.Method}' is not one of {string.Join(", ", FitPipeline.Methods)}");
        if (Fit.Init is not ("zero" or "independent" or "best" or "tap" or "nmf")) throw new InputException($"fit.init: '{Fit.Init}' is not one of zero, independent, best, tap, nmf");
        if (Fit.MaxIterations < 1) throw new InputException($"fit.max_iterations: {Fit.MaxIterations} must be at least 1");
        if (!(Fit.RmseTolerance > 0)) throw new InputException($"fit.rmse_tolerance: {Fit.RmseTolerance} must be positive");
        if (!(Fit.L2 >= 0) || !(Fit.L1 >= 0)) throw new InputException($"fit.l2/l1: {Fit.L2}/{Fit.L1} must not be negative");
        if (Fit.Folds < 2) throw new InputException($"fit.folds: {Fit.Folds} must be at least 2");
        _ = Fit.PenaltyKind;
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
