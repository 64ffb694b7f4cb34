using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FunctionSpace.Ising.Inverse;

/// <summary>
/// Single-precision matrix products on 512-bit FMA (AVX-512F) for the pseudolikelihood kernel
/// (<see cref="PseudolikelihoodKernel"/>): C = bias + A·B and C += Aᵀ·G, with a block of rows of A packed into
/// panels first (<see cref="PackRows{T}"/>, <see cref="PackColumns{T}"/>) and B, G, C row-major with a width
/// padded to whole 16-float vectors.
/// </summary>
/// <remarks>
/// The classic register-blocked design (Goto &amp; van de Geijn, ACM TOMS 34, 12 (2008); the BLIS micro-kernel of
/// Van Zee &amp; van de Geijn, ACM TOMS 41, 14 (2015)): a micro-kernel keeps a 12 × 32 block of C in 24 of the 32 zmm
/// registers and, per step of the inner dimension, loads two vectors of B (or G), broadcasts 12 adjacent elements of
/// the packed A and issues 24 FMAs, so the two FMA pipes of a core stay busy. A is packed twice because the two products
/// broadcast it along different directions: for A·B the 12 rows of a panel at one column are adjacent (row panels), for
/// Aᵀ·G the 12 columns of a row (column panels); broadcasting from 12 strided places instead ran Aᵀ·G at ≈ 110 instead
/// of ≈ 165 GFLOPS per core (CPU time, one thread). Why our own: on the two Zen 5 cores libtorch's sgemm ran the PL
/// shapes (100,000 × 675) at 25–73 GFLOPS for X Wᵀ and 75–148 GFLOPS for Gᵀ X, these kernels at 146–300 and 105–184
/// (packing included; <c>fsi bench fit</c> prints both; the spread is the load of the shared machine). Products accumulate in float32 like torch's; Aᵀ·G sums one call's rows in
/// registers before adding them to C once, so callers choose how long a float32 sum runs.
/// </remarks>
public static class SingleGemm
{
    /// <summary>Rows of A per panel (the micro-kernel height).</summary>
    public const int PanelRows = 12;

    /// <summary>Whether the CPU runs 512-bit vectors in hardware with AVX-512F (else callers take another path).</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary><paramref name="columns"/> rounded up to a whole number of 16-float vectors (the width of B, G, C).</summary>
    public static int PaddedWidth(int columns) => (columns + 15) / 16 * 16;

    /// <summary><paramref name="count"/> rounded up to a multiple of <see cref="PanelRows"/> (rows of a packed block, rows of Aᵀ·G).</summary>
    public static int PaddedCount(int count) => (count + PanelRows - 1) / PanelRows * PanelRows;

    /// <summary>
    /// Packs rows [<paramref name="first"/>, +<paramref name="rows"/>) of A (row-major, row stride <paramref name="stride"/>,
    /// <paramref name="columns"/> used) into row panels: panel p holds, column by column, the 12 values of rows 12p..12p+11.
    /// <paramref name="panels"/> needs PaddedCount(rows)·PaddedCount(columns) floats; padding rows and columns are zero.
    /// </summary>
    public static void PackRows<T>(ReadOnlySpan<T> a, int stride, int columns, int first, int rows, Span<float> panels)
        where T : unmanaged, INumberBase<T>
    {
        int paddedRows = PaddedCount(rows), depth = PaddedCount(columns);
        CheckPack(a.Length, stride, columns, first, rows, panels.Length, paddedRows * depth);
        panels.Slice(0, paddedRows * depth).Clear();
        for (int r = 0; r < rows; r++)
        {
            var row = a.Slice((first + r) * stride, columns);
            var panel = panels.Slice(r / PanelRows * PanelRows * depth + r % PanelRows);
            for (int k = 0; k < columns; k++) panel[k * PanelRows] = float.CreateTruncating(row[k]);
        }
    }

