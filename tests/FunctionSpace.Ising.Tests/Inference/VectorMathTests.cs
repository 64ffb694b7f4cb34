using System.Runtime.Intrinsics;
using FunctionSpace.Ising.Inference;

namespace FunctionSpace.Ising.Tests.Inference;

/// <summary>The 512-bit exp and log of the BP kernels against Math.Exp/Math.Log (error bounds from their remarks).</summary>
public class VectorMathTests
{
    private static double[] Sample(double lo, double hi, int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => lo + (hi - lo) * random.NextDouble()).ToArray();
    }

    [Fact]
    public void ExpMatchesMathExpToAFewUlp()
    {
        if (!Vector512.IsHardwareAccelerated) return; // the kernel is only used on 512-bit hardware
        // The BP kernels call it on 2g with |g| ≤ 40 and on 2|x| for tanh; include the reduction boundaries n ln 2 ± ½ ln 2.
        var xs = Sample(-80, 80, 200_000, 1).Concat(Enumerable.Range(-115, 231).SelectMany(n => new[] { (n + 0.5) * Math.Log(2), n * Math.Log(2) })).ToArray();
        double worst = 0;
        for (int k = 0; k + 8 <= xs.Length; k += 8)
        {
            var y = VectorMath.Exp(Vector512.Create(xs.AsSpan(k, 8)));
            for (int l = 0; l < 8; l++)
                worst = Math.Max(worst, Math.Abs(y[l] - Math.Exp(xs[k + l])) / Math.Exp(xs[k + l]));
        }
        Assert.True(worst < 1e-15, $"largest relative error {worst:E2}"); // ≈ 4.5 ulp: Horner rounding of a degree-13 polynomial
    }

    [Fact]
    public void LogMatchesMathLogToAFewUlp()
    {
        if (!Vector512.IsHardwareAccelerated) return;
        // Ratios of the BP message formula span e^{±80}·(1 ± t)/(1 ∓ t); near 1 the result is small and must stay relatively accurate.
        var xs = Sample(-80, 80, 100_000, 2).Select(Math.Exp)
            .Concat(Sample(-1e-6, 1e-6, 20_000, 3).Select(d => 1 + d))
            .Concat(Sample(0.5, 2, 80_000, 4))
            .Concat([Math.Sqrt(0.5), Math.Sqrt(0.5) * (1 + 1e-16), Math.Sqrt(2), 1, 2, 0.5, 1e-300, 1e300]).ToArray();
        double worst = 0;
        for (int k = 0; k + 8 <= xs.Length; k += 8)
        {
            var y = VectorMath.Log(Vector512.Create(xs.AsSpan(k, 8)));
            for (int l = 0; l < 8; l++)
            {
                double exact = Math.Log(xs[k + l]);
                worst = Math.Max(worst, Math.Abs(y[l] - exact) / Math.Max(Math.Abs(exact), 1e-300));
            }
        }
        Assert.True(worst < 1e-15, $"largest relative error {worst:E2}");
    }

    [Fact]
    public void MessageKernelMatchesTheScalarFormula()
    {
        // u = atanh(t tanh g) for fields up to the clamp and couplings up to |J| = 5.
        var g = Sample(-45, 45, 4099, 5);
        var t = Sample(-5, 5, 4099, 6).Select(Math.Tanh).ToArray();
        var u = new double[g.Length];
        VectorMath.MessageFromCavityField(g, t, u);
        for (int k = 0; k < g.Length; k++)
        {
            double exact = Math.Atanh(t[k] * Math.Tanh(Math.Clamp(g[k], -VectorMath.FieldClamp, VectorMath.FieldClamp)));
            Assert.True(Math.Abs(u[k] - exact) <= 1e-13 * Math.Max(1, Math.Abs(exact)), $"g = {g[k]}, t = {t[k]}: {u[k]} vs {exact}");
        }
    }

    [Theory]
    [InlineData(16, 675, 0, 675)]   // BP's whole row block at the study's N
    [InlineData(3, 675, 0, 675)]    // its last block (675 = 42·16 + 3): no whole tile of rows
    [InlineData(13, 40, 5, 37)]     // a live column range that starts and ends inside tiles
    [InlineData(8, 8, 0, 8)]        // one 8×8 tile exactly
    [InlineData(7, 9, 1, 2)]        // a single column
    public void TransposeBlockWritesEachEntryWhereTheElementwiseLoopDoes(int rows, int stride, int c0, int c1)
    {
        var source = Sample(-1, 1, rows * stride, 7);
        var expected = Sample(-1, 1, stride * stride, 8);
        var actual = (double[])expected.Clone();
        for (int j = c0; j < c1; j++)
            for (int k = 0; k < rows; k++) expected[j * stride + k] = source[k * stride + j];
        VectorMath.TransposeBlock(source, actual, stride, rows, c0, c1);
        Assert.Equal(expected, actual); // exact: only data moves; entries outside the block are left as they were
    }
}
