using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FunctionSpace.Ising.Inverse;

/// <summary>
/// The rows of a matrix A (<see cref="Rows"/> × <see cref="Columns"/>) packed for <see cref="SingleGemm"/>: panels of
/// <see cref="SingleGemm.PanelRows"/> consecutive rows, each stored column by column (the 12 values of a column adjacent),
/// so a micro-kernel reads one panel as a single forward stream. Rows are padded with zero rows to whole panels and
/// columns with zero columns to a multiple of the panel height, so the kernels have no edge cases.
/// </summary>
public sealed class PackedRows
{
    /// <summary>Packs ±1 spins (or any small integers), <paramref name="rows"/> × <paramref name="columns"/> row-major.</summary>
    public PackedRows(ReadOnlySpan<sbyte> values, int rows, int columns) : this(rows, columns)
    {
        CheckLength(values.Length, rows, columns);
        for (int r = 0; r < rows; r++)
        {
            var row = values.Slice(r * columns, columns);
            int offset = r / SingleGemm.PanelRows * PanelStride + r % SingleGemm.PanelRows;
            for (int k = 0; k < columns; k++) Data[offset + k * SingleGemm.PanelRows] = row[k];
        }
    }

    /// <summary>Packs float values, <paramref name="rows"/> × <paramref name="columns"/> row-major.</summary>
    public PackedRows(ReadOnlySpan<float> values, int rows, int columns) : this(rows, columns)
    {
        CheckLength(values.Length, rows, columns);
        for (int r = 0; r < rows; r++)
        {
            var row = values.Slice(r * columns, columns);
            int offset = r / SingleGemm.PanelRows * PanelStride + r % SingleGemm.PanelRows;
            for (int k = 0; k < columns; k++) Data[offset + k * SingleGemm.PanelRows] = row[k];
        }
    }

    private PackedRows(int rows, int columns)
    {
        if (rows < 0 || columns <= 0) throw new ArgumentOutOfRangeException(nameof(rows), $"a {rows} × {columns} matrix cannot be packed");
        Rows = rows;
        Columns = columns;
        Panels = (rows + SingleGemm.PanelRows - 1) / SingleGemm.PanelRows;
        PaddedColumns = (columns + SingleGemm.PanelRows - 1) / SingleGemm.PanelRows * SingleGemm.PanelRows;
        // Pinned: the kernels address it through raw pointers, and 0.3 GB should not move in a compacting GC.
        Data = GC.AllocateArray<float>(checked(Panels * PanelStride), pinned: true);
    }

    private static void CheckLength(int length, int rows, int columns)
    {
        if (length < (long)rows * columns)
            throw new ArgumentException($"{length} values cannot fill a {rows} × {columns} matrix", nameof(length));
    }

    /// <summary>Rows of A (without padding).</summary>
    public int Rows { get; }

    /// <summary>Columns of A (without padding): the depth of A·B.</summary>
    public int Columns { get; }

    /// <summary>Panels of <see cref="SingleGemm.PanelRows"/> rows (the last one zero-padded).</summary>
    public int Panels { get; }

    /// <summary>Columns rounded up to a multiple of <see cref="SingleGemm.PanelRows"/>: the rows of Aᵀ·G.</summary>
    public int PaddedColumns { get; }

    /// <summary>Floats per panel.</summary>
    public int PanelStride => PaddedColumns * SingleGemm.PanelRows;

    internal float[] Data { get; }
}

