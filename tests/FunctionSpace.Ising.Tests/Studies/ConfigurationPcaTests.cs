using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Studies;
using FunctionSpace.Ising.Training;
using MathNet.Numerics.LinearAlgebra;

namespace FunctionSpace.Ising.Tests.Studies;

public class ConfigurationPcaTests
{
    [Fact]
    public void Gram_route_matches_the_covariance_eigenvectors()
    {
        const int m = 12, n = 30;
        var rng = new SplitMix64(21);
        var spins = new sbyte[m * n];
        for (int i = 0; i < spins.Length; i++) spins[i] = rng.NextDouble() < 0.3 ? (sbyte)-1 : (sbyte)1;
        var embedding = ConfigurationPca.Embed2D(spins, m, n);

        // Independent route: n × n covariance, MathNet symmetric EVD.
        var x = Matrix<double>.Build.Dense(m, n, (r, c) => spins[r * n + c]);
        var mean = x.ColumnSums() / m;
        var centred = x - Matrix<double>.Build.Dense(m, n, (r, c) => mean[c]);
        var covariance = centred.TransposeThisAndMultiply(centred) / m;
        var evd = covariance.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        var order = Enumerable.Range(0, n).OrderByDescending(i => evd.EigenValues[i].Real).ToArray();
        Assert.Equal(covariance.Trace(), embedding.TotalVariance, 10);
        for (int c = 0; c < 2; c++)
        {
            Assert.Equal(evd.EigenValues[order[c]].Real, embedding.Variances[c], 10);
            var projection = centred * evd.EigenVectors.Column(order[c]);
            // Same up to the sign convention.
            double sign = Math.Sign(projection[0]) * Math.Sign(embedding.Coordinates[c]);
            for (int r = 0; r < m; r++) Assert.Equal(projection[r], sign * embedding.Coordinates[r * 2 + c], 9);
        }
    }

    [Fact]
    public void Two_clusters_separate_along_the_first_component()
    {
        // Ten copies of a configuration and ten of its negation with one flipped spin each.
        const int n = 40;
        var rng = new SplitMix64(3);
        var basis = Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.5 ? (sbyte)-1 : (sbyte)1).ToArray();
        var spins = new sbyte[20 * n];
        for (int r = 0; r < 20; r++)
            for (int j = 0; j < n; j++)
                spins[r * n + j] = (sbyte)((r < 10 ? 1 : -1) * basis[j] * (j == r ? -1 : 1));
        var e = ConfigurationPca.Embed2D(spins, 20, n);
        Assert.True(e.ExplainedFraction > 0.8);
        double first = e.Coordinates[0];
        for (int r = 0; r < 20; r++) Assert.Equal(r < 10, Math.Sign(e.Coordinates[2 * r]) == Math.Sign(first));
    }

    [Fact]
    public void Fewer_than_two_configurations_is_rejected()
    {
        var e = Assert.Throws<InputException>(() => ConfigurationPca.Embed2D(new sbyte[] { 1, -1 }, 1, 2));
        Assert.Equal("projection: need at least 2 configurations, got 1", e.Message);
    }
}
