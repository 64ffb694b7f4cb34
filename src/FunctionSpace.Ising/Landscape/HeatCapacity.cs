using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;
using MathNet.Numerics.Integration;

namespace FunctionSpace.Ising.Landscape;

/// <summary>The energy variance of a model at one inverse temperature, with its standard error (0 when exact).</summary>
/// <param name="Variance">Var_β(E) of the unscaled energy E (β·E is what the β-model samples).</param>
/// <param name="StandardError">Standard error of <paramref name="Variance"/>.</param>
public readonly record struct EnergyVariance(double Variance, double StandardError);

/// <summary>Computes Var_β(E) of a model: exactly, or by Monte Carlo.</summary>
public interface IEnergyVarianceSource
{
    /// <summary>Var(E) under P_β(s) ∝ exp(−β E(s)) of <paramref name="model"/>.</summary>
    EnergyVariance At(IsingModel model, double beta, CancellationToken ct);
}

/// <summary>Exact enumeration (N ≤ 24): the ground truth of the heat-capacity integral.</summary>
public sealed class ExactEnergyVariance : IEnergyVarianceSource
{
    /// <inheritdoc />
    public EnergyVariance At(IsingModel model, double beta, CancellationToken ct) =>
        new(ExactEnumeration.Solve(model.Scaled(beta)).EnergyVariance / (beta * beta), 0);
}

/// <summary>Metropolis Monte Carlo: the sample variance of the energy; its error from the spread between chains.</summary>
/// <param name="options">Sampler options (chains, sweeps, seed); every β uses a seed derived from it and the β index.</param>
public sealed class MonteCarloEnergyVariance(MonteCarloOptions options) : IEnergyVarianceSource
{
    private int _calls;

    /// <summary>The sampler options.</summary>
    public MonteCarloOptions Options { get; } = options;

    /// <inheritdoc />
    public EnergyVariance At(IsingModel model, double beta, CancellationToken ct)
    {
        var run = MonteCarlo.Sample(model.Scaled(beta), Options with { Seed = Options.Seed + 7919UL * (ulong)Interlocked.Increment(ref _calls) }, null, null, ct);
        // The β-model's energies are β E; Var(E) = Var(βE)/β². Per-chain variances give an error bar that
        // includes autocorrelation within chains (chains are independent).
        int chains = Options.Chains, per = run.Energies.Length / chains;
        var chainVariances = new double[chains];
        for (int c = 0; c < chains; c++)
        {
            var slice = run.Energies.AsSpan(c * per, per);
            double mean = 0; foreach (double e in slice) mean += e; mean /= per;
            double v = 0; foreach (double e in slice) v += (e - mean) * (e - mean);
            chainVariances[c] = v / Math.Max(1, per - 1) / (beta * beta);
        }
        double variance = run.EnergyVariance / (beta * beta);
        double spread = chains > 1 ? Math.Sqrt(chainVariances.Sum(v => (v - chainVariances.Average()) * (v - chainVariances.Average())) / (chains - 1) / chains) : double.NaN;
        return new EnergyVariance(variance, spread);
    }
}

/// <summary>The heat-capacity integral, node by node.</summary>
/// <param name="Betas">Quadrature nodes in (0, 1).</param>
/// <param name="Weights">Quadrature weights.</param>
/// <param name="Variances">Var_β(E) at each node.</param>
/// <param name="Entropy">S = N ln 2 − Σ_k w_k β_k Var_βk(E).</param>
/// <param name="StandardError">Propagated standard error of <paramref name="Entropy"/> (0 when exact).</param>
/// <param name="Size">N.</param>
public sealed record HeatCapacityResult(double[] Betas, double[] Weights, double[] Variances, double Entropy, double StandardError, int Size)
{
    /// <summary>S/N.</summary>
    public double EntropyDensity => Entropy / Size;
}

/// <summary>
/// Entropy from the heat capacity (Zou &amp; Huang App. H), for where BP fails: dS/dβ = −β Var_β(E), hence
/// S(β=1) = N ln 2 − ∫₀¹ β Var_β(E) dβ. For a landscape point pass the tilted model (fields h + xσ*): the
/// coupling-field term is then part of E and of its variance.
/// </summary>
public static class HeatCapacity
{
    /// <summary>Integrates β Var_β(E) over β ∈ [0, 1] with an <paramref name="nodes"/>-point Gauss–Legendre rule.</summary>
    public static HeatCapacityResult Entropy(IsingModel model, IEnergyVarianceSource source, int nodes = 16,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        if (nodes < 2) throw new InputException($"--heat-capacity-nodes: need at least 2, got {nodes}");
        var rule = new GaussLegendreRule(0, 1, nodes);
        double[] betas = rule.Abscissas, weights = rule.Weights;
        var variances = new double[nodes];
        var errors = new double[nodes];
        for (int k = 0; k < nodes; k++)
        {
            ct.ThrowIfCancellationRequested();
            var v = source.At(model, betas[k], ct);
            variances[k] = v.Variance;
            errors[k] = v.StandardError;
            progress?.Report(new ProgressReport("heat capacity", k + 1, nodes, "β nodes", $"β={betas[k]:F3} Var(E)={v.Variance:G4}"));
        }
        double integral = 0, errorSquared = 0;
        for (int k = 0; k < nodes; k++)
        {
            integral += weights[k] * betas[k] * variances[k];
            errorSquared += Math.Pow(weights[k] * betas[k] * errors[k], 2);
        }
        return new HeatCapacityResult(betas, weights, variances, model.Size * Math.Log(2) - integral, Math.Sqrt(errorSquared), model.Size);
    }
}
