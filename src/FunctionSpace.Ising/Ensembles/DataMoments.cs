using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FunctionSpace.Ising.IO;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>Which distribution a set of moments describes.</summary>
public enum MomentSymmetry
{
    /// <summary>The configurations as stored (the plain empirical moments).</summary>
    None,

    /// <summary>
    /// The hidden-node-permutation-symmetric distribution of the configurations: every moment averaged over the orbit of
    /// its indices under relabelling of each hidden layer (<see cref="NodeOrbits"/>, <see cref="OrbitTriplets"/>).
    /// </summary>
    HiddenNodePermutation,
}

/// <summary>
/// Moments of a set of ±1 configurations: magnetisations m_i = ⟨s_i⟩, raw second moments ⟨s_i s_j⟩
/// (N×N row-major, diagonal 1) and optionally raw three-point moments ⟨s_i s_j s_k⟩ of sampled triplets.
/// </summary>
/// <param name="Magnetisations">m_i, length N.</param>
/// <param name="SecondMoments">⟨s_i s_j⟩, N×N row-major.</param>
/// <param name="Count">Number of configurations behind the moments (0 when unknown, e.g. published text moments).</param>
/// <param name="Source">Where the moments came from (files, slice), for metadata.</param>
public sealed record DataMoments(double[] Magnetisations, double[] SecondMoments, long Count, string Source)
{
    /// <summary>Sampled triplets (T×3 spin indices, row-major), or null.</summary>
    public int[]? TripletIndices { get; init; }

    /// <summary>Raw ⟨s_i s_j s_k⟩ of each sampled triplet (length T), or null.</summary>
    public double[]? TripletMoments { get; init; }

    /// <summary>Whether these are the plain moments or those of the permutation-symmetric distribution.</summary>
    public MomentSymmetry Symmetry { get; init; } = MomentSymmetry.None;

    /// <summary>Number of spins N.</summary>
    public int Size => Magnetisations.Length;

    /// <summary>Number of sampled triplets (0 if none).</summary>
    public int TripletCount => TripletMoments?.Length ?? 0;

    /// <summary>The first and second moments as the inference layer's <see cref="Inference.Moments"/>.</summary>
    public Inference.Moments ToMoments() => new(Magnetisations, SecondMoments);

