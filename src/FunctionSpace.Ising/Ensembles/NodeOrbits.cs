using System.Numerics;
using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>
/// The orbits of weights, weight pairs and weight triplets under relabelling of the hidden units: the group
/// G = Π_h S_{w_h} over the hidden layers acts on the spins by W_l[o, i] → W_l[π_{l+1}(o), π_l(i)] (π the identity
/// on the input and output layers). Averaging a moment over the orbit of its indices gives the moment of the
/// permutation-symmetric distribution P_sym(s) = |G|⁻¹ Σ_g P(g·s) — what an ensemble has when every configuration
/// comes from its own trained network with arbitrary hidden-unit labels (Zou &amp; Huang 2021, Appendix J).
/// </summary>
/// <remarks>
/// Two index tuples lie in the same orbit exactly when their spins are in the same layers, their input/output
/// coordinates agree, and within each hidden layer their hidden labels have the same equality pattern (a permutation
/// preserves equality and inequality and can map any injective labelling onto any other). The orbit average of a
/// first or second moment is therefore the mean of the moment over its class; classes are found once per
/// architecture. Triplets are averaged per configuration by <see cref="OrbitTriplets"/>.
/// </remarks>
public sealed class NodeOrbits
{
    private readonly SpinCoordinates _coordinates;
    private readonly int[] _spinClass;
    private readonly long[] _spinClassSize;
    private readonly int[] _pairClass;
    private readonly long[] _pairClassSize;

    /// <summary>Classifies the spins and spin pairs of <paramref name="architecture"/> into orbits.</summary>
    public NodeOrbits(Architecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        Architecture = architecture;
        _coordinates = new SpinCoordinates(architecture);
        int n = architecture.WeightCount;
        var keyBuilder = new OrbitKeyBuilder(_coordinates);
        var singles = new Dictionary<UInt128, int>();
        _spinClass = new int[n];
        for (int a = 0; a < n; a++) _spinClass[a] = ClassOf(singles, keyBuilder.Key(a));
        _spinClassSize = Sizes(_spinClass, singles.Count);
        var pairs = new Dictionary<UInt128, int>();
        _pairClass = new int[(long)n * n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) _pairClass[(long)a * n + b] = ClassOf(pairs, keyBuilder.Key(a, b));
        _pairClassSize = Sizes(_pairClass, pairs.Count);
    }

    /// <summary>The network.</summary>
    public Architecture Architecture { get; }

    /// <summary>Number of spins N.</summary>
    public int SpinCount => _spinClass.Length;

    /// <summary>|G| = Π over hidden layers of width! (1 without hidden layers).</summary>
    public BigInteger GroupOrder
    {
        get
        {
            BigInteger order = BigInteger.One;
            for (int h = 1; h < Architecture.Widths.Count - 1; h++)
                for (int k = 2; k <= Architecture.Widths[h]; k++) order *= k;
            return order;
        }
    }

    /// <summary>True when the group is trivial (no hidden layer wider than one unit): symmetrising changes nothing.</summary>
    public bool IsTrivial => GroupOrder.IsOne;

    /// <summary>Number of orbits of single spins (distinct symmetrised magnetisations at most).</summary>
    public int SpinOrbitCount => _spinClassSize.Length;

    /// <summary>Number of orbits of ordered spin pairs (diagonal pairs included).</summary>
    public int PairOrbitCount => _pairClassSize.Length;

    /// <summary>The orbit index of spin <paramref name="spin"/> (0..<see cref="SpinOrbitCount"/>−1).</summary>
    public int SpinOrbit(int spin) => _spinClass[spin];

    /// <summary>The orbit index of the ordered pair (<paramref name="a"/>, <paramref name="b"/>).</summary>
    public int PairOrbit(int a, int b) => _pairClass[(long)a * SpinCount + b];

    /// <summary>Orbit averages of per-spin values (e.g. magnetisations m_i): each value replaced by the mean over its orbit.</summary>
    public double[] AverageSpins(ReadOnlySpan<double> values)
    {
        if (values.Length != SpinCount) throw new ArgumentException($"{values.Length} values for {SpinCount} spins");
        return Average(values, _spinClass, _spinClassSize);
    }

    /// <summary>Orbit averages of an N×N matrix of pair values (e.g. ⟨s_i s_j⟩): each entry replaced by the mean over its pair orbit.</summary>
    public double[] AveragePairs(ReadOnlySpan<double> values)
    {
        if (values.Length != _pairClass.Length) throw new ArgumentException($"{values.Length} values for {SpinCount}×{SpinCount} pairs");
        return Average(values, _pairClass, _pairClassSize);
    }

