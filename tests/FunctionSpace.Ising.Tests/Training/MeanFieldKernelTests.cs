using FunctionSpace.Ising.Randomness;
using System.Runtime.Intrinsics;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Simd;
using FunctionSpace.Ising.Training;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Tests.Training;

public class MeanFieldKernelTests
{
    private sealed record Problem(Architecture Arch, float[] Theta, float[] Inputs, byte[] Labels, float[] Noise, int Batch);

    /// <summary>Random θ (spread ±2, so |μ| reaches 0.96), inputs, labels and noise for one network.</summary>
    private static Problem RandomProblem(string widths, int batch, ulong seed)
    {
        var arch = Architecture.Parse(widths);
        var rng = new SplitMix64(seed);
        float Gaussian(double scale) => (float)(scale * rng.NextGaussian());
        var theta = new float[MeanFieldKernel.PaddedWeights(arch)];
        for (int i = 0; i < arch.WeightCount; i++) theta[i] = Gaussian(2);
        var inputs = Enumerable.Range(0, batch * arch.Widths[0]).Select(_ => Gaussian(1)).ToArray();
        var labels = Enumerable.Range(0, batch).Select(_ => (byte)rng.NextInt(arch.Widths[arch.Layers])).ToArray();
        int noiseCount = Enumerable.Range(0, arch.Layers).Sum(l => batch * arch.Widths[l + 1]);
        var noise = Enumerable.Range(0, noiseCount).Select(_ => Gaussian(1)).ToArray();
        return new Problem(arch, theta, inputs, labels, noise, batch);
    }

    private static (double Loss, float[] Gradient) Kernel(Problem p, bool[]? trainable = null, bool? wide = null)
    {
        var kernel = new MeanFieldKernel(p.Arch, p.Batch, trainable ?? Enumerable.Repeat(true, p.Arch.Layers).ToArray(), p.Batch, wide);
        kernel.SetBatch(p.Inputs, p.Labels, p.Noise);
        double loss = kernel.LossAndGradient(p.Theta);
        return (loss, kernel.Gradient[..p.Arch.WeightCount].ToArray());
    }

    /// <summary>The torch reference (float64) on the same θ, inputs and noise: loss and gradient in spin order.</summary>
    private static (double Loss, double[] Gradient) Reference(Problem p)
    {
        using var scope = NewDisposeScope();
        var arch = p.Arch;
        var theta = Enumerable.Range(0, arch.Layers).Select(l =>
        {
            var slice = arch.LayerSlice(l);
            return tensor(p.Theta.Skip(slice.Start).Take(slice.Length).Select(v => (double)v).ToArray(), [1, arch.Widths[l + 1], arch.Widths[l]]);
        }).ToArray();
        var a0 = tensor(p.Inputs.Select(v => (double)v).ToArray(), [1, p.Batch, arch.Widths[0]]);
        var targets = tensor(p.Labels.Select(v => (long)v).ToArray(), [1, p.Batch]);
        int offset = 0;
        var noise = new TorchSharp.torch.Tensor[arch.Layers];
        for (int l = 0; l < arch.Layers; l++)
        {
            int count = p.Batch * arch.Widths[l + 1];
            noise[l] = tensor(p.Noise.Skip(offset).Take(count).Select(v => (double)v).ToArray(), [1, p.Batch, arch.Widths[l + 1]]);
            offset += count;
        }
        var gradients = new TorchSharp.torch.Tensor[arch.Layers];
        double loss = MeanFieldTrainer.LossesAndGradients(arch, theta, a0, targets, noise, gradients).item<double>();
        return (loss, gradients.SelectMany(g => g.data<double>().ToArray()).ToArray());
    }

