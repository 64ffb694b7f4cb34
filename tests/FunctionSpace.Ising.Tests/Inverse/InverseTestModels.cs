using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Tests.Inverse;

/// <summary>Random models and exact samples for the inverse-problem tests.</summary>
internal static class InverseTestModels
{
    /// <summary>Dense model with J_ij ~ U(−a, a), h_i ~ U(−b, b).</summary>
    public static IsingModel Random(int n, double couplingScale, double fieldScale, int seed)
    {
        var rng = new Random(seed);
        var j = new double[n * n];
        var h = new double[n];
        for (int i = 0; i < n; i++)
        {
            h[i] = fieldScale * (2 * rng.NextDouble() - 1);
            for (int k = i + 1; k < n; k++) j[i * n + k] = j[k * n + i] = couplingScale * (2 * rng.NextDouble() - 1);
        }
        return new IsingModel(h, j);
    }

    /// <summary>M independent configurations drawn from the exact Boltzmann distribution (N ≤ 20).</summary>
    public static sbyte[] ExactSamples(IsingModel model, int count, int seed)
    {
        double[] p = ExactEnumeration.Probabilities(model);
        var cumulative = new double[p.Length];
        double sum = 0;
        for (int k = 0; k < p.Length; k++) { sum += p[k]; cumulative[k] = sum; }
        var rng = new Random(seed);
        int n = model.Size;
        var spins = new sbyte[count * n];
        for (int mu = 0; mu < count; mu++)
        {
            int state = Array.BinarySearch(cumulative, rng.NextDouble() * sum);
            if (state < 0) state = ~state;
            state = Math.Min(state, p.Length - 1);
            for (int i = 0; i < n; i++) spins[mu * n + i] = (state >> i & 1) == 1 ? (sbyte)-1 : (sbyte)1;
        }
        return spins;
    }
}
