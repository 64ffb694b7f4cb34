using System.Diagnostics;
using System.Numerics;
using System.Runtime.Intrinsics;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Inverse;

/// <summary>Which mean-field inversion.</summary>
public enum MeanFieldVariant
{
    /// <summary>Naive mean field: J = −(C⁻¹) off-diagonal.</summary>
    Naive,
    /// <summary>TAP (second-order Plefka) inversion.</summary>
    Tap,
}

/// <summary>
/// Closed-form inverse Ising by mean-field linear response (Kappen &amp; Rodríguez 1998; Tanaka 1998;
/// Roudi, Aurell &amp; Hertz 2009). With C the connected correlation matrix:
/// nMF: J_ij = −(C⁻¹)_ij, h_i = atanh m_i − Σ_j J_ij m_j.
/// TAP: (C⁻¹)_ij = −J_ij − 2 J_ij² m_i m_j, solved as J_ij = −2(C⁻¹)_ij / (1 + √(1 − 8 (C⁻¹)_ij m_i m_j))
/// (the root continuous with nMF), h_i = atanh m_i − Σ_j J_ij m_j + m_i Σ_j J_ij² (1 − m_j²).
/// A fast baseline and the starting point of Boltzmann learning and pseudolikelihood.
/// </summary>
public sealed class MeanFieldInversion : IInverseSolver
{
    /// <summary>Creates the solver; <paramref name="ridge"/> is added to the diagonal of C before inversion.</summary>
    public MeanFieldInversion(MeanFieldVariant variant, double ridge = 0)
    {
        if (!(ridge >= 0)) throw new InputException($"mean-field ridge: {ridge} must be ≥ 0");
        Variant = variant;
        Ridge = ridge;
    }

    /// <summary>nMF or TAP.</summary>
    public MeanFieldVariant Variant { get; }

    /// <summary>Diagonal regularisation of the connected correlation matrix.</summary>
    public double Ridge { get; }

    /// <inheritdoc />
    public string Name => Variant == MeanFieldVariant.Naive ? "nmf" : "tap";

    /// <inheritdoc />
    public FitResult Fit(FitTarget target, IsingModel? initial, FitOptions options,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        var watch = Stopwatch.StartNew();
        var (h, j, clamped) = Invert(target.Moments.Magnetisations, target.Moments.ConnectedCorrelations(), Variant, Ridge);
        progress?.Report(new ProgressReport(Name, 1, 1, "inversions"));
        return new FitResult(new IsingModel(h, j), Name, 0, new Stop(StopReason.NotNeeded, "closed form"), [], 0, watch.Elapsed)
        {
            Diagnostics = new Dictionary<string, object?> { ["ridge"] = Ridge, ["tap_pairs_clamped"] = clamped },
        };
    }

    /// <summary>
    /// The kernel: fields and couplings (N×N, symmetric, zero diagonal) from magnetisations and the connected
    /// correlation matrix. Returns also how many TAP pairs had a negative discriminant (clamped to 0).
    /// Throws a <see cref="NumericalException"/> when C (+ ridge) is not positive definite.
    /// </summary>
    public static (double[] Fields, double[] Couplings, int ClampedPairs) Invert(double[] m, double[] connected,
        MeanFieldVariant variant, double ridge = 0) =>
        Invert(m, connected, variant, ridge, new double[m.Length * m.Length], new double[m.Length * m.Length]);

    /// <summary>
    /// As the public overload, with the N×N scratch for C⁻¹ and the array the couplings are written to (both fully
    /// overwritten) given by the caller: a learning loop that inverts every step reuses them instead of touching fresh
    /// memory.
    /// </summary>
    internal static (double[] Fields, double[] Couplings, int ClampedPairs) Invert(double[] m, double[] connected,
        MeanFieldVariant variant, double ridge, double[] inverse, double[] j)
    {
        int n = m.Length;
        if (connected.Length != n * n) throw new ArgumentException("connected correlations must be N×N");
        if (inverse.Length != n * n || j.Length != n * n) throw new ArgumentException("inversion buffers must be N×N");
        if (inverse == connected) throw new ArgumentException("the inverse scratch must not be the input");
        // The symmetric part (C + Cᵀ)/2, formed tile by tile in the scratch (which the inverse overwrites below).
        SymmetricPart(connected, inverse, n);
        using (NewDisposeScope())
        {
            var c = tensor(inverse, [n, n], ScalarType.Float64);
            if (ridge > 0) c = c.Plus(eye(n, dtype: ScalarType.Float64).TimesInPlace(ridge));
            var (factor, info) = linalg.cholesky_ex(c);
            if (info.item<int>() != 0)
                throw new NumericalException($"connected correlation matrix ({n}x{n}) is not positive definite (frozen or duplicated spins?): mean-field inversion needs it invertible; a ridge on its diagonal (the inversion's ridge setting), or a method that does not invert it (mc, bp, pl), avoids that");
            cholesky_inverse(factor).contiguous().data<double>().CopyTo(inverse);
        }
        // The symmetric part (C⁻¹ + C⁻ᵀ)/2 of the computed inverse, so the rows below read only the upper triangle.
        SymmetricPart(inverse, inverse, n);
        int clamped = 0;
        for (int a = 0; a < n; a++) j[a * n + a] = 0;
        for (int a = 0; a < n; a++)
            clamped += CouplingRow(inverse.AsSpan(a * n + a + 1, n - a - 1), m[a], m.AsSpan(a + 1), j.AsSpan(a * n + a + 1, n - a - 1), variant);
        MirrorUpper(j, n);
        var h = new double[n];
        var spread = new double[n];
        for (int b = 0; b < n; b++) spread[b] = 1 - m[b] * m[b];
        for (int a = 0; a < n; a++)
        {
            double mi = Math.Clamp(m[a], -1 + 1e-12, 1 - 1e-12);
            var row = j.AsSpan(a * n, n);
            double local = VectorMath.Dot(row, m), onsager = WeightedSquares(row, spread);
            h[a] = Math.Atanh(mi) - local + (variant == MeanFieldVariant.Tap ? m[a] * onsager : 0);
        }
        return (h, j, clamped);
    }

