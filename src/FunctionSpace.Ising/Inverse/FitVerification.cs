using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inverse;

/// <summary>A model's moments by Monte Carlo on fresh chains, compared with the data.</summary>
/// <param name="Rmse">RMSE = sqrt(mean Δm² + mean_{i≠j} ΔC²) of the Monte-Carlo moments against the data.</param>
/// <param name="NoiseRmse">The RMSE Monte-Carlo noise alone gives: sqrt(mean σ_m² + mean_{i≠j} σ_C²), σ the standard errors
/// from the spread over chains.</param>
/// <param name="Moments">The Monte-Carlo (Rao-Blackwellised) moments.</param>
/// <param name="Mixing">Whether the chains sample one distribution (overlaps within vs between chains).</param>
/// <param name="Run">The run (samples, options, mirror-move acceptance).</param>
public sealed record VerifiedMoments(double Rmse, double NoiseRmse, Moments Moments, MixingCheck Mixing, MonteCarloRun? Run)
{
    /// <summary>
    /// The model's RMSE without the Monte-Carlo noise: sqrt(max(0, RMSE² − noise²)). Each estimated moment is the model's
    /// moment plus independent noise of variance σ², so E[(estimate − data)²] = (model − data)² + σ², and subtracting the
    /// estimated σ² leaves an unbiased estimate of the squared error (averaged over N² entries, a precise one).
    /// </summary>
    public double CorrectedRmse => Math.Sqrt(Math.Max(0, Rmse * Rmse - NoiseRmse * NoiseRmse));

    /// <summary>
    /// Standard error of <see cref="CorrectedRmse"/> from its spread over independent groups of chains (0 when exact, NaN when
    /// there were too few chains to split). On a model with a collective mode the error entries move together, so this is
    /// much larger than the per-entry noise suggests.
    /// </summary>
    public double CorrectedRmseError { get; init; }

    /// <summary>The moments of the independent-site model h_i = atanh m_i, J = 0, which are known exactly (no noise).</summary>
    public static VerifiedMoments Exact(Moments data, Moments model) =>
        new(data.Rmse(model), 0, model, new MixingCheck(double.NaN, double.NaN, 0, 0, true), null);
}

/// <summary>Monte-Carlo verification of fitted models: fresh chains from random starts, mirror moves, Rao-Blackwellised moments.</summary>
public static class FitVerification
{
    /// <summary>
    /// Samples <paramref name="model"/> with <paramref name="options"/> (heat bath; mirror moves as set there), estimates its
    /// moments (Rao-Blackwellised, errors from the chain spread) and compares them with <paramref name="data"/>.
    /// </summary>
    public static VerifiedMoments Verify(IsingModel model, Moments data, MonteCarloOptions options,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Chains < 2) throw new InputException($"Monte-Carlo check: {options.Chains} chain(s); at least 2 are needed for its error and mixing check");
        var run = MonteCarlo.Sample(model, options, null, progress, ct);
        // The whole run and, for the error of its corrected RMSE, ErrorGroups disjoint groups of its chains, in one pass.
        int groups = run.Chains % ErrorGroups == 0 && run.Chains / ErrorGroups >= 2 ? ErrorGroups : 1;
        var estimates = SampleStatistics.RaoBlackwellGroups(model, run.Samples, run.SampleCount, run.Chains, groups);
        var (moments, seM, seC) = estimates[0];
        var mixing = ChainMixing.Check(run.Samples, run.SampleCount, model.Size, run.Chains);
        return new VerifiedMoments(data.Rmse(moments), NoiseRmse(seM, seC, model.Size), moments, mixing, run)
        {
            CorrectedRmseError = groups > 1 ? GroupError(data, estimates.Skip(1).ToList(), model.Size) : double.NaN,
        };
    }

    /// <summary>Groups of chains whose corrected RMSEs give <see cref="VerifiedMoments.CorrectedRmseError"/>.</summary>
    public const int ErrorGroups = 4;

    // sd/√G of the corrected RMSE of G disjoint groups of chains (each corrected with its own chains' noise): a group's
    // estimate has G times the variance of the whole run's.
    private static double GroupError(Moments data, IReadOnlyList<(Moments Moments, double[] MagnetisationErrors, double[] SecondMomentErrors)> groups, int n)
    {
        var estimates = groups.Select(g =>
        {
            double rmse = data.Rmse(g.Moments), noise = NoiseRmse(g.MagnetisationErrors, g.SecondMomentErrors, n);
            return Math.Sqrt(Math.Max(0, rmse * rmse - noise * noise));
        }).ToArray();
        double mean = estimates.Average();
        return Math.Sqrt(estimates.Sum(e => (e - mean) * (e - mean)) / (estimates.Length - 1) / estimates.Length);
    }

    /// <summary>
    /// As <see cref="Verify"/>, measured again with more samples when its noise is more than half the error it measures
    /// (max(corrected RMSE, <paramref name="errorScale"/>)): the samples that bring the noise to 0.4 × that error, at most 4×
    /// the given ones. The noise correction subtracts two squares, and when the noise dominates their difference is
    /// uncertain; at 0.4 × the error the corrected RMSE is within ~10 % of the truth.
    /// </summary>
    public static VerifiedMoments VerifyToPrecision(IsingModel model, Moments data, MonteCarloOptions options, double errorScale,
        Func<ulong, ulong> reseed, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reseed);
        var check = Verify(model, data, options, progress, ct);
        double error = Math.Max(check.CorrectedRmse, errorScale);
        if (check.NoiseRmse <= 0.5 * error) return check;
        double factor = Math.Min(MaxSampleFactor, Math.Pow(check.NoiseRmse / (0.4 * error), 2));
        return Verify(model, data, options with { Seed = reseed(options.Seed), Samples = (int)Math.Ceiling(options.Samples * factor) }, progress, ct);
    }

    /// <summary>Most samples <see cref="VerifyToPrecision"/> asks for, as a multiple of the given ones.</summary>
    public const int MaxSampleFactor = 4;

    /// <summary>The independent-site model of the data: h_i = atanh m_i (|m_i| clamped to 0.999), J = 0.</summary>
    public static IsingModel IndependentModel(Moments data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new IsingModel(data.Magnetisations.Select(m => Math.Atanh(Math.Clamp(m, -MaxMagnetisation, MaxMagnetisation))).ToArray(),
            new double[data.Size * data.Size]);
    }

    /// <summary>Largest |m| an independent-site field reproduces (h = atanh 0.999 ≈ 3.8): frozen spins of the data get it.</summary>
    public const double MaxMagnetisation = 0.999;

    /// <summary>The exact moments of <see cref="IndependentModel"/> (m_i clamped, ⟨s_i s_j⟩ = m_i m_j) and their RMSE against the data.</summary>
    public static VerifiedMoments Independent(Moments data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int n = data.Size;
        var m = data.Magnetisations.Select(v => Math.Clamp(v, -MaxMagnetisation, MaxMagnetisation)).ToArray();
        var c = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) c[i * n + j] = i == j ? 1 : m[i] * m[j];
        return VerifiedMoments.Exact(data, new Moments(m, c));
    }

    /// <summary>sqrt(mean σ_m² + mean_{i≠j} σ_C²).</summary>
    public static double NoiseRmse(double[] magnetisationErrors, double[] secondMomentErrors, int n)
    {
        double a = magnetisationErrors.Average(v => v * v), b = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) if (i != j) b += secondMomentErrors[i * n + j] * secondMomentErrors[i * n + j];
        return Math.Sqrt(a + (n > 1 ? b / (n * (n - 1.0)) : 0));
    }
}
