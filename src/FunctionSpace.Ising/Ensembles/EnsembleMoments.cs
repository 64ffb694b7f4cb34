using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Networks;
using static FunctionSpace.Ising.IO.JsonNumbers;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>Settings of the moments of an ensemble (<c>fsi moments</c>, the pipeline's moments stage).</summary>
public sealed record MomentsSettings
{
    /// <summary>Sampled triplets (T×3 spin indices) for three-point moments, or null.</summary>
    public int[]? Triplets { get; init; }

    /// <summary>
    /// Also compute the moments of the hidden-node-permutation-symmetric distribution (<see cref="NodeOrbits"/>,
    /// <see cref="OrbitTriplets"/>); they become the primary moments, the plain ones are kept beside them. Needs the
    /// architecture. The study's ensemble is that distribution: one configuration per independently trained network,
    /// hidden-unit labels arbitrary.
    /// </summary>
    public bool Symmetrize { get; init; }

    /// <summary>Bootstrap replicates over networks for the standard errors and the noise floor (0 = none).</summary>
    public int BootstrapReplicates { get; init; } = BootstrapSettings.DefaultReplicates;

    /// <summary>Seed of the bootstrap resampling.</summary>
    public ulong BootstrapSeed { get; init; } = 1;

    /// <summary>Most spin values (configurations × N) held in memory for the bootstrap.</summary>
    public long MaxBootstrapSpins { get; init; } = 1L << 30;

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        if (BootstrapReplicates < 0 || BootstrapReplicates == 1)
            throw new InputException($"--bootstrap: {BootstrapReplicates} replicates; give 0 (none) or at least 2");
    }
}

/// <summary>The moments of an ensemble with their sample statistics.</summary>
/// <param name="Raw">The plain moments of the configurations.</param>
/// <param name="Symmetric">The moments of the permutation-symmetric distribution, when asked for.</param>
/// <param name="Statistics">Effective sample size (networks) and within/between-network overlaps.</param>
/// <param name="Noise">Bootstrap standard errors and noise floors of <see cref="Moments"/>, when asked for.</param>
/// <param name="NetworkIdsKnown">False when the input had no network ids (a .npy of spins): each configuration then
/// counts as its own network, which overstates the sample size of an ensemble of several samples per network.</param>
public sealed record MomentsResult(DataMoments Raw, DataMoments? Symmetric, EnsembleStatistics Statistics, MomentNoise? Noise,
    bool NetworkIdsKnown)
{
    /// <summary>The moments a fit should match: the symmetrised ones when computed, else the plain ones.</summary>
    public DataMoments Moments => Symmetric ?? Raw;
}

