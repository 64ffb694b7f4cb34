using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FunctionSpace.Ising.Inference;

/// <summary>
/// Element-wise kernels for the message-passing hot loops, written once on 512-bit vectors (with the exp and log
/// below) and run wherever the CPU has 256- or 512-bit SIMD (<see cref="IsAccelerated"/>), scalar otherwise.
/// </summary>
internal static class VectorMath
{
    /// <summary>
    /// Whether the Vector512 kernels run vectorised: natively with AVX-512, or, where only AVX2 exists, as the two
    /// 256-bit halves the JIT lowers every Vector512 operation to. Each lane performs the same IEEE operations either
    /// way (fused multiply-adds stay fused: checked bit for bit against Math.FusedMultiplyAdd), so a kernel written
    /// once on Vector512 gives the same bits on both kinds of machine.
    /// </summary>
    /// <remarks>
    /// Measured on a Zen 3 (AVX2) core: the lowered Vector512 exp below costs about 1.3× a hand-written Vector256
    /// copy, against 2–5× for the scalar fallbacks this replaced (Math.Exp per element, or .NET's Vector256.Exp).
    /// The span kernels here (and BP's row kernels) are <c>NoInlining</c>: where AVX-512 is absent, the tier-1 code
    /// .NET's profile-guided optimisation made of a kernel inlined into its caller (e.g. the Parallel.For body of BP's
    /// tanh J) ran 5–25× slower than the kernel compiled on its own (AVX-512 off on Zen 5: tanh J over N = 675² took
    /// 3.7 ms instead of 0.36, −½ ln Y 13 ms instead of 0.5; the same as without tiered PGO), which was the 6 ms of
    /// "BP outside the sweeps" of an AVX2 learning step. A call per span or row costs nothing next to its work.
    /// </remarks>
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated;

    // ln 2 split for Cody–Waite reduction: Ln2Hi has few significant bits, so n·Ln2Hi is exact for |n| < 2^20.
    private const double Ln2Hi = 6.93145751953125E-1, Ln2Lo = 1.42860682030941723212E-6, Log2E = 1.4426950408889634074;

    // 1.5·2^52: adding it to an integral double |n| < 2^51 leaves n in the low mantissa bits.
    private const double RoundingShifter = 6755399441055744.0;