    /// <summary>
    /// Packs rows [<paramref name="first"/>, +<paramref name="rows"/>) of A into column panels: panel q holds, row by row,
    /// the 12 values of columns 12q..12q+11 for all PaddedCount(rows) rows. <paramref name="panels"/> needs
    /// PaddedCount(columns)·PaddedCount(rows) floats; padding rows and columns are zero.
    /// </summary>
    public static void PackColumns<T>(ReadOnlySpan<T> a, int stride, int columns, int first, int rows, Span<float> panels)
        where T : unmanaged, INumberBase<T>
    {
        int paddedRows = PaddedCount(rows), depth = PaddedCount(columns);
        CheckPack(a.Length, stride, columns, first, rows, panels.Length, paddedRows * depth);
        panels.Slice(0, paddedRows * depth).Clear();
        int full = columns / PanelRows * PanelRows, panelSize = paddedRows * PanelRows;
        for (int r = 0; r < rows; r++)
        {
            var row = a.Slice((first + r) * stride, columns);
            int offset = r * PanelRows, k = 0;
            for (; k < full; k += PanelRows, offset += panelSize)
            {
                var target = panels.Slice(offset, PanelRows);
                for (int q = 0; q < PanelRows; q++) target[q] = float.CreateTruncating(row[k + q]);
            }
            for (int q = 0; k + q < columns; q++) panels[offset + q] = float.CreateTruncating(row[k + q]);
        }
    }

    /// <summary>
    /// C = bias + A·B for a block of <paramref name="rows"/> rows of A packed by <see cref="PackRows{T}"/> (a multiple
    /// of 12, the padded count) with <paramref name="depth"/> columns: B is depth × <paramref name="width"/> row-major,
    /// bias has <paramref name="width"/> entries, C is rows × <paramref name="width"/> row-major; width is a multiple of 16.
    /// </summary>
    public static unsafe void MultiplyAdd(ReadOnlySpan<float> rowPanels, int rows, int depth, ReadOnlySpan<float> b, int width,
        ReadOnlySpan<float> bias, Span<float> c)
    {
        int panelSize = PaddedCount(depth) * PanelRows;
        CheckProduct(rows, depth, width);
        if (rowPanels.Length < rows / PanelRows * panelSize || b.Length < depth * width || bias.Length < width || c.Length < rows * width)
            throw new ArgumentException("the packed A, B, bias or C is shorter than the shapes require");
        fixed (float* pa = rowPanels, pb = b, pbias = bias, pc = c)
        {
            // Column tiles outermost: one 32-column slice of B (depth × 128 bytes) stays in L2 for all the panels.
            for (int j = 0; j < width; j += 32)
            {
                bool two = j + 32 <= width;
                for (int p = 0; p < rows / PanelRows; p++)
                {
                    float* panel = pa + (long)p * panelSize, cp = pc + (long)p * PanelRows * width + j;
                    if (two) Forward2(panel, pb + j, width, depth, pbias + j, cp, width);
                    else Forward1(panel, pb + j, width, depth, pbias + j, cp, width);
                }
            }
        }
    }

    /// <summary>
    /// C += Aᵀ·G for a block of <paramref name="rows"/> rows of A packed by <see cref="PackColumns{T}"/> (a multiple of
    /// 12, the padded count) with <paramref name="depth"/> columns: G is rows × <paramref name="width"/> row-major and C
    /// is PaddedCount(depth) × <paramref name="width"/> row-major; width is a multiple of 16. Each entry's sum over the
    /// block's rows is formed in a register and added to C once.
    /// </summary>
    public static unsafe void TransposeMultiplyAccumulate(ReadOnlySpan<float> columnPanels, int rows, int depth, ReadOnlySpan<float> g,
        int width, Span<float> c)
    {
        int padded = PaddedCount(depth);
        CheckProduct(rows, depth, width);
        if (columnPanels.Length < padded * rows || g.Length < rows * width || c.Length < padded * width)
            throw new ArgumentException("the packed A, G or C is shorter than the shapes require");
        fixed (float* pa = columnPanels, pg = g, pc = c)
        {
            // Column tiles of G outermost: the 32-column slice of G (rows × 128 bytes) stays in L1/L2 for all row tiles of C.
            for (int j = 0; j < width; j += 32)
            {
                bool two = j + 32 <= width;
                for (int k = 0; k < padded; k += PanelRows)
                {
                    float* panel = pa + (long)k * rows, cp = pc + (long)k * width + j;
                    if (two) Gradient2(panel, rows, pg + j, width, cp, width);
                    else Gradient1(panel, rows, pg + j, width, cp, width);
                }
            }
        }
    }

