using FunctionSpace.Ising.Randomness;
using System.Runtime.Intrinsics;
using FunctionSpace.Ising.Simd;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Tests.Simd;

public class LanesTests
{
    /// <summary>
    /// The operations the evaluator's kernels use, checked lane by lane against scalar float32 at both widths:
    /// a kernel written over <see cref="Lanes{TV}"/> may only give width-independent results if each of them does.
    /// Exact comparisons: each operation is one IEEE operation per lane (FMA with one rounding).
    /// </summary>
    [Fact]
    public void EvaluatorOperationsActLaneByLaneAsScalarFloat32()
    {
        OperationsAt<Vector512<float>>();
        OperationsAt<Vector256<float>>();
    }

    private static void OperationsAt<TV>() where TV : struct
    {
        int lanes = Lanes<TV>.Count;
        var rng = new SplitMix64(5);
        for (int trial = 0; trial < 200; trial++)
        {
            // Small integers make exact ties between a and b frequent; the scaled values make the FMA round.
            float Draw() => trial % 2 == 0 ? (float)Math.Round(4 * rng.NextDouble() - 2) : (float)(rng.NextGaussian() * 1e3);
            float[] a = new float[lanes], b = new float[lanes], c = new float[lanes];
            for (int i = 0; i < lanes; i++) { a[i] = Draw(); b[i] = Draw(); c[i] = Draw(); }
            var x = Lanes<TV>.Load(ref a[0], 0);
            var y = Lanes<TV>.Load(ref b[0], 0);
            var accumulator = Lanes<TV>.Load(ref c[0], 0);
            var fused = Lanes<TV>.Fma(x, y, accumulator);
            Lanes<TV>.FmaAccumulate(ref accumulator, x, y);
            var larger = Lanes<TV>.MaxNative(x, y);
            var equal = Lanes<TV>.EqualsMask(x, y);
            uint signs = x.ExtractMostSignificantBits();
            for (int i = 0; i < lanes; i++)
            {
                int expected = BitConverter.SingleToInt32Bits(MathF.FusedMultiplyAdd(a[i], b[i], c[i]));
                Assert.Equal(expected, BitConverter.SingleToInt32Bits(accumulator[i]));
                Assert.Equal(expected, BitConverter.SingleToInt32Bits(fused[i]));
                // vmaxps returns its second operand when the two compare equal, so zeros of either sign are
                // compared by value only (no NaN here).
                if (a[i] != 0 || b[i] != 0) Assert.Equal(BitConverter.SingleToInt32Bits(MathF.Max(a[i], b[i])), BitConverter.SingleToInt32Bits(larger[i]));
                else Assert.Equal(0f, larger[i]);
                Assert.Equal(a[i] == b[i] ? -1 : 0, BitConverter.SingleToInt32Bits(equal[i]));
                Assert.Equal(BitConverter.SingleToInt32Bits(a[i]) < 0, (signs >> i & 1) == 1);
            }
            Assert.Equal(0u, signs >> lanes);
        }
    }

    /// <summary>
    /// The operations of the pseudolikelihood's loss pass: .NET's vector Exp and Log give the same bits at 16 and 8 lanes
    /// (so the pass's gradient does not depend on the width), and Widen gives each lane exactly as float64, lower half
    /// first. (The byte loads are checked through the pass itself, in PseudolikelihoodTests.)
    /// </summary>
    [Fact]
    public void ExpLogAndWideningAreLaneWiseAndTheSameAtBothWidths()
    {
        var rng = new SplitMix64(9);
        var x = new float[4096];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(i % 3 == 0 ? 60 * rng.NextDouble() - 30 : 1 + rng.NextDouble());   // Exp arguments; Log of 1 + e
        const double unit = 1.0 / (1 << 24);
        var (exp16, log16) = ExpAndLog<Vector512<float>>(x);
        var (exp8, log8) = ExpAndLog<Vector256<float>>(x);
        Assert.Equal(exp16, exp8);
        Assert.Equal(log16, log8);
        for (int i = 0; i < x.Length; i++)
        {
            // .NET's float Exp and Log evaluate a float64 approximation and round it: measured ≤ 2.5u (exp) and ≤ 3.2u (log on
            // [1, 2)) relative over 200,000 arguments, u = 2⁻²⁴; 8u leaves room without hiding a wrong lane.
            Assert.True(Math.Abs(exp16[i] - Math.Exp(x[i])) <= 8 * unit * Math.Exp(x[i]), $"exp({x[i]:R}) = {exp16[i]:R}");
            if (x[i] > 0) Assert.True(Math.Abs(log16[i] - Math.Log(x[i])) <= 8 * unit * Math.Abs(Math.Log(x[i])), $"log({x[i]:R}) = {log16[i]:R}");
        }
        WideningAt<Vector512<float>>(x);
        WideningAt<Vector256<float>>(x);
    }

    private static (float[] Exp, float[] Log) ExpAndLog<TV>(float[] x) where TV : struct
    {
        float[] exp = new float[x.Length], log = new float[x.Length];
        for (int i = 0; i < x.Length; i += Lanes<TV>.Count)
        {
            var v = Lanes<TV>.Load(ref x[0], (nuint)i);
            Lanes<TV>.Exp(v).Store(ref exp[0], (nuint)i);
            Lanes<TV>.Log(v).Store(ref log[0], (nuint)i);
        }
        return (exp, log);
    }

    private static void WideningAt<TV>(float[] x) where TV : struct
    {
        int lanes = Lanes<TV>.Count;
        for (int i = 0; i < x.Length; i += lanes)
        {
            var (lower, upper) = Lanes<TV>.Load(ref x[0], (nuint)i).Widen();
            for (int j = 0; j < lanes / 2; j++)
            {
                Assert.Equal(x[i + j], lower[j]);
                Assert.Equal(x[i + lanes / 2 + j], upper[j]);
            }
        }
    }
}