    [Theory]
    [InlineData("5-4-3-3", 37, 1UL)]
    [InlineData("20-15-15-10", 200, 2UL)]
    [InlineData("20-10", 16, 3UL)]
    public void KernelMatchesTorchReference(string widths, int batch, ulong seed)
    {
        var p = RandomProblem(widths, batch, seed);
        var (loss, gradient) = Kernel(p);
        var (refLoss, refGradient) = Reference(p);
        // float32 against float64: each quantity is a sum of ≤ 200 products through ≤ 3 layers, so the
        // relative rounding error is ~ 1e-7 × (a few hundred) ≈ 1e-5 of the gradient's scale.
        Assert.True(Math.Abs(loss - refLoss) < 1e-5 * (1 + refLoss), $"loss {loss} vs reference {refLoss}");
        double scale = refGradient.Max(Math.Abs);
        Assert.True(scale > 1e-4, "the problem has a non-trivial gradient");
        for (int i = 0; i < gradient.Length; i++)
            Assert.True(Math.Abs(gradient[i] - refGradient[i]) < 3e-5 * scale, $"θ[{i}]: kernel {gradient[i]}, reference {refGradient[i]}");
    }

    [Fact]
    public void KernelGradientMatchesFiniteDifferences()
    {
        var p = RandomProblem("6-5-4-3", 24, 4);
        var (_, gradient) = Kernel(p);
        double scale = gradient.Max(g => Math.Abs((double)g));
        const float h = 1e-2f;
        for (int i = 0; i < p.Arch.WeightCount; i++)
        {
            float saved = p.Theta[i];
            p.Theta[i] = saved + h;
            double plus = Kernel(p).Loss;
            p.Theta[i] = saved - h;
            double minus = Kernel(p).Loss;
            p.Theta[i] = saved;
            double fd = (plus - minus) / (2 * h);
            // float32 loss ≈ 1 with rounding ≲ 1e-6 (a few hundred operations): the difference quotient's
            // rounding error ≲ 1e-6/h = 1e-4; truncation h²/6·|L'''| ≲ 2e-5 for |L'''| = O(1).
            Assert.True(Math.Abs(fd - gradient[i]) < 2e-3 * scale + 2e-4, $"θ[{i}]: kernel {gradient[i]}, finite difference {fd}");
        }
    }

    [Fact]
    public void FrozenLayersGetNoGradientAndTheSameLoss()
    {
        var p = RandomProblem("6-5-4-3", 20, 5);
        var (loss, full) = Kernel(p);
        var (frozenLoss, partial) = Kernel(p, [true, false, true]);
        Assert.Equal(loss, frozenLoss);
        var interior = p.Arch.LayerSlice(1);
        for (int i = 0; i < p.Arch.WeightCount; i++)
            Assert.Equal(i >= interior.Start && i < interior.End ? 0f : full[i], partial[i]);
        Assert.Contains(full.Skip(interior.Start).Take(interior.Length), g => g != 0);
    }

    [Fact]
    public void NormalStreamHasStandardNormalMoments()
    {
        var stream = new NormalStream(12345);
        var values = new float[1 << 20];
        stream.Fill(values);
        int n = values.Length;
        double mean = values.Average(v => (double)v);
        double variance = values.Sum(v => (v - mean) * (v - mean)) / n;
        double fourth = values.Sum(v => Math.Pow(v - mean, 4)) / n;
        // Standard errors for n = 2^20: mean 1/sqrt(n) ≈ 1e-3, variance sqrt(2/n) ≈ 1.4e-3, 4th moment sqrt(96/n) ≈ 9.6e-3; 5σ bounds.
        Assert.InRange(mean, -5e-3, 5e-3);
        Assert.InRange(variance, 1 - 7e-3, 1 + 7e-3);
        Assert.InRange(fourth, 3 - 0.05, 3 + 0.05);
        // Tail mass beyond 2σ: 0.0455, binomial standard error 2e-4.
        double tail = values.Count(v => Math.Abs(v) > 2) / (double)n;
        Assert.InRange(tail, 0.0455 - 1e-3, 0.0455 + 1e-3);
        // Same seed, same stream; another seed, another stream.
        var again = new float[64];
        new NormalStream(12345).Fill(again);
        Assert.Equal(values.Take(64), again);
        new NormalStream(12346).Fill(again);
        Assert.NotEqual(values.Take(64), again);
    }

