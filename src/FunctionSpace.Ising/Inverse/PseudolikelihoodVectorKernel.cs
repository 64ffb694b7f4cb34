using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FunctionSpace.Ising.Simd;

namespace FunctionSpace.Ising.Inverse;

/// <summary>
/// The float32 negative log-pseudolikelihood and its gradient of <see cref="PseudolikelihoodKernel"/> on one
/// <see cref="SingleGemm"/> path (AVX-512 or AVX2), fused per block of 192 configurations: H = h + X Wᵀ, then in place
/// z = −2 s∘H, the loss Σ softplus(z) and G = −2 s∘σ(z)/M, then Xᵀ G into the gradient — so a block's X, H and G stay in cache.
/// </summary>
/// <remarks>
/// Same objective as the torch path (Aurell &amp; Ekeberg, PRL 108, 090201 (2012)): L = (1/M) Σ_μ Σ_i softplus(−2 s_i H_i)
/// + (λ₂/2) Σ W²; ∂L/∂W = Gᵀ X, ∂L/∂h = Σ_μ G. Determinism: the configurations are cut into fixed segments of 16 blocks;
/// each segment sums its gradient in its own float32 partial (each block's sum over its 192 rows formed in registers)
/// and its loss in float64; segments are added in float64 in segment order, so the result does not depend on the
/// number of threads or their scheduling. The blocks and segments are the same on both paths, and so is every float32
/// operation on an entry of H and of the gradient; the paths differ in vector width only. The data are kept once as
/// ±1 bytes (row stride padded to 16) and packed to float per block, twice, for the two products' broadcast directions.
/// </remarks>
internal sealed class PseudolikelihoodVectorKernel
{
    // 192 rows: a block's packed data (2 × 192 × 684 floats) and fields (192 × 688) stay within L2/L3 reach while a
    // kernel call runs 192 steps per loaded 12 × 32 tile of C (96 and 384 rows measured the same within noise).
    internal const int BlockRows = 192, SegmentBlocks = 16;
    private const int SegmentRows = BlockRows * SegmentBlocks;

    private readonly SingleGemm _gemm;
    private readonly int _n, _m, _width, _depth;
    private readonly sbyte[] _spins;          // M × width, columns ≥ N zero
    private readonly float[] _b;              // Wᵀ: N × width (B of H = h + X·B), columns ≥ N zero
    private readonly float[] _bias;           // h, width
    private readonly float[][] _partials;     // per segment: Xᵀ G, depth × width
    private readonly double[] _loss;          // per segment: Σ softplus
    private readonly double[][] _fieldSums;   // per segment: Σ_μ G, width
    private readonly double[] _sum;           // Σ_segments partial, float64
    private readonly ConcurrentBag<Workspace> _workspaces = [];

    private sealed class Workspace(int depth, int width)
    {
        public readonly float[] Rows = new float[BlockRows * depth];
        public readonly float[] Columns = new float[BlockRows * depth];
        public readonly float[] H = new float[BlockRows * width];
        public readonly float[] FieldBlock = new float[width];
    }

    public PseudolikelihoodVectorKernel(SingleGemm gemm, ReadOnlySpan<sbyte> spins, int count, int n)
    {
        if (!gemm.IsSupported) throw new PlatformNotSupportedException($"SingleGemm.{gemm.Name}: this CPU does not run its vectors in hardware");
        _gemm = gemm;
        _n = n;
        _m = count;
        _width = SingleGemm.PaddedWidth(n);
        _depth = gemm.PaddedCount(n);
        _spins = new sbyte[(long)count * _width];
        for (int r = 0; r < count; r++) spins.Slice(r * n, n).CopyTo(_spins.AsSpan(r * _width, n));
        _b = new float[n * _width];
        _bias = new float[_width];
        int segments = (count + SegmentRows - 1) / SegmentRows;
        _partials = new float[segments][];
        _fieldSums = new double[segments][];
        for (int s = 0; s < segments; s++)
        {
            _partials[s] = new float[_depth * _width];
            _fieldSums[s] = new double[_width];
        }
        _loss = new double[segments];
        _sum = new double[_depth * _width];
    }

    /// <summary>How the segments are spread over threads (the result does not depend on it).</summary>
    public ParallelOptions Threads { get; init; } = new();

    /// <summary>The mean loss without penalty; writes ∂/∂W (diagonal zero, no penalty) and ∂/∂h into <paramref name="gradient"/>.</summary>
    public double Evaluate(ReadOnlySpan<double> parameters, Span<double> gradient)
    {
        int n = _n, width = _width;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
                _b[k * width + i] = i == k ? 0f : (float)parameters[i * n + k];
        for (int i = 0; i < n; i++) _bias[i] = (float)parameters[n * n + i];
        Parallel.For(0, _loss.Length, Threads, () => _workspaces.TryTake(out var w) ? w : new Workspace(_depth, width),
            (s, _, workspace) => { Segment(s, workspace); return workspace; }, workspace => _workspaces.Add(workspace));
        // Fixed-order float64 reduction over segments.
        double loss = 0;
        Array.Clear(_sum);
        var fields = gradient.Slice(n * n, n);
        fields.Clear();
        for (int s = 0; s < _loss.Length; s++)
        {
            loss += _loss[s];
            SingleGemm.AddTo(_partials[s], _sum);
            for (int i = 0; i < n; i++) fields[i] += _fieldSums[s][i];
        }
        // _sum holds Xᵀ G (row k, column i) = ∂L/∂W_ik.
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
                gradient[i * n + k] = i == k ? 0 : _sum[k * width + i];
        return loss / _m;
    }

