using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FunctionSpace.Ising.Inverse;

namespace FunctionSpace.Ising.Tests.Inverse;

// Every product test runs each kernel this CPU runs (SingleGemm.Supported): on an AVX-512 machine both the AVX-512 and
// the AVX2 kernel, on an AVX2-only one the AVX2 kernel alone. To run as the latter on the former, set DOTNET_EnableAVX512=0
// (the .NET 10 knob; EnableAVX512F no longer exists and is ignored).
public class SingleGemmTests
{
    private const double Unit = 1.0 / (1 << 24);   // float32 unit roundoff u = 2⁻²⁴

    // (rows of A, inner dimension, columns of C): 1 × 1; shorter than one 6- or 12-row panel; exactly one panel of either
    // kernel; one row, column and step past them; widths of one 16-column tile, of one 32-column AVX-512 tile and of a
    // 32-column tile plus a 16-column one; more rows than a 192-row block, none of the sizes a multiple of a panel.
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 5, 1, 3 }, { 1, 7, 16 }, { 6, 6, 16 }, { 12, 12, 32 }, { 7, 13, 17 }, { 13, 25, 33 }, { 197, 29, 45 },
        { 1001, 37, 80 },
    };

    private static float[] Uniform(int length, int seed)
    {
        var rng = new Random(seed);
        var values = new float[length];
        for (int k = 0; k < length; k++) values[k] = (float)(2 * rng.NextDouble() - 1);
        return values;
    }

    private static sbyte[] Signs(int length, int seed)
    {
        var rng = new Random(seed);
        var signs = new sbyte[length];
        for (int k = 0; k < length; k++) signs[k] = rng.Next(2) == 0 ? (sbyte)-1 : (sbyte)1;
        return signs;
    }

    [Fact]
    public void TheKernelsAreChosenWidestFirstByTheCpusFlagsAndThePseudolikelihoodKernelNamesTheOneItRuns()
    {
        // AVX2 with FMA3 alone (AMD Zen 3) must give a kernel: without one the PL products fall back to torch, ≈ 9× slower.
        bool avx512 = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
        bool avx2 = Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported;
        Assert.Equal(avx512, SingleGemm.Avx512.IsSupported);
        Assert.Equal(avx2, SingleGemm.Avx2.IsSupported);
        var expected = new[] { (avx512, SingleGemm.Avx512), (avx2, SingleGemm.Avx2) }.Where(p => p.Item1).Select(p => p.Item2);
        Assert.Equal(expected, SingleGemm.Supported);
        Assert.Same(avx512 ? SingleGemm.Avx512 : avx2 ? SingleGemm.Avx2 : null, SingleGemm.Fastest);
        Assert.Equal(("avx512", 12), (SingleGemm.Avx512.Name, SingleGemm.Avx512.PanelRows));
        Assert.Equal(("avx2", 6), (SingleGemm.Avx2.Name, SingleGemm.Avx2.PanelRows));
        var spins = new sbyte[24 * 5];
        Array.Fill(spins, (sbyte)1);
        using var kernel = new PseudolikelihoodKernel(spins, 24, 5, 0, singlePrecision: true);
        Assert.Equal(SingleGemm.Fastest?.Name ?? "torch", kernel.Products);
        using var torch = new PseudolikelihoodKernel(spins, 24, 5, 0, singlePrecision: true, torchProducts: true);
        Assert.Equal("torch", torch.Products);
    }

    [Fact]
    public void PanelsHoldTheBlockInEachKernelsLayoutWithZeroPadding()
    {
        // Packing is plain managed code: both layouts are checked on any CPU, element by element against their definition.
        const int rows = 17, columns = 14, stride = 16, first = 3;
        var a = Uniform((first + rows) * stride, 7);
        foreach (var gemm in new[] { SingleGemm.Avx512, SingleGemm.Avx2 })
        {
            int p = gemm.PanelRows, paddedRows = gemm.PaddedCount(rows), depth = gemm.PaddedCount(columns);
            var rowPanels = new float[paddedRows * depth + 5];
            var columnPanels = new float[paddedRows * depth + 5];
            Array.Fill(rowPanels, float.NaN);
            Array.Fill(columnPanels, float.NaN);
            gemm.PackRows<float>(a, stride, columns, first, rows, rowPanels);
            gemm.PackColumns<float>(a, stride, columns, first, rows, columnPanels);
            for (int r = 0; r < paddedRows; r++)
                for (int k = 0; k < depth; k++)
                {
                    float value = r < rows && k < columns ? a[(first + r) * stride + k] : 0f;
                    Assert.Equal(value, rowPanels[r / p * p * depth + k * p + r % p]);
                    Assert.Equal(value, columnPanels[k / p * paddedRows * p + r * p + k % p]);
                }
            Assert.True(float.IsNaN(rowPanels[paddedRows * depth]) && float.IsNaN(columnPanels[paddedRows * depth]), $"{gemm}: wrote past the panels");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyAddMatchesAFloat64ReferenceWithinTheFloat32RoundingBound(int rows, int depth, int columns)
    {
        int width = SingleGemm.PaddedWidth(columns);
        var a = Uniform(rows * depth, 1);
        var b = Uniform(depth * width, 2);
        var bias = Uniform(width, 3);
        foreach (var gemm in SingleGemm.Supported)
            foreach (int blockRows in new[] { gemm.PanelRows, 192 })
            {
                var c = new float[rows * width];
                gemm.MultiplyAddParallel(a, rows, depth, b, width, bias, c, blockRows);
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < width; j++)
                    {
                        double exact = bias[j], magnitude = Math.Abs(bias[j]);
                        for (int k = 0; k < depth; k++)
                        {
                            double term = (double)a[r * depth + k] * b[k * width + j];
                            exact += term;
                            magnitude += Math.Abs(term);
                        }
                        // A chain of K fused multiply-adds onto the bias: |error| ≤ γ_{K+1} Σ|terms| (Higham, Thm 3.1).
                        double bound = (depth + 1) * Unit * magnitude, value = c[r * width + j];
                        Assert.True(Math.Abs(value - exact) <= bound, $"{gemm}, blocks of {blockRows}: C[{r},{j}] = {value} vs {exact} (bound {bound:E2})");
                    }
            }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TransposeMultiplyMatchesAFloat64ReferenceWithinTheFloat32RoundingBoundAndDoesNotDependOnThreads(int rows, int depth, int columns)
    {
        int width = SingleGemm.PaddedWidth(columns), blockRows = 24, segmentBlocks = 3;
        // A as ±1 bytes (as the PL data) and as general floats.
        var signs = Signs(rows * depth, 4);
        var a = Uniform(rows * depth, 5);
        var g = Uniform(rows * width, 6);
        foreach (var gemm in SingleGemm.Supported)
        {
            int padded = gemm.PaddedCount(depth);
            foreach (var (values, name) in new[] { (Array.ConvertAll(signs, s => (float)s), "±1"), (a, "uniform") })
            {
                double[] Product(ParallelOptions? parallel) => name == "±1"
                    ? gemm.TransposeMultiplyParallel(signs, rows, depth, g, width, blockRows, segmentBlocks, parallel)
                    : gemm.TransposeMultiplyParallel(a, rows, depth, g, width, blockRows, segmentBlocks, parallel);
                double[] c = Product(null);
                Assert.Equal(padded * width, c.Length);
                for (int k = 0; k < padded; k++)
                    for (int j = 0; j < width; j++)
                    {
                        double exact = 0, magnitude = 0;
                        if (k < depth)
                            for (int r = 0; r < rows; r++)
                            {
                                double term = (double)values[r * depth + k] * g[r * width + j];
                                exact += term;
                                magnitude += Math.Abs(term);
                            }
                        // Float32 path of one term: ≤ blockRows FMAs in a register, ≤ segmentBlocks adds into the segment's
                        // partial, then float64: |error| ≤ γ_{blockRows + segmentBlocks + 1} Σ|terms| (plus float64 rounding).
                        // Padding rows k ≥ depth must come out exactly zero.
                        double bound = (blockRows + segmentBlocks + 1) * Unit * magnitude + 1e-12;
                        Assert.True(Math.Abs(c[k * width + j] - exact) <= bound, $"{gemm} {name}: C[{k},{j}] = {c[k * width + j]} vs {exact} (bound {bound:E2})");
                    }
                // Bitwise the same on one thread and on three (more tasks than the cores here): fixed segments, fixed reduction order.
                Assert.Equal(Product(new ParallelOptions { MaxDegreeOfParallelism = 1 }), c);
                Assert.Equal(Product(new ParallelOptions { MaxDegreeOfParallelism = 3 }), c);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheAvx512AndAvx2KernelsGiveBitwiseTheSameProducts(int rows, int depth, int columns)
    {
        // Each entry is the same chain of float32 FMAs in the same order on both kernels (padding adds exact zeros), so a
        // fit does not depend on which of the two a machine has.
        if (!SingleGemm.Avx512.IsSupported || !SingleGemm.Avx2.IsSupported) return;   // one kernel: nothing to compare
        int width = SingleGemm.PaddedWidth(columns);
        var a = Uniform(rows * depth, 11);
        var b = Uniform(depth * width, 12);
        var bias = Uniform(width, 13);
        var signs = Signs(rows * depth, 14);
        var g = Uniform(rows * width, 15);
        float[] Forward(SingleGemm gemm)
        {
            var c = new float[rows * width];
            gemm.MultiplyAddParallel(a, rows, depth, b, width, bias, c);
            return c;
        }
        Assert.Equal(Forward(SingleGemm.Avx512), Forward(SingleGemm.Avx2));
        // Aᵀ·G: the AVX-512 result has rows up to a multiple of 12, the AVX2 one up to a multiple of 6; the common ones agree
        // and the AVX-512 kernel's extra padding rows are zero.
        foreach (bool bytes in new[] { true, false })
        {
            double[] wide = bytes ? SingleGemm.Avx512.TransposeMultiplyParallel(signs, rows, depth, g, width)
                : SingleGemm.Avx512.TransposeMultiplyParallel(a, rows, depth, g, width);
            double[] narrow = bytes ? SingleGemm.Avx2.TransposeMultiplyParallel(signs, rows, depth, g, width)
                : SingleGemm.Avx2.TransposeMultiplyParallel(a, rows, depth, g, width);
            Assert.Equal(narrow, wide.Take(narrow.Length));
            Assert.All(wide.Skip(narrow.Length), value => Assert.Equal(0.0, value));
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EachPathComputesEveryEntryAsTheScalarFloat32FmaChainBitForBit(int rows, int depth, int columns)
    {
        // The one micro-kernel at each width this CPU runs (16 and 8 lanes on AVX-512, 8 on AVX2) against its definition in
        // scalar float32: C[r, j] = bias_j, then acc ← fma(A[r, k], B[k, j], acc) for k = 0, 1, …; for Aᵀ·G the chain over the
        // block's rows from 0 (padding rows of A and G are zeros), then C[k, j] + chain. MathF.FusedMultiplyAdd rounds once,
        // like the vector FMA, so the comparison is exact.
        int width = SingleGemm.PaddedWidth(columns);
        var (a, b, bias) = (Uniform(rows * depth, 21), Uniform(depth * width, 22), Uniform(width, 23));
        foreach (var gemm in SingleGemm.Supported)
        {
            int padded = gemm.PaddedCount(rows), paddedDepth = gemm.PaddedCount(depth);
            var panels = new float[padded * paddedDepth];
            gemm.PackRows<float>(a, depth, depth, 0, rows, panels);
            var c = new float[padded * width];
            gemm.MultiplyAdd(panels, padded, depth, b, width, bias, c);
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < width; j++)
                {
                    float chain = bias[j];
                    for (int k = 0; k < depth; k++) chain = MathF.FusedMultiplyAdd(a[r * depth + k], b[k * width + j], chain);
                    Assert.True(BitConverter.SingleToInt32Bits(chain) == BitConverter.SingleToInt32Bits(c[r * width + j]), $"{gemm}: C[{r},{j}] = {c[r * width + j]:R}, chain {chain:R}");
                }
            var g = Uniform(padded * width, 24);
            Array.Clear(g, rows * width, (padded - rows) * width);
            var start = Uniform(paddedDepth * width, 25);
            var sum = (float[])start.Clone();
            gemm.PackColumns<float>(a, depth, depth, 0, rows, panels);
            gemm.TransposeMultiplyAccumulate(panels, padded, depth, g, width, sum);
            for (int k = 0; k < paddedDepth; k++)
                for (int j = 0; j < width; j++)
                {
                    float chain = 0;
                    for (int r = 0; r < padded; r++) chain = MathF.FusedMultiplyAdd(r < rows && k < depth ? a[r * depth + k] : 0f, g[r * width + j], chain);
                    float expected = start[k * width + j] + chain;
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(sum[k * width + j]), $"{gemm}: (AᵀG)[{k},{j}] = {sum[k * width + j]:R}, chain {expected:R}");
                }
        }
    }

    [Fact]
    public void ProductsRejectShapesTheKernelsCannotRunAndKernelsTheCpuDoesNotRun()
    {
        var panels = new float[24 * 24];
        var b = new float[24 * 32];
        var c = new float[24 * 32];
        foreach (var gemm in new[] { SingleGemm.Avx512, SingleGemm.Avx2 })
        {
            if (!gemm.IsSupported)
            {
                // Chosen by hand on a CPU without its instructions: an exception, never an illegal instruction.
                Assert.Throws<PlatformNotSupportedException>(() => gemm.MultiplyAdd(panels, 12, 4, b, 16, b, c));
                Assert.Throws<PlatformNotSupportedException>(() => gemm.TransposeMultiplyAccumulate(panels, 12, 4, b, 16, c));
                continue;
            }
            Assert.Throws<ArgumentException>(() => gemm.MultiplyAdd(panels, gemm.PanelRows + 1, 4, b, 16, b, c));   // not whole panels
            Assert.Throws<ArgumentException>(() => gemm.MultiplyAdd(panels, gemm.PanelRows, 4, b, 24, b, c));       // width not 16·k
            Assert.Throws<ArgumentException>(() => gemm.TransposeMultiplyAccumulate(panels, gemm.PanelRows, 0, b, 16, c));
            Assert.Throws<ArgumentException>(() => gemm.MultiplyAdd(panels, 24, 25, b, 32, b, c));               // A's panels and B too short
        }
    }

    [Fact]
    public void PackingRejectsRowsOutsideTheMatrix()
    {
        var a = new float[10 * 3];
        var panels = new float[12 * 12];
        foreach (var gemm in new[] { SingleGemm.Avx512, SingleGemm.Avx2 })
        {
            Assert.Throws<ArgumentException>(() => gemm.PackRows<float>(a, 3, 3, 8, 3, panels));
            Assert.Throws<ArgumentException>(() => gemm.PackColumns<float>(a, 3, 3, 0, 10, new float[10]));
        }
    }
}