    [Fact]
    public void VectorMathMatchesDoublePrecision()
    {
        VectorMathMatchesDoublePrecisionAt<Vector512<float>>();
        VectorMathMatchesDoublePrecisionAt<Vector256<float>>();
    }

    private static void VectorMathMatchesDoublePrecisionAt<TV>() where TV : struct
    {
        double worstExp = 0, worstLog = 0, worstTrig = 0;
        for (int i = 0; i < 4096; i++)
        {
            float x = -87f + i * (175f / 4096);
            float e = VectorMathF.Exp(Lanes<TV>.Create(x))[0];
            worstExp = Math.Max(worstExp, Math.Abs(e / Math.Exp(x) - 1));
            float u = (i + 1) / 4096f * (i % 2 == 0 ? 1f : 1e-6f) + 1e-30f;
            float l = VectorMathF.Log(Lanes<TV>.Create(u))[0];
            worstLog = Math.Max(worstLog, Math.Abs(l - Math.Log(u)) / Math.Max(1, Math.Abs(Math.Log(u))));
            float t = i / 4096f;
            var (s, c) = VectorMathF.SinCosTurns(Lanes<TV>.Create(t));
            worstTrig = Math.Max(worstTrig, Math.Max(Math.Abs(s[0] - Math.Sin(2 * Math.PI * t)), Math.Abs(c[0] - Math.Cos(2 * Math.PI * t))));
        }
        // A few float ulps (ulp = 6e-8 relative).
        Assert.True(worstExp < 5e-7, $"{typeof(TV).Name}: exp relative error {worstExp}");
        Assert.True(worstLog < 5e-7, $"{typeof(TV).Name}: log error {worstLog}");
        Assert.True(worstTrig < 5e-7, $"{typeof(TV).Name}: sin/cos error {worstTrig}");
    }

    /// <summary>
    /// Training runs that reach every path of the kernel: the study's architecture with 208 padded examples
    /// (three blocks of 64 and a group left over) and with 112 (an odd number of groups of 16), odd widths
    /// (a single output row, inputs left over by the blocked loops), a frozen interior and the shallow net.
    /// </summary>
    internal static readonly (string Name, string Widths, int Examples, int DataSeed, MeanFieldOptions Options, ulong[] Seeds)[] PinnedRuns =
    [
        ("under-b200", "20-15-15-10", 1000, 11, new MeanFieldOptions(BatchSize: 200, Epochs: 3), [1, 2, 3]),
        ("under-b100", "20-15-15-10", 700, 12, new MeanFieldOptions(BatchSize: 100, Epochs: 3), [4, 5]),
        ("frozen-b50", "20-6-6-10", 400, 13, new MeanFieldOptions(BatchSize: 50, Epochs: 3, FreezeInterior: true), [6, 7]),
        ("shallow-b37", "20-10", 370, 14, new MeanFieldOptions(BatchSize: 37, Epochs: 3), [8]),
    ];

