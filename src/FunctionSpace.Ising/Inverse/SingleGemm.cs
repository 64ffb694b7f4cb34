using System.Numerics;
using System.Runtime.Intrinsics;

namespace FunctionSpace.Ising.Inverse;

/// <summary>
/// Single-precision matrix products on FMA vector units for the pseudolikelihood kernel
/// (<see cref="PseudolikelihoodKernel"/>): C = bias + A·B and C += Aᵀ·G, with a block of rows of A packed into
/// panels first (<see cref="PackRows{T}"/>, <see cref="PackColumns{T}"/>) and B, G, C row-major with a width
/// padded to whole 16-float vectors. Two paths, one per vector width: <see cref="Avx512"/> (512-bit, AVX-512F) and
/// <see cref="Avx2"/> (256-bit, AVX2 + FMA3); <see cref="Fastest"/> is the one to use on this CPU. Both run one
/// micro-kernel written over <see cref="FunctionSpace.Ising.Simd.Lanes{TV}"/>, compiled once per width.
/// </summary>
/// <remarks>
/// The classic register-blocked design (Goto &amp; van de Geijn, ACM TOMS 34, 12 (2008); the BLIS micro-kernel of
/// Van Zee &amp; van de Geijn, ACM TOMS 41, 14 (2015)): a micro-kernel keeps a block of C in registers and, per step of
/// the inner dimension, loads two vectors of B (or G), broadcasts one element of the packed A per row of the block and
/// issues two FMAs per row, so the two FMA pipes of a core stay busy. The block is as tall as the register file allows:
/// 12 × 32 in 24 of the 32 zmm registers on AVX-512, 6 × 16 in 12 of the 16 ymm registers on AVX2 (the shape of the
/// BLIS Haswell/Zen sgemm kernel), and a panel of A is as tall as the block. A is packed twice because the two products
/// broadcast it along different directions: for A·B the rows of a panel at one column are adjacent (row panels), for
/// Aᵀ·G the columns of a row (column panels); broadcasting from 12 strided places instead ran Aᵀ·G at ≈ 110 instead
/// of ≈ 165 GFLOPS per core (AVX-512, CPU time, one thread). Why our own: on the two Zen 5 cores libtorch's sgemm ran the PL
/// shapes (100,000 × 675) at 25–73 GFLOPS for X Wᵀ and 75–148 GFLOPS for Gᵀ X, the AVX-512 kernels at 146–300 and 105–184
/// (packing included; <c>fsi bench fit</c> prints both; the spread is the load of the shared machine). Why an AVX2 path: some
/// of the project's machines are Zen 3 (AVX2 + FMA3, no AVX-512), where the PL fell back to torch (≈ 170 s instead of the
/// 2-minute target). On the Zen 5 cores with AVX-512 switched off (<c>DOTNET_EnableAVX512=0</c>) the AVX2 kernels ran
/// 20,000 × 675 at 85–89 GFLOPS for X Wᵀ and 69–74 for Gᵀ X per core (CPU time, one thread, packing included), the AVX-512
/// ones at 151–166 and 94–113 in the same runs: half the vector width, about half the rate. Products accumulate in float32
/// like torch's; Aᵀ·G sums one call's rows in registers before adding them to C once, so callers choose how long a float32
/// sum runs. Every entry of C is the same chain of float32 operations on both paths (the inner dimension in order, zero
/// padding adding exact zeros), so the two give bitwise the same products (tested); only the number of entries computed at
/// once differs.
/// </remarks>
public abstract partial class SingleGemm
{
    private readonly int _tileWidth;

    private protected SingleGemm(string name, int panelRows, int tileWidth)
    {
        Name = name;
        PanelRows = panelRows;
        _tileWidth = tileWidth;
    }

    /// <summary>The 512-bit path (AVX-512F): 12 × 32 blocks of C, 12-row panels.</summary>
    public static SingleGemm Avx512 { get; } = new VectorPath<Vector512<float>, TwelveRows>("avx512");

    /// <summary>The 256-bit path (AVX2 + FMA3): 6 × 16 blocks of C, 6-row panels.</summary>
    public static SingleGemm Avx2 { get; } = new VectorPath<Vector256<float>, SixRows>("avx2");

    /// <summary>The paths this CPU runs in hardware, widest first.</summary>
    public static IReadOnlyList<SingleGemm> Supported { get; } = new[] { Avx512, Avx2 }.Where(path => path.IsSupported).ToArray();

