using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Tests.Landscape;

/// <summary>
/// Curie–Weiss in the gauge of a random reference σ*: J_ij = (K/N) σ*_i σ*_j, h_i = h σ*_i. With s_i = σ*_i τ_i the model
/// tilted by x toward σ* is the ferromagnet −(K/N) Σ_{i&lt;j} τ_i τ_j − (h + x) Σ_i τ_i, and d = (1 − ⟨τ⟩)/2: a landscape
/// whose BP fixed points solve a one-dimensional equation, first order below the critical temperature ((N − 2) tanh(K/N) &gt; 1).
/// </summary>
internal static class PlantedCurieWeiss
{
    public static (IsingModel Model, sbyte[] Reference) Create(int n, double coupling, double field, int seed = 3)
    {
        var random = new Random(seed);
        var sigma = Enumerable.Range(0, n).Select(_ => (sbyte)(random.Next(2) == 0 ? -1 : 1)).ToArray();
        var j = new double[n * n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                if (a != b) j[a * n + b] = coupling / n * sigma[a] * sigma[b];
        return (new IsingModel(sigma.Select(s => field * s).ToArray(), j), sigma);
    }
}
