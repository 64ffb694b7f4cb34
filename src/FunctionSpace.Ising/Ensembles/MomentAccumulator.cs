using FunctionSpace.Ising.Randomness;
using TorchSharp;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>
/// Streaming sums of ±1 spin configurations: Σ_μ s_i^μ and Σ_μ s_i^μ s_j^μ, from which the data moments
/// m_i = ⟨s_i⟩ and ⟨s_i s_j⟩ follow. The pair sums are one matrix product XᵀX per chunk (TorchSharp),
/// not a pair loop. All sums are integers held exactly (float32 products are exact for chunks of fewer than
/// 2²⁴ rows; the running totals are doubles, exact below 2⁵³), so accumulators over shards merge exactly:
/// the merged sums equal the sums over the concatenated data, bit for bit.
/// </summary>
public sealed class MomentAccumulator
{
    /// <summary>Largest number of rows multiplied at once; keeps float32 partial sums exact (≤ 2²⁴).</summary>
    public const int MaxChunkRows = 1 << 16;

    private readonly double[] _spinSums;
    private readonly double[] _pairSums;

    private readonly int[]? _triplets;
    private readonly double[] _tripletSums;

    /// <summary>
    /// An empty accumulator for configurations of <paramref name="spinCount"/> spins; with
    /// <paramref name="triplets"/> (T×3 spin indices, row-major) it also sums s_i s_j s_k per triplet.
    /// </summary>
    public MomentAccumulator(int spinCount, int[]? triplets = null)
    {
        if (spinCount < 1) throw new ArgumentOutOfRangeException(nameof(spinCount), "need at least one spin");
        if (triplets != null && (triplets.Length % 3 != 0 || triplets.Any(t => t < 0 || t >= spinCount)))
            throw new ArgumentException("triplets must be T×3 indices within the spins", nameof(triplets));
        SpinCount = spinCount;
        _spinSums = new double[spinCount];
        _pairSums = new double[(long)spinCount * spinCount];
        _triplets = triplets;
        _tripletSums = new double[(triplets?.Length ?? 0) / 3];
    }

    /// <summary>The sampled triplets (T×3 row-major), or null.</summary>
    public int[]? Triplets => _triplets;

    /// <summary>Spins per configuration.</summary>
    public int SpinCount { get; }

    /// <summary>Configurations added so far.</summary>
    public long Count { get; private set; }

    /// <summary>Σ_μ s_i^μ (length N).</summary>
    public ReadOnlySpan<double> SpinSums => _spinSums;

    /// <summary>Σ_μ s_i^μ s_j^μ (N×N row-major).</summary>
    public ReadOnlySpan<double> PairSums => _pairSums;

    /// <summary>
    /// Adds <paramref name="count"/> configurations stored row-major in <paramref name="spins"/>
    /// (count × N). Every value must be +1 or −1; otherwise an <see cref="InputException"/> names
    /// <paramref name="source"/> and the offending configuration.
    /// </summary>
    public void Add(ReadOnlySpan<sbyte> spins, int count, string source = "spins")
    {
        int n = SpinCount;
        if ((long)count * n != spins.Length)
            throw new InputException($"{source}: {spins.Length} values are not {count} configurations of {n} spins");
        for (int start = 0; start < count; start += MaxChunkRows)
        {
            int rows = Math.Min(MaxChunkRows, count - start);
            var block = spins.Slice(start * n, rows * n);
            var values = new float[block.Length];
            for (int k = 0; k < block.Length; k++)
            {
                sbyte s = block[k];
                if (s != 1 && s != -1)
                    throw new InputException($"{source}: configuration {Count + start + k / n}, spin {k % n} is {s}, not ±1");
                values[k] = s;
                _spinSums[k % n] += s;
            }
            using var scope = NewDisposeScope();
            var x = tensor(values, [rows, n]);
            var gram = mm(x.t(), x).to_type(ScalarType.Float64).contiguous();
            var product = gram.data<double>();
            for (long k = 0; k < _pairSums.LongLength; k++) _pairSums[k] += product[k];
            if (_triplets != null && _tripletSums.Length > 0) AddTriplets(x);
        }
        Count += count;
    }

