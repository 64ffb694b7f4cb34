using FunctionSpace.Ising.Data;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Networks;
using MathNet.Numerics.LinearAlgebra;

namespace FunctionSpace.Ising.Tests.Data;

public class PcaTests
{
    private static readonly Lazy<(IdxDataset Data, PcaBasis Basis)> Mnist = new(() =>
    {
        var data = IdxDataset.LoadEmbeddedMnist();
        return (data, Pca.Fit(data.Train.Images, 20));
    });

    [Fact]
    public void Top_20_components_of_mnist_keep_64_36_percent()
    {
        var basis = Mnist.Value.Basis;
        Assert.Equal(0.6436, basis.ExplainedVarianceFraction, 0.0001);
    }

    [Fact]
    public void Projected_training_covariance_is_diagonal_with_the_reported_variances()
    {
        var (data, basis) = Mnist.Value;
        double[] y = Pca.Project(basis, data.Train.Images);
        int n = data.Train.Count, k = basis.Components;
        var mean = new double[k];
        for (int i = 0; i < n; i++) for (int a = 0; a < k; a++) mean[a] += y[i * k + a] / n;
        var cov = new double[k, k];
        for (int i = 0; i < n; i++)
            for (int a = 0; a < k; a++)
                for (int b = 0; b <= a; b++) cov[a, b] += y[i * k + a] * y[i * k + b] / n;
        for (int a = 0; a < k; a++)
        {
            // Projections use the training mean, so their own mean is zero up to rounding.
            Assert.True(Math.Abs(mean[a]) < 1e-9, $"component {a} mean {mean[a]}");
            Assert.Equal(basis.Variances[a], cov[a, a], basis.Variances[a] * 1e-9);
            for (int b = 0; b < a; b++) Assert.True(Math.Abs(cov[a, b]) < 1e-9 * basis.Variances[0], $"cov[{a},{b}] = {cov[a, b]}");
        }
        for (int a = 1; a < k; a++) Assert.True(basis.Variances[a] <= basis.Variances[a - 1]);
    }

    [Fact]
    public void Components_are_orthonormal()
    {
        var basis = Mnist.Value.Basis;
        int d = basis.InputDimension;
        for (int a = 0; a < basis.Components; a++)
            for (int b = 0; b <= a; b++)
            {
                double dot = 0;
                for (int j = 0; j < d; j++) dot += basis.Basis[a * d + j] * basis.Basis[b * d + j];
                Assert.Equal(a == b ? 1.0 : 0.0, dot, 1e-10);
            }
    }

    [Fact]
    public void Reduced_test_set_equals_the_studys_own_projections()
    {
        // The study's PCA coordinates of the MNIST test set (label, then 50 components per row). Our 20 must equal
        // their first 20 to rounding: same directions, same signs (its eigensolver's orientation), same centring
        // (the test set on its own mean). Measured difference 3e-12 against coordinates of size up to 10; the bound
        // 1e-9 leaves room for the order of summation and nothing for a sign or a shifted mean (≥ 1e-2).
        var reduced = DatasetLoader.Load(null, 20, null).Reduced;
        var study = Npy.Read(Path.Combine(SharedData.ReferenceDirectory(), "pca", "test_pca50.npy"));
        Assert.Equal([10000, 51], study.Shape);
        var values = study.ToDoubles();
        double largest = 0;
        for (int r = 0; r < reduced.TestCount; r++)
        {
            Assert.Equal(reduced.TestLabels[r], values[r * 51]);
            for (int c = 0; c < 20; c++)
                largest = Math.Max(largest, Math.Abs(reduced.TestInputs[r * 20 + c] - values[r * 51 + 1 + c]));
        }
        Assert.True(largest < 1e-9, $"largest difference from the study's test projections {largest:G3}");
    }

    [Theory]
    [InlineData("under-para")]
    [InlineData("over-para")]
    [InlineData("shallow")]
    public void Published_reference_configurations_reach_their_recorded_test_accuracy(string scenario)
    {
        // Each refs_E{l,m,h}.txt row records its network's test accuracy (second column, 4 decimals = a count of the
        // 10,000 test images). On our reduced test set the same weights must give the same count: |Δ| < 0.5e-4.
        var reduced = DatasetLoader.Load(null, 20, null).Reduced;
        var published = PublishedScenario.Open(Path.Combine(SharedData.ReferenceDirectory(), scenario));
        var spins = published.References.SelectMany(r => r.Spins).ToArray();
        using var evaluator = new BinaryEvaluator(published.Architecture, reduced.TestInputs, reduced.TestLabels);
        float[] accuracy = evaluator.Accuracy(spins, published.References.Count);
        for (int r = 0; r < accuracy.Length; r++)
            Assert.True(Math.Abs(accuracy[r] - published.References[r].Accuracy) < 0.5e-4,
                $"{published.References[r].Label}: accuracy {accuracy[r]:F4} on our data, {published.References[r].Accuracy:F4} recorded");
    }

