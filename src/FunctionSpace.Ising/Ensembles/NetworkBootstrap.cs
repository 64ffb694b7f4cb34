using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>Settings of the bootstrap over networks.</summary>
/// <param name="Replicates">Bootstrap replicates B (≥ 2). The standard errors carry a relative error of about 1/√(2B).</param>
/// <param name="Seed">Seed of the resampling; replicate b draws from SplitMix64.Mix(Seed, b, stream).</param>
/// <param name="Symmetrize">Symmetrise each replicate's moments over hidden-node relabellings (as the moments they judge).</param>
public sealed record BootstrapSettings(int Replicates = BootstrapSettings.DefaultReplicates, ulong Seed = 1, bool Symmetrize = false)
{
    /// <summary>Default B: standard errors to about 5 %, the noise floor (a mean over many entries) much better.</summary>
    public const int DefaultReplicates = 200;

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        if (Replicates < 2) throw new InputException($"--bootstrap: {Replicates} replicates; need at least 2 (or 0 to skip the bootstrap)");
    }
}

/// <summary>
/// The data's noise in one part: <paramref name="NoiseFloor"/> = sqrt( mean_i σ(m_i)² + mean_{i≠j} σ(C_ij)² ) over the
/// part's spins, σ the bootstrap standard errors and C the raw second moments — the expected moment RMSE of a perfect
/// model (the true moments) against these data, in the definition of the fit RMSE (<see cref="Inference.Moments.Rmse"/>).
/// A fit whose RMSE is at this level reproduces the data as well as they can be known; below it, it fits their noise.
/// </summary>
/// <param name="Part">FULL, LB, ITER, RB.</param>
/// <param name="Start">First spin.</param>
/// <param name="Length">Spins in the part.</param>
/// <param name="NoiseFloor">Expected RMSE of the true moments against the data.</param>
/// <param name="MagnetisationError">Root mean square σ(m_i) over the part.</param>
/// <param name="SecondMomentError">Root mean square σ(C_ij) over the part's pairs i ≠ j.</param>
public sealed record PartNoise(string Part, int Start, int Length, double NoiseFloor, double MagnetisationError, double SecondMomentError);