/// <summary>
/// Single-precision matrix products on 512-bit FMA (AVX-512F) for the pseudolikelihood kernel: C = bias + A·B and
/// C += Aᵀ·G with A packed once (<see cref="PackedRows"/>), B and G row-major with a width padded to 16 floats.
/// </summary>
/// <remarks>
/// The classic register-blocked design (Goto &amp; van de Geijn, ACM TOMS 34, 12 (2008); the BLIS micro-kernel of
/// Van Zee &amp; van de Geijn, ACM TOMS 41, 14 (2015)): a micro-kernel keeps a 12 × 32 block of C in 24 of the 32 zmm
/// registers and, per step of the inner dimension, loads two vectors of B (or G), broadcasts 12 elements of A and
/// issues 24 FMAs, so the two FMA pipes of a core stay busy while the loads (2 vectors + 12 scalars per 24 FMAs) come
/// from L1/L2. Why our own: libtorch's sgemm reached only ≈ 73 GFLOPS on the two Zen 5 cores for these shapes
/// (see <c>fsi bench fit</c>, which prints both). Every product accumulates in float32 like torch's; Aᵀ·G sums at most
/// one call's rows in registers before adding them to C, so callers choose how long a float32 sum runs.
/// </remarks>
public static class SingleGemm
{
    /// <summary>Rows of A per panel (the micro-kernel height).</summary>
    public const int PanelRows = 12;

    // Floats in a 1 MB L2 cache (Zen 4/5; 1–2 MB on recent Intel cores): the blocking of Aᵀ·G.
    private const int L2Floats = 1 << 18;

    /// <summary>Whether the CPU runs 512-bit vectors in hardware with AVX-512F (else callers take another path).</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary><paramref name="columns"/> rounded up to a whole number of 16-float vectors.</summary>
    public static int PaddedWidth(int columns) => (columns + 15) / 16 * 16;

    /// <summary>
    /// C = bias + A·B for the rows of panels [<paramref name="firstPanel"/>, +<paramref name="panels"/>) of A: B is
    /// A.Columns × <paramref name="width"/> row-major, bias has <paramref name="width"/> entries and C is
    /// (panels·12) × <paramref name="width"/> row-major; <paramref name="width"/> is a multiple of 16.
    /// </summary>
    public static unsafe void MultiplyAdd(PackedRows a, int firstPanel, int panels, ReadOnlySpan<float> b, int width,
        ReadOnlySpan<float> bias, Span<float> c)
    {
        CheckShapes(a, firstPanel, panels, width);
        if (b.Length < a.Columns * width || bias.Length < width || c.Length < panels * PanelRows * width)
            throw new ArgumentException("B, bias or C is shorter than the shapes require");
        if (!IsSupported) throw new PlatformNotSupportedException("SingleGemm needs AVX-512F");
        fixed (float* pa = a.Data, pb = b, pbias = bias, pc = c)
        {
            // Column tiles outermost: one 32-column slice of B (depth × 128 bytes) stays in L1/L2 for all the panels.
            for (int j = 0; j < width; j += 32)
            {
                bool two = j + 32 <= width;
                for (int p = 0; p < panels; p++)
                {
                    float* panel = pa + (long)(firstPanel + p) * a.PanelStride;
                    float* cp = pc + (long)p * PanelRows * width + j;
                    if (two) Forward2(panel, pb + j, width, a.Columns, pbias + j, cp, width);
                    else Forward1(panel, pb + j, width, a.Columns, pbias + j, cp, width);
                }
            }
        }
    }

    /// <summary>
    /// C += Aᵀ·G over the rows of panels [<paramref name="firstPanel"/>, +<paramref name="panels"/>) of A: G is
    /// (panels·12) × <paramref name="width"/> row-major (its row r belongs to the panels' row r) and C is
    /// A.PaddedColumns × <paramref name="width"/> row-major; <paramref name="width"/> is a multiple of 16.
    /// </summary>
    public static unsafe void TransposeMultiplyAccumulate(PackedRows a, int firstPanel, int panels, ReadOnlySpan<float> g, int width, Span<float> c)
    {
        CheckShapes(a, firstPanel, panels, width);
        if (g.Length < panels * PanelRows * width || c.Length < a.PaddedColumns * width)
            throw new ArgumentException("G or C is shorter than the shapes require");
        if (!IsSupported) throw new PlatformNotSupportedException("SingleGemm needs AVX-512F");
        fixed (float* pa = a.Data, pg = g, pc = c)
        {
            float* first = pa + (long)firstPanel * a.PanelStride;
            // Blocks of columns of A sized so the block's rows (panels · 12 rows × block) fit in half of a 1 MB L2; within a
            // block, the 32-column slices of G outermost, so each slice is read from L2 by all the row tiles of C in turn.
            int block = Math.Max(PanelRows, L2Floats / 2 / Math.Max(1, panels * PanelRows) / PanelRows * PanelRows);
            for (int k0 = 0; k0 < a.PaddedColumns; k0 += block)
            {
                int k1 = Math.Min(a.PaddedColumns, k0 + block);
                for (int j = 0; j < width; j += 32)
                {
                    bool two = j + 32 <= width;
                    for (int k = k0; k < k1; k += PanelRows)
                    {
                        if (two) Gradient2(first + k * PanelRows, a.PanelStride, panels, pg + j, width, pc + (long)k * width + j, width);
                        else Gradient1(first + k * PanelRows, a.PanelStride, panels, pg + j, width, pc + (long)k * width + j, width);
                    }
                }
            }
        }
    }

