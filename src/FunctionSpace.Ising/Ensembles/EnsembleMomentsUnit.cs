using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Randomness;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>
/// Settings of the moments of an ensemble as <c>fsi moments</c> and the run's moments stage form them: how many random
/// triplets, whether to average over hidden-node relabellings, how many bootstrap replicates, and the seed node from
/// which the triplets (<see cref="SeedStreams.Triplets"/>) and the bootstrap (<see cref="SeedStreams.Bootstrap"/>) descend.
/// </summary>
/// <param name="Triplets">Random triplets for three-point correlations (0: none).</param>
/// <param name="Symmetrize">Also the moments of the hidden-node-permutation-symmetric distribution (needs the architecture).</param>
/// <param name="BootstrapReplicates">Bootstrap replicates over networks for the noise floor (0: none).</param>
/// <param name="Seed">The seed node: <c>fsi moments --seed</c>, or the run's scenario node.</param>
public sealed record EnsembleMomentsSettings(int Triplets = EnsembleMomentsSettings.DefaultTriplets, bool Symmetrize = false,
    int BootstrapReplicates = BootstrapSettings.DefaultReplicates, ulong Seed = 1)
{
    /// <summary>Random triplets by default.</summary>
    public const int DefaultTriplets = 10000;

    /// <summary>Most triplets (their orbit averages and bootstrap copies must fit in memory).</summary>
    public const int MaxTriplets = 5_000_000;

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        if (Triplets is < 0 or > MaxTriplets) throw new InputException($"--triplets: {Triplets} is outside 0..{MaxTriplets}");
        ForSpins(0).Validate();
    }

    /// <summary>The seed node of the triplet draw.</summary>
    public SeedTree TripletSeeds => new SeedTree(Seed).Child(SeedStreams.Triplets);

    /// <summary>The seed of the bootstrap over networks.</summary>
    public ulong BootstrapSeed => new SeedTree(Seed).Child(SeedStreams.Bootstrap).Seed;

    /// <summary>The accumulation settings for configurations of <paramref name="spinCount"/> spins (the triplets drawn here).</summary>
    public MomentsSettings ForSpins(int spinCount) => new()
    {
        Triplets = TripletSampler.Sample(spinCount, Triplets, TripletSeeds),
        Symmetrize = Symmetrize,
        BootstrapReplicates = BootstrapReplicates,
        BootstrapSeed = BootstrapSeed,
    };
}

/// <summary>The configurations whose moments are computed.</summary>
/// <param name="Architecture">Their network (null for spins without one; then no symmetrisation).</param>
/// <param name="SpinCount">Spins per configuration.</param>
/// <param name="Chunks">The configurations, read lazily.</param>
/// <param name="Source">How the moments name their source.</param>
/// <param name="NetworkIdsKnown">False for spins without network ids (each row its own network).</param>
/// <param name="Shards">Which shards of a collection the ensembles are (null when not known).</param>
public sealed record MomentsInput(Architecture? Architecture, int SpinCount, IEnumerable<EnsembleChunk> Chunks, string Source,
    bool NetworkIdsKnown, string? Shards)
{
    /// <summary>
    /// One or more ensemble files (shards merge exactly), restricted to the networks <paramref name="networkFilter"/>
    /// accepts when given; <paramref name="source"/> labels them (null: their full paths). Which shards of their
    /// collection they are is read from their headers (whether an incomplete set is acceptable is the caller's decision).
    /// </summary>
    public static MomentsInput FromEnsembles(IReadOnlyList<string> paths, string? source = null, Func<int, bool>? networkFilter = null, CancellationToken ct = default)
    {
        string shards = EnsembleSet.Open(paths, allowMissingShards: true).Shards.ToString();
        var (architecture, chunks) = EnsembleMoments.OpenEnsembles(paths, ct);
        if (networkFilter != null) chunks = chunks.Select(c => c.Where(networkFilter)).Where(c => c.Count > 0);
        return new MomentsInput(architecture, architecture.WeightCount, chunks, source ?? string.Join(",", paths.Select(Path.GetFullPath)), true, shards);
    }

    /// <summary>An int8 M×N <c>.npy</c> of ±1 spins, of <paramref name="architecture"/> when given.</summary>
    public static MomentsInput FromSpins(string path, Architecture? architecture)
    {
        var chunk = EnsembleMoments.ReadSpinsNpy(path);
        if (architecture != null && architecture.WeightCount != chunk.SpinCount)
            throw new InputException($"--architecture: {architecture} has {architecture.WeightCount} weights, {path} has {chunk.SpinCount} spins per row");
        return new MomentsInput(architecture, chunk.SpinCount, [chunk], Path.GetFullPath(path), false, null);
    }
}

public static partial class EnsembleMoments
{
    /// <summary>Part of the run's cache key: changed whenever the same inputs and settings would give other outputs.</summary>
    public const string AlgorithmVersion = "moments-v3";

    /// <summary>The moments of <paramref name="input"/> under <paramref name="settings"/> (<c>fsi moments</c>, the run's moments stage).</summary>
    public static MomentsResult Run(MomentsInput input, EnsembleMomentsSettings settings, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        return Compute(input.Chunks, input.SpinCount, input.Architecture, settings.ForSpins(input.SpinCount), input.Source, input.NetworkIdsKnown, progress, ct);
    }

    /// <summary>
    /// Writes <paramref name="result"/> at <paramref name="stem"/> (<see cref="Write(MomentsResult, string, IReadOnlyDictionary{string, object?}?)"/>),
    /// recording the architecture, the seed node and the shards; returns the files written.
    /// </summary>
    public static IReadOnlyList<string> Write(MomentsResult result, MomentsInput input, EnsembleMomentsSettings settings, string stem)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(settings);
        var extra = new Dictionary<string, object?> { ["architecture"] = input.Architecture?.ToString(), ["seed"] = settings.Seed };
        if (input.Shards != null) extra["shards"] = input.Shards;
        return Write(result, stem, extra);
    }
}
