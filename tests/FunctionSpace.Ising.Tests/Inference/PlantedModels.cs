using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Tests.Inference;

/// <summary>The shared set of small planted models every estimator is run over.</summary>
internal static class PlantedModels
{
    /// <summary>
    /// Sherrington–Kirkpatrick-like dense model: J_ij = β g_ij / √N with g ~ N(0,1), h_i ~ U(−hMax, hMax).
    /// β = 0.2 is weak (far inside the paramagnet), β = 0.5 moderate.
    /// </summary>
    public static IsingModel Dense(int n, double beta, int seed, double hMax = 0.3)
    {
        var rng = new Random(seed);
        var j = new double[n * n];
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
            {
                double g = Gaussian(rng) * beta / Math.Sqrt(n);
                j[a * n + b] = g;
                j[b * n + a] = g;
            }
        var h = Enumerable.Range(0, n).Select(_ => (2 * rng.NextDouble() - 1) * hMax).ToArray();
        return new IsingModel(h, j);
    }

    /// <summary>A random tree (spin i &gt; 0 hangs from a random earlier spin), strong couplings J ~ U(−1.5, 1.5).</summary>
    public static IsingModel Tree(int n, int seed)
    {
        var rng = new Random(seed);
        var j = new double[n * n];
        for (int a = 1; a < n; a++)
        {
            int parent = rng.Next(a);
            double g = (2 * rng.NextDouble() - 1) * 1.5;
            j[a * n + parent] = g;
            j[parent * n + a] = g;
        }
        var h = Enumerable.Range(0, n).Select(_ => (2 * rng.NextDouble() - 1) * 0.8).ToArray();
        return new IsingModel(h, j);
    }

    /// <summary>An open chain with the given nearest-neighbour couplings and fields.</summary>
    public static IsingModel Chain(double[] couplings, double[] fields)
    {
        int n = fields.Length;
        var j = new double[n * n];
        for (int a = 0; a + 1 < n; a++)
        {
            j[a * n + a + 1] = couplings[a];
            j[(a + 1) * n + a] = couplings[a];
        }
        return new IsingModel(fields, j);
    }

    /// <summary>Two spins: P ∝ exp(J s1 s2 + h1 s1 + h2 s2).</summary>
    public static IsingModel Pair(double coupling, double h1, double h2) => new([h1, h2], [0, coupling, coupling, 0]);

    /// <summary>All spin configurations of N spins, for brute-force checks (N ≤ 16).</summary>
    public static IEnumerable<sbyte[]> AllStates(int n)
    {
        for (int s = 0; s < 1 << n; s++)
            yield return Enumerable.Range(0, n).Select(i => (sbyte)(((s >> i) & 1) == 1 ? -1 : 1)).ToArray();
    }

    public static double Gaussian(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
