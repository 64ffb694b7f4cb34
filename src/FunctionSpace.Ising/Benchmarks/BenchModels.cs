using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Randomness;

namespace FunctionSpace.Ising.Benchmarks;

/// <summary>The N = 675 models the benchmarks time: published part models joined into one, with or without weak couplings between the parts.</summary>
public static class BenchModels
{
    /// <summary>The model plus Gaussian couplings N(0, scale²) on every pair the model leaves at exactly zero (seeded).</summary>
    public static IsingModel WithWeakCrossCouplings(IsingModel model, double scale, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = model.Size;
        var j = (double[])model.Couplings.Clone();
        var rng = new SplitMix64(seed);
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
            {
                if (j[a * n + b] != 0) continue;
                double v = scale * rng.NextGaussian();
                j[a * n + b] = v;
                j[b * n + a] = v;
            }
        return new IsingModel((double[])model.Fields.Clone(), j);
    }

    /// <summary>Joins part models into one model over all weights (no couplings between parts).</summary>
    public static IsingModel BlockDiagonal(IReadOnlyList<PartModel> parts, int size)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var h = new double[size];
        var j = new double[size * size];
        foreach (var part in parts)
        {
            int s = part.Part.Start, n = part.Part.Length;
            part.Model.Fields.CopyTo(h, s);
            for (int a = 0; a < n; a++)
                part.Model.Couplings.AsSpan(a * n, n).CopyTo(j.AsSpan((s + a) * size + s, n));
        }
        return new IsingModel(h, j);
    }
}
