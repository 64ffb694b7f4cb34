using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Studies;
using FunctionSpace.Ising.Training;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Tests.Studies;

public class RealNetworkTrainerTests
{
    /// <summary>Gaussian inputs with uniformly random digit labels: only memorisation can fit them.</summary>
    internal static (float[] X, byte[] Y) RandomSet(int n, int width, int seed)
    {
        var rng = new SplitMix64((ulong)seed);
        var x = new float[n * width];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var y = new byte[n];
        for (int i = 0; i < n; i++) y[i] = (byte)rng.NextInt(10);
        return (x, y);
    }

    [Fact]
    public void Ten_class_network_interpolates_a_tiny_random_set()
    {
        var (x, y) = RandomSet(40, 5, seed: 3);
        var arch = Architecture.Parse("5-32-32-10");
        var result = RealNetworkTrainer.Train(arch, x, y, StudyTask.TenClass, [11UL, 12UL], seed: 5,
            new RealTrainingOptions(LearningRate: 0.01, MaxEpochs: 3000, CheckEvery: 10));
        Assert.Equal(RealTrainingStops.ZeroTrainingError, result.Stop);
        Assert.All(result.TrainErrors, e => Assert.Equal(0f, e));
        Assert.True(result.EpochsRun < 3000);
        // Independently re-evaluated from the returned weights.
        Assert.All(RealNetworkTrainer.ErrorRates(arch, result.Weights, 2, x, y, StudyTask.TenClass), e => Assert.Equal(0f, e));
    }

    [Fact]
    public void Parity_network_with_hinge_loss_interpolates_a_tiny_random_set_with_mini_batches()
    {
        var (x, y) = RandomSet(40, 5, seed: 4);
        var arch = Architecture.Parse("5-32-32-1");
        var result = RealNetworkTrainer.Train(arch, x, y, StudyTask.Parity, [21UL], seed: 6,
            new RealTrainingOptions(LearningRate: 0.01, BatchSize: 10, MaxEpochs: 3000, CheckEvery: 10));
        Assert.Equal(RealTrainingStops.ZeroTrainingError, result.Stop);
        // Zero error: every example has y·f(x) > 0, checked with the plain-C# reference forward.
        var signs = ParityTask.Signs(y);
        for (int i = 0; i < y.Length; i++)
        {
            double f = DenseForward(arch, result.Weights, x.AsSpan(i * 5, 5));
            Assert.False(ParityTask.IsError(f, signs[i]));
        }
    }

    [Fact]
    public void Epoch_cap_is_reported_when_the_set_is_not_fitted()
    {
        var (x, y) = RandomSet(200, 5, seed: 7);
        var result = RealNetworkTrainer.Train(Architecture.Parse("5-2-2-10"), x, y, StudyTask.TenClass, [1UL], seed: 1,
            new RealTrainingOptions(MaxEpochs: 20, CheckEvery: 5));
        Assert.Equal(RealTrainingStops.EpochCap, result.Stop);
        Assert.Equal(20, result.EpochsRun);
        Assert.True(result.TrainErrors[0] > 0);
    }

    [Fact]
    public void Networks_trained_together_equal_networks_trained_alone()
    {
        var (x, y) = RandomSet(30, 4, seed: 8);
        var arch = Architecture.Parse("4-6-6-10");
        var options = new RealTrainingOptions(LearningRate: 0.01, MaxEpochs: 30, CheckEvery: 30);
        var both = RealNetworkTrainer.Train(arch, x, y, StudyTask.TenClass, [100UL, 200UL], seed: 9, options);
        var alone = RealNetworkTrainer.Train(arch, x, y, StudyTask.TenClass, [200UL], seed: 9, options);
        int w = arch.WeightCount;
        for (int i = 0; i < w; i++) Assert.Equal(alone.Weights[i], both.Weights[w + i], 1e-4f);
    }

    [Fact]
    public void Widths_trained_together_report_what_their_own_architectures_compute()
    {
        var (x, y) = RandomSet(40, 5, seed: 12);
        Architecture narrow = Architecture.Parse("5-2-2-10"), wide = Architecture.Parse("5-32-32-10");
        var result = RealNetworkTrainer.TrainMany([narrow, wide, narrow], x, y, StudyTask.TenClass, [1UL, 2UL, 3UL], seed: 4,
            new RealTrainingOptions(LearningRate: 0.01, MaxEpochs: 1500, CheckEvery: 10));
        Assert.Equal(-1, result.InterpolationEpochs[0]);   // 2 hidden units cannot memorise 40 random labels
        Assert.True(result.InterpolationEpochs[1] > 0);
        Assert.Equal(RealTrainingStops.EpochCap, result.Stop);
        Assert.Equal(narrow.WeightCount, result.Weights[0].Length);
        Assert.Equal(wide.WeightCount, result.Weights[1].Length);
        // The unpadded weights, evaluated in their own architecture, give the errors the masked run reported.
        for (int net = 0; net < 3; net++)
        {
            var arch = result.Architectures[net];
            Assert.Equal(result.TrainErrors[net], RealNetworkTrainer.ErrorRates(arch, result.Weights[net], 1, x, y, StudyTask.TenClass)[0], 1e-6f);
        }
        Assert.Equal(0f, result.TrainErrors[1]);
    }

    [Fact]
    public void Wrong_output_width_for_the_task_is_rejected()
    {
        var (x, y) = RandomSet(10, 4, seed: 1);
        var e = Assert.Throws<InputException>(() => RealNetworkTrainer.Train(Architecture.Parse("4-3-3-10"), x, y, StudyTask.Parity, [1UL], 1, new RealTrainingOptions()));
        Assert.Equal("architecture: task Parity needs 1 output unit(s), 4-3-3-10 has 10", e.Message);
    }

    [Fact]
    public void Dense_forward_with_sign_weights_matches_the_binary_reference_forward()
    {
        var arch = Architecture.Parse("6-5-4-3");
        var rng = new SplitMix64(17);
        var spins = new sbyte[arch.WeightCount];
        for (int i = 0; i < spins.Length; i++) spins[i] = rng.NextDouble() < 0.5 ? (sbyte)-1 : (sbyte)1;
        var input = Enumerable.Range(0, 6).Select(_ => rng.NextGaussian()).ToArray();
        var expected = BinaryNetwork.Forward(arch, spins, input);
        using var scope = NewDisposeScope();
        var layers = DenseNetwork.Layers(arch, spins.Select(s => (float)s).ToArray(), 1);
        var output = DenseNetwork.Forward(arch, layers, tensor(input.Select(v => (float)v).ToArray(), [1, 6])).data<float>().ToArray();
        for (int o = 0; o < 3; o++) Assert.Equal(expected[o], output[o], 1e-4);
    }

    /// <summary>Plain-loop forward of one real network with one output (the reference for the batched one).</summary>
    private static double DenseForward(Architecture arch, float[] weights, ReadOnlySpan<float> input)
    {
        double[] a = input.ToArray().Select(v => (double)v).ToArray();
        for (int l = 0; l < arch.Layers; l++)
        {
            int nIn = arch.Widths[l], nOut = arch.Widths[l + 1], offset = arch.LayerOffset(l);
            var z = new double[nOut];
            for (int o = 0; o < nOut; o++)
                for (int i = 0; i < nIn; i++) z[o] += weights[offset + o * nIn + i] * a[i];
            if (l < arch.Layers - 1)
                for (int o = 0; o < nOut; o++) z[o] = Math.Max(z[o], 0.1 * z[o]) / Math.Sqrt(nIn);
            a = z;
        }
        return a[0];
    }
}