    private void Segment(int segment, Workspace workspace)
    {
        var partial = _partials[segment];
        var fields = _fieldSums[segment];
        Array.Clear(partial);
        Array.Clear(fields);
        double loss = 0;
        int end = Math.Min(_m, (segment + 1) * SegmentRows);
        for (int first = segment * SegmentRows; first < end; first += BlockRows)
        {
            int rows = Math.Min(BlockRows, end - first), padded = _gemm.PaddedCount(rows);
            _gemm.PackRows<sbyte>(_spins, _width, _n, first, rows, workspace.Rows);
            _gemm.MultiplyAdd(workspace.Rows, padded, _n, _b, _width, _bias, workspace.H);
            loss += LossAndFieldGradient(first, rows, workspace.H, workspace.FieldBlock);
            workspace.H.AsSpan(rows * _width, (padded - rows) * _width).Clear();   // G of padding rows
            SingleGemm.AddTo(workspace.FieldBlock, fields);
            _gemm.PackColumns<sbyte>(_spins, _width, _n, first, rows, workspace.Columns);
            _gemm.TransposeMultiplyAccumulate(workspace.Columns, padded, _n, workspace.H, _width, partial);
        }
        _loss[segment] = loss;
    }

    // The loss pass in the products' vector width: the 512-bit one needs AVX-512F, which an AVX2 machine lacks.
    private double LossAndFieldGradient(int first, int rows, float[] h, float[] fieldBlock)
    {
        var spins = _spins.AsSpan(first * _width, rows * _width);
        return _gemm == SingleGemm.Avx512
            ? LossAndFieldGradient<Vector512<float>>(spins, _width, h, fieldBlock, _m)
            : LossAndFieldGradient<Vector256<float>>(spins, _width, h, fieldBlock, _m);
    }

    // In place over a block's fields H (one row per row of spinRows, both `width` wide): z = −2 s H, the loss Σ softplus(z)
    // (float64 sum), G = −2 s σ(z)/M with M = count; field block = Σ_rows G.
    // softplus(z) = max(z, 0) + log1p(e), σ(z) = (z ≥ 0 ? 1 : e)/(1 + e) with e = exp(−|z|) ∈ (0, 1]; log1p(e) as
    // ln u − ((u − 1) − e)/u, u = fl(1 + e) (u − 1 is exact; the correction restores the e lost in rounding 1 + e).
    // Padding columns have s = 0: G = 0 there, and the loss is masked by s². Written once over Lanes<TV> (16 or 8 lanes):
    // every entry of G and of the field block is the same float32 operations at either width (.NET's Exp and Log are
    // lane-wise); the loss is summed in float64 over 8 or 4 double lanes, a different, equally fixed order per width.
    // Not inlined into the segment loop, but compiled through the tiers: with AggressiveOptimization as well, the PL
    // evaluation of 6,000 × 675 ran 10 % slower (medians of 4 alternating runs at 16 and at 8 lanes).
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static unsafe double LossAndFieldGradient<TV>(ReadOnlySpan<sbyte> spinRows, int width, Span<float> fields, Span<float> fieldBlock, int count)
        where TV : struct
    {
        int rows = spinRows.Length / width;
        if (width % 16 != 0 || fields.Length < rows * width || fieldBlock.Length < width)
            throw new ArgumentException("the rows are not whole 16-float vectors or the fields or the field block are too short");
        var accLo = DoubleLanes<TV>.Zero;
        var accHi = DoubleLanes<TV>.Zero;
        var scale = Lanes<TV>.Create(-2f / count);
        var two = Lanes<TV>.Create(-2f);
        var one = Lanes<TV>.One;
        fieldBlock.Slice(0, width).Clear();
        fixed (sbyte* spins = spinRows)
        fixed (float* h = fields, field = fieldBlock)
        for (int r = 0; r < rows; r++)
        {
            sbyte* srow = spins + (long)r * width;
            float* hrow = h + (long)r * width;
            for (int v = 0; v < width; v += Lanes<TV>.Count)
            {
                var s = Lanes<TV>.LoadSignedBytes(srow + v);
                var z = s * Lanes<TV>.Load(hrow + v) * two;
                var e = Lanes<TV>.Exp(-Lanes<TV>.Abs(z));
                var u = one + e;
                var inverse = one / u;
                var softplus = Lanes<TV>.Max(z, Lanes<TV>.Zero) + (Lanes<TV>.Log(u) - (u - one - e) * inverse);
                var sigma = Lanes<TV>.Select(Lanes<TV>.GreaterThanOrEqual(z, Lanes<TV>.Zero), one, e) * inverse;
                var g = s * sigma * scale;
                g.Store(hrow + v);
                (Lanes<TV>.Load(field + v) + g).Store(field + v);
                var (lo, hi) = (softplus * s * s).Widen();
                accLo += lo;
                accHi += hi;
            }
        }
        return (accLo + accHi).Sum();
    }
}