/// <summary>
/// One pass over an ensemble: plain moments, optionally the permutation-symmetric ones (triplets averaged per
/// configuration over their orbits), network statistics, and the bootstrap over networks; written beside each other.
/// </summary>
public static partial class EnsembleMoments
{
    /// <summary>
    /// The chunks of one or more ensemble files (shards of a collection merge exactly) and their architecture; network
    /// ids are made distinct across files of different collections (keyed by the header's master seed). The chunks are
    /// read lazily, once per enumeration.
    /// </summary>
    public static (Architecture Architecture, IEnumerable<EnsembleChunk> Chunks) OpenEnsembles(IReadOnlyList<string> paths, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0) throw new InputException("--ensemble: no files");
        Architecture? architecture = null;
        var seeds = new List<ulong>();
        foreach (string path in paths)
        {
            using var reader = EnsembleReader.Open(path);
            if (architecture != null && !architecture.Equals(reader.Header.Architecture))
                throw new InputException($"{path}: architecture {reader.Header.Architecture} differs from {architecture} of {paths[0]}");
            architecture = reader.Header.Architecture;
            seeds.Add(reader.Header.Seed);
        }
        return (architecture!, Read(paths, seeds, ct));
    }

    private static IEnumerable<EnsembleChunk> Read(IReadOnlyList<string> paths, List<ulong> seeds, CancellationToken ct)
    {
        var ids = new Dictionary<(ulong, int), int>();
        for (int f = 0; f < paths.Count; f++)
        {
            using var reader = EnsembleReader.Open(paths[f]);
            foreach (var chunk in reader.ReadChunks(ct))
            {
                var remapped = new int[chunk.Count];
                for (int c = 0; c < chunk.Count; c++)
                {
                    var key = (seeds[f], chunk.NetworkIds[c]);
                    if (!ids.TryGetValue(key, out int id)) ids[key] = id = ids.Count;
                    remapped[c] = id;
                }
                yield return chunk with { NetworkIds = remapped };
            }
        }
    }

    /// <summary>
    /// The configurations of an int8 M×N <c>.npy</c> as one chunk. It has no network ids: each row counts as its own
    /// network (<see cref="MomentsResult.NetworkIdsKnown"/> is false).
    /// </summary>
    public static EnsembleChunk ReadSpinsNpy(string path)
    {
        var array = Npy.Read(path);
        if (array.Shape.Length != 2 || array.Descr != "|i1")
            throw new InputException($"{path}: expected an int8 M×N array of ±1 spins, found {array.Descr} shape ({string.Join(",", array.Shape)})");
        int count = array.Shape[0], n = array.Shape[1];
        return new EnsembleChunk(count, n, array.As<sbyte>().ToArray(), new float[count], Enumerable.Range(0, count).ToArray(), new float[count]);
    }

    /// <summary>
    /// Computes the moments of <paramref name="chunks"/> (spins of <paramref name="spinCount"/> weights of
    /// <paramref name="architecture"/>, which may be null only without symmetrisation), labelled <paramref name="source"/>.
    /// </summary>
    public static MomentsResult Compute(IEnumerable<EnsembleChunk> chunks, int spinCount, Architecture? architecture, MomentsSettings settings,
        string source, bool networkIdsKnown = true, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (architecture != null && architecture.WeightCount != spinCount)
            throw new InputException($"{source}: {spinCount} spins per configuration, but {architecture} has {architecture.WeightCount} weights");
        if (settings.Symmetrize && architecture == null)
            throw new InputException($"{source}: symmetrising over hidden-node relabellings needs the network architecture (--architecture)");
        var accumulator = new MomentAccumulator(spinCount, settings.Triplets);
        var orbitTriplets = settings.Symmetrize && settings.Triplets != null ? new OrbitTriplets(architecture!, settings.Triplets) : null;
        bool keep = settings.BootstrapReplicates > 0;
        var spins = new List<sbyte>();
        var ids = new List<int>();
        var overlaps = new EnsembleStatistics.Accumulator(spinCount);
        long done = 0;
        foreach (var chunk in chunks)
        {
            ct.ThrowIfCancellationRequested();
            if (chunk.SpinCount != spinCount) throw new InputException($"{source}: a chunk of {chunk.SpinCount} spins among configurations of {spinCount}");
            accumulator.Add(chunk.Spins, chunk.Count, source);
            orbitTriplets?.Add(chunk.Spins, chunk.Count, ct);
            overlaps.Add(chunk.Spins, chunk.NetworkIds, chunk.Count);
            if (keep)
            {
                if ((long)spins.Count + chunk.Spins.Length > settings.MaxBootstrapSpins)
                    throw new InputException($"{source}: more than {settings.MaxBootstrapSpins:N0} spin values (configurations × N) to hold for the bootstrap over networks; collect one configuration per network (--select best) or give --bootstrap 0");
                spins.AddRange(chunk.Spins);
                ids.AddRange(chunk.NetworkIds);
            }
            done += chunk.Count;
            progress?.Report(new ProgressReport("moments", done, 0, "configurations"));
        }
        var parts = architecture?.Parts() ?? [new SpinSlice("FULL", 0, spinCount)];
        var statistics = overlaps.Result(parts);
        var raw = accumulator.ToMoments(source);
        DataMoments? symmetric = null;
        if (settings.Symmetrize)
            symmetric = new NodeOrbits(architecture!).Symmetrize(raw, orbitTriplets?.Moments());
        MomentNoise? noise = null;
        if (keep)
            noise = NetworkBootstrap.Run(spins.ToArray(), ids.ToArray(), (int)raw.Count, parts,
                new BootstrapSettings(settings.BootstrapReplicates, settings.BootstrapSeed, settings.Symmetrize), architecture, progress, ct);
        return new MomentsResult(raw, symmetric, statistics, noise, networkIdsKnown);
    }

    /// <summary>
    /// Writes <paramref name="result"/> at <paramref name="stem"/>: the moments a fit uses (<see cref="MomentsResult.Moments"/>)
    /// as <c>stem.*</c>; with symmetrisation the plain ones as <c>stem.raw.*</c>; the bootstrap as <c>stem.noise.json</c>,
    /// <c>stem.noise.m.npy</c> (σ of m) and <c>stem.noise.C.npy</c> (σ of ⟨s_i s_j⟩). Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> Write(MomentsResult result, string stem, IReadOnlyDictionary<string, object?>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var files = new List<string>();
        var meta = new Dictionary<string, object?>(extra ?? new Dictionary<string, object?>())
        {
            ["effective_sample_size"] = result.Statistics.EffectiveSampleSize,
            ["networks"] = result.Statistics.Networks,
            ["network_ids"] = result.NetworkIdsKnown ? "from the ensemble" : "none in the input: each configuration counted as its own network",
            ["overlaps"] = result.Statistics.Overlaps.Select(o => new Dictionary<string, object?>
            {
                ["part"] = o.Part,
                ["within_network"] = Finite(o.Within),
                ["within_pairs"] = o.WithinPairs,
                ["between_networks"] = Finite(o.Between),
                ["between_pairs"] = o.BetweenPairs,
            }).ToArray(),
        };
        if (result.Symmetric != null)
        {
            result.Raw.Save(stem + ".raw", new Dictionary<string, object?>(extra ?? new Dictionary<string, object?>()) { ["symmetric_moments"] = Path.GetFileName(stem + ".json") });
            files.AddRange(MomentFiles(stem + ".raw", result.Raw));
            meta["raw_moments"] = Path.GetFileName(stem + ".raw.json");
        }
        if (result.Noise != null)
        {
            WriteNoise(result.Noise, stem + ".noise");
            files.AddRange([stem + ".noise.json", stem + ".noise.m.npy", stem + ".noise.C.npy"]);
            meta["noise"] = Path.GetFileName(stem + ".noise.json");
            meta["noise_floor"] = result.Noise.Parts.ToDictionary(p => p.Part, p => (object?)p.NoiseFloor);
        }
        result.Moments.Save(stem, meta);
        files.AddRange(MomentFiles(stem, result.Moments));
        return files;
    }

    private static IEnumerable<string> MomentFiles(string stem, DataMoments moments) =>
        moments.TripletMoments == null
            ? [stem + ".m.npy", stem + ".C.npy", stem + ".json"]
            : [stem + ".m.npy", stem + ".C.npy", stem + ".triplets.npy", stem + ".t3.npy", stem + ".json"];

    /// <summary>Writes a bootstrap result as <c>stem.json</c>, <c>stem.m.npy</c> and <c>stem.C.npy</c>.</summary>
    public static void WriteNoise(MomentNoise noise, string stem)
    {
        ArgumentNullException.ThrowIfNull(noise);
        int n = noise.MagnetisationErrors.Length;
        Npy.Write<double>(stem + ".m.npy", noise.MagnetisationErrors);
        Npy.Write<double>(stem + ".C.npy", noise.SecondMomentErrors, n, n);
        var meta = new JsonObject
        {
            ["kind"] = "fsi.moments-noise",
            ["definition"] = "bootstrap over networks (all of a network's configurations resampled together); noise_floor = " +
                             "sqrt(mean_i sigma(m_i)^2 + mean_{i!=j} sigma(C_ij)^2) over the part, C the raw second moments: the expected " +
                             "moment RMSE of the true moments against these data, as the fit RMSE is defined",
            ["replicates"] = noise.Settings.Replicates,
            ["seed"] = noise.Settings.Seed,
            ["symmetrized"] = noise.Settings.Symmetrize,
            ["networks"] = noise.Networks,
            ["configurations"] = noise.Configurations,
            ["magnetisation_errors"] = Path.GetFileName(stem + ".m.npy"),
            ["second_moment_errors"] = Path.GetFileName(stem + ".C.npy"),
            ["parts"] = new JsonArray(noise.Parts.Select(p => (JsonNode)new JsonObject
            {
                ["part"] = p.Part,
                ["start"] = p.Start,
                ["length"] = p.Length,
                ["noise_floor"] = p.NoiseFloor,
                ["magnetisation_error_rms"] = p.MagnetisationError,
                ["second_moment_error_rms"] = p.SecondMomentError,
            }).ToArray()),
            ["created_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        AtomicFile.WriteAllText(stem + ".json", meta.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// Reads a bootstrap result written by <see cref="WriteNoise"/> (its stem or <c>.json</c>; for moments at stem S the
    /// noise is at S.noise), or returns null when there is none.
    /// </summary>
    public static MomentNoise? ReadNoise(string stemOrJson)
    {
        string stem = stemOrJson.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? stemOrJson[..^5] : stemOrJson;
        string json = stem + ".json";
        if (!File.Exists(json)) return null;
        JsonNode? meta;
        try { meta = JsonNode.Parse(File.ReadAllText(json)); }
        catch (JsonException e) { throw new InputException($"{json}: not valid JSON ({e.Message})", e); }
        if (meta?["kind"]?.GetValue<string>() != "fsi.moments-noise") throw new InputException($"{json}: not an fsi moments-noise file (kind != fsi.moments-noise)");
        var m = Npy.Read(stem + ".m.npy").ToDoubles();
        var c = Npy.Read(stem + ".C.npy");
        if (c.Shape.Length != 2 || c.Shape[0] != m.Length || c.Shape[1] != m.Length)
            throw new InputException($"{stem}.C.npy: shape ({string.Join(",", c.Shape)}) does not match the {m.Length} magnetisation errors");
        var settings = new BootstrapSettings(meta["replicates"]?.GetValue<int>() ?? 0, meta["seed"]?.GetValue<ulong>() ?? 0,
            meta["symmetrized"]?.GetValue<bool>() ?? false);
        var parts = (meta["parts"]?.AsArray() ?? []).Select(p => new PartNoise(p!["part"]!.GetValue<string>(), p["start"]!.GetValue<int>(),
            p["length"]!.GetValue<int>(), p["noise_floor"]!.GetValue<double>(), p["magnetisation_error_rms"]!.GetValue<double>(),
            p["second_moment_error_rms"]!.GetValue<double>())).ToList();
        return new MomentNoise(settings, meta["networks"]?.GetValue<int>() ?? 0, meta["configurations"]?.GetValue<long>() ?? 0, m, c.ToDoubles(), parts);
    }
}