    /// <summary>
    /// C = bias + A·B over all <paramref name="count"/> rows of A (row-major, <paramref name="columns"/> columns), in
    /// blocks of <paramref name="blockRows"/> rows spread over the cores; C is count × <paramref name="width"/>. Each row's
    /// result does not depend on the split. (The products of <c>fsi bench fit</c>; the PL kernel fuses its own.)
    /// </summary>
    public static void MultiplyAddParallel<T>(T[] a, int count, int columns, float[] b, int width, float[] bias, float[] c,
        int blockRows = 192, ParallelOptions? parallel = null) where T : unmanaged, INumberBase<T>
    {
        if (blockRows <= 0 || blockRows % PanelRows != 0) throw new ArgumentException($"block of {blockRows} rows is not a positive multiple of {PanelRows}", nameof(blockRows));
        int blocks = (count + blockRows - 1) / blockRows, depth = PaddedCount(columns);
        Parallel.For(0, blocks, parallel ?? new ParallelOptions(), () => (Panels: new float[blockRows * depth], C: new float[blockRows * width]), (block, _, buffers) =>
        {
            int first = block * blockRows, rows = Math.Min(blockRows, count - first), padded = PaddedCount(rows);
            PackRows<T>(a, columns, columns, first, rows, buffers.Panels);
            MultiplyAdd(buffers.Panels, padded, columns, b, width, bias, buffers.C);
            buffers.C.AsSpan(0, rows * width).CopyTo(c.AsSpan(first * width));
            return buffers;
        }, _ => { });
    }

    /// <summary>
    /// Aᵀ·G (PaddedCount(columns) × <paramref name="width"/>, float64) over all <paramref name="count"/> rows: fixed
    /// segments of <paramref name="segmentBlocks"/> blocks of <paramref name="blockRows"/> rows each sum into their own
    /// float32 partial (each block's sum formed in registers), and the partials are added in float64 in segment order, so
    /// the result does not depend on the number of threads or their scheduling.
    /// </summary>
    public static double[] TransposeMultiplyParallel<T>(T[] a, int count, int columns, float[] g, int width, int blockRows = 192,
        int segmentBlocks = 16, ParallelOptions? parallel = null) where T : unmanaged, INumberBase<T>
    {
        if (blockRows <= 0 || blockRows % PanelRows != 0) throw new ArgumentException($"block of {blockRows} rows is not a positive multiple of {PanelRows}", nameof(blockRows));
        int segmentRows = blockRows * segmentBlocks, segments = (count + segmentRows - 1) / segmentRows, depth = PaddedCount(columns);
        var partials = new float[segments][];
        Parallel.For(0, segments, parallel ?? new ParallelOptions(), () => (Panels: new float[blockRows * depth], G: new float[blockRows * width]), (s, _, buffers) =>
        {
            var partial = new float[depth * width];
            for (int first = s * segmentRows; first < Math.Min(count, (s + 1) * segmentRows); first += blockRows)
            {
                int rows = Math.Min(blockRows, count - first), padded = PaddedCount(rows);
                PackColumns<T>(a, columns, columns, first, rows, buffers.Panels);
                ReadOnlySpan<float> block = g.AsSpan(first * width, rows * width);
                if (padded > rows)
                {
                    // A last block short of a panel: G's padding rows must be zero (A's are, but 0·NaN is not).
                    block.CopyTo(buffers.G);
                    buffers.G.AsSpan(rows * width, (padded - rows) * width).Clear();
                    block = buffers.G;
                }
                TransposeMultiplyAccumulate(buffers.Panels, padded, columns, block, width, partial);
            }
            partials[s] = partial;
            return buffers;
        }, _ => { });
        var sum = new double[depth * width];
        foreach (var partial in partials) AddTo(partial, sum);
        return sum;
    }