    /// <summary>The widest path this CPU runs in hardware, or null (callers then take another path, e.g. torch).</summary>
    public static SingleGemm? Fastest => Supported.Count > 0 ? Supported[0] : null;

    /// <summary>"avx512" or "avx2".</summary>
    public string Name { get; }

    /// <summary>Rows of A per panel (the micro-kernel height): 12 on AVX-512, 6 on AVX2.</summary>
    public int PanelRows { get; }

    /// <summary>Whether the CPU runs this path's vectors and FMAs in hardware (else callers take another path).</summary>
    public abstract bool IsSupported { get; }

    /// <summary><paramref name="columns"/> rounded up to a whole number of 16-float vectors (the width of B, G, C on both paths).</summary>
    public static int PaddedWidth(int columns) => (columns + 15) / 16 * 16;

    /// <summary><paramref name="count"/> rounded up to a multiple of <see cref="PanelRows"/> (rows of a packed block, rows of Aᵀ·G).</summary>
    public int PaddedCount(int count) => (count + PanelRows - 1) / PanelRows * PanelRows;

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>
    /// Packs rows [<paramref name="first"/>, +<paramref name="rows"/>) of A (row-major, row stride <paramref name="stride"/>,
    /// <paramref name="columns"/> used) into row panels: panel p holds, column by column, the <see cref="PanelRows"/> values of
    /// rows p·PanelRows, p·PanelRows + 1, …. <paramref name="panels"/> needs PaddedCount(rows)·PaddedCount(columns) floats;
    /// padding rows and columns are zero.
    /// </summary>
    public void PackRows<T>(ReadOnlySpan<T> a, int stride, int columns, int first, int rows, Span<float> panels)
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
    /// the <see cref="PanelRows"/> values of columns q·PanelRows, q·PanelRows + 1, … for all PaddedCount(rows) rows.
    /// <paramref name="panels"/> needs PaddedCount(columns)·PaddedCount(rows) floats; padding rows and columns are zero.
    /// </summary>
    public void PackColumns<T>(ReadOnlySpan<T> a, int stride, int columns, int first, int rows, Span<float> panels)
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
    /// of <see cref="PanelRows"/>, the padded count) with <paramref name="depth"/> columns: B is depth × <paramref name="width"/> row-major,
    /// bias has <paramref name="width"/> entries, C is rows × <paramref name="width"/> row-major; width is a multiple of 16.
    /// </summary>
    public unsafe void MultiplyAdd(ReadOnlySpan<float> rowPanels, int rows, int depth, ReadOnlySpan<float> b, int width,
        ReadOnlySpan<float> bias, Span<float> c)
    {
        int panelSize = PaddedCount(depth) * PanelRows;
        CheckProduct(rows, depth, width);
        if (rowPanels.Length < rows / PanelRows * panelSize || b.Length < depth * width || bias.Length < width || c.Length < rows * width)
            throw new ArgumentException("the packed A, B, bias or C is shorter than the shapes require");
        fixed (float* pa = rowPanels, pb = b, pbias = bias, pc = c)
        {
            // Column tiles outermost: one tile-wide slice of B (depth × 128 or 64 bytes) stays in L2 for all the panels.
            for (int j = 0; j < width; j += _tileWidth)
            {
                int columns = Math.Min(_tileWidth, width - j);
                for (int p = 0; p < rows / PanelRows; p++)
                    Forward(pa + (long)p * panelSize, pb + j, width, depth, pbias + j, pc + (long)p * PanelRows * width + j, width, columns);
            }
        }
    }

    /// <summary>
    /// C += Aᵀ·G for a block of <paramref name="rows"/> rows of A packed by <see cref="PackColumns{T}"/> (a multiple of
    /// <see cref="PanelRows"/>, the padded count) with <paramref name="depth"/> columns: G is rows × <paramref name="width"/> row-major and C
    /// is PaddedCount(depth) × <paramref name="width"/> row-major; width is a multiple of 16. Each entry's sum over the
    /// block's rows is formed in a register and added to C once.
    /// </summary>
    public unsafe void TransposeMultiplyAccumulate(ReadOnlySpan<float> columnPanels, int rows, int depth, ReadOnlySpan<float> g,
        int width, Span<float> c)
    {
        int padded = PaddedCount(depth);
        CheckProduct(rows, depth, width);
        if (columnPanels.Length < padded * rows || g.Length < rows * width || c.Length < padded * width)
            throw new ArgumentException("the packed A, G or C is shorter than the shapes require");
        fixed (float* pa = columnPanels, pg = g, pc = c)
        {
            // Column tiles of G outermost: the tile-wide slice of G (rows × 128 or 64 bytes) stays in L1/L2 for all row tiles of C.
            for (int j = 0; j < width; j += _tileWidth)
            {
                int columns = Math.Min(_tileWidth, width - j);
                for (int k = 0; k < padded; k += PanelRows)
                    Gradient(pa + (long)k * rows, rows, pg + j, width, pc + (long)k * width + j, width, columns);
            }
        }
    }