    /// <summary>
    /// C = bias + A·B over all rows of A, in chunks of <paramref name="chunkPanels"/> panels spread over the cores (each
    /// row's result does not depend on the split). C is (A.Panels·12) × <paramref name="width"/>.
    /// </summary>
    public static void MultiplyAddParallel(PackedRows a, float[] b, int width, float[] bias, float[] c, int chunkPanels = 16,
        ParallelOptions? parallel = null)
    {
        int chunks = (a.Panels + chunkPanels - 1) / chunkPanels;
        Parallel.For(0, chunks, parallel ?? new ParallelOptions(), chunk =>
        {
            int first = chunk * chunkPanels, count = Math.Min(chunkPanels, a.Panels - first);
            MultiplyAdd(a, first, count, b, width, bias, c.AsSpan(first * PanelRows * width, count * PanelRows * width));
        });
    }

    /// <summary>
    /// Aᵀ·G (A.PaddedColumns × <paramref name="width"/>, float64) over all rows of A: fixed segments of
    /// <paramref name="segmentPanels"/> panels each sum into their own float32 partial (in sub-sums of
    /// <paramref name="chunkPanels"/> panels formed in registers), and the partials are added in float64 in segment
    /// order, so the result does not depend on the number of threads or their scheduling.
    /// </summary>
    public static double[] TransposeMultiplyParallel(PackedRows a, float[] g, int width, int segmentPanels = 256, int chunkPanels = 16,
        ParallelOptions? parallel = null, int off = 0)
    {
        int segments = (a.Panels + segmentPanels - 1) / segmentPanels, size = a.PaddedColumns * width;
        var partials = new float[segments][];
        Parallel.For(0, segments, parallel ?? new ParallelOptions(), s =>
        {
            var partial = new float[size];
            int end = Math.Min(a.Panels, (s + 1) * segmentPanels);
            for (int first = s * segmentPanels; first < end; first += chunkPanels)
            {
                int count = Math.Min(chunkPanels, end - first);
                TransposeMultiplyAccumulate(a, first, count, g.AsSpan(off + first * PanelRows * width, count * PanelRows * width), width, partial);
            }
            partials[s] = partial;
        });
        var sum = new double[size];
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

    private static void CheckShapes(PackedRows a, int firstPanel, int panels, int width)
    {
        if (width <= 0 || width % 16 != 0) throw new ArgumentException($"width {width} is not a positive multiple of 16", nameof(width));
        if (firstPanel < 0 || panels < 0 || firstPanel + panels > a.Panels)
            throw new ArgumentOutOfRangeException(nameof(panels), $"panels [{firstPanel}, {firstPanel + panels}) outside the {a.Panels} of A");
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

    // C[k0+r, j..j+31] += Σ_μ A[μ,k0+r]·G[μ, j..] over the rows of `panels` panels: 12×2 accumulators in registers,
    // so each sum over the chunk's rows is formed in registers and added to C once.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Gradient2(float* a, int panelStride, int panels, float* g, int ldg, float* c, int ldc)
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
        for (int q = 0; q < panels; q++, a += panelStride)
        {
            for (int row = 0; row < PanelRows; row++, g += ldg)
            {
                float* x = a + row;
                var b0 = Vector512.Load(g + 0);
                var b1 = Vector512.Load(g + 16);
                var x0 = Vector512.Create(x[0]); c0_0 = Vector512.FusedMultiplyAdd(x0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(x0, b1, c0_1);
                var x1 = Vector512.Create(x[12]); c1_0 = Vector512.FusedMultiplyAdd(x1, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(x1, b1, c1_1);
                var x2 = Vector512.Create(x[24]); c2_0 = Vector512.FusedMultiplyAdd(x2, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(x2, b1, c2_1);
                var x3 = Vector512.Create(x[36]); c3_0 = Vector512.FusedMultiplyAdd(x3, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(x3, b1, c3_1);
                var x4 = Vector512.Create(x[48]); c4_0 = Vector512.FusedMultiplyAdd(x4, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(x4, b1, c4_1);
                var x5 = Vector512.Create(x[60]); c5_0 = Vector512.FusedMultiplyAdd(x5, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(x5, b1, c5_1);
                var x6 = Vector512.Create(x[72]); c6_0 = Vector512.FusedMultiplyAdd(x6, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(x6, b1, c6_1);
                var x7 = Vector512.Create(x[84]); c7_0 = Vector512.FusedMultiplyAdd(x7, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(x7, b1, c7_1);
                var x8 = Vector512.Create(x[96]); c8_0 = Vector512.FusedMultiplyAdd(x8, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(x8, b1, c8_1);
                var x9 = Vector512.Create(x[108]); c9_0 = Vector512.FusedMultiplyAdd(x9, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(x9, b1, c9_1);
                var x10 = Vector512.Create(x[120]); c10_0 = Vector512.FusedMultiplyAdd(x10, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(x10, b1, c10_1);
                var x11 = Vector512.Create(x[132]); c11_0 = Vector512.FusedMultiplyAdd(x11, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(x11, b1, c11_1);
            }
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

    // C[k0+r, j..j+15] += Σ_μ A[μ,k0+r]·G[μ, j..] over the rows of `panels` panels: 12×1 accumulators in registers,
    // so each sum over the chunk's rows is formed in registers and added to C once.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Gradient1(float* a, int panelStride, int panels, float* g, int ldg, float* c, int ldc)
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
        for (int q = 0; q < panels; q++, a += panelStride)
        {
            for (int row = 0; row < PanelRows; row++, g += ldg)
            {
                float* x = a + row;
                var b0 = Vector512.Load(g + 0);
                var x0 = Vector512.Create(x[0]); c0_0 = Vector512.FusedMultiplyAdd(x0, b0, c0_0);
                var x1 = Vector512.Create(x[12]); c1_0 = Vector512.FusedMultiplyAdd(x1, b0, c1_0);
                var x2 = Vector512.Create(x[24]); c2_0 = Vector512.FusedMultiplyAdd(x2, b0, c2_0);
                var x3 = Vector512.Create(x[36]); c3_0 = Vector512.FusedMultiplyAdd(x3, b0, c3_0);
                var x4 = Vector512.Create(x[48]); c4_0 = Vector512.FusedMultiplyAdd(x4, b0, c4_0);
                var x5 = Vector512.Create(x[60]); c5_0 = Vector512.FusedMultiplyAdd(x5, b0, c5_0);
                var x6 = Vector512.Create(x[72]); c6_0 = Vector512.FusedMultiplyAdd(x6, b0, c6_0);
                var x7 = Vector512.Create(x[84]); c7_0 = Vector512.FusedMultiplyAdd(x7, b0, c7_0);
                var x8 = Vector512.Create(x[96]); c8_0 = Vector512.FusedMultiplyAdd(x8, b0, c8_0);
                var x9 = Vector512.Create(x[108]); c9_0 = Vector512.FusedMultiplyAdd(x9, b0, c9_0);
                var x10 = Vector512.Create(x[120]); c10_0 = Vector512.FusedMultiplyAdd(x10, b0, c10_0);
                var x11 = Vector512.Create(x[132]); c11_0 = Vector512.FusedMultiplyAdd(x11, b0, c11_0);
            }
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