    /// <summary>sum[i] += (double)partial[i], vectorised.</summary>
    internal static void AddTo(ReadOnlySpan<float> partial, Span<double> sum)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= partial.Length; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Create(partial.Slice(i, 16)));
                (Vector512.Create(sum.Slice(i, 8)) + lo).CopyTo(sum.Slice(i, 8));
                (Vector512.Create(sum.Slice(i + 8, 8)) + hi).CopyTo(sum.Slice(i + 8, 8));
            }
        for (; i < partial.Length; i++) sum[i] += partial[i];
    }

    private static void CheckPack(int length, int stride, int columns, int first, int rows, int panelsLength, int needed)
    {
        if (columns <= 0 || stride < columns || first < 0 || rows < 0 || (rows > 0 && (long)(first + rows - 1) * stride + columns > length))
            throw new ArgumentException($"rows [{first}, {first + rows}) × {columns} columns (stride {stride}) are outside the {length} values of A");
        if (panelsLength < needed) throw new ArgumentException($"the panels need {needed} floats, not {panelsLength}");
    }

    private static void CheckProduct(int rows, int depth, int width)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("SingleGemm needs AVX-512F");
        if (rows < 0 || rows % PanelRows != 0) throw new ArgumentException($"{rows} rows is not a multiple of {PanelRows} (pack and pad first)");
        if (depth <= 0) throw new ArgumentException($"depth {depth} must be positive");
        if (width <= 0 || width % 16 != 0) throw new ArgumentException($"width {width} is not a positive multiple of 16");
    }

    // C[r, j..j+31] = bias + Σ_k A[r,k]·B[k, j..] for the 12 rows of one panel: 12×2 accumulators in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Forward2(float* a, float* b, int ldb, int depth, float* bias, float* c, int ldc)
    {
        var t0 = Vector512.Load(bias + 0);
        var t1 = Vector512.Load(bias + 16);
        var c0_0 = t0; var c0_1 = t1;
        var c1_0 = t0; var c1_1 = t1;
        var c2_0 = t0; var c2_1 = t1;
        var c3_0 = t0; var c3_1 = t1;
        var c4_0 = t0; var c4_1 = t1;
        var c5_0 = t0; var c5_1 = t1;
        var c6_0 = t0; var c6_1 = t1;
        var c7_0 = t0; var c7_1 = t1;
        var c8_0 = t0; var c8_1 = t1;
        var c9_0 = t0; var c9_1 = t1;
        var c10_0 = t0; var c10_1 = t1;
        var c11_0 = t0; var c11_1 = t1;
        for (int k = 0; k < depth; k++, a += PanelRows, b += ldb)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var x0 = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(x0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(x0, b1, c0_1);
            var x1 = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(x1, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(x1, b1, c1_1);
            var x2 = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(x2, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(x2, b1, c2_1);
            var x3 = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(x3, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(x3, b1, c3_1);
            var x4 = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(x4, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(x4, b1, c4_1);
            var x5 = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(x5, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(x5, b1, c5_1);
            var x6 = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(x6, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(x6, b1, c6_1);
            var x7 = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(x7, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(x7, b1, c7_1);
            var x8 = Vector512.Create(a[8]); c8_0 = Vector512.FusedMultiplyAdd(x8, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(x8, b1, c8_1);
            var x9 = Vector512.Create(a[9]); c9_0 = Vector512.FusedMultiplyAdd(x9, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(x9, b1, c9_1);
            var x10 = Vector512.Create(a[10]); c10_0 = Vector512.FusedMultiplyAdd(x10, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(x10, b1, c10_1);
            var x11 = Vector512.Create(a[11]); c11_0 = Vector512.FusedMultiplyAdd(x11, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(x11, b1, c11_1);
        }
        c0_0.Store(c + 0 * ldc + 0); c0_1.Store(c + 0 * ldc + 16);
        c1_0.Store(c + 1 * ldc + 0); c1_1.Store(c + 1 * ldc + 16);
        c2_0.Store(c + 2 * ldc + 0); c2_1.Store(c + 2 * ldc + 16);
        c3_0.Store(c + 3 * ldc + 0); c3_1.Store(c + 3 * ldc + 16);
        c4_0.Store(c + 4 * ldc + 0); c4_1.Store(c + 4 * ldc + 16);
        c5_0.Store(c + 5 * ldc + 0); c5_1.Store(c + 5 * ldc + 16);
        c6_0.Store(c + 6 * ldc + 0); c6_1.Store(c + 6 * ldc + 16);
        c7_0.Store(c + 7 * ldc + 0); c7_1.Store(c + 7 * ldc + 16);
        c8_0.Store(c + 8 * ldc + 0); c8_1.Store(c + 8 * ldc + 16);
        c9_0.Store(c + 9 * ldc + 0); c9_1.Store(c + 9 * ldc + 16);
        c10_0.Store(c + 10 * ldc + 0); c10_1.Store(c + 10 * ldc + 16);
        c11_0.Store(c + 11 * ldc + 0); c11_1.Store(c + 11 * ldc + 16);
    }

    // C[r, j..j+15] = bias + Σ_k A[r,k]·B[k, j..] for the 12 rows of one panel: 12×1 accumulators in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Forward1(float* a, float* b, int ldb, int depth, float* bias, float* c, int ldc)
    {
        var t0 = Vector512.Load(bias + 0);
        var c0_0 = t0;
        var c1_0 = t0;
        var c2_0 = t0;
        var c3_0 = t0;
        var c4_0 = t0;
        var c5_0 = t0;
        var c6_0 = t0;
        var c7_0 = t0;
        var c8_0 = t0;
        var c9_0 = t0;
        var c10_0 = t0;
        var c11_0 = t0;
        for (int k = 0; k < depth; k++, a += PanelRows, b += ldb)
        {
            var b0 = Vector512.Load(b + 0);
            var x0 = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(x0, b0, c0_0);
            var x1 = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(x1, b0, c1_0);
            var x2 = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(x2, b0, c2_0);
            var x3 = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(x3, b0, c3_0);
            var x4 = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(x4, b0, c4_0);
            var x5 = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(x5, b0, c5_0);
            var x6 = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(x6, b0, c6_0);
            var x7 = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(x7, b0, c7_0);
            var x8 = Vector512.Create(a[8]); c8_0 = Vector512.FusedMultiplyAdd(x8, b0, c8_0);
            var x9 = Vector512.Create(a[9]); c9_0 = Vector512.FusedMultiplyAdd(x9, b0, c9_0);
            var x10 = Vector512.Create(a[10]); c10_0 = Vector512.FusedMultiplyAdd(x10, b0, c10_0);
            var x11 = Vector512.Create(a[11]); c11_0 = Vector512.FusedMultiplyAdd(x11, b0, c11_0);
        }
        c0_0.Store(c + 0 * ldc + 0);
        c1_0.Store(c + 1 * ldc + 0);
        c2_0.Store(c + 2 * ldc + 0);
        c3_0.Store(c + 3 * ldc + 0);
        c4_0.Store(c + 4 * ldc + 0);
        c5_0.Store(c + 5 * ldc + 0);
        c6_0.Store(c + 6 * ldc + 0);
        c7_0.Store(c + 7 * ldc + 0);
        c8_0.Store(c + 8 * ldc + 0);
        c9_0.Store(c + 9 * ldc + 0);
        c10_0.Store(c + 10 * ldc + 0);
        c11_0.Store(c + 11 * ldc + 0);
    }

    // C[k0+r, j..j+31] += Σ_μ A[μ,k0+r]·G[μ, j..] over `rows` rows of a column panel (12 values of a row adjacent).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Gradient2(float* a, int rows, float* g, int ldg, float* c, int ldc)
    {
        var c0_0 = Vector512<float>.Zero; var c0_1 = Vector512<float>.Zero;
        var c1_0 = Vector512<float>.Zero; var c1_1 = Vector512<float>.Zero;
        var c2_0 = Vector512<float>.Zero; var c2_1 = Vector512<float>.Zero;
        var c3_0 = Vector512<float>.Zero; var c3_1 = Vector512<float>.Zero;
        var c4_0 = Vector512<float>.Zero; var c4_1 = Vector512<float>.Zero;
        var c5_0 = Vector512<float>.Zero; var c5_1 = Vector512<float>.Zero;
        var c6_0 = Vector512<float>.Zero; var c6_1 = Vector512<float>.Zero;
        var c7_0 = Vector512<float>.Zero; var c7_1 = Vector512<float>.Zero;
        var c8_0 = Vector512<float>.Zero; var c8_1 = Vector512<float>.Zero;
        var c9_0 = Vector512<float>.Zero; var c9_1 = Vector512<float>.Zero;
        var c10_0 = Vector512<float>.Zero; var c10_1 = Vector512<float>.Zero;
        var c11_0 = Vector512<float>.Zero; var c11_1 = Vector512<float>.Zero;
        for (int row = 0; row < rows; row++, a += PanelRows, g += ldg)
        {
            var b0 = Vector512.Load(g + 0);
            var b1 = Vector512.Load(g + 16);
            var x0 = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(x0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(x0, b1, c0_1);
            var x1 = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(x1, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(x1, b1, c1_1);
            var x2 = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(x2, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(x2, b1, c2_1);
            var x3 = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(x3, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(x3, b1, c3_1);
            var x4 = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(x4, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(x4, b1, c4_1);
            var x5 = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(x5, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(x5, b1, c5_1);
            var x6 = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(x6, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(x6, b1, c6_1);
            var x7 = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(x7, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(x7, b1, c7_1);
            var x8 = Vector512.Create(a[8]); c8_0 = Vector512.FusedMultiplyAdd(x8, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(x8, b1, c8_1);
            var x9 = Vector512.Create(a[9]); c9_0 = Vector512.FusedMultiplyAdd(x9, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(x9, b1, c9_1);
            var x10 = Vector512.Create(a[10]); c10_0 = Vector512.FusedMultiplyAdd(x10, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(x10, b1, c10_1);
            var x11 = Vector512.Create(a[11]); c11_0 = Vector512.FusedMultiplyAdd(x11, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(x11, b1, c11_1);
        }
        (c0_0 + Vector512.Load(c + 0 * ldc + 0)).Store(c + 0 * ldc + 0); (c0_1 + Vector512.Load(c + 0 * ldc + 16)).Store(c + 0 * ldc + 16);
        (c1_0 + Vector512.Load(c + 1 * ldc + 0)).Store(c + 1 * ldc + 0); (c1_1 + Vector512.Load(c + 1 * ldc + 16)).Store(c + 1 * ldc + 16);
        (c2_0 + Vector512.Load(c + 2 * ldc + 0)).Store(c + 2 * ldc + 0); (c2_1 + Vector512.Load(c + 2 * ldc + 16)).Store(c + 2 * ldc + 16);
        (c3_0 + Vector512.Load(c + 3 * ldc + 0)).Store(c + 3 * ldc + 0); (c3_1 + Vector512.Load(c + 3 * ldc + 16)).Store(c + 3 * ldc + 16);
        (c4_0 + Vector512.Load(c + 4 * ldc + 0)).Store(c + 4 * ldc + 0); (c4_1 + Vector512.Load(c + 4 * ldc + 16)).Store(c + 4 * ldc + 16);
        (c5_0 + Vector512.Load(c + 5 * ldc + 0)).Store(c + 5 * ldc + 0); (c5_1 + Vector512.Load(c + 5 * ldc + 16)).Store(c + 5 * ldc + 16);
        (c6_0 + Vector512.Load(c + 6 * ldc + 0)).Store(c + 6 * ldc + 0); (c6_1 + Vector512.Load(c + 6 * ldc + 16)).Store(c + 6 * ldc + 16);
        (c7_0 + Vector512.Load(c + 7 * ldc + 0)).Store(c + 7 * ldc + 0); (c7_1 + Vector512.Load(c + 7 * ldc + 16)).Store(c + 7 * ldc + 16);
        (c8_0 + Vector512.Load(c + 8 * ldc + 0)).Store(c + 8 * ldc + 0); (c8_1 + Vector512.Load(c + 8 * ldc + 16)).Store(c + 8 * ldc + 16);
        (c9_0 + Vector512.Load(c + 9 * ldc + 0)).Store(c + 9 * ldc + 0); (c9_1 + Vector512.Load(c + 9 * ldc + 16)).Store(c + 9 * ldc + 16);
        (c10_0 + Vector512.Load(c + 10 * ldc + 0)).Store(c + 10 * ldc + 0); (c10_1 + Vector512.Load(c + 10 * ldc + 16)).Store(c + 10 * ldc + 16);
        (c11_0 + Vector512.Load(c + 11 * ldc + 0)).Store(c + 11 * ldc + 0); (c11_1 + Vector512.Load(c + 11 * ldc + 16)).Store(c + 11 * ldc + 16);
    }

    // C[k0+r, j..j+15] += Σ_μ A[μ,k0+r]·G[μ, j..] over `rows` rows of a column panel (12 values of a row adjacent).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Gradient1(float* a, int rows, float* g, int ldg, float* c, int ldc)
    {
        var c0_0 = Vector512<float>.Zero;
        var c1_0 = Vector512<float>.Zero;
        var c2_0 = Vector512<float>.Zero;
        var c3_0 = Vector512<float>.Zero;
        var c4_0 = Vector512<float>.Zero;
        var c5_0 = Vector512<float>.Zero;
        var c6_0 = Vector512<float>.Zero;
        var c7_0 = Vector512<float>.Zero;
        var c8_0 = Vector512<float>.Zero;
        var c9_0 = Vector512<float>.Zero;
        var c10_0 = Vector512<float>.Zero;
        var c11_0 = Vector512<float>.Zero;
        for (int row = 0; row < rows; row++, a += PanelRows, g += ldg)
        {
            var b0 = Vector512.Load(g + 0);
            var x0 = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(x0, b0, c0_0);
            var x1 = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(x1, b0, c1_0);
            var x2 = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(x2, b0, c2_0);
            var x3 = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(x3, b0, c3_0);
            var x4 = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(x4, b0, c4_0);
            var x5 = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(x5, b0, c5_0);
            var x6 = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(x6, b0, c6_0);
            var x7 = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(x7, b0, c7_0);
            var x8 = Vector512.Create(a[8]); c8_0 = Vector512.FusedMultiplyAdd(x8, b0, c8_0);
            var x9 = Vector512.Create(a[9]); c9_0 = Vector512.FusedMultiplyAdd(x9, b0, c9_0);
            var x10 = Vector512.Create(a[10]); c10_0 = Vector512.FusedMultiplyAdd(x10, b0, c10_0);
            var x11 = Vector512.Create(a[11]); c11_0 = Vector512.FusedMultiplyAdd(x11, b0, c11_0);
        }
        (c0_0 + Vector512.Load(c + 0 * ldc + 0)).Store(c + 0 * ldc + 0);
        (c1_0 + Vector512.Load(c + 1 * ldc + 0)).Store(c + 1 * ldc + 0);
        (c2_0 + Vector512.Load(c + 2 * ldc + 0)).Store(c + 2 * ldc + 0);
        (c3_0 + Vector512.Load(c + 3 * ldc + 0)).Store(c + 3 * ldc + 0);
        (c4_0 + Vector512.Load(c + 4 * ldc + 0)).Store(c + 4 * ldc + 0);
        (c5_0 + Vector512.Load(c + 5 * ldc + 0)).Store(c + 5 * ldc + 0);
        (c6_0 + Vector512.Load(c + 6 * ldc + 0)).Store(c + 6 * ldc + 0);
        (c7_0 + Vector512.Load(c + 7 * ldc + 0)).Store(c + 7 * ldc + 0);
        (c8_0 + Vector512.Load(c + 8 * ldc + 0)).Store(c + 8 * ldc + 0);
        (c9_0 + Vector512.Load(c + 9 * ldc + 0)).Store(c + 9 * ldc + 0);
        (c10_0 + Vector512.Load(c + 10 * ldc + 0)).Store(c + 10 * ldc + 0);
        (c11_0 + Vector512.Load(c + 11 * ldc + 0)).Store(c + 11 * ldc + 0);
    }
}