    /// <summary>Mean |C_ij − m_i m_j| over the pairs i &lt; j (0 for a single spin).</summary>
    public double MeanAbsConnectedCorrelation()
    {
        var connected = ConnectedCorrelations();
        int n = Size;
        double sum = 0;
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) sum += Math.Abs(connected[i * n + j]);
        return n < 2 ? 0 : sum / (n * (n - 1) / 2.0);
    }

    /// <summary>Connected correlations ⟨s_i s_j⟩ − m_i m_j (N×N; the diagonal is 1 − m_i²).</summary>
    public double[] ConnectedCorrelations()
    {
        int n = Size;
        var c = new double[SecondMoments.Length];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                c[i * n + j] = SecondMoments[i * n + j] - Magnetisations[i] * Magnetisations[j];
        return c;
    }

    /// <summary>
    /// Connected three-point correlations of the sampled triplets:
    /// ⟨s_i s_j s_k⟩_c = ⟨s_i s_j s_k⟩ − m_i⟨s_j s_k⟩ − m_j⟨s_i s_k⟩ − m_k⟨s_i s_j⟩ + 2 m_i m_j m_k.
    /// </summary>
    public double[] ConnectedTriplets()
    {
        if (TripletIndices == null || TripletMoments == null) return [];
        return ConnectedTriplets(Magnetisations, SecondMoments, TripletIndices, TripletMoments);
    }

    /// <summary>Connected three-point correlations from raw moments (see the instance method).</summary>
    public static double[] ConnectedTriplets(double[] m, double[] second, int[] triplets, double[] raw)
    {
        int n = m.Length;
        var result = new double[raw.Length];
        for (int q = 0; q < raw.Length; q++)
        {
            int i = triplets[3 * q], j = triplets[3 * q + 1], k = triplets[3 * q + 2];
            result[q] = raw[q] - m[i] * second[j * n + k] - m[j] * second[i * n + k] - m[k] * second[i * n + j]
                        + 2 * m[i] * m[j] * m[k];
        }
        return result;
    }

    /// <summary>
    /// The moments of spins [start, start+length): sub-matrix of the second moments; triplets that lie
    /// wholly inside the slice are kept (re-indexed).
    /// </summary>
    public DataMoments Slice(int start, int length, string? name = null)
    {
        if (start < 0 || length < 1 || start + length > Size)
            throw new InputException($"slice {start}:{start + length} is outside the {Size} spins of {Source}");
        int n = Size;
        var m = Magnetisations.AsSpan(start, length).ToArray();
        var c = new double[length * length];
        for (int i = 0; i < length; i++)
            Array.Copy(SecondMoments, (long)(start + i) * n + start, c, (long)i * length, length);
        List<int>? idx = null;
        List<double>? t3 = null;
        if (TripletIndices != null && TripletMoments != null)
        {
            idx = []; t3 = [];
            for (int q = 0; q < TripletMoments.Length; q++)
            {
                int a = TripletIndices[3 * q] - start, b = TripletIndices[3 * q + 1] - start, d = TripletIndices[3 * q + 2] - start;
                if (a < 0 || b < 0 || d < 0 || a >= length || b >= length || d >= length) continue;
                idx.AddRange([a, b, d]);
                t3.Add(TripletMoments[q]);
            }
        }
        return new DataMoments(m, c, Count, $"{Source}[{name ?? $"{start}:{start + length}"}]")
        {
            TripletIndices = idx?.ToArray(),
            TripletMoments = t3?.ToArray(),
            Symmetry = Symmetry,
        };
    }

    /// <summary>
    /// Checks the moments are those of ±1 spins: sizes agree, all finite, |m_i| ≤ 1, |⟨s_i s_j⟩| ≤ 1,
    /// second moments symmetric (|C_ij − C_ji| ≤ 1e-8), diagonal 1 (within 1e-8). Throws a one-line
    /// <see cref="InputException"/> naming <paramref name="what"/>, or for a fault in the second moments
    /// <paramref name="secondMomentsWhat"/> where they came from a file of their own; returns this for chaining.
    /// </summary>
    public DataMoments Validate(string what, string? secondMomentsWhat = null)
    {
        int n = Size;
        string pairs = secondMomentsWhat ?? what;
        if (n == 0) throw new InputException($"{what}: no magnetisations");
        if (SecondMoments.LongLength != (long)n * n)
            throw new InputException($"{what}: {n} magnetisations but {SecondMoments.Length} second moments (expected {n}x{n})");
        for (int i = 0; i < n; i++)
        {
            double mi = Magnetisations[i];
            if (!double.IsFinite(mi)) throw new InputException($"{what}: m[{i}] = {Fmt(mi)} is not finite");
            if (Math.Abs(mi) > 1 + 1e-12) throw new InputException($"{what}: |m[{i}]| = {Fmt(Math.Abs(mi))} exceeds 1");
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double cij = SecondMoments[i * n + j];
                if (!double.IsFinite(cij)) throw new InputException($"{pairs}: C[{i},{j}] = {Fmt(cij)} is not finite");
                if (Math.Abs(cij) > 1 + 1e-12) throw new InputException($"{pairs}: |C[{i},{j}]| = {Fmt(Math.Abs(cij))} exceeds 1");
                if (i == j && Math.Abs(cij - 1) > 1e-8) throw new InputException($"{pairs}: C[{i},{i}] = {Fmt(cij)} but <s_i s_i> = 1 for ±1 spins");
                if (j > i && Math.Abs(cij - SecondMoments[j * n + i]) > 1e-8)
                    throw new InputException($"{pairs}: C[{i},{j}] = {Fmt(cij)} but C[{j},{i}] = {Fmt(SecondMoments[j * n + i])} (not symmetric)");
            }
        if ((TripletIndices == null) != (TripletMoments == null) ||
            (TripletIndices != null && TripletIndices.Length != 3 * TripletMoments!.Length))
            throw new InputException($"{what}: triplet indices and triplet moments do not match");
        return this;
    }

    private static string Fmt(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>
    /// Saves as <c>stem.m.npy</c>, <c>stem.C.npy</c> (float64), with triplets <c>stem.triplets.npy</c>
    /// (int32 T×3) and <c>stem.t3.npy</c>, and the JSON sidecar <c>stem.json</c> (count, source, files,
    /// plus <paramref name="extra"/> metadata).
    /// </summary>
    public void Save(string stem, IReadOnlyDictionary<string, object?>? extra = null)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(stem));
        if (dir != null) Directory.CreateDirectory(dir);
        using var files = OutputSet.Scope();   // the .npy files and the sidecar appear together or not at all
        Npy.Write<double>(stem + ".m.npy", Magnetisations);
        Npy.Write<double>(stem + ".C.npy", SecondMoments, Size, Size);
        var meta = new JsonObject
        {
            ["kind"] = "fsi.moments",
            ["spins"] = Size,
            ["count"] = Count,
            ["source"] = Source,
            ["symmetry"] = SymmetryName(Symmetry),
            ["magnetisations"] = Path.GetFileName(stem + ".m.npy"),
            ["second_moments"] = Path.GetFileName(stem + ".C.npy"),
            ["created_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        if (TripletIndices != null && TripletMoments != null)
        {
            Npy.Write<int>(stem + ".triplets.npy", TripletIndices, TripletMoments.Length, 3);
            Npy.Write<double>(stem + ".t3.npy", TripletMoments);
            meta["triplets"] = Path.GetFileName(stem + ".triplets.npy");
            meta["triplet_moments"] = Path.GetFileName(stem + ".t3.npy");
        }
        if (extra != null)
            foreach (var (key, value) in extra) meta[key] = JsonSerializer.SerializeToNode(value);
        AtomicFile.WriteAllText(stem + ".json", meta.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        files.Commit();
    }

    /// <summary>Loads moments saved by <see cref="Save"/> (the stem, or the stem's <c>.json</c>), validated.</summary>
    public static DataMoments Load(string stemOrJson)
    {
        string stem = stemOrJson.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? stemOrJson[..^5] : stemOrJson;
        string json = stem + ".json";
        if (!File.Exists(json)) throw new InputException($"{json}: file not found (expected moments saved by fsi moments)");
        InputFile.Require(json);
        JsonNode? meta;
        try { meta = JsonNode.Parse(File.ReadAllText(json)); }
        catch (JsonException e) { throw new InputException($"{json}: not valid JSON ({e.Message})", e); }
        try { return Load(stem, json, meta); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A field of the wrong JSON type (a string count, an array instead of an object).
            throw new InputException($"{json}: not an fsi moments sidecar ({MessageText.Excerpt(e.Message, 80)})", e);
        }
    }

    private static DataMoments Load(string stem, string json, JsonNode? meta)
    {
        if (meta is not JsonObject || meta["kind"]?.GetValue<string>() != "fsi.moments") throw new InputException($"{json}: not an fsi moments sidecar (kind != fsi.moments)");
        var m = Npy.Read(stem + ".m.npy").ToDoubles();
        var cArray = Npy.Read(stem + ".C.npy");
        if (cArray.Shape.Length != 2 || cArray.Shape[0] != m.Length || cArray.Shape[1] != m.Length)
            throw new InputException($"{stem}.C.npy: shape ({string.Join(",", cArray.Shape)}) does not match {m.Length} magnetisations");
        long count = meta["count"]?.GetValue<long>() ?? 0;
        // Files written before the field existed hold plain moments.
        string symmetryName = meta["symmetry"]?.GetValue<string>() ?? SymmetryName(MomentSymmetry.None);
        var symmetry = ParseSymmetry(symmetryName) ?? throw new InputException(
            $"{json}: symmetry '{symmetryName}' is not one of {SymmetryName(MomentSymmetry.None)}, {SymmetryName(MomentSymmetry.HiddenNodePermutation)}");
        string source = meta["source"]?.GetValue<string>() ?? stem;
        int[]? triplets = null;
        double[]? t3 = null;
        if (meta["triplets"] != null)
        {
            triplets = Npy.Read(stem + ".triplets.npy").ToDoubles().Select(v => (int)v).ToArray();
            t3 = Npy.Read(stem + ".t3.npy").ToDoubles();
            if (triplets.Any(t => t < 0 || t >= m.Length)) throw new InputException($"{stem}.triplets.npy: index outside 0..{m.Length - 1}");
        }
        return new DataMoments(m, cArray.ToDoubles(), count, source) { TripletIndices = triplets, TripletMoments = t3, Symmetry = symmetry }.Validate(json);
    }

    /// <summary>The name a <see cref="MomentSymmetry"/> has in the JSON sidecar: "none" or "hidden-node-permutation".</summary>
    public static string SymmetryName(MomentSymmetry symmetry) => symmetry switch
    {
        MomentSymmetry.None => "none",
        MomentSymmetry.HiddenNodePermutation => "hidden-node-permutation",
        _ => throw new ArgumentOutOfRangeException(nameof(symmetry)),
    };

    /// <summary>The symmetry named <paramref name="name"/> (see <see cref="SymmetryName"/>), or null.</summary>
    public static MomentSymmetry? ParseSymmetry(string name) => name switch
    {
        "none" => MomentSymmetry.None,
        "hidden-node-permutation" => MomentSymmetry.HiddenNodePermutation,
        _ => null,
    };

    /// <summary>
    /// The study's published data moments in <paramref name="directory"/>: <c>mi_data.txt</c> (N values)
    /// and <c>Ca_data.txt</c> (N×N raw second moments); the published diagonal is replaced by 1.
    /// </summary>
    public static DataMoments LoadText(string directory)
    {
        if (!Directory.Exists(directory)) throw new InputException($"--moments-text: directory {directory} not found");
        string mPath = Path.Combine(directory, "mi_data.txt"), cPath = Path.Combine(directory, "Ca_data.txt");
        var m = TextMatrix.ReadVector(mPath);
        var (c, rows, columns) = TextMatrix.Read(cPath);
        if (rows != m.Length || columns != m.Length)
            throw new InputException($"{cPath}: {rows}x{columns} matrix does not match the {m.Length} magnetisations of {mPath}");
        for (int i = 0; i < m.Length; i++) c[i * m.Length + i] = 1;
        return new DataMoments(m, c, 0, Path.GetFullPath(directory)).Validate(mPath, cPath);
    }

    /// <summary>Moments of an int8 <c>.npy</c> array of shape M×N holding ±1 spins.</summary>
    public static DataMoments FromSpinsNpy(string path, int[]? triplets = null)
    {
        var array = Npy.Read(path);
        if (array.Shape.Length != 2) throw new InputException($"{path}: expected a 2-d M×N array of spins, found shape ({string.Join(",", array.Shape)})");
        if (array.Descr != "|i1") throw new InputException($"{path}: expected int8 spins (dtype |i1), found {array.Descr}");
        var accumulator = new MomentAccumulator(array.Shape[1], triplets);
        accumulator.Add(array.As<sbyte>(), array.Shape[0], path);
        return accumulator.ToMoments(Path.GetFullPath(path));
    }
}