    // Σ_μ s_i s_j s_k for every sampled triplet: three column gathers and one column-sum, in blocks of
    // triplets so the gathered rows×T matrices stay small.
    private void AddTriplets(Tensor x)
    {
        int t = _tripletSums.Length;
        const int block = 4096;
        for (int start = 0; start < t; start += block)
        {
            int length = Math.Min(block, t - start);
            using var scope = NewDisposeScope();
            var idx = new long[3][];
            for (int a = 0; a < 3; a++)
            {
                idx[a] = new long[length];
                for (int q = 0; q < length; q++) idx[a][q] = _triplets![(start + q) * 3 + a];
            }
            Tensor Column(long[] indices) => x.index_select(1, tensor(indices, [indices.LongLength], ScalarType.Int64));
            var product = Column(idx[0]) * Column(idx[1]) * Column(idx[2]);
            var sums = product.sum(0L).to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
            for (int q = 0; q < length; q++) _tripletSums[start + q] += sums[q];
        }
    }

    /// <summary>Adds the sums of another accumulator over the same spins (exact: all sums are integers).</summary>
    public void Merge(MomentAccumulator other)
    {
        if (other.SpinCount != SpinCount)
            throw new InputException($"cannot merge moments of {other.SpinCount} spins into moments of {SpinCount} spins");
        for (int i = 0; i < _spinSums.Length; i++) _spinSums[i] += other._spinSums[i];
        for (long k = 0; k < _pairSums.LongLength; k++) _pairSums[k] += other._pairSums[k];
        if (!(_triplets ?? []).SequenceEqual(other._triplets ?? []))
            throw new InputException("cannot merge moments computed on different triplet samples");
        for (int q = 0; q < _tripletSums.Length; q++) _tripletSums[q] += other._tripletSums[q];
        Count += other.Count;
    }

    /// <summary>The moments ⟨s_i⟩, ⟨s_i s_j⟩ of everything added, labelled with <paramref name="source"/>.</summary>
    public DataMoments ToMoments(string source)
    {
        if (Count == 0) throw new InputException($"{source}: no configurations");
        var m = new double[SpinCount];
        var c = new double[_pairSums.LongLength];
        for (int i = 0; i < m.Length; i++) m[i] = _spinSums[i] / Count;
        for (long k = 0; k < c.LongLength; k++) c[k] = _pairSums[k] / Count;
        double[]? t3 = _triplets == null ? null : _tripletSums.Select(v => v / Count).ToArray();
        return new DataMoments(m, c, Count, source) { TripletIndices = _triplets?.ToArray(), TripletMoments = t3 };
    }
}

/// <summary>Random samples of spin triplets for the three-point-correlation check.</summary>
public static class TripletSampler
{
    /// <summary>
    /// <paramref name="count"/> distinct triplets i &lt; j &lt; k of <paramref name="spinCount"/> spins drawn
    /// uniformly with the generator of <paramref name="seeds"/> (T×3 row-major); all of them when fewer exist.
    /// </summary>
    public static int[] Sample(int spinCount, int count, SeedTree seeds)
    {
        var random = seeds.Generator();
        long available = spinCount < 3 ? 0 : (long)spinCount * (spinCount - 1) * (spinCount - 2) / 6;
        if (count < 0) throw new InputException($"--triplets: {count} must be ≥ 0");
        var seen = new HashSet<(int, int, int)>();
        var result = new List<int>();
        if (available <= count)
        {
            for (int i = 0; i < spinCount; i++) for (int j = i + 1; j < spinCount; j++) for (int k = j + 1; k < spinCount; k++) result.AddRange([i, j, k]);
            return result.ToArray();
        }
        while (seen.Count < count)
        {
            int a = random.NextInt(spinCount), b = random.NextInt(spinCount), c = random.NextInt(spinCount);
            if (a == b || b == c || a == c) continue;
            Span<int> t = [a, b, c];
            t.Sort();
            if (seen.Add((t[0], t[1], t[2]))) result.AddRange([t[0], t[1], t[2]]);
        }
        return result.ToArray();
    }
}
