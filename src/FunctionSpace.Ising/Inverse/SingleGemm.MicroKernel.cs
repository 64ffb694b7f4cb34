using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FunctionSpace.Ising.Simd;
using X86Avx2 = System.Runtime.Intrinsics.X86.Avx2;   // inside SingleGemm, Avx2 is the path

namespace FunctionSpace.Ising.Inverse;

public abstract partial class SingleGemm
{
    /// <summary>Rows of a packed panel, the height of the micro-kernel's block of C (a JIT-time constant).</summary>
    private interface IPanelHeight { static abstract int Rows { get; } }

    // 512-bit: 12 × 32 blocks of C in 24 of the 32 zmm registers (12 × 16 for a last 16-column tile).
    private struct TwelveRows : IPanelHeight { public static int Rows => 12; }

    // 256-bit: the 6 × 16 shape of the BLIS Haswell and Zen sgemm kernels, 12 accumulators in the 16 ymm registers with
    // two vectors of B and one broadcast per step of the inner dimension. A 12 × 16 block (24 accumulators) would spill;
    // 6 × 16 needs 8 loads per 12 FMAs, within the two to three loads a cycle of these cores. The padded width is a
    // multiple of 16, so there is no narrower tile.
    private struct SixRows : IPanelHeight { public static int Rows => 6; }

    /// <summary>Vectors of C per row of the block: two (a whole tile) or one (a last 16-column tile at 16 lanes).</summary>
    private interface IVectorsPerRow { static abstract bool Two { get; } }
    private struct OneVector : IVectorsPerRow { public static bool Two => false; }
    private struct TwoVectors : IVectorsPerRow { public static bool Two => true; }

    /// <summary>
    /// A path at one vector width: <typeparamref name="TV"/> is Vector512 or Vector256 of float (<see cref="Lanes{TV}"/>),
    /// tiles of C two vectors wide, blocks <typeparamref name="TPanel"/> rows tall.
    /// </summary>
    private sealed class VectorPath<TV, TPanel>(string name) : SingleGemm(name, TPanel.Rows, 2 * Lanes<TV>.Count)
        where TV : struct where TPanel : struct, IPanelHeight
    {
        public override bool IsSupported => Lanes<TV>.Wide
            ? Vector512.IsHardwareAccelerated && Avx512F.IsSupported
            : Vector256.IsHardwareAccelerated && X86Avx2.IsSupported && Fma.IsSupported;

        private protected override unsafe void Forward(float* panel, float* b, int ldb, int depth, float* bias, float* c, int ldc, int columns)
        {
            if (columns == 2 * Lanes<TV>.Count) Block<TV, TPanel, TwoVectors>(panel, b, ldb, depth, bias, c, ldc);
            else Block<TV, TPanel, OneVector>(panel, b, ldb, depth, bias, c, ldc);
        }

        private protected override unsafe void Gradient(float* panel, int rows, float* g, int ldg, float* c, int ldc, int columns)
        {
            if (columns == 2 * Lanes<TV>.Count) Block<TV, TPanel, TwoVectors>(panel, g, ldg, rows, null, c, ldc);
            else Block<TV, TPanel, OneVector>(panel, g, ldg, rows, null, c, ldc);
        }
    }

