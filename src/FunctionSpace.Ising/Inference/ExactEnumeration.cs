using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inference;

/// <summary>Everything exact enumeration knows about a small model.</summary>
/// <param name="LogZ">ln Z = ln Σ_s exp(−E(s)).</param>
/// <param name="Moments">Exact ⟨s_i⟩ and ⟨s_i s_j⟩.</param>
/// <param name="MeanEnergy">⟨E⟩.</param>
/// <param name="EnergyVariance">⟨E²⟩ − ⟨E⟩² (the heat capacity at β = 1).</param>
/// <param name="Entropy">S = −Σ p ln p = ln Z + ⟨E⟩.</param>
public sealed record ExactSolution(double LogZ, Moments Moments, double MeanEnergy, double EnergyVariance, double Entropy);

/// <summary>
/// Exact sums over all 2^N configurations: the test oracle for every approximate method.
/// </summary>
/// <remarks>
/// States are visited in Gray-code order, so consecutive states differ by one spin and the energy changes by
/// ΔE = 2 s_k (h_k + Σ_j J_kj s_j); the local fields are updated in O(N) per step. Weights are accumulated
/// relative to a running maximum of −E (an online log-sum-exp) so no exponential overflows.
/// </remarks>
public static class ExactEnumeration
{
    /// <summary>Largest N <see cref="Solve"/> accepts.</summary>
    public const int MaxSolveSize = 24;

    /// <summary>Largest N <see cref="Probabilities"/> accepts.</summary>
    public const int MaxProbabilitySize = 20;

    /// <summary>ln Z, moments, energy mean/variance and entropy by enumerating all 2^N states (N ≤ 24).</summary>
    public static ExactSolution Solve(IsingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = model.Size;
        if (n > MaxSolveSize) throw new InputException($"exact enumeration: {n} spins, at most {MaxSolveSize}");
        var spins = new double[n];
        var local = new double[n];   // Σ_j J_ij s_j
        Array.Fill(spins, 1.0);
        var J = model.Couplings;
        var h = model.Fields;
        RecomputeLocal(J, spins, local);
        double energy = EnergyOf(h, spins, local);

        double shift = -energy;          // running reference for −E
        double z = 0, sumE = 0, sumE2 = 0;
        var sumM = new double[n];
        var sumC = new double[n * n];    // upper triangle accumulated
        var weighted = new double[n];
        long states = 1L << n;
        for (long t = 0; t < states; t++)
        {
            if (t > 0)
            {
                int k = System.Numerics.BitOperations.TrailingZeroCount(t);
                double sk = spins[k];
                energy += 2 * sk * (h[k] + local[k]);   // ΔE of flipping s_k
                spins[k] = -sk;
                var row = J.AsSpan(k * n, n);
                double delta = -2 * sk;
                for (int j = 0; j < n; j++) local[j] += delta * row[j];
                if ((t & 4095) == 0)
                {
                    // Re-anchor against round-off drift of the incremental updates.
                    RecomputeLocal(J, spins, local);
                    energy = EnergyOf(h, spins, local);
                }
            }
            double logWeight = -energy - shift;
            if (logWeight > 30)
            {
                // Rescale the accumulators to a new reference so weights stay ≤ e^30.
                double factor = Math.Exp(-logWeight);
                z *= factor; sumE *= factor; sumE2 *= factor;
                for (int i = 0; i < n; i++) sumM[i] *= factor;
                for (int i = 0; i < sumC.Length; i++) sumC[i] *= factor;
                shift = -energy;
                logWeight = 0;
            }
            double w = Math.Exp(logWeight);
            z += w;
            sumE += w * energy;
            sumE2 += w * energy * energy;
            for (int i = 0; i < n; i++) weighted[i] = w * spins[i];
            for (int i = 0; i < n; i++)
            {
                sumM[i] += weighted[i];
                double wi = weighted[i];
                var c = sumC.AsSpan(i * n, n);
                for (int j = i + 1; j < n; j++) c[j] += wi * spins[j];
            }
        }

        var m = new double[n];
        var c2 = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            m[i] = sumM[i] / z;
            c2[i * n + i] = 1;
            for (int j = i + 1; j < n; j++)
            {
                double v = sumC[i * n + j] / z;
                c2[i * n + j] = v;
                c2[j * n + i] = v;
            }
        }
        double logZ = Math.Log(z) + shift;
        double meanE = sumE / z;
        double varE = Math.Max(0, sumE2 / z - meanE * meanE);
        return new ExactSolution(logZ, new Moments(m, c2), meanE, varE, logZ + meanE);
    }

    /// <summary>
    /// p(s) for all 2^N states (N ≤ 20), indexed by the integer whose bit i is set when s_i = −1.
    /// </summary>
    public static double[] Probabilities(IsingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = model.Size;
        if (n > MaxProbabilitySize) throw new InputException($"exact probabilities: {n} spins, at most {MaxProbabilitySize}");
        var spins = new double[n];
        var local = new double[n];
        Array.Fill(spins, 1.0);
        var J = model.Couplings;
        var h = model.Fields;
        RecomputeLocal(J, spins, local);
        double energy = EnergyOf(h, spins, local);
        long states = 1L << n;
        var logWeights = new double[states];
        long index = 0;   // the state as a bit pattern; Gray-code step t flips bit k
        double max = double.NegativeInfinity;
        for (long t = 0; t < states; t++)
        {
            if (t > 0)
            {
                int k = System.Numerics.BitOperations.TrailingZeroCount(t);
                double sk = spins[k];
                energy += 2 * sk * (h[k] + local[k]);
                spins[k] = -sk;
                var row = J.AsSpan(k * n, n);
                double delta = -2 * sk;
                for (int j = 0; j < n; j++) local[j] += delta * row[j];
                index ^= 1L << k;
                if ((t & 4095) == 0)
                {
                    RecomputeLocal(J, spins, local);
                    energy = EnergyOf(h, spins, local);
                }
            }
            logWeights[index] = -energy;
            if (-energy > max) max = -energy;
        }
        double z = 0;
        for (long s = 0; s < states; s++) { logWeights[s] = Math.Exp(logWeights[s] - max); z += logWeights[s]; }
        for (long s = 0; s < states; s++) logWeights[s] /= z;
        return logWeights;
    }

    private static void RecomputeLocal(double[] J, double[] spins, double[] local)
    {
        int n = spins.Length;
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            var row = J.AsSpan(i * n, n);
            for (int j = 0; j < n; j++) sum += row[j] * spins[j];
            local[i] = sum;
        }
    }

    // E = −Σ_i s_i (h_i + ½ Σ_j J_ij s_j).
    private static double EnergyOf(double[] h, double[] spins, double[] local)
    {
        double e = 0;
        for (int i = 0; i < spins.Length; i++) e -= spins[i] * (h[i] + 0.5 * local[i]);
        return e;
    }
}

/// <summary>Moments by exact enumeration (N ≤ 24): the reference estimator.</summary>
public sealed class ExactMomentEstimator : IMomentEstimator
{
    /// <inheritdoc />
    public Moments Estimate(IsingModel model, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        return ExactEnumeration.Solve(model).Moments;
    }
}
