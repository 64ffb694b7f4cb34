using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Tests.Networks;

public class BinaryNetworkTests
{
    internal static (double[] Inputs, byte[] Labels) RandomInputs(int n, int width, int classes, int seed)
    {
        var random = new Random(seed);
        var x = new double[n * width];
        for (int i = 0; i < x.Length; i++) x[i] = random.NextDouble() * 2 - 1;
        var y = new byte[n];
        for (int i = 0; i < n; i++) y[i] = (byte)random.Next(classes);
        return (x, y);
    }

    internal static sbyte[] RandomSpins(int count, int n, int seed)
    {
        var random = new Random(seed);
        var spins = new sbyte[count * n];
        for (int i = 0; i < spins.Length; i++) spins[i] = random.Next(2) == 0 ? (sbyte)-1 : (sbyte)1;
        return spins;
    }

    [Theory]
    [InlineData("20-15-15-10")]
    [InlineData("20-10")]
    [InlineData("10-8-6-4")]
    public void BatchedAccuracyEqualsPlainLoopEvaluation(string widths)
    {
        var arch = Architecture.Parse(widths);
        int classes = arch.Widths[^1];
        var (x, y) = RandomInputs(300, arch.Widths[0], classes, 1);
        int count = 70; // more than one evaluator batch
        var spins = RandomSpins(count, arch.WeightCount, 2);
        float[] batched = BinaryNetwork.Accuracy(arch, spins, count, x, y);
        using var evaluator = new BinaryEvaluator(arch, x, y);
        float[] torchPath = evaluator.AccuracyTorch(spins, count);
        float[] narrow = evaluator.AccuracyNarrowKernel(spins, count);
        for (int c = 0; c < count; c++)
        {
            int correct = 0, nearTies = 0;
            for (int e = 0; e < y.Length; e++)
            {
                double[] output = BinaryNetwork.Forward(arch, spins.AsSpan(c * arch.WeightCount, arch.WeightCount), x.AsSpan(e * arch.Widths[0], arch.Widths[0]));
                int argmax = Array.IndexOf(output, output.Max());
                if (argmax == y[e]) correct++;
                // Two outputs within float32 rounding (e.g. identical weight rows) may be ordered either way.
                if (output.OrderDescending().Skip(1).First() > output.Max() - 1e-4) nearTies++;
            }
            Assert.InRange(batched[c] * y.Length, correct - nearTies - 0.01, correct + nearTies + 0.01);
            Assert.InRange(torchPath[c] * y.Length, correct - nearTies - 0.01, correct + nearTies + 0.01);
            Assert.InRange(narrow[c] * y.Length, correct - nearTies - 0.01, correct + nearTies + 0.01);
        }
    }

    /// <summary>
    /// Scalar float32 forward pass with the kernels' operation order: z = fma(w_i, a_i, z) from 0 for
    /// i = 0..n_in−1, max(z, 0.1 z) on hidden layers (no 1/sqrt(n_in) scale), first maximum wins.
    /// </summary>
    private static int Float32Prediction(Architecture arch, ReadOnlySpan<sbyte> w, ReadOnlySpan<float> input)
    {
        float[] a = input.ToArray();
        for (int layer = 0; layer < arch.Layers; layer++)
        {
            int nIn = arch.Widths[layer], nOut = arch.Widths[layer + 1], offset = arch.LayerOffset(layer);
            var z = new float[nOut];
            for (int o = 0; o < nOut; o++)
            {
                float sum = 0;
                for (int i = 0; i < nIn; i++) sum = MathF.FusedMultiplyAdd(w[offset + o * nIn + i], a[i], sum);
                z[o] = layer < arch.Layers - 1 ? MathF.Max(sum, sum * (float)BinaryNetwork.LeakySlope) : sum;
            }
            a = z;
        }
        int best = 0;
        for (int o = 1; o < a.Length; o++) if (a[o] > a[best]) best = o;
        return best;
    }

    [Theory]
    [InlineData("20-15-15-10", false)]
    [InlineData("20-15-15-10", true)]
    [InlineData("20-10", false)]
    [InlineData("5-17-9-3", true)]   // row blocks 6+6+5, 5+4, 3
    [InlineData("3-8-1-7-2", false)] // blocks of 8, 1, 7 (4+3), 2
    public void BatchedKernelCountsEqualThePerConfigurationKernelExactly(string widths, bool ties)
    {
        var arch = Architecture.Parse(widths);
        // An odd number of examples (the batched kernel takes pairs) and a count that is no multiple of
        // 8 or 16 lanes. With inputs in {−1, 0, 1} many outputs tie exactly, which exercises the
        // first-maximum rule.
        var (x, y) = RandomInputs(301, arch.Widths[0], arch.Widths[^1], 3);
        if (ties) for (int i = 0; i < x.Length; i++) x[i] = Math.Round(x[i] * 1.4);
        int count = 37;
        var spins = RandomSpins(count, arch.WeightCount, 4);
        using var evaluator = new BinaryEvaluator(arch, x, y);
        int[]? reference = evaluator.CorrectCountsPerConfiguration(spins, count);
        int[]? batched = evaluator.CorrectCountsBatched(spins, count);
        Assert.NotNull(reference);
        Assert.NotNull(batched);
        float[] narrow = evaluator.AccuracyNarrowKernel(spins, count);
        // Both kernels at 8 lanes as well (on AVX-512 hardware the evaluator's own kernels run at 16).
        int[] narrowReference = evaluator.NarrowKernels!.CorrectCountsPerConfiguration(spins, count);
        int[] narrowBatched = evaluator.NarrowKernels.CorrectCounts(spins, count);
        var floats = x.Select(v => (float)v).ToArray();
        int width = arch.Widths[0];
        for (int c = 0; c < count; c++)
        {
            var w = spins.AsSpan(c * arch.WeightCount, arch.WeightCount);
            int scalar = 0;
            for (int e = 0; e < y.Length; e++)
                if (Float32Prediction(arch, w, floats.AsSpan(e * width, width)) == y[e]) scalar++;
            Assert.Equal(scalar, reference[c]);
            Assert.Equal(scalar, batched[c]);
            Assert.Equal((float)((double)scalar / y.Length), narrow[c]);
            Assert.Equal(scalar, narrowReference[c]);
            Assert.Equal(scalar, narrowBatched[c]);
        }
        // Split work items (a single group is divided over example ranges) sum to the same counts.
        Assert.Equal(batched.Take(5), evaluator.CorrectCountsBatched(spins.AsSpan(0, 5 * arch.WeightCount), 5)!);
    }

    [Fact]
    public void MismatchedInputsAreRejected()
    {
        var error = Assert.Throws<InputException>(() => BinaryNetwork.Accuracy(Architecture.Shallow, new sbyte[200], 1, new double[39], new byte[2]));
        Assert.Equal("evaluator: 39 input values do not make 2 rows of width 20", error.Message);
    }
}
