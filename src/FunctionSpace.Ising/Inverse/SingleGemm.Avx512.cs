using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FunctionSpace.Ising.Inverse;

public abstract partial class SingleGemm
{
    // 512-bit FMA: a 12 × 32 block of C in 24 of the 32 zmm registers, with a 12 × 16 kernel for a last 16-column tile.
    private sealed class Avx512Path() : SingleGemm("avx512", PanelHeight, TileWidth)
    {
        private const int PanelHeight = 12, TileWidth = 32;

        public override bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

        private protected override unsafe void Forward(float* panel, float* b, int ldb, int depth, float* bias, float* c, int ldc, int columns)
        {
            if (columns == TileWidth) Kernel2(panel, b, ldb, depth, bias, c, ldc);
            else Kernel1(panel, b, ldb, depth, bias, c, ldc);
        }

        private protected override unsafe void Gradient(float* panel, int rows, float* g, int ldg, float* c, int ldc, int columns)
        {
            if (columns == TileWidth) Kernel2(panel, g, ldg, rows, null, c, ldc);
            else Kernel1(panel, g, ldg, rows, null, c, ldc);
        }

        // The 12 × 32 block of C at c over `steps` steps of the inner dimension, step k adding the outer product of the
        // panel's 12 adjacent floats with the 32 floats at b + k·ldb: C = bias + Σ_k (the forward product: a row panel, B),
        // or, with bias null, C += Σ_k with the sum formed from zero in registers (the gradient: a column panel, G);
        // 12×2 accumulators in registers.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static unsafe void Kernel2(float* a, float* b, int ldb, int steps, float* bias, float* c, int ldc)
        {
            var t0 = bias == null ? Vector512<float>.Zero : Vector512.Load(bias + 0);
            var t1 = bias == null ? Vector512<float>.Zero : Vector512.Load(bias + 16);
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
            for (int k = 0; k < steps; k++, a += PanelHeight, b += ldb)
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
            if (bias == null)
            {
                c0_0 += Vector512.Load(c + 0 * ldc + 0); c0_1 += Vector512.Load(c + 0 * ldc + 16);
                c1_0 += Vector512.Load(c + 1 * ldc + 0); c1_1 += Vector512.Load(c + 1 * ldc + 16);
                c2_0 += Vector512.Load(c + 2 * ldc + 0); c2_1 += Vector512.Load(c + 2 * ldc + 16);
                c3_0 += Vector512.Load(c + 3 * ldc + 0); c3_1 += Vector512.Load(c + 3 * ldc + 16);
                c4_0 += Vector512.Load(c + 4 * ldc + 0); c4_1 += Vector512.Load(c + 4 * ldc + 16);
                c5_0 += Vector512.Load(c + 5 * ldc + 0); c5_1 += Vector512.Load(c + 5 * ldc + 16);
                c6_0 += Vector512.Load(c + 6 * ldc + 0); c6_1 += Vector512.Load(c + 6 * ldc + 16);
                c7_0 += Vector512.Load(c + 7 * ldc + 0); c7_1 += Vector512.Load(c + 7 * ldc + 16);
                c8_0 += Vector512.Load(c + 8 * ldc + 0); c8_1 += Vector512.Load(c + 8 * ldc + 16);
                c9_0 += Vector512.Load(c + 9 * ldc + 0); c9_1 += Vector512.Load(c + 9 * ldc + 16);
                c10_0 += Vector512.Load(c + 10 * ldc + 0); c10_1 += Vector512.Load(c + 10 * ldc + 16);
                c11_0 += Vector512.Load(c + 11 * ldc + 0); c11_1 += Vector512.Load(c + 11 * ldc + 16);
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

        // The 12 × 16 block of C at c over `steps` steps of the inner dimension, step k adding the outer product of the
        // panel's 12 adjacent floats with the 16 floats at b + k·ldb: C = bias + Σ_k (the forward product: a row panel, B),
        // or, with bias null, C += Σ_k with the sum formed from zero in registers (the gradient: a column panel, G);
        // 12×1 accumulators in registers.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static unsafe void Kernel1(float* a, float* b, int ldb, int steps, float* bias, float* c, int ldc)
        {
            var t0 = bias == null ? Vector512<float>.Zero : Vector512.Load(bias + 0);
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
            for (int k = 0; k < steps; k++, a += PanelHeight, b += ldb)
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
            if (bias == null)
            {
                c0_0 += Vector512.Load(c + 0 * ldc + 0);
                c1_0 += Vector512.Load(c + 1 * ldc + 0);
                c2_0 += Vector512.Load(c + 2 * ldc + 0);
                c3_0 += Vector512.Load(c + 3 * ldc + 0);
                c4_0 += Vector512.Load(c + 4 * ldc + 0);
                c5_0 += Vector512.Load(c + 5 * ldc + 0);
                c6_0 += Vector512.Load(c + 6 * ldc + 0);
                c7_0 += Vector512.Load(c + 7 * ldc + 0);
                c8_0 += Vector512.Load(c + 8 * ldc + 0);
                c9_0 += Vector512.Load(c + 9 * ldc + 0);
                c10_0 += Vector512.Load(c + 10 * ldc + 0);
                c11_0 += Vector512.Load(c + 11 * ldc + 0);
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
    }
}