/// <summary>
/// Bootstrap standard errors of the moments, from resampling the trained networks with replacement (all of a
/// network's configurations together: they are one data point).
/// </summary>
/// <param name="Settings">Replicates, seed, symmetrisation.</param>
/// <param name="Networks">Networks resampled (the effective sample size).</param>
/// <param name="Configurations">Configurations.</param>
/// <param name="MagnetisationErrors">σ(m_i), length N.</param>
/// <param name="SecondMomentErrors">σ(⟨s_i s_j⟩), N×N row-major (0 on the diagonal).</param>
/// <param name="Parts">Noise floor per part.</param>
public sealed record MomentNoise(BootstrapSettings Settings, int Networks, long Configurations, double[] MagnetisationErrors,
    double[] SecondMomentErrors, IReadOnlyList<PartNoise> Parts)
{
    /// <summary>The noise of part <paramref name="name"/> (FULL, LB, ITER, RB), or null.</summary>
    public PartNoise? Part(string name) => Parts.FirstOrDefault(p => string.Equals(p.Part, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The bootstrap over networks (Efron &amp; Tibshirani 1993, ch. 6; resampling clusters: Davison &amp; Hinkley 1997, §3.8).</summary>
public static class NetworkBootstrap
{
    private const ulong Stream = 0xB0075;

    /// <summary>
    /// Standard errors of m and ⟨s_i s_j⟩ of <paramref name="count"/> configurations (count × N, row-major, ±1) whose
    /// trained networks are <paramref name="networkIds"/>. Replicate b draws K networks uniformly with replacement from
    /// the K distinct ids; its moments are Σ_μ w_μ s^μ / Σ_μ w_μ with w_μ the number of draws of μ's network (one weighted
    /// Gram product, exact integer sums); σ is their standard deviation over the B replicates. With
    /// <see cref="BootstrapSettings.Symmetrize"/> every replicate is orbit-averaged (<paramref name="architecture"/> needed).
    /// </summary>
    public static MomentNoise Run(ReadOnlySpan<sbyte> spins, ReadOnlySpan<int> networkIds, int count, IReadOnlyList<SpinSlice> parts,
        BootstrapSettings settings, Architecture? architecture = null, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (count < 1 || spins.Length % count != 0) throw new InputException("bootstrap: no configurations");
        int n = spins.Length / count;
        if (networkIds.Length != count) throw new ArgumentException($"{networkIds.Length} network ids for {count} configurations");
        if (settings.Symmetrize && (architecture == null || architecture.WeightCount != n))
            throw new InputException("bootstrap: symmetrising the replicates needs the network architecture of the spins");
        var orbits = settings.Symmetrize ? new NodeOrbits(architecture!) : null;

        // Networks in order of first appearance; each configuration's network index.
        var index = new Dictionary<int, int>();
        var networkOf = new int[count];
        for (int c = 0; c < count; c++)
        {
            if (!index.TryGetValue(networkIds[c], out int k)) index[networkIds[c]] = k = index.Count;
            networkOf[c] = k;
        }
        int networks = index.Count;

        var (fullM, fullC) = WeightedMoments(spins, count, n, null);
        if (orbits != null) { fullM = orbits.AverageSpins(fullM); fullC = orbits.AveragePairs(fullC); }
        var sumM = new double[n];
        var squareM = new double[n];
        var sumC = new double[(long)n * n];
        var squareC = new double[(long)n * n];
        var draws = new int[networks];
        var weights = new float[count];
        int b = 0;
        for (; b < settings.Replicates; b++)
        {
            ct.ThrowIfCancellationRequested();
            var rng = new SplitMix64(SplitMix64.Mix(settings.Seed, b, Stream));
            Array.Clear(draws);
            for (int k = 0; k < networks; k++) draws[rng.NextInt(networks)]++;
            for (int c = 0; c < count; c++) weights[c] = draws[networkOf[c]];
            var (m, second) = WeightedMoments(spins, count, n, weights);
            if (orbits != null) { m = orbits.AverageSpins(m); second = orbits.AveragePairs(second); }
            // Deviations from the full-data moments keep the variance free of cancellation.
            for (int i = 0; i < n; i++) { double d = m[i] - fullM[i]; sumM[i] += d; squareM[i] += d * d; }
            for (long k = 0; k < second.LongLength; k++) { double d = second[k] - fullC[k]; sumC[k] += d; squareC[k] += d * d; }
            progress?.Report(new ProgressReport("bootstrap", b + 1, settings.Replicates, "replicates"));
        }
        var errorM = StandardErrors(sumM, squareM, b);
        var errorC = StandardErrors(sumC, squareC, b);
        for (int i = 0; i < n; i++) errorC[(long)i * n + i] = 0;
        var partNoise = parts.Select(p => Floor(p, errorM, errorC, n)).ToList();
        return new MomentNoise(settings, networks, count, errorM, errorC, partNoise);
    }

    /// <summary>
    /// The noise of the moments of spins [start, start + length) (a part, e.g. a fit's slice), from per-entry errors.
    /// </summary>
    public static PartNoise Floor(SpinSlice part, double[] magnetisationErrors, double[] secondMomentErrors, int spinCount)
    {
        ArgumentNullException.ThrowIfNull(part);
        double squareM = 0, squareC = 0;
        for (int i = part.Start; i < part.End; i++)
        {
            squareM += magnetisationErrors[i] * magnetisationErrors[i];
            for (int j = part.Start; j < part.End; j++)
                if (i != j) squareC += secondMomentErrors[(long)i * spinCount + j] * secondMomentErrors[(long)i * spinCount + j];
        }
        double meanM = squareM / part.Length;
        double meanC = part.Length > 1 ? squareC / ((double)part.Length * (part.Length - 1)) : 0;
        return new PartNoise(part.Name, part.Start, part.Length, Math.Sqrt(meanM + meanC), Math.Sqrt(meanM), Math.Sqrt(meanC));
    }

    // Σ_μ w_μ s^μ / Σ w and Σ_μ w_μ s^μ s^μᵀ / Σ w (w = 1 when null; rows of weight 0 skipped), in blocks of rows so that
    // the float32 partial sums stay exact integers (|sum| ≤ Σ w over the block < 2²⁴).
    private static (double[] M, double[] C) WeightedMoments(ReadOnlySpan<sbyte> spins, int count, int n, float[]? weights)
    {
        if ((long)count * n * n <= SmallProduct) return WeightedMomentsInLoops(spins, count, n, weights);
        var m = new double[n];
        var c = new double[(long)n * n];
        double total = 0;
        int block = MomentAccumulator.MaxChunkRows;
        if (weights != null)
        {
            float largest = weights.Max();
            if (largest > 0) block = Math.Max(1, Math.Min(block, (int)((1 << 24) / largest) - 1));
        }
        var values = new float[Math.Min(block, count) * n];
        var rowWeights = new float[Math.Min(block, count)];
        int next = 0;
        while (next < count)
        {
            int rows = 0;
            for (; next < count && rows < block; next++)
            {
                float w = weights?[next] ?? 1;
                if (w == 0) continue;
                var source = spins.Slice(next * n, n);
                for (int i = 0; i < n; i++) values[rows * n + i] = source[i];
                rowWeights[rows++] = w;
                total += w;
            }
            if (rows == 0) break;
            using var scope = NewDisposeScope();
            var x = tensor(values.AsSpan(0, rows * n).ToArray(), [rows, n]);
            var weighted = weights == null ? x : x * tensor(rowWeights.AsSpan(0, rows).ToArray(), [rows, 1]);
            var gram = mm(weighted.t(), x).to_type(ScalarType.Float64).contiguous().data<double>();
            for (long k = 0; k < c.LongLength; k++) c[k] += gram[k];
            var sums = weighted.sum(0L).to_type(ScalarType.Float64).contiguous().data<double>();
            for (int i = 0; i < n; i++) m[i] += sums[i];
        }
        for (int i = 0; i < n; i++) m[i] /= total;
        for (long k = 0; k < c.LongLength; k++) c[k] /= total;
        return (m, c);
    }

    // Below this many multiply-adds per replicate the product runs in plain loops: a torch call's fixed cost would dominate.
    private const long SmallProduct = 1L << 22;

    private static (double[] M, double[] C) WeightedMomentsInLoops(ReadOnlySpan<sbyte> spins, int count, int n, float[]? weights)
    {
        var m = new long[n];
        var c = new long[n * n];
        long total = 0;
        for (int mu = 0; mu < count; mu++)
        {
            long w = weights == null ? 1 : (long)weights[mu];
            if (w == 0) continue;
            total += w;
            var row = spins.Slice(mu * n, n);
            for (int i = 0; i < n; i++)
            {
                long wi = w * row[i];
                m[i] += wi;
                var line = c.AsSpan(i * n, n);
                for (int j = 0; j < n; j++) line[j] += wi * row[j];
            }
        }
        return (m.Select(v => (double)v / total).ToArray(), c.Select(v => (double)v / total).ToArray());
    }

    private static double[] StandardErrors(double[] sum, double[] square, int replicates)
    {
        var result = new double[sum.Length];
        for (long k = 0; k < sum.LongLength; k++)
        {
            double mean = sum[k] / replicates;
            result[k] = Math.Sqrt(Math.Max(0, (square[k] - replicates * mean * mean) / (replicates - 1)));
        }
        return result;
    }
}
