using System.Text.Json;
using System.Text.Json.Serialization;
using FunctionSpace.Ising.Inverse;

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
    int? Epochs = null, int BlockSize = 64, int? TrainCount = null)
{
    /// <summary>Checks every value; a bad one gives a one-line error naming its option and configuration key.</summary>
    public CollectConfig Validate()
    {
        if (Networks < 1) throw Bad("--networks", "collect.networks", $"{Networks} must be at least 1");
        if (Samples < 1) throw Bad("--samples", "collect.samples", $"{Samples} must be at least 1");
        if (!(Threshold >= 0 && Threshold <= 1)) throw Bad("--threshold", "collect.threshold", $"{Threshold} is outside 0..1");
        if (Selection is not ("all" or "best")) throw Bad(null, "collect.selection", $"'{IO.MessageText.Excerpt(Selection)}' is not all or best");
        if (Epochs is < 1 or > Training.MeanFieldOptions.MaxEpochs) throw Bad("--epochs", "collect.epochs", $"{Epochs} is outside 1..{Training.MeanFieldOptions.MaxEpochs}");
        if (BlockSize < 1) throw Bad(null, "collect.block_size", $"{BlockSize} must be at least 1");
        if (TrainCount is < 1) throw Bad(null, "collect.train_count", $"{TrainCount} must be at least 1");
        return this;
    }

    internal static InputException Bad(string? option, string key, string problem) =>
        new($"{(option is null ? key : $"{option} ({key})")}: {problem}");
}

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
    string Init = FitDefaults.Init, double L2 = 0, double L1 = 0, string? Penalty = null, int Folds = FitDefaults.Folds)
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
    public FitSettings ToSettings(FitInput input, IReadOnlyList<string> parts, ulong seed) =>
        new(input, parts)
        {
            Method = FitNames.ParseMethod(Method, "fit.method"),
            Init = FitNames.ParseInit(Init, "fit.init"),
            Fit = new FitOptions(MaxIterations: MaxIterations, RmseTolerance: RmseTolerance, L2: L2, L1: L1),
            Seed = seed,
            MonteCarlo = FitDefaults.Verification(seed) with { Samples = Math.Max(0, McSamples) },
            Penalty = PenaltyKind,
            FoldCount = Folds,
        };

    /// <summary>Checks every value; a bad one gives a one-line error naming its option and configuration key.</summary>
    public FitConfig Validate()
    {
        foreach (string? part in Parts ?? [])
            if (part is null || !new[] { "FULL", "LB", "ITER", "RB" }.Contains(part, StringComparer.OrdinalIgnoreCase))
                throw CollectConfig.Bad(null, "fit.parts", $"'{IO.MessageText.Excerpt(part ?? "null")}' is not one of FULL, LB, ITER, RB");
        if (Method is null || !FitNames.Methods.Contains(Method))
            throw CollectConfig.Bad("--method", "fit.method", $"'{IO.MessageText.Excerpt(Method ?? "null")}' is not one of {string.Join(", ", FitNames.Methods)}");
        if (Init is null || !FitNames.Inits.Contains(Init))
            throw CollectConfig.Bad(null, "fit.init", $"'{IO.MessageText.Excerpt(Init ?? "null")}' is not one of {string.Join(", ", FitNames.Inits)}");
        if (MaxIterations < 1) throw CollectConfig.Bad("--fit-max-iterations", "fit.max_iterations", $"{MaxIterations} must be at least 1");
        if (!(RmseTolerance > 0 && double.IsFinite(RmseTolerance))) throw CollectConfig.Bad(null, "fit.rmse_tolerance", $"{RmseTolerance} must be a positive number");
        if (McSamples < 0) throw CollectConfig.Bad(null, "fit.mc_samples", $"{McSamples} must not be negative (0 skips the check)");
        if (Triplets is < 0 or > MaxTriplets) throw CollectConfig.Bad(null, "fit.triplets", $"{Triplets} is outside 0..{MaxTriplets}");
        if (!(L2 >= 0 && double.IsFinite(L2))) throw CollectConfig.Bad(null, "fit.l2", $"{L2} must be a non-negative number");
        if (!(L1 >= 0 && double.IsFinite(L1))) throw CollectConfig.Bad(null, "fit.l1", $"{L1} must be a non-negative number");
        if (Penalty is not (null or "none" or "l2" or "l1")) throw CollectConfig.Bad(null, "fit.penalty", $"'{IO.MessageText.Excerpt(Penalty)}' is not none, l2 or l1");
        if (Folds < 2) throw CollectConfig.Bad(null, "fit.folds", $"{Folds} must be at least 2");
        return this;
    }

    /// <summary>Most sampled triplets of the three-point check (<see cref="Ensembles.EnsembleMomentsSettings.MaxTriplets"/>).</summary>
    public const int MaxTriplets = Ensembles.EnsembleMomentsSettings.MaxTriplets;
}

