using FunctionSpace.Ising.Inverse;

namespace FunctionSpace.Ising.Tests.Inverse;

public class SingleGemmTests
{
    private const double Unit = 1.0 / (1 << 24);   // float32 unit roundoff u = 2⁻²⁴

    // Odd shapes: rows not a multiple of the 12-row panels or of the blocks, depth not a multiple of 12, width 48 =
    // one 32-column tile and one 16-column tile; the padded width holds columns beyond the 45 used.
    private const int Rows = 1001, Depth = 29, Columns = 45;

    private static float[] Uniform(int length, int seed)
    {
        var rng = new Random(seed);
        var values = new float[length];
        for (int k = 0; k < length; k++) values[k] = (float)(2 * rng.NextDouble() - 1);
        return values;
    }

    [Fact]
    public void MultiplyAddMatchesAFloat64ReferenceOnOddShapesWithinTheFloat32RoundingBound()
    {
        if (!SingleGemm.IsSupported) return;   // the PL kernel takes the torch path there (covered by its own tests)
        int width = SingleGemm.PaddedWidth(Columns);
        var a = Uniform(Rows * Depth, 1);
        var b = Uniform(Depth * width, 2);
        var bias = Uniform(width, 3);
        foreach (int blockRows in new[] { 12, 192 })
        {
            var c = new float[Rows * width];
            SingleGemm.MultiplyAddParallel(a, Rows, Depth, b, width, bias, c, blockRows);
            for (int r = 0; r < Rows; r++)
                for (int j = 0; j < width; j++)
                {
                    double exact = bias[j], magnitude = Math.Abs(bias[j]);
                    for (int k = 0; k < Depth; k++)
                    {
                        exact += (double)a[r * Depth + k] * b[k * width + j];
                        magnitude += Math.Abs((double)a[r * Depth + k] * b[k * width + j]);
                    }
                    // A chain of K fused multiply-adds onto the bias: |error| ≤ γ_{K+1} Σ|terms| (Higham, Thm 3.1).
                    double bound = (Depth + 1) * Unit * magnitude;
                    Assert.True(Math.Abs(c[r * width + j] - exact) <= bound, $"C[{r},{j}] = {c[r * width + j]} vs {exact} (bound {bound:E2})");
                }
        }
    }

    [Fact]
    public void TransposeMultiplyMatchesAFloat64ReferenceOnOddShapesAndDoesNotDependOnThreads()
    {
        if (!SingleGemm.IsSupported) return;
        int width = SingleGemm.PaddedWidth(Columns), blockRows = 24, segmentBlocks = 3;
        // A as ±1 bytes (as the PL data) and as general floats.
        var signs = new sbyte[Rows * Depth];
        var rng = new Random(4);
        for (int k = 0; k < signs.Length; k++) signs[k] = rng.Next(2) == 0 ? (sbyte)-1 : (sbyte)1;
        var a = Uniform(Rows * Depth, 5);
        var g = Uniform(Rows * width, 6);
        int padded = SingleGemm.PaddedCount(Depth);
        foreach (var (values, name) in new[] { (Array.ConvertAll(signs, s => (float)s), "±1"), (a, "uniform") })
        {
            double[] c = name == "±1"
                ? SingleGemm.TransposeMultiplyParallel(signs, Rows, Depth, g, width, blockRows, segmentBlocks)
                : SingleGemm.TransposeMultiplyParallel(a, Rows, Depth, g, width, blockRows, segmentBlocks);
            Assert.Equal(padded * width, c.Length);
            for (int k = 0; k < padded; k++)
                for (int j = 0; j < width; j++)
                {
                    double exact = 0, magnitude = 0;
                    if (k < Depth)
                        for (int r = 0; r < Rows; r++)
                        {
                            double term = (double)values[r * Depth + k] * g[r * width + j];
                            exact += term;
                            magnitude += Math.Abs(term);
                        }
                    // Float32 path of one term: ≤ blockRows FMAs in a register, ≤ segmentBlocks adds into the segment's
                    // partial, then float64: |error| ≤ γ_{blockRows + segmentBlocks + 1} Σ|terms| (plus float64 rounding).
                    double bound = (blockRows + segmentBlocks + 1) * Unit * magnitude + 1e-12;
                    Assert.True(Math.Abs(c[k * width + j] - exact) <= bound, $"{name}: C[{k},{j}] = {c[k * width + j]} vs {exact} (bound {bound:E2})");
                }
            var serial = name == "±1"
                ? SingleGemm.TransposeMultiplyParallel(signs, Rows, Depth, g, width, blockRows, segmentBlocks, new ParallelOptions { MaxDegreeOfParallelism = 1 })
                : SingleGemm.TransposeMultiplyParallel(a, Rows, Depth, g, width, blockRows, segmentBlocks, new ParallelOptions { MaxDegreeOfParallelism = 1 });
            Assert.Equal(serial, c);   // bitwise: fixed segments, fixed reduction order
        }
    }

    [Fact]
    public void PackingRejectsRowsOutsideTheMatrix()
    {
        var a = new float[10 * 3];
        var panels = new float[12 * 12];
        Assert.Throws<ArgumentException>(() => SingleGemm.PackRows<float>(a, 3, 3, 8, 3, panels));
        Assert.Throws<ArgumentException>(() => SingleGemm.PackColumns<float>(a, 3, 3, 0, 10, new float[10]));
    }
}
