using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Tests.Training;

public class MeanFieldTrainerTests
{
    /// <summary>Ten Gaussian clusters in 20 dimensions: a small problem a 20-10-10 net can learn.</summary>
    internal static (float[] X, byte[] Y) Clusters(int n, int seed, int width = 20, int classes = 10)
    {
        var centres = new SplitMix64(99);
        var centre = new double[classes * width];
        for (int i = 0; i < centre.Length; i++) centre[i] = centres.NextGaussian() * 1.5;
        var rng = new SplitMix64((ulong)seed);
        var x = new float[n * width];
        var y = new byte[n];
        for (int e = 0; e < n; e++)
        {
            y[e] = (byte)rng.NextInt(classes);
            for (int j = 0; j < width; j++) x[e * width + j] = (float)(centre[y[e] * width + j] + rng.NextGaussian());
        }
        return (x, y);
    }

    [Fact]
    public void HandWrittenGradientMatchesFiniteDifferences()
    {
        var arch = Architecture.Parse("5-4-3-3");
        int k = 2, batch = 6;
        var rng = new SplitMix64(7);
        Tensor Random(params long[] shape)
        {
            long count = shape.Aggregate(1L, (a, b) => a * b);
            var values = new double[count];
            for (int i = 0; i < count; i++) values[i] = rng.NextGaussian();
            return tensor(values, shape);
        }
        using var scope = NewDisposeScope();
        var theta = Enumerable.Range(0, arch.Layers).Select(l => Random(k, arch.Widths[l + 1], arch.Widths[l])).ToArray();
        var a0 = Random(k, batch, arch.Widths[0]);
        var targets = tensor(Enumerable.Range(0, k * batch).Select(i => (long)rng.NextInt(3)).ToArray(), [k, batch]);
        var noise = Enumerable.Range(0, arch.Layers).Select(l => Random(k, batch, arch.Widths[l + 1])).ToArray();
        var gradients = new Tensor[arch.Layers];
        MeanFieldTrainer.LossesAndGradients(arch, theta, a0, targets, noise, gradients);

        const double h = 1e-6;
        int checkedCount = 0;
        for (int l = 0; l < arch.Layers; l++)
        {
            var g = gradients[l].data<double>().ToArray();
            for (int i = 0; i < g.Length; i++)
            {
                double Loss(double delta)
                {
                    using var inner = NewDisposeScope();
                    var shifted = theta.Select(t => t.clone()).ToArray();
                    shifted[l].view(-1)[i].add_(delta);
                    // Networks are independent: the sum's derivative is each network's own.
                    return MeanFieldTrainer.LossesAndGradients(arch, shifted, a0, targets, noise, null).sum().item<double>();
                }
                double fd = (Loss(h) - Loss(-h)) / (2 * h);
                // Central differences: truncation O(h²) and rounding O(ε/h) ≈ 1e-10.
                Assert.True(Math.Abs(fd - g[i]) < 1e-7 * (1 + Math.Abs(g[i])), $"layer {l} θ[{i}]: analytic {g[i]}, finite difference {fd}");
                checkedCount++;
            }
        }
        Assert.Equal(k * arch.WeightCount, checkedCount);
    }

    [Fact]
    public void TrainedNetworksBeatChanceClearly()
    {
        var arch = Architecture.Parse("20-10-10");
        var (x, y) = Clusters(600, 1);
        var (testX, testY) = Clusters(500, 2);
        var seeds = new ulong[] { 11, 12, 13 };
        var result = MeanFieldTrainer.Train(arch, x, y, seeds, 5, new MeanFieldOptions(LearningRate: 0.1, BatchSize: 50, Epochs: 15));
        Assert.Equal(StopReason.Completed, result.Stop.Reason);
        Assert.Equal(15, result.EpochsRun);
        Assert.All(result.FinalLosses, l => Assert.True(l < Math.Log(10) * 0.7, $"final loss {l} not clearly below ln 10"));

        // The mean-field network's most probable binary configuration, sign(θ), evaluated deterministically.
        var spins = result.Theta.Select(t => t >= 0 ? (sbyte)1 : (sbyte)-1).ToArray();
        float[] accuracy = BinaryNetwork.Accuracy(arch, spins, seeds.Length, testX.Select(v => (double)v).ToArray(), testY);
        Assert.All(accuracy, a => Assert.True(a > 0.5, $"accuracy {a} not clearly above chance 0.1"));
    }

    [Fact]
    public void SameSeedsGiveIdenticalTheta()
    {
        var arch = Architecture.Parse("20-6-10");
        var (x, y) = Clusters(200, 3);
        var options = new MeanFieldOptions(BatchSize: 40, Epochs: 2);
        var first = MeanFieldTrainer.Train(arch, x, y, [1, 2], 9, options);
        var second = MeanFieldTrainer.Train(arch, x, y, [1, 2], 9, options);
        Assert.Equal(first.Theta, second.Theta);
        Assert.Equal(first.FinalLosses, second.FinalLosses);
        var other = MeanFieldTrainer.Train(arch, x, y, [1, 3], 9, options);
        // Network 0 has the same seed and the same slice of the block's noise: unchanged by its neighbour.
        Assert.Equal(first.Theta.AsSpan(0, arch.WeightCount).ToArray(), other.Theta.AsSpan(0, arch.WeightCount).ToArray());
        Assert.NotEqual(first.Theta.AsSpan(arch.WeightCount).ToArray(), other.Theta.AsSpan(arch.WeightCount).ToArray());
    }

    [Fact]
    public void FrozenInteriorStaysAtPlusMinusTen()
    {
        var arch = Architecture.Parse("20-6-6-10");
        var (x, y) = Clusters(200, 4);
        var result = MeanFieldTrainer.Train(arch, x, y, [5], 1, new MeanFieldOptions(BatchSize: 50, Epochs: 2, FreezeInterior: true));
        var interior = arch.LayerSlice(1);
        for (int i = interior.Start; i < interior.End; i++) Assert.Equal(10f, Math.Abs(result.Theta[i]));
        var first = arch.LayerSlice(0);
        Assert.Contains(result.Theta.Skip(first.Start).Take(first.Length), t => Math.Abs(t) is > 0.3f and < 9f);
    }

    [Fact]
    public void BadOptionsAreRejected()
    {
        var arch = Architecture.Parse("20-10");
        var (x, y) = Clusters(100, 1);
        var error = Assert.Throws<InputException>(() => MeanFieldTrainer.Train(arch, x, y, [1], 1, new MeanFieldOptions(BatchSize: 200)));
        Assert.Equal("--batch-size: 200 is outside 1..100 (the training examples)", error.Message);
    }
}