/// <summary>Landscape settings of a run.</summary>
/// <param name="XMin">Lowest coupling field of the sweep.</param>
/// <param name="XMax">Highest coupling field.</param>
/// <param name="Points">Points per sweep direction.</param>
/// <param name="References">lowest, median, highest, or ensemble indices.</param>
/// <param name="TapStarts">Random starts of the TAP free-energy histogram (0: skip).</param>
/// <param name="DynamicsSweeps">Metropolis sweeps of the dynamics from each reference (0: skip).</param>
/// <param name="DynamicsReferences">References the dynamics averages over.</param>
/// <param name="IsoEnergyPoints">Distances on the iso-energy curve per part and reference (0: skip). The standard and quick
/// presets skip it: at 2,048 networks one curve of 15 distances costs the FULL model 30–45 s (each distance a Newton
/// solve in (β, x) with BP at every trial point), twelve curves several minutes.</param>
public sealed record LandscapeConfig(double XMin = Landscape.LandscapeSettings.DefaultXMin, double XMax = Landscape.LandscapeSettings.DefaultXMax,
    int Points = Landscape.LandscapeSettings.DefaultPoints, string[]? References = null,
    int TapStarts = 200, int DynamicsSweeps = 100, int DynamicsReferences = 5,
    int IsoEnergyPoints = Landscape.LandscapeJobSettings.DefaultIsoEnergyPoints)
{
    /// <summary>The settings of the landscape analysis (<see cref="Landscape.LandscapeJob"/>) these values choose.</summary>
    public Landscape.LandscapeJobSettings ToJobSettings() =>
        new(new Landscape.LandscapeSettings(XMin, XMax, Points), ReferenceList.Select(r => Landscape.ReferenceChoice.Parse(r, "landscape.references")).ToArray(),
            IsoEnergyPoints);

    /// <summary>The references, defaulting to lowest, median, highest.</summary>
    [JsonIgnore] public IReadOnlyList<string> ReferenceList => References ?? ["lowest", "median", "highest"];

    /// <summary>Checks every value; a bad one gives a one-line error naming its option and configuration key.</summary>
    public LandscapeConfig Validate()
    {
        if (!double.IsFinite(XMin) || !double.IsFinite(XMax) || Math.Abs(XMin) > Landscape.LandscapeSettings.MaxField || Math.Abs(XMax) > Landscape.LandscapeSettings.MaxField)
            throw CollectConfig.Bad("--x-range", "landscape.x_min/x_max", $"{IO.MessageText.Number(XMin)}:{IO.MessageText.Number(XMax)} must lie within ±{Landscape.LandscapeSettings.MaxField}");
        if (!(XMax > XMin)) throw CollectConfig.Bad("--x-range", "landscape.x_min/x_max", $"max {IO.MessageText.Number(XMax)} must exceed min {IO.MessageText.Number(XMin)}");
        if (Points is < 3 or > 100_000) throw CollectConfig.Bad("--points", "landscape.points", $"{Points} is outside 3..100000");
        foreach (string? reference in References ?? [])
        {
            if (reference is null) throw CollectConfig.Bad(null, "landscape.references", "null is not lowest, median, highest or an index");
            Landscape.ReferenceChoice.Parse(reference, "landscape.references");
        }
        if (TapStarts is < 0 or > 10_000_000) throw CollectConfig.Bad("--tap-starts", "landscape.tap_starts", $"{TapStarts} is outside 0..10000000 (0 skips the census)");
        if (DynamicsSweeps is < 0 or > 100_000_000) throw CollectConfig.Bad("--dynamics-sweeps", "landscape.dynamics_sweeps", $"{DynamicsSweeps} is outside 0..100000000 (0 skips the dynamics)");
        if (IsoEnergyPoints is < 0 or > 10_000) throw CollectConfig.Bad(null, "landscape.iso_energy_points", $"{IsoEnergyPoints} is outside 0..10000 (0 skips the curve)");
        if (DynamicsReferences is < 1 or > 100_000) throw CollectConfig.Bad(null, "landscape.dynamics_references", $"{DynamicsReferences} is outside 1..100000");
        return this;
    }
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
/// <param name="AllowMissingShards">Accept <paramref name="FromEnsembles"/> that do not make up their whole collection (an explicit request; without it an incomplete set of shards is an error).</param>
public sealed record RunConfig(string Name, string Preset, string[] Scenarios, ulong Seed, int Components, string? DataDir,
    CollectConfig Collect, FitConfig Fit, LandscapeConfig Landscape, string[]? FromEnsembles = null, StatisticsConfig? Statistics = null,
    bool AllowMissingShards = false)
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
    /// default) is the largest size that finishes within 15 minutes on 2 cores: there every fit reaches the data's noise
    /// floor and the shallow net's transition and the deep interior's liquidity are settled, while the order of the deep
    /// boundary layers is not yet (docs/collect.md, "Sizing the default run"); <c>quick</c> is a smoke test of every stage
    /// whose report says so; <c>paper</c> is the study's scale, one network per configuration of its published ensembles
    /// (2,000,000 for under; run its collection as shards).
    /// </summary>
    public static RunConfig FromPreset(string preset, IReadOnlyList<string> scenarios) => preset switch
    {
        "standard" => new RunConfig("standard", "standard", scenarios.ToArray(), 1, 20, null,
            new CollectConfig(Networks: 2048, Samples: 50, Selection: "best", Epochs: 20, BlockSize: 64),
            new FitConfig(Triplets: 2000),
            new LandscapeConfig(Points: 60, TapStarts: 200, DynamicsSweeps: 100, DynamicsReferences: 5, IsoEnergyPoints: 0),
            Statistics: new StatisticsConfig(Symmetrize: true, BootstrapReplicates: 200, SplitHalf: true)),
        "quick" => new RunConfig("quick", "quick", scenarios.ToArray(), 1, 20, null,
            new CollectConfig(Networks: 128, Samples: 50, Selection: "best", Epochs: 20, BlockSize: 64),
            new FitConfig(Triplets: 1000),
            new LandscapeConfig(Points: 60, TapStarts: 100, DynamicsSweeps: 60, DynamicsReferences: 4, IsoEnergyPoints: 0),
            Statistics: new StatisticsConfig(Symmetrize: true, BootstrapReplicates: 100, SplitHalf: true)),
        "paper" => new RunConfig("paper", "paper", scenarios.ToArray(), 1, 20, null,
            new CollectConfig(Networks: 2_000_000, Samples: 50, Selection: "best", BlockSize: 128),
            new FitConfig(Triplets: 10000),
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

    /// <summary>
    /// Checks every value, here and in the sections' own <c>Validate</c>; a bad one gives a one-line error naming its
    /// option and configuration key. The collection sizes are checked for every scenario before anything is written.
    /// </summary>
    public RunConfig Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || Name is "." or "..")
            throw new InputException($"--name (name): '{IO.MessageText.Excerpt(Name)}' is not a valid directory name");
        if (!KnownPresets.Contains(Preset)) throw new InputException($"--preset (preset): '{IO.MessageText.Excerpt(Preset)}' is not one of {string.Join(", ", KnownPresets)}");
        if (Scenarios is null || Scenarios.Length == 0) throw new InputException("--scenario (scenarios): none given");
        foreach (string? s in Scenarios)
            if (s is null || !KnownScenarios.Contains(s)) throw new InputException($"--scenario (scenarios): '{IO.MessageText.Excerpt(s ?? "null")}' is not one of under, over, shallow");
        if (Scenarios.Distinct().Count() != Scenarios.Length) throw new InputException($"--scenario (scenarios): '{string.Join(",", Scenarios)}' names a scenario twice");
        if (Components is < 1 or > 10_000) throw new InputException($"--components (components): {Components} is outside 1..10000");
        if (DataDir is { Length: 0 }) throw new InputException("--data-dir (data_dir): empty");
        if (Collect is null || Fit is null || Landscape is null)
            throw new InputException($"configuration: section '{(Collect is null ? "collect" : Fit is null ? "fit" : "landscape")}' is missing or null");
        if (FromEnsembles is { } files && (files.Length == 0 || files.Any(string.IsNullOrWhiteSpace)))
            throw new InputException("--from-ensembles (from_ensembles): an empty file name");
        Collect.Validate();
        Fit.Validate();
        Landscape.Validate();
        if (FromEnsembles is null)
            foreach (string scenario in Scenarios)
                Pipeline.RunPipeline.CollectionSettingsFor(this, scenario, "ensemble.fsie").ValidateSizes();
        return this;
    }

    /// <summary>The configuration as JSON (what config.json and the manifest hold).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a configuration file; unknown or malformed content is a one-line error naming the file.</summary>
    public static RunConfig Load(string path)
    {
        IO.InputFile.Require(path);
        try
        {
            // A null section or a missing required field is malformed input, found here rather than as a crash later.
            var options = new JsonSerializerOptions(Json)
            {
                UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
                RespectNullableAnnotations = true,
                RespectRequiredConstructorParameters = true,
            };
            var config = JsonSerializer.Deserialize<RunConfig>(File.ReadAllText(path), options)
                         ?? throw new InputException($"{path}: empty configuration");
            try
            {
                return config.Validate();
            }
            catch (InputException e)
            {
                throw new InputException($"{path}: {e.Message}", e);
            }
        }
        catch (JsonException e)
        {
            throw new InputException($"{path}: not a valid run configuration ({IO.MessageText.Excerpt(FirstLine(e.Message), 300)})", e);
        }
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