    /// <summary>
    /// e^x for |x| ≤ 700 on 512-bit vectors, relative error ≲ 2·10⁻¹⁶ (tested against Math.Exp).
    /// </summary>
    /// <remarks>
    /// Why our own: with .NET's Vector512.Exp/Log inside the message kernel, `fsi bench landscape` (block model) swept
    /// in 13.6–14.8 s, with these in 9.7–10.2 s (same 10,378 sweeps, back-to-back runs). In an isolated, warmed-up loop
    /// the two cost about the same (0.6–0.9 ns per element), so the gain comes from how they combine in the kernel.
    /// x = n ln 2 + r with n = round(x log₂e) and |r| ≤ ½ ln 2 (Cody &amp; Waite two-constant reduction),
    /// e^r by its Taylor series to degree 13 (remainder |r|¹⁴/14! &lt; 4·10⁻¹⁸), 2^n by building the exponent bits.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Exp(Vector512<double> x)
    {
        var n = Vector512.Round(x * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.Create(1.0 / 6227020800);                        // 1/13!
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 479001600));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 39916800));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 3628800));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 362880));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 40320));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 5040));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 720));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 120));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 24));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<double>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<double>.One);
        // 2^n from the bits of n + 1.5·2^52, whose low mantissa bits hold the integer n in two's complement: the same
        // bits as ConvertToInt64(n), without the double → int64 conversion AVX2 lacks (emulated per lane, it cost
        // three times the rest of the function there).
        var scale = Vector512.ShiftLeft((n + Vector512.Create(RoundingShifter)).AsInt64() + Vector512.Create(1023L), 52).AsDouble();
        return p * scale;
    }

    /// <summary>
    /// ln x for positive normal x on 512-bit vectors, absolute error ≲ 2·10⁻¹⁶·max(1, |ln x|) (tested against Math.Log).
    /// </summary>
    /// <remarks>
    /// x = 2^e·m with m ∈ [√½, √2); ln m = 2 atanh s, s = (m − 1)/(m + 1), |s| ≤ 0.1716, by the odd series
    /// 2(s + s³/3 + … + s²³/23) (remainder &lt; s²⁵ &lt; 10⁻¹⁹); e·ln 2 added with the two-constant split.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Log(Vector512<double> x)
    {
        var bits = x.AsInt64();
        // The biased exponent E ∈ [1, 2046] as a double without an int64 → double conversion (none on AVX2): the bits
        // 0x433…E are the double 2^52 + E exactly.
        var e = (Vector512.ShiftRightLogical(bits, 52) | Vector512.Create(0x4330000000000000L)).AsDouble()
                - Vector512.Create(4503599627370496.0 + 1022);
        var m = ((bits & Vector512.Create(0x000FFFFFFFFFFFFFL)) | Vector512.Create(0x3FE0000000000000L)).AsDouble(); // [0.5, 1)
        var small = Vector512.LessThan(m, Vector512.Create(0.70710678118654752440));
        e -= Vector512.ConditionalSelect(small, Vector512<double>.One, Vector512<double>.Zero);
        m += Vector512.ConditionalSelect(small, m, Vector512<double>.Zero);                             // [√½, √2)
        var f = m - Vector512<double>.One;
        var s = f / (m + Vector512<double>.One);
        var z = s * s;
        var p = Vector512.Create(1.0 / 23);
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.0 / 21));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.0 / 19));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.0 / 17));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.0 / 15));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.0 / 13));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.0 / 11));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.0 / 9));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.0 / 7));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.0 / 5));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.0 / 3));
        var lnM = Vector512.FusedMultiplyAdd(s + s, z * p, s + s);
        return Vector512.FusedMultiplyAdd(e, Vector512.Create(Ln2Hi), Vector512.FusedMultiplyAdd(e, Vector512.Create(Ln2Lo), lnM));
    }

    /// <summary>Cavity fields beyond ±40 are clamped: tanh(40) = 1 in double, so nothing changes for |J| &lt; 19.</summary>
    public const double FieldClamp = 40;

    /// <summary>
    /// u = atanh(t · tanh g) written as ½ ln[(E(1+t) + (1−t)) / (E(1−t) + (1+t))] with E = e^{2g}: one exp,
    /// one log and one division per edge instead of tanh + atanh (Zou &amp; Huang App. C, message u_{k→i}).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void MessageFromCavityField(ReadOnlySpan<double> g, ReadOnlySpan<double> t, Span<double> u)
    {
        int n = g.Length, k = 0;
        if (IsAccelerated)
        {
            var one = Vector512.Create(1.0); var half = Vector512.Create(0.5); var two = Vector512.Create(2.0);
            var lo = Vector512.Create(-FieldClamp); var hi = Vector512.Create(FieldClamp);
            for (; k <= n - Vector512<double>.Count; k += Vector512<double>.Count)
            {
                var gv = Vector512.Min(Vector512.Max(Vector512.Create(g.Slice(k, Vector512<double>.Count)), lo), hi);
                var tv = Vector512.Create(t.Slice(k, Vector512<double>.Count));
                var e = Exp(two * gv);
                var onePlus = one + tv; var oneMinus = one - tv;
                var ratio = (e * onePlus + oneMinus) / (e * oneMinus + onePlus);
                (half * Log(ratio)).CopyTo(u.Slice(k, Vector512<double>.Count));
            }
        }
        for (; k < n; k++)
        {
            double e = Math.Exp(2 * Math.Clamp(g[k], -FieldClamp, FieldClamp));
            double tk = t[k];
            u[k] = 0.5 * Math.Log((e * (1 + tk) + (1 - tk)) / (e * (1 - tk) + (1 + tk)));
        }
    }

    /// <summary>
    /// target[j·stride + k] = source[k·stride + j] for k &lt; <paramref name="rows"/> and j in [c0, c1): a block of rows of
    /// a row-major matrix written out as the matching columns of another (BP's messages from their sender rows into
    /// their receiver rows).
    /// </summary>
    /// <remarks>
    /// 8×8 tiles with AVX-512 (unpack within 128-bit lanes, then two rounds of 128-bit lane shuffles), 4×4 tiles with
    /// AVX, element by element for the edges and elsewhere. Only data moves, so every path writes the same bits.
    /// Element by element, this write was about a quarter of a BP sweep's time at N = 675 on one core.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void TransposeBlock(ReadOnlySpan<double> source, Span<double> target, int stride, int rows, int c0, int c1)
    {
        if (rows <= 0 || c1 <= c0) return;
        if (c0 < 0 || c1 > stride || rows > stride || source.Length < (rows - 1) * stride + c1 || target.Length < (c1 - 1) * stride + rows)
            throw new ArgumentOutOfRangeException(nameof(rows), "transposed block outside its matrices");
        ref double s = ref MemoryMarshal.GetReference(source);
        ref double d = ref MemoryMarshal.GetReference(target);
        int tile = Avx512F.IsSupported ? 8 : Avx.IsSupported ? 4 : 0;
        int tiledRows = tile == 0 ? 0 : rows - rows % tile, j = c0;
        if (tiledRows > 0)
            for (; j <= c1 - tile; j += tile)
                for (int k = 0; k < tiledRows; k += tile)
                {
                    nuint from = (nuint)(k * stride + j), to = (nuint)(j * stride + k);
                    if (tile == 8) Tile8(ref s, from, ref d, to, (nuint)stride);
                    else Tile4(ref s, from, ref d, to, (nuint)stride);
                }
        // Columns past the last whole tile, and rows past the last whole tile in the tiled columns.
        for (int column = c0; column < c1; column++)
            for (int k = column < j ? tiledRows : 0; k < rows; k++)
                Unsafe.Add(ref d, column * stride + k) = Unsafe.Add(ref s, k * stride + column);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile8(ref double s, nuint from, ref double d, nuint to, nuint stride)
    {
        var r0 = Vector512.LoadUnsafe(ref s, from); var r1 = Vector512.LoadUnsafe(ref s, from + stride);
        var r2 = Vector512.LoadUnsafe(ref s, from + 2 * stride); var r3 = Vector512.LoadUnsafe(ref s, from + 3 * stride);
        var r4 = Vector512.LoadUnsafe(ref s, from + 4 * stride); var r5 = Vector512.LoadUnsafe(ref s, from + 5 * stride);
        var r6 = Vector512.LoadUnsafe(ref s, from + 6 * stride); var r7 = Vector512.LoadUnsafe(ref s, from + 7 * stride);
        // Pairs of rows interleaved within each 128-bit lane: t0 = (r0₀ r1₀ r0₂ r1₂ r0₄ r1₄ r0₆ r1₆), t1 the odd columns.
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        // 0x88 takes 128-bit lanes (a₀, a₂, b₀, b₂), 0xDD (a₁, a₃, b₁, b₃): u0 = (r0₀ r1₀ r0₄ r1₄ r2₀ r3₀ r2₄ r3₄).
        var u0 = Avx512F.Shuffle4x128(t0, t2, 0x88); var u1 = Avx512F.Shuffle4x128(t0, t2, 0xDD);
        var u2 = Avx512F.Shuffle4x128(t1, t3, 0x88); var u3 = Avx512F.Shuffle4x128(t1, t3, 0xDD);
        var u4 = Avx512F.Shuffle4x128(t4, t6, 0x88); var u5 = Avx512F.Shuffle4x128(t4, t6, 0xDD);
        var u6 = Avx512F.Shuffle4x128(t5, t7, 0x88); var u7 = Avx512F.Shuffle4x128(t5, t7, 0xDD);
        Avx512F.Shuffle4x128(u0, u4, 0x88).StoreUnsafe(ref d, to);
        Avx512F.Shuffle4x128(u2, u6, 0x88).StoreUnsafe(ref d, to + stride);
        Avx512F.Shuffle4x128(u1, u5, 0x88).StoreUnsafe(ref d, to + 2 * stride);
        Avx512F.Shuffle4x128(u3, u7, 0x88).StoreUnsafe(ref d, to + 3 * stride);
        Avx512F.Shuffle4x128(u0, u4, 0xDD).StoreUnsafe(ref d, to + 4 * stride);
        Avx512F.Shuffle4x128(u2, u6, 0xDD).StoreUnsafe(ref d, to + 5 * stride);
        Avx512F.Shuffle4x128(u1, u5, 0xDD).StoreUnsafe(ref d, to + 6 * stride);
        Avx512F.Shuffle4x128(u3, u7, 0xDD).StoreUnsafe(ref d, to + 7 * stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4(ref double s, nuint from, ref double d, nuint to, nuint stride)
    {
        var r0 = Vector256.LoadUnsafe(ref s, from); var r1 = Vector256.LoadUnsafe(ref s, from + stride);
        var r2 = Vector256.LoadUnsafe(ref s, from + 2 * stride); var r3 = Vector256.LoadUnsafe(ref s, from + 3 * stride);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);      // (r0₀ r1₀ r0₂ r1₂), (r0₁ r1₁ r0₃ r1₃)
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        // 0x20 joins the low 128-bit halves of its operands, 0x31 the high ones.
        Avx.Permute2x128(t0, t2, 0x20).StoreUnsafe(ref d, to);
        Avx.Permute2x128(t1, t3, 0x20).StoreUnsafe(ref d, to + stride);
        Avx.Permute2x128(t0, t2, 0x31).StoreUnsafe(ref d, to + 2 * stride);
        Avx.Permute2x128(t1, t3, 0x31).StoreUnsafe(ref d, to + 3 * stride);
    }

    /// <summary>y = tanh x as sign(x)(1 − 2/(e^{2|x|} + 1)); absolute error ~1e-16.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Tanh(ReadOnlySpan<double> x, Span<double> y)
    {
        int n = x.Length, k = 0;
        if (IsAccelerated)
        {
            var one = Vector512.Create(1.0); var two = Vector512.Create(2.0); var hi = Vector512.Create(FieldClamp);
            for (; k <= n - Vector512<double>.Count; k += Vector512<double>.Count)
            {
                var xv = Vector512.Create(x.Slice(k, Vector512<double>.Count));
                var a = Vector512.Min(Vector512.Abs(xv), hi);
                var r = one - two / (Exp(two * a) + one);
                Vector512.ConditionalSelect(Vector512.LessThan(xv, Vector512<double>.Zero), -r, r).CopyTo(y.Slice(k, Vector512<double>.Count));
            }
        }
        for (; k < n; k++) y[k] = Math.Tanh(x[k]);
    }

    /// <summary>y = ln x element-wise.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Log(ReadOnlySpan<double> x, Span<double> y)
    {
        int n = x.Length, k = 0;
        if (IsAccelerated)
            for (; k <= n - Vector512<double>.Count; k += Vector512<double>.Count)
                Log(Vector512.Create(x.Slice(k, Vector512<double>.Count))).CopyTo(y.Slice(k, Vector512<double>.Count));
        for (; k < n; k++) y[k] = Math.Log(x[k]);
    }

    /// <summary>y = Σ_a w_a x_a[offset + k] for k over y (a weighted sum of equally long arrays).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void LinearCombination(double[][] x, double[] w, Span<double> y, int offset)
    {
        int n = y.Length, k = 0, m = x.Length;
        if (IsAccelerated)
            for (; k <= n - Vector512<double>.Count; k += Vector512<double>.Count)
            {
                var acc = Vector512.Create(w[0]) * Vector512.Create(x[0].AsSpan(offset + k, Vector512<double>.Count));
                for (int a = 1; a < m; a++)
                    acc = Vector512.FusedMultiplyAdd(Vector512.Create(w[a]), Vector512.Create(x[a].AsSpan(offset + k, Vector512<double>.Count)), acc);
                acc.CopyTo(y.Slice(k, Vector512<double>.Count));
            }
        for (; k < n; k++)
        {
            double acc = w[0] * x[0][offset + k];
            for (int a = 1; a < m; a++) acc = Math.FusedMultiplyAdd(w[a], x[a][offset + k], acc);
            y[k] = acc;
        }
    }

    /// <summary>y ← f·y.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Scale(Span<double> y, double f)
    {
        int n = y.Length, k = 0;
        if (IsAccelerated)
        {
            var fv = Vector512.Create(f);
            for (; k <= n - Vector512<double>.Count; k += Vector512<double>.Count)
                (fv * Vector512.Create(y.Slice(k, Vector512<double>.Count))).CopyTo(y.Slice(k, Vector512<double>.Count));
        }
        for (; k < n; k++) y[k] *= f;
    }

    /// <summary>y += x.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void AddInPlace(Span<double> y, ReadOnlySpan<double> x)
    {
        int n = y.Length, k = 0;
        if (IsAccelerated)
            for (; k <= n - Vector512<double>.Count; k += Vector512<double>.Count)
                (Vector512.Create(y.Slice(k, Vector512<double>.Count)) + Vector512.Create(x.Slice(k, Vector512<double>.Count))).CopyTo(y.Slice(k, Vector512<double>.Count));
        for (; k < n; k++) y[k] += x[k];
    }

    /// <summary>y += f·x (the local-field update after a spin flip).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void AddScaled(Span<double> y, ReadOnlySpan<double> x, double f)
    {
        int n = y.Length, k = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var fv = Vector256.Create(f);
            for (; k <= n - 4; k += 4)
                (Vector256.Create(y.Slice(k, 4)) + fv * Vector256.Create(x.Slice(k, 4))).CopyTo(y.Slice(k, 4));
        }
        for (; k < n; k++) y[k] += f * x[k];
    }

    /// <summary>Σ x·y.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int n = x.Length, k = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc0 = Vector256<double>.Zero; var acc1 = Vector256<double>.Zero;
            for (; k <= n - 8; k += 8)
            {
                acc0 += Vector256.Create(x.Slice(k, 4)) * Vector256.Create(y.Slice(k, 4));
                acc1 += Vector256.Create(x.Slice(k + 4, 4)) * Vector256.Create(y.Slice(k + 4, 4));
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; k < n; k++) sum += x[k] * y[k];
        return sum;
    }
}