    /// <summary>
    /// C = bias + A·B over all <paramref name="count"/> rows of A (row-major, <paramref name="columns"/> columns), in
    /// blocks of <paramref name="blockRows"/> rows spread over the cores; C is count × <paramref name="width"/>. Each row's
    /// result does not depend on the split. (The products of <c>fsi bench fit</c>; the PL kernel fuses its own.)
    /// </summary>
    public void MultiplyAddParallel<T>(T[] a, int count, int columns, float[] b, int width, float[] bias, float[] c,
        int blockRows = 192, ParallelOptions? parallel = null) where T : unmanaged, INumberBase<T>
    {
        if (blockRows <= 0 || blockRows % PanelRows != 0) throw new ArgumentException($"block of {blockRows} rows is not a positive multiple of {PanelRows}", nameof(blockRows));
        int blocks = (count + blockRows - 1) / blockRows, depth = PaddedCount(columns);
        Parallel.For(0, blocks, parallel ?? new ParallelOptions(), () => (Panels: new float[blockRows * depth], C: new float[blockRows * width]), (block, _, buffers) =>
        {
            int first = block * blockRows, rows = Math.Min(blockRows, count - first), padded = PaddedCount(rows);
            PackRows(a, columns, columns, first, rows, buffers.Panels);
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
    public double[] TransposeMultiplyParallel<T>(T[] a, int count, int columns, float[] g, int width, int blockRows = 192,
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
                PackColumns(a, columns, columns, first, rows, buffers.Panels);
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
        else if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= partial.Length; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Create(partial.Slice(i, 8)));
                (Vector256.Create(sum.Slice(i, 4)) + lo).CopyTo(sum.Slice(i, 4));
                (Vector256.Create(sum.Slice(i + 4, 4)) + hi).CopyTo(sum.Slice(i + 4, 4));
            }
        for (; i < partial.Length; i++) sum[i] += partial[i];
    }

    private static void CheckPack(int length, int stride, int columns, int first, int rows, int panelsLength, int needed)
    {
        if (columns <= 0 || stride < columns || first < 0 || rows < 0 || (rows > 0 && (long)(first + rows - 1) * stride + columns > length))
            throw new ArgumentException($"rows [{first}, {first + rows}) × {columns} columns (stride {stride}) are outside the {length} values of A");
        if (panelsLength < needed) throw new ArgumentException($"the panels need {needed} floats, not {panelsLength}");
    }

    private void CheckProduct(int rows, int depth, int width)
    {
        if (!IsSupported) throw new PlatformNotSupportedException($"SingleGemm.{Name}: this CPU does not run its vectors in hardware");
        if (rows < 0 || rows % PanelRows != 0) throw new ArgumentException($"{rows} rows is not a multiple of {PanelRows} (pack and pad first)");
        if (depth <= 0) throw new ArgumentException($"depth {depth} must be positive");
        if (width <= 0 || width % 16 != 0) throw new ArgumentException($"width {width} is not a positive multiple of 16");
    }

    // The block of C of one micro-kernel call: C[r, 0..columns) = bias + Σ_k A[r,k]·B[k, ..] for the PanelRows rows of a
    // row panel (columns = the tile width, or 16 for a last narrower tile).
    private protected abstract unsafe void Forward(float* panel, float* b, int ldb, int depth, float* bias, float* c, int ldc, int columns);

    // C[k0 + r, 0..columns) += Σ_μ A[μ, k0 + r]·G[μ, ..] over `rows` rows of a column panel (PanelRows values of a row
    // adjacent), each sum formed from zero in registers and added to C once.
    private protected abstract unsafe void Gradient(float* panel, int rows, float* g, int ldg, float* c, int ldc, int columns);
}