    /// <summary>
    /// The block of C at <paramref name="c"/> (TPanel.Rows rows, one or two vectors of columns) over
    /// <paramref name="steps"/> steps of the inner dimension, step k adding the outer product of the panel's TPanel.Rows
    /// adjacent floats with the floats at b + k·ldb: C = bias + Σ_k (the forward product: a row panel, B), or, with
    /// <paramref name="bias"/> null, C += Σ_k with the sum formed from zero in registers (the gradient: a column panel, G).
    /// Entry (r, j) is the chain acc ← fma(a_rk, b_kj, acc) over k in order from bias_j or 0, then + C_rj for the
    /// gradient: the same float32 operations at either width.
    /// </summary>
    /// <remarks>
    /// The accumulators are named locals, c{row}{vector}, so that the JIT keeps them in registers; rows past TPanel.Rows
    /// and second vectors of a one-vector block are removed at JIT time. Three rows a line, for brevity only. Not inlined
    /// into the path's Forward and Gradient (the SIMD policy in Simd/Lanes.cs): inlined there by tiered PGO, the 256-bit
    /// gradient ran 2.5-5x slower.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block<TV, TPanel, TVectors>(float* a, float* b, int ldb, int steps, float* bias, float* c, int ldc)
        where TV : struct where TPanel : struct, IPanelHeight where TVectors : struct, IVectorsPerRow
    {
        int lanes = Lanes<TV>.Count;
        var t0 = bias == null ? Lanes<TV>.Zero : Lanes<TV>.Load(bias);
        var t1 = bias == null || !TVectors.Two ? Lanes<TV>.Zero : Lanes<TV>.Load(bias + lanes);
        Lanes<TV> c00 = t0, c01 = t1, c10 = t0, c11 = t1, c20 = t0, c21 = t1, c30 = t0, c31 = t1, c40 = t0, c41 = t1, c50 = t0, c51 = t1;
        Lanes<TV> c60 = t0, c61 = t1, c70 = t0, c71 = t1, c80 = t0, c81 = t1, c90 = t0, c91 = t1, cA0 = t0, cA1 = t1, cB0 = t0, cB1 = t1;
        for (int k = 0; k < steps; k++, a += TPanel.Rows, b += ldb)
        {
            var b0 = Lanes<TV>.Load(b);
            var b1 = TVectors.Two ? Lanes<TV>.Load(b + lanes) : default;
            Step<TV, TVectors>(a[0], b0, b1, ref c00, ref c01); Step<TV, TVectors>(a[1], b0, b1, ref c10, ref c11); Step<TV, TVectors>(a[2], b0, b1, ref c20, ref c21);
            Step<TV, TVectors>(a[3], b0, b1, ref c30, ref c31); Step<TV, TVectors>(a[4], b0, b1, ref c40, ref c41); Step<TV, TVectors>(a[5], b0, b1, ref c50, ref c51);
            if (TPanel.Rows > 6)
            {
                Step<TV, TVectors>(a[6], b0, b1, ref c60, ref c61); Step<TV, TVectors>(a[7], b0, b1, ref c70, ref c71); Step<TV, TVectors>(a[8], b0, b1, ref c80, ref c81);
                Step<TV, TVectors>(a[9], b0, b1, ref c90, ref c91); Step<TV, TVectors>(a[10], b0, b1, ref cA0, ref cA1); Step<TV, TVectors>(a[11], b0, b1, ref cB0, ref cB1);
            }
        }
        bool accumulate = bias == null;
        Finish<TV, TVectors>(c, accumulate, ref c00, ref c01); Finish<TV, TVectors>(c + ldc, accumulate, ref c10, ref c11); Finish<TV, TVectors>(c + 2 * ldc, accumulate, ref c20, ref c21);
        Finish<TV, TVectors>(c + 3 * ldc, accumulate, ref c30, ref c31); Finish<TV, TVectors>(c + 4 * ldc, accumulate, ref c40, ref c41); Finish<TV, TVectors>(c + 5 * ldc, accumulate, ref c50, ref c51);
        if (TPanel.Rows > 6)
        {
            Finish<TV, TVectors>(c + 6 * ldc, accumulate, ref c60, ref c61); Finish<TV, TVectors>(c + 7 * ldc, accumulate, ref c70, ref c71); Finish<TV, TVectors>(c + 8 * ldc, accumulate, ref c80, ref c81);
            Finish<TV, TVectors>(c + 9 * ldc, accumulate, ref c90, ref c91); Finish<TV, TVectors>(c + 10 * ldc, accumulate, ref cA0, ref cA1); Finish<TV, TVectors>(c + 11 * ldc, accumulate, ref cB0, ref cB1);
        }
    }

    /// <summary>One row of the block, one step: c0 += a·b0 and c1 += a·b1 (fused), a broadcast once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TV, TVectors>(float a, Lanes<TV> b0, Lanes<TV> b1, ref Lanes<TV> c0, ref Lanes<TV> c1)
        where TV : struct where TVectors : struct, IVectorsPerRow
    {
        var x = Lanes<TV>.Create(a);
        Lanes<TV>.FmaAccumulate(ref c0, x, b0);
        if (TVectors.Two) Lanes<TV>.FmaAccumulate(ref c1, x, b1);
    }

    /// <summary>Stores one row of the block at <paramref name="c"/>, first adding C's values when <paramref name="accumulate"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Finish<TV, TVectors>(float* c, bool accumulate, ref Lanes<TV> c0, ref Lanes<TV> c1)
        where TV : struct where TVectors : struct, IVectorsPerRow
    {
        if (accumulate)
        {
            c0 += Lanes<TV>.Load(c);
            if (TVectors.Two) c1 += Lanes<TV>.Load(c + Lanes<TV>.Count);
        }
        c0.Store(c);
        if (TVectors.Two) c1.Store(c + Lanes<TV>.Count);
    }
}
