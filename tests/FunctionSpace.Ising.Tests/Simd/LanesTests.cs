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
}
