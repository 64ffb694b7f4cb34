using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>
/// Mean overlap q = (1/n) Σ_i s_i s'_i over the n spins of one part, between configurations of the same trained network
/// (<paramref name="Within"/>) and of different networks (<paramref name="Between"/>), each the mean over all ordered
/// pairs of distinct configurations of that kind (NaN where there is none). Two configurations that differ in a fraction
/// f of their weights have q = 1 − 2f.
/// </summary>
/// <param name="Part">FULL, LB, ITER, RB.</param>
/// <param name="Within">Mean overlap of two samples of one network.</param>
/// <param name="WithinPairs">Ordered pairs behind <paramref name="Within"/>: Σ_n M_n (M_n − 1).</param>
/// <param name="Between">Mean overlap of samples of two different networks.</param>
/// <param name="BetweenPairs">Ordered pairs behind <paramref name="Between"/>: M² − Σ_n M_n².</param>
public sealed record PartOverlap(string Part, double Within, double WithinPairs, double Between, double BetweenPairs);

/// <summary>
/// How many independent data points an ensemble holds. Samples of one trained network are nearly identical (its
/// weights are frozen: |⟨w⟩| ≈ 1 for most weights), so the number of independently trained networks, not of
/// configurations, is the sample size of every moment.
/// </summary>
/// <param name="Configurations">Configurations in the ensemble.</param>
/// <param name="Networks">Distinct network ids: the effective sample size.</param>
/// <param name="Overlaps">Within- and between-network overlaps per part.</param>
public sealed record EnsembleStatistics(long Configurations, int Networks, IReadOnlyList<PartOverlap> Overlaps)
{
    /// <summary>The effective sample size: the number of independently trained networks.</summary>
    public int EffectiveSampleSize => Networks;

    /// <summary>
    /// Streams <paramref name="chunks"/> (configurations with their network ids) of an ensemble of
    /// <paramref name="architecture"/>. Memory: one vector of N integer sums per network.
    /// </summary>
    /// <remarks>
    /// With S_i = Σ_μ s_i^μ over all M configurations and S_{n,i} over the M_n of network n, the ordered-pair sums are
    /// Σ_{μ≠ν same network} s_i^μ s_i^ν = Σ_n (S_{n,i}² − M_n) and Σ_{different networks} s_i^μ s_i^ν = S_i² − Σ_n S_{n,i}²;
    /// one pass, exact integers.
    /// </remarks>
    public static EnsembleStatistics FromChunks(IEnumerable<EnsembleChunk> chunks, Architecture architecture, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(architecture);
        var accumulator = new Accumulator(architecture.WeightCount);
        foreach (var chunk in chunks)
        {
            ct.ThrowIfCancellationRequested();
            if (chunk.SpinCount != architecture.WeightCount)
                throw new InputException($"ensemble chunk of {chunk.SpinCount} spins does not match {architecture} ({architecture.WeightCount} weights)");
            accumulator.Add(chunk.Spins, chunk.NetworkIds, chunk.Count);
        }
        return accumulator.Result(architecture.Parts());
    }

    /// <summary>As <see cref="FromChunks"/> for configurations in memory (count × N spins, one network id per configuration).</summary>
    public static EnsembleStatistics FromSpins(ReadOnlySpan<sbyte> spins, ReadOnlySpan<int> networkIds, int count, IReadOnlyList<SpinSlice> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (count == 0 || spins.Length % count != 0) throw new InputException("ensemble statistics: no configurations");
        var accumulator = new Accumulator(spins.Length / count);
        accumulator.Add(spins, networkIds, count);
        return accumulator.Result(parts);
    }

    internal sealed class Accumulator(int spinCount)
    {
        private readonly Dictionary<int, (long[] Sums, long Count)> _networks = [];
        private readonly long[] _sums = new long[spinCount];
        private long _count;

        public void Add(ReadOnlySpan<sbyte> spins, ReadOnlySpan<int> networkIds, int count)
        {
            if ((long)count * spinCount != spins.Length || networkIds.Length != count)
                throw new ArgumentException($"{spins.Length} spins and {networkIds.Length} ids are not {count} configurations of {spinCount} spins");
            for (int c = 0; c < count; c++)
            {
                if (!_networks.TryGetValue(networkIds[c], out var network)) network = (new long[spinCount], 0);
                var row = spins.Slice(c * spinCount, spinCount);
                for (int i = 0; i < spinCount; i++) { network.Sums[i] += row[i]; _sums[i] += row[i]; }
                _networks[networkIds[c]] = (network.Sums, network.Count + 1);
            }
            _count += count;
        }

        public EnsembleStatistics Result(IReadOnlyList<SpinSlice> parts)
        {
            if (_count == 0) throw new InputException("ensemble statistics: no configurations");
            double withinPairs = 0, sumSquaredCounts = 0;
            foreach (var (_, (_, m)) in _networks) { withinPairs += (double)m * (m - 1); sumSquaredCounts += (double)m * m; }
            double betweenPairs = (double)_count * _count - sumSquaredCounts;
            var overlaps = new List<PartOverlap>();
            foreach (var part in parts)
            {
                double within = 0, networkSquares = 0, total = 0;
                foreach (var (_, (sums, m)) in _networks)
                    for (int i = part.Start; i < part.End; i++)
                    {
                        double square = (double)sums[i] * sums[i];
                        within += square - m;
                        networkSquares += square;
                    }
                for (int i = part.Start; i < part.End; i++) total += (double)_sums[i] * _sums[i];
                overlaps.Add(new PartOverlap(part.Name,
                    withinPairs > 0 ? within / (part.Length * withinPairs) : double.NaN, withinPairs,
                    betweenPairs > 0 ? (total - networkSquares) / (part.Length * betweenPairs) : double.NaN, betweenPairs));
            }
            return new EnsembleStatistics(_count, _networks.Count, overlaps);
        }
    }
}
