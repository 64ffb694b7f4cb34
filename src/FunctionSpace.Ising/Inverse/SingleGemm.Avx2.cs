using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using X86Avx2 = System.Runtime.Intrinsics.X86.Avx2;   // inside SingleGemm, Avx2 is the path

namespace FunctionSpace.Ising.Inverse;

public abstract partial class SingleGemm
{
    // 256-bit FMA (AVX2 + FMA3, 16 ymm registers): the 6 × 16 shape of the BLIS Haswell and Zen sgemm kernels, 12
    // accumulators, two vectors of B and one broadcast per step of the inner dimension. A 12 × 16 block (24 accumulators)
    // would spill; 6 × 16 needs 8 loads per 12 FMAs, within the two to three loads a cycle of these cores. The padded
    // width is a multiple of 16, so there is no narrower tile.
    private sealed class Avx2Path() : SingleGemm("avx2", PanelHeight, TileWidth)
    {
        private const int PanelHeight = 6, TileWidth = 16;

        public override bool IsSupported => Vector256.IsHardwareAccelerated && X86Avx2.IsSupported && Fma.IsSupported;

        private protected override unsafe void Forward(float* panel, float* b, int ldb, int depth, float* bias, float* c, int ldc, int columns) =>
            Kernel(panel, b, ldb, depth, bias, c, ldc);

        private protected override unsafe void Gradient(float* panel, int rows, float* g, int ldg, float* c, int ldc, int columns) =>
            Kernel(panel, g, ldg, rows, null, c, ldc);

        // The 6 × 16 block of C at c over `steps` steps of the inner dimension, step k adding the outer product of the
        // panel's 6 adjacent floats with the 16 floats at b + k·ldb: C = bias + Σ_k (the forward product: a row panel, B),
        // or, with bias null, C += Σ_k with the sum formed from zero in registers (the gradient: a column panel, G).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static unsafe void Kernel(float* a, float* b, int ldb, int steps, float* bias, float* c, int ldc)
        {
            var t0 = bias == null ? Vector256<float>.Zero : Vector256.Load(bias + 0);
            var t1 = bias == null ? Vector256<float>.Zero : Vector256.Load(bias + 8);
            var c0_0 = t0; var c0_1 = t1;
            var c1_0 = t0; var c1_1 = t1;
            var c2_0 = t0; var c2_1 = t1;
            var c3_0 = t0; var c3_1 = t1;
            var c4_0 = t0; var c4_1 = t1;
            var c5_0 = t0; var c5_1 = t1;
            for (int k = 0; k < steps; k++, a += PanelHeight, b += ldb)
            {
                var b0 = Vector256.Load(b + 0);
                var b1 = Vector256.Load(b + 8);
                var x0 = Vector256.Create(a[0]); c0_0 = Vector256.FusedMultiplyAdd(x0, b0, c0_0); c0_1 = Vector256.FusedMultiplyAdd(x0, b1, c0_1);
                var x1 = Vector256.Create(a[1]); c1_0 = Vector256.FusedMultiplyAdd(x1, b0, c1_0); c1_1 = Vector256.FusedMultiplyAdd(x1, b1, c1_1);
                var x2 = Vector256.Create(a[2]); c2_0 = Vector256.FusedMultiplyAdd(x2, b0, c2_0); c2_1 = Vector256.FusedMultiplyAdd(x2, b1, c2_1);
                var x3 = Vector256.Create(a[3]); c3_0 = Vector256.FusedMultiplyAdd(x3, b0, c3_0); c3_1 = Vector256.FusedMultiplyAdd(x3, b1, c3_1);
                var x4 = Vector256.Create(a[4]); c4_0 = Vector256.FusedMultiplyAdd(x4, b0, c4_0); c4_1 = Vector256.FusedMultiplyAdd(x4, b1, c4_1);
                var x5 = Vector256.Create(a[5]); c5_0 = Vector256.FusedMultiplyAdd(x5, b0, c5_0); c5_1 = Vector256.FusedMultiplyAdd(x5, b1, c5_1);
            }
            if (bias == null)
            {
                c0_0 += Vector256.Load(c + 0 * ldc + 0); c0_1 += Vector256.Load(c + 0 * ldc + 8);
                c1_0 += Vector256.Load(c + 1 * ldc + 0); c1_1 += Vector256.Load(c + 1 * ldc + 8);
                c2_0 += Vector256.Load(c + 2 * ldc + 0); c2_1 += Vector256.Load(c + 2 * ldc + 8);
                c3_0 += Vector256.Load(c + 3 * ldc + 0); c3_1 += Vector256.Load(c + 3 * ldc + 8);
                c4_0 += Vector256.Load(c + 4 * ldc + 0); c4_1 += Vector256.Load(c + 4 * ldc + 8);
                c5_0 += Vector256.Load(c + 5 * ldc + 0); c5_1 += Vector256.Load(c + 5 * ldc + 8);
            }
            c0_0.Store(c + 0 * ldc + 0); c0_1.Store(c + 0 * ldc + 8);
            c1_0.Store(c + 1 * ldc + 0); c1_1.Store(c + 1 * ldc + 8);
            c2_0.Store(c + 2 * ldc + 0); c2_1.Store(c + 2 * ldc + 8);
            c3_0.Store(c + 3 * ldc + 0); c3_1.Store(c + 3 * ldc + 8);
            c4_0.Store(c + 4 * ldc + 0); c4_1.Store(c + 4 * ldc + 8);
            c5_0.Store(c + 5 * ldc + 0); c5_1.Store(c + 5 * ldc + 8);
        }
    }
}
