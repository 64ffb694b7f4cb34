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

    [Fact]
    public void MismatchedInputsAreRejected()
    {
        var error = Assert.Throws<InputException>(() => BinaryNetwork.Accuracy(Architecture.Shallow, new sbyte[200], 1, new double[39], new byte[2]));
        Assert.Equal("evaluator: 39 input values do not make 2 rows of width 20", error.Message);
    }
}