    [Fact]
    public void Largest_entry_orientation_makes_each_components_largest_entry_positive()
    {
        var data = Mnist.Value.Data;
        const int n = 2000;
        int d = data.Train.Images.PixelsPerImage;
        var subset = new IdxImages(n, data.Train.Images.Rows, data.Train.Images.Columns, data.Train.Images.Pixels.AsSpan(0, n * d).ToArray());
        var basis = Pca.Fit(subset, 10, PcaOrientation.LargestEntryPositive);
        for (int a = 0; a < basis.Components; a++)
        {
            var row = basis.Basis.AsSpan(a * d, d);
            int argMax = 0;
            for (int j = 1; j < d; j++) if (Math.Abs(row[j]) > Math.Abs(row[argMax])) argMax = j;
            Assert.True(row[argMax] > 0, $"component {a}: largest entry must be positive");
        }
    }

    [Fact]
    public void Agrees_with_an_independent_covariance_eigendecomposition()
    {
        // Independent route: covariance by plain loops, eigen-decomposition by MathNet (managed LAPACK port),
        // on a 1,500-image subset so the check stays fast.
        var data = Mnist.Value.Data;
        const int n = 1500, k = 10;
        int d = data.Train.Images.PixelsPerImage;
        var subset = new IdxImages(n, data.Train.Images.Rows, data.Train.Images.Columns, data.Train.Images.Pixels.AsSpan(0, n * d).ToArray());
        var basis = Pca.Fit(subset, k, PcaOrientation.LargestEntryPositive);

        var mean = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += subset.Pixels[i * d + j] / 255.0 / n;
        var cov = Matrix<double>.Build.Dense(d, d);
        var x = new double[d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++) x[j] = subset.Pixels[i * d + j] / 255.0 - mean[j];
            for (int a = 0; a < d; a++)
            {
                if (x[a] == 0) continue;
                for (int b = 0; b < d; b++) cov[a, b] += x[a] * x[b] / n;
            }
        }
        var evd = cov.Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(c => c.Real).ToArray();
        var order = Enumerable.Range(0, d).OrderByDescending(i => values[i]).ToArray();
        Assert.Equal(cov.Trace(), basis.TotalVariance, 1e-9 * cov.Trace());
        for (int c = 0; c < k; c++)
        {
            Assert.Equal(values[order[c]], basis.Variances[c], 1e-9 * values[order[0]]);
            var v = evd.EigenVectors.Column(order[c]);
            double dot = 0;
            for (int j = 0; j < d; j++) dot += v[j] * basis.Basis[c * d + j];
            Assert.Equal(1.0, Math.Abs(dot), 1e-7);   // same direction up to sign
        }
    }

    [Fact]
    public void Cache_hits_on_second_load_and_recovers_from_corruption()
    {
        using var data = new TempDirectory();
        using var cache = new TempDirectory();
        SyntheticIdx.Write(data.Path, train: 300, test: 50, seed: 3);
        var raw = IdxDataset.Load(data.Path);

        var first = PcaCache.LoadOrCompute(raw, 5, cache.Path, out var outcome1);
        var second = PcaCache.LoadOrCompute(raw, 5, cache.Path, out var outcome2);
        Assert.Equal(PcaCacheOutcome.Computed, outcome1);
        Assert.Equal(PcaCacheOutcome.Hit, outcome2);
        Assert.Equal(first.TrainInputs, second.TrainInputs);
        Assert.Equal(first.TestInputs, second.TestInputs);
        Assert.Equal(first.Pca.Basis, second.Pca.Basis);

        string file = PcaCache.PathFor(cache.Path, first.SourceKey);
        byte[] bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(file, bytes);
        var third = PcaCache.LoadOrCompute(raw, 5, cache.Path, out var outcome3);
        Assert.Equal(PcaCacheOutcome.RecomputedCorrupt, outcome3);
        Assert.Equal(first.TrainInputs, third.TrainInputs);
        PcaCache.LoadOrCompute(raw, 5, cache.Path, out var outcome4);
        Assert.Equal(PcaCacheOutcome.Hit, outcome4);

        File.WriteAllBytes(file, bytes.AsSpan(0, 100).ToArray());   // truncated
        PcaCache.LoadOrCompute(raw, 5, cache.Path, out var outcome5);
        Assert.Equal(PcaCacheOutcome.RecomputedCorrupt, outcome5);
    }

    [Fact]
    public void Cache_key_depends_on_k_and_on_the_files()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        SyntheticIdx.Write(a.Path, 100, 20, seed: 1);
        SyntheticIdx.Write(b.Path, 100, 20, seed: 2);
        var da = IdxDataset.Load(a.Path);
        var db = IdxDataset.Load(b.Path);
        Assert.NotEqual(PcaCache.Key(da, 5), PcaCache.Key(da, 6));
        Assert.NotEqual(PcaCache.Key(da, 5), PcaCache.Key(db, 5));
        Assert.Equal(PcaCache.Key(da, 5), PcaCache.Key(IdxDataset.Load(a.Path), 5));
    }
}