    /// <summary>
    /// The moments of the permutation-symmetric distribution: m and ⟨s_i s_j⟩ averaged over their orbits, and the
    /// sampled triplets replaced by <paramref name="symmetricTriplets"/> (from <see cref="OrbitTriplets"/>; null keeps
    /// none). <see cref="DataMoments.Symmetry"/> records the kind.
    /// </summary>
    public DataMoments Symmetrize(DataMoments raw, double[]? symmetricTriplets)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (raw.Size != SpinCount) throw new InputException($"{raw.Source}: {raw.Size} spins, but {Architecture} has {SpinCount} weights");
        if (symmetricTriplets != null && symmetricTriplets.Length != raw.TripletCount)
            throw new ArgumentException($"{symmetricTriplets.Length} symmetrised triplets for {raw.TripletCount} sampled ones");
        return new DataMoments(AverageSpins(raw.Magnetisations), AveragePairs(raw.SecondMoments), raw.Count, raw.Source)
        {
            TripletIndices = symmetricTriplets == null ? null : raw.TripletIndices,
            TripletMoments = symmetricTriplets,
            Symmetry = MomentSymmetry.HiddenNodePermutation,
        };
    }

    private static double[] Average(ReadOnlySpan<double> values, int[] classes, long[] sizes)
    {
        var sums = new double[sizes.Length];
        for (int k = 0; k < values.Length; k++) sums[classes[k]] += values[k];
        for (int c = 0; c < sums.Length; c++) sums[c] /= sizes[c];
        var result = new double[values.Length];
        for (int k = 0; k < values.Length; k++) result[k] = sums[classes[k]];
        return result;
    }

    private static int ClassOf(Dictionary<UInt128, int> classes, UInt128 key)
    {
        if (!classes.TryGetValue(key, out int id)) classes[key] = id = classes.Count;
        return id;
    }

    private static long[] Sizes(int[] classes, int count)
    {
        var sizes = new long[count];
        foreach (int c in classes) sizes[c]++;
        return sizes;
    }
}

/// <summary>
/// Where each spin sits: its weight layer l and, for the row (output unit) and column (input unit) of W_l, either a
/// fixed coordinate (an input pixel or an output class) or a hidden unit of hidden layer h (h = width index, 1..L−1).
/// </summary>
internal sealed class SpinCoordinates
{
    public SpinCoordinates(Architecture architecture)
    {
        Architecture = architecture;
        var widths = architecture.Widths;
        if (widths.Any(w => w > OrbitKeyBuilder.MaxCoordinate))
            throw new InputException($"architecture {architecture}: layers wider than {OrbitKeyBuilder.MaxCoordinate} units are not supported by the orbit classification");
        if (architecture.Layers > 60) throw new InputException($"architecture {architecture}: more than 60 weight layers");
        int n = architecture.WeightCount;
        Layer = new int[n];
        Row = new int[n];
        Column = new int[n];
        int hiddenTop = widths.Count - 2;   // last hidden width index
        for (int l = 0; l < architecture.Layers; l++)
        {
            int nIn = widths[l], nOut = widths[l + 1], offset = architecture.LayerOffset(l);
            for (int o = 0; o < nOut; o++)
                for (int i = 0; i < nIn; i++)
                {
                    int s = offset + o * nIn + i;
                    Layer[s] = l;
                    Row[s] = o;
                    Column[s] = i;
                }
        }
        RowHidden = Enumerable.Range(0, architecture.Layers).Select(l => l + 1 <= hiddenTop ? l + 1 : -1).ToArray();
        ColumnHidden = Enumerable.Range(0, architecture.Layers).Select(l => l >= 1 ? l : -1).ToArray();
    }

    public Architecture Architecture { get; }

    /// <summary>Weight layer of each spin.</summary>
    public int[] Layer { get; }

    /// <summary>Output unit (row of W_l) of each spin.</summary>
    public int[] Row { get; }

    /// <summary>Input unit (column of W_l) of each spin.</summary>
    public int[] Column { get; }

    /// <summary>Per weight layer: the hidden layer (width index) of its rows, or −1 when the rows are output classes.</summary>
    public int[] RowHidden { get; }

    /// <summary>Per weight layer: the hidden layer (width index) of its columns, or −1 when the columns are inputs.</summary>
    public int[] ColumnHidden { get; }
}

/// <summary>
/// Exact orbit keys of spin tuples (up to three spins): per spin its layer and, per coordinate, the fixed value or
/// the index of its hidden label among the distinct labels of that hidden layer seen so far in the tuple. Equal keys ⇔
/// the same orbit (for the tuple order given).
/// </summary>
internal sealed class OrbitKeyBuilder(SpinCoordinates coordinates)
{
    /// <summary>Largest layer width the 13-bit coordinate codes hold (fixed values are offset by the 3 label indices).</summary>
    public const int MaxCoordinate = (1 << 13) - 4;

    private readonly SpinCoordinates _c = coordinates;

    public UInt128 Key(int a) => Key([a]);

    public UInt128 Key(int a, int b) => Key([a, b]);

    public UInt128 Key(int a, int b, int c) => Key([a, b, c]);

    // 32 bits per spin: layer (6 bits), row code (13), column code (13); code = fixed value + 3, or label index 0..2.
    public UInt128 Key(ReadOnlySpan<int> spins)
    {
        Span<int> seenLayer = stackalloc int[6];
        Span<int> seenLabel = stackalloc int[6];
        int seen = 0;
        UInt128 key = 0;
        foreach (int s in spins)
        {
            int l = _c.Layer[s];
            int row = Code(_c.RowHidden[l], _c.Row[s], seenLayer, seenLabel, ref seen);
            int column = Code(_c.ColumnHidden[l], _c.Column[s], seenLayer, seenLabel, ref seen);
            key = (key << 32) | (UInt128)(uint)((l << 26) | (row << 13) | column);
        }
        return key;
    }

    private static int Code(int hidden, int value, Span<int> seenLayer, Span<int> seenLabel, ref int seen)
    {
        if (hidden < 0) return value + 3;
        int index = 0;
        for (int k = 0; k < seen; k++)
        {
            if (seenLayer[k] != hidden) continue;
            if (seenLabel[k] == value) return index;
            index++;
        }
        seenLayer[seen] = hidden;
        seenLabel[seen] = value;
        seen++;
        return index;
    }
}
