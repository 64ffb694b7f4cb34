using static TorchSharp.torch;

namespace FunctionSpace.Ising.Studies;

/// <summary>A 2-D principal-component embedding of ±1 configurations.</summary>
/// <param name="Coordinates">count × 2 row-major: the projections on the first two components.</param>
/// <param name="Variances">Variance along each of the two components.</param>
/// <param name="TotalVariance">Total variance of the configurations (sum over all spin directions).</param>
public sealed record ConfigurationEmbedding(double[] Coordinates, double[] Variances, double TotalVariance)
{
    /// <summary>Fraction of the total variance the two components carry.</summary>
    public double ExplainedFraction => TotalVariance > 0 ? Variances.Sum() / TotalVariance : 0;
}

/// <summary>
/// PCA of weight configurations s ∈ {±1}^N: centre on the mean configuration, eigen-decompose the
/// covariance C = Xcᵀ Xc / m in double precision (via the m × m Gram matrix when m &lt; N, which has the
/// same non-zero spectrum), and project on the top two eigenvectors. Signs fixed so the largest-magnitude
/// entry of each component is positive (reproducible).
/// </summary>
public static class ConfigurationPca
{
    /// <summary>Embeds <paramref name="count"/> configurations of <paramref name="spinCount"/> spins (row-major).</summary>
    public static ConfigurationEmbedding Embed2D(ReadOnlySpan<sbyte> spins, int count, int spinCount)
    {
        if (count < 2) throw new InputException($"projection: need at least 2 configurations, got {count}");
        if (spins.Length != (long)count * spinCount) throw new ArgumentException($"{spins.Length} spins are not {count} × {spinCount}");
        var values = new double[spins.Length];
        for (int i = 0; i < values.Length; i++) values[i] = spins[i];
        using var scope = NewDisposeScope();
        var x = tensor(values, [count, spinCount]);
        var centred = x - x.mean([0]);
        double total = centred.square().sum().item<double>() / count;
        // Gram G = Xc Xcᵀ / m: eigenpairs (λ, u) give the projections sqrt(λ·m)·u of the rows on the
        // covariance eigenvectors v = Xcᵀ u / sqrt(λ m), i.e. coordinates Xc v = sqrt(λ m) u.
        var gram = centred.matmul(centred.t()).OverInPlace(count);
        var (eigenvalues, eigenvectors) = linalg.eigh(gram);   // ascending
        var lambda = eigenvalues.data<double>().ToArray();
        var vectors = eigenvectors.contiguous().data<double>().ToArray();   // column c = eigenvector c
        var coordinates = new double[count * 2];
        var variances = new double[2];
        for (int c = 0; c < 2; c++)
        {
            int column = count - 1 - c;
            double l = Math.Max(lambda[column], 0);
            variances[c] = l;
            double scale = Math.Sqrt(l * count);
            // Component v ∝ Xcᵀ u; fix its sign by its largest-magnitude entry.
            var u = new double[count];
            for (int r = 0; r < count; r++) u[r] = vectors[r * count + column];
            var v = centred.t().matmul(tensor(u, [count])).data<double>().ToArray();
            int arg = 0;
            for (int j = 1; j < v.Length; j++) if (Math.Abs(v[j]) > Math.Abs(v[arg]) + 1e-12) arg = j;
            double sign = v[arg] < 0 ? -1 : 1;
            for (int r = 0; r < count; r++) coordinates[r * 2 + c] = sign * scale * u[r];
        }
        return new ConfigurationEmbedding(coordinates, variances, total);
    }
}