    // Couplings of row a right of the diagonal from the symmetric inverse c = (C⁻¹)_ab: nMF −c; TAP −2c/(1 + √(1 − 8 c m_a m_b))
    // with a negative discriminant clamped to 0 (counted).
    private static int CouplingRow(ReadOnlySpan<double> c, double ma, ReadOnlySpan<double> mb, Span<double> j, MeanFieldVariant variant)
    {
        int k = 0, clamped = 0;
        if (variant == MeanFieldVariant.Naive)
        {
            for (; k < c.Length; k++) j[k] = -c[k];
            return 0;
        }
        if (VectorMath.IsAccelerated)
        {
            var one = Vector512<double>.One;
            var eight = Vector512.Create(8.0);
            var minusTwo = Vector512.Create(-2.0);
            var maV = Vector512.Create(ma);
            for (; k <= c.Length - Vector512<double>.Count; k += Vector512<double>.Count)
            {
                var cv = Vector512.Create(c.Slice(k, Vector512<double>.Count));
                var disc = one - eight * cv * maV * Vector512.Create(mb.Slice(k, Vector512<double>.Count));
                var negative = Vector512.LessThan(disc, Vector512<double>.Zero);
                clamped += BitOperations.PopCount(negative.ExtractMostSignificantBits());
                disc = Vector512.ConditionalSelect(negative, Vector512<double>.Zero, disc);
                (minusTwo * cv / (one + Vector512.Sqrt(disc))).CopyTo(j.Slice(k, Vector512<double>.Count));
            }
        }
        for (; k < c.Length; k++)
        {
            double disc = 1 - 8 * c[k] * ma * mb[k];
            if (disc < 0) { disc = 0; clamped++; }
            j[k] = -2 * c[k] / (1 + Math.Sqrt(disc));
        }
        return clamped;
    }

    // target = (source + sourceᵀ)/2, entry by entry as (x_ij + x_ji)·0.5, 32 × 32 tiles at a time (the transposed reads of a
    // tile stay in cache); source and target may be the same array.
    private static void SymmetricPart(double[] source, double[] target, int n)
    {
        const int Tile = 32;
        for (int a0 = 0; a0 < n; a0 += Tile)
            for (int b0 = a0; b0 < n; b0 += Tile)
                for (int a = a0; a < Math.Min(a0 + Tile, n); a++)
                {
                    if (b0 == a0) target[a * n + a] = source[a * n + a];
                    for (int b = Math.Max(b0, a + 1); b < Math.Min(b0 + Tile, n); b++)
                    {
                        double value = (source[a * n + b] + source[b * n + a]) * 0.5;
                        target[a * n + b] = value;
                        target[b * n + a] = value;
                    }
                }
    }

    // J_ba = J_ab below the diagonal, 32 × 32 tiles at a time (the transposed writes of a tile stay in cache).
    private static void MirrorUpper(double[] j, int n)
    {
        const int Tile = 32;
        for (int a0 = 0; a0 < n; a0 += Tile)
            for (int b0 = a0; b0 < n; b0 += Tile)
                for (int b = b0; b < Math.Min(b0 + Tile, n); b++)
                    for (int a = a0; a < Math.Min(Math.Min(a0 + Tile, n), b); a++)
                        j[b * n + a] = j[a * n + b];
    }

    // Σ x_k² w_k.
    private static double WeightedSquares(ReadOnlySpan<double> x, ReadOnlySpan<double> w)
    {
        int k = 0;
        double sum = 0;
        if (VectorMath.IsAccelerated && x.Length >= Vector512<double>.Count)
        {
            var acc = Vector512<double>.Zero;
            for (; k <= x.Length - Vector512<double>.Count; k += Vector512<double>.Count)
            {
                var v = Vector512.Create(x.Slice(k, Vector512<double>.Count));
                acc += v * v * Vector512.Create(w.Slice(k, Vector512<double>.Count));
            }
            sum = Vector512.Sum(acc);
        }
        for (; k < x.Length; k++) sum += x[k] * x[k] * w[k];
        return sum;
    }
}