    /// <summary>θ and final losses of one pinned run, as float bit patterns.</summary>
    internal static (uint[] Theta, uint[] Losses) PinnedRun(int run, bool? wide)
    {
        var (_, widths, examples, dataSeed, options, seeds) = PinnedRuns[run];
        var (x, y) = MeanFieldTrainerTests.Clusters(examples, dataSeed);
        var result = MeanFieldTrainer.TrainOnThreads(Architecture.Parse(widths), x, y, seeds, 9, options, 1, null, default, wide);
        return (result.Theta.Select(BitConverter.SingleToUInt32Bits).ToArray(), result.FinalLosses.Select(BitConverter.SingleToUInt32Bits).ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TrainingReproducesThePinnedKernelBitForBit(int run)
    {
        // The pinned bits come from the 512-bit kernel of commit 846b4a6: both widths must reproduce them, so
        // a seed gives the same trained networks on AVX-512 and AVX2 machines and as before this kernel. On an
        // AVX-512 machine, DOTNET_EnableAVX512=0 makes the 8-lane path the native one (.NET 10 ignores the
        // older DOTNET_EnableAVX512F).
        string name = PinnedRuns[run].Name;
        var pinned = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Training", "MeanFieldKernelPinned.txt"))
            .Where(line => !line.StartsWith('#')).Select(line => line.Split(' '))
            .Where(fields => fields[0] == name).ToDictionary(fields => fields[1], fields => fields[2..].Select(h => Convert.ToUInt32(h, 16)).ToArray());
        foreach (bool wide in new[] { true, false })
        {
            var (theta, losses) = PinnedRun(run, wide);
            AssertSameBits(pinned["losses"], losses, $"{name}, {(wide ? 16 : 8)} lanes, final losses");
            AssertSameBits(pinned["theta"], theta, $"{name}, {(wide ? 16 : 8)} lanes, θ");
        }
    }

    private static void AssertSameBits(uint[] expected, uint[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var differing = Enumerable.Range(0, expected.Length).Where(i => expected[i] != actual[i]).ToArray();
        Assert.True(differing.Length == 0, differing.Length == 0 ? "" :
            $"{what}: {differing.Length} of {expected.Length} differ, first [{differing[0]}]: " +
            $"{BitConverter.UInt32BitsToSingle(expected[differing[0]]):R} expected, {BitConverter.UInt32BitsToSingle(actual[differing[0]]):R}");
    }

    [Theory]
    [InlineData("5-4-3-3", 37, 11UL)]
    [InlineData("20-15-15-10", 200, 12UL)]
    [InlineData("20-15-15-10", 100, 13UL)]
    [InlineData("20-10", 16, 14UL)]
    [InlineData("7-9-5", 129, 15UL)]
    public void EightAndSixteenLanesGiveTheSameLossAndGradientBits(string widths, int batch, ulong seed)
    {
        var p = RandomProblem(widths, batch, seed);
        var (wideLoss, wideGradient) = Kernel(p, wide: true);
        var (narrowLoss, narrowGradient) = Kernel(p, wide: false);
        Assert.Equal(BitConverter.DoubleToUInt64Bits(wideLoss), BitConverter.DoubleToUInt64Bits(narrowLoss));
        AssertSameBits(wideGradient.Select(BitConverter.SingleToUInt32Bits).ToArray(), narrowGradient.Select(BitConverter.SingleToUInt32Bits).ToArray(),
            $"{widths}, B = {batch}, ∂L/∂θ");
    }

    [Fact]
    public void NormalStreamGivesTheSameValuesAtBothWidths()
    {
        var wide = new NormalStream(21);
        var narrow = new NormalStream(21);
        // Lengths with an odd and an even number of groups of 16, in a sequence of calls (the state carries over).
        foreach (int length in new[] { 16, 48, 64, 208 * 15, 16 })
        {
            var a = new float[length];
            var b = new float[length];
            wide.Fill<Vector512<float>>(a);
            narrow.Fill<Vector256<float>>(b);
            AssertSameBits(a.Select(BitConverter.SingleToUInt32Bits).ToArray(), b.Select(BitConverter.SingleToUInt32Bits).ToArray(), $"{length} normals");
        }
    }

    [Fact]
    public void ThetaDoesNotDependOnThreads()
    {
        var arch = Architecture.Parse("20-6-10");
        var (x, y) = MeanFieldTrainerTests.Clusters(300, 6);
        var options = new MeanFieldOptions(BatchSize: 50, Epochs: 2);
        ulong[] seeds = [1, 2, 3, 4, 5];
        var one = MeanFieldTrainer.TrainOnThreads(arch, x, y, seeds, 9, options, 1, null, default);
        var two = MeanFieldTrainer.TrainOnThreads(arch, x, y, seeds, 9, options, 2, null, default);
        Assert.Equal(one.Theta, two.Theta);
        Assert.Equal(one.FinalLosses, two.FinalLosses);
        // A network trained alone gets the θ it gets in the batch.
        var alone = MeanFieldTrainer.TrainOnThreads(arch, x, y, [seeds[3]], 9, options, 1, null, default);
        Assert.Equal(one.Theta.AsSpan(3 * arch.WeightCount, arch.WeightCount).ToArray(), alone.Theta);
    }
}
