using System.Diagnostics;
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
        if (!(ridge >= 0)) throw new InputException($"--ridge: {ridge} must be ≥ 0");
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
        return new FitResult(new IsingModel(h, j), Name, 0, FitStopReason.ClosedForm, [], 0, watch.Elapsed)
        {
            Diagnostics = new Dictionary<string, object?> { ["ridge"] = Ridge, ["tap_pairs_clamped"] = clamped },
        };
    }

    /// <summary>
    /// The kernel: fields and couplings (N×N, symmetric, zero diagonal) from magnetisations and the connected
    /// correlation matrix. Returns also how many TAP pairs had a negative discriminant (clamped to 0).
    /// Throws an <see cref="InputException"/> when C (+ ridge) is not positive definite.
    /// </summary>
    public static (double[] Fields, double[] Couplings, int ClampedPairs) Invert(double[] m, double[] connected,
        MeanFieldVariant variant, double ridge = 0)
    {
        int n = m.Length;
        if (connected.Length != n * n) throw new ArgumentException("connected correlations must be N×N");
        double[] inverse;
        using (NewDisposeScope())
        {
            var c = tensor(connected, [n, n], ScalarType.Float64);
            c = 0.5 * (c + c.t());
            if (ridge > 0) c = c + ridge * eye(n, dtype: ScalarType.Float64);
            var (factor, info) = linalg.cholesky_ex(c);
            if (info.item<int>() != 0)
                throw new InputException($"connected correlation matrix ({n}x{n}) is not positive definite (frozen or duplicated spins?); use --ridge > 0");
            inverse = cholesky_inverse(factor).contiguous().data<double>().ToArray();
        }
        var j = new double[n * n];
        int clamped = 0;
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
            {
                double cinv = 0.5 * (inverse[a * n + b] + inverse[b * n + a]);
                double value;
                if (variant == MeanFieldVariant.Naive) value = -cinv;
                else
                {
                    double disc = 1 - 8 * cinv * m[a] * m[b];
                    if (disc < 0) { disc = 0; clamped++; }
                    value = -2 * cinv / (1 + Math.Sqrt(disc));
                }
                j[a * n + b] = j[b * n + a] = value;
            }
        var h = new double[n];
        for (int a = 0; a < n; a++)
        {
            double mi = Math.Clamp(m[a], -1 + 1e-12, 1 - 1e-12);
            double local = 0, onsager = 0;
            for (int b = 0; b < n; b++)
            {
                double jab = j[a * n + b];
                local += jab * m[b];
                onsager += jab * jab * (1 - m[b] * m[b]);
            }
            h[a] = Math.Atanh(mi) - local + (variant == MeanFieldVariant.Tap ? m[a] * onsager : 0);
        }
        return (h, j, clamped);
    }
}
