using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

// SIMD policy: which vector type a new kernel is written on.
//
// Write a hot kernel once over Lanes<TV> (this file): a generic method or class with TV = Vector512<float> where
// AVX-512 is accelerated and TV = Vector256<float> otherwise (dispatch once, at the top, on Lanes<TV>.Wide or
// Vector512.IsHardwareAccelerated). The JIT compiles one copy per width in which every operation is one native
// instruction of that width, so the AVX2 copy keeps its accumulators in ymm registers. Lanes<TV>.Wide lets the
// body choose its blocking per width (32 zmm against 16 ymm registers) without a second copy. Results must not
// depend on the width: use lane-wise operations only, and define any sum across lanes on groups of 16 (as
// Lanes<TV>.Sum does), so that an 8-lane machine reproduces the 16-lane bits. Test both widths against each other
// (the kernels take a width argument for this) and run the tests with DOTNET_EnableAVX512=0 as well.
//
// Do not write a new kernel on Vector512 alone. Without AVX-512 the JIT runs each Vector512 operation as two
// 256-bit halves on a 64-byte struct kept in memory. This is what Inference/VectorMath (float64 exp, log, tanh and
// the BP message kernels) does. There it costs about 1.3x a native Vector256 copy, because each element passes
// through a short load-compute-store chain. A kernel that keeps values in registers across many operations loses
// far more: the 512-bit-only training kernel took 2.3-2.5x the CPU time on AVX2 (numbers in the remarks of
// Lanes<TV>). Those float64 span kernels are tested bit for bit on both kinds of machine and stay as they are. A new
// float64 kernel that needs its own vector code adds a float64 lane type on the pattern of Lanes<TV> instead.
//
// Either way, a kernel called per row or per span from a parallel loop is [MethodImpl(NoInlining |
// AggressiveOptimization)]: it is compiled fully optimised once, and tiered PGO does not inline it into its caller
// (where only AVX2 exists, that inlined code ran 5-25x slower; VectorMath.IsAccelerated has the measurements).
// Loop-carried FMA accumulators use Lanes<TV>.FmaAccumulate(ref acc, a, b) rather than acc = Fma(a, b, acc) (its
// remarks say why). Read the JIT's code of a new inner loop at both widths before timing it: DOTNET_JitDisasm=
// "Name*" prints it (with DOTNET_EnableAVX512=0 for the 8-lane copy).

namespace FunctionSpace.Ising.Simd;

/// <summary>
/// A float32 SIMD vector of either width a kernel runs at (the SIMD policy at the top of this file says
/// when to use it): <typeparamref name="TV"/> is <see cref="Vector512{T}"/> of float (16 lanes, AVX-512) or
/// <see cref="Vector256{T}"/> of float (8 lanes, AVX2). A kernel is written once over this type; the JIT compiles
/// one specialised copy per width, in which each operator below is the single native instruction of that width
/// (the test on <typeparamref name="TV"/> is a JIT-time constant, the other branch is dropped).
/// </summary>
/// <remarks>
/// Why not <see cref="Vector512{T}"/> everywhere: without AVX-512 the JIT does not treat Vector512 as a
/// hardware vector; its operations run the library's managed fallback on 64-byte structs kept in memory, so
/// the 512-bit kernel's sixteen accumulators become loads and stores. Measured: 2.1 s per network on an
/// AVX2-only Zen 3 against 0.26–0.31 s with AVX-512 on Zen 5; on the Zen 5 with AVX-512 switched off
/// (DOTNET_EnableAVX512=0), `fsi bench collect` took 2.5 CPU-s per network and 86 µs per step with the
/// 512-bit kernel, 1.0–1.1 CPU-s and 40 µs with this code at 8 lanes (24 µs at 16 lanes with AVX-512).
/// Every operation here acts lane by lane with the same IEEE float32 semantics at both widths (FMA is
/// fused at both), so a lane's result does not depend on the width; the only cross-lane operation,
/// <see cref="Sum"/>, is defined so that two 8-lane halves reproduce the 16-lane sum bit for bit.
/// </remarks>
internal readonly struct Lanes<TV> where TV : struct
{
    private readonly TV _v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Lanes(TV v) => _v = v;

    /// <summary>True for the 16-lane (512-bit) instantiation; a constant in the compiled code.</summary>
    public static bool Wide
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(TV) == typeof(Vector512<float>);
    }

    /// <summary>Lanes per vector: 16 or 8.</summary>
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(TV) == typeof(Vector512<float>) ? 16 : 8;
    }

    /// <summary>Checks that <typeparamref name="TV"/> is one of the two supported vector types.</summary>
    public static void Validate()
    {
        if (typeof(TV) != typeof(Vector512<float>) && typeof(TV) != typeof(Vector256<float>))
            throw new NotSupportedException($"{typeof(TV)}: the kernel runs on Vector512<float> or Vector256<float>");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> W(TV v) => Unsafe.BitCast<TV, Vector512<float>>(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> N(TV v) => Unsafe.BitCast<TV, Vector256<float>>(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Lanes<TV> Of(Vector512<float> v) => new(Unsafe.BitCast<Vector512<float>, TV>(v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Lanes<TV> Of(Vector256<float> v) => new(Unsafe.BitCast<Vector256<float>, TV>(v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Lanes<TV> FromBits(TV bits) => new(bits);
    internal TV Bits => _v;

    /// <summary>All lanes zero.</summary>
    public static Lanes<TV> Zero => default;

    /// <summary>All lanes one.</summary>
    public static Lanes<TV> One => Create(1f);

    /// <summary>All lanes <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> Create(float value) => typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.Create(value)) : Of(Vector256.Create(value));

    /// <summary>Count floats from <paramref name="source"/> + <paramref name="offset"/> (unaligned, unchecked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> Load(ref float source, nuint offset) =>
        typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.LoadUnsafe(ref source, offset)) : Of(Vector256.LoadUnsafe(ref source, offset));

    /// <summary>Stores the lanes at <paramref name="destination"/> + <paramref name="offset"/> (unaligned, unchecked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(ref float destination, nuint offset)
    {
        if (typeof(TV) == typeof(Vector512<float>)) W(_v).StoreUnsafe(ref destination, offset);
        else N(_v).StoreUnsafe(ref destination, offset);
    }

    /// <summary>Count floats from <paramref name="source"/> (unaligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Lanes<TV> Load(float* source) =>
        typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.Load(source)) : Of(Vector256.Load(source));

    /// <summary>
    /// Count signed bytes from <paramref name="source"/>, each converted to float (exactly). Uses AVX-512F at 16 lanes and
    /// AVX2 at 8 (one vpmovsxbd and one vcvtdq2ps).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Lanes<TV> LoadSignedBytes(sbyte* source) => typeof(TV) == typeof(Vector512<float>)
        ? Of(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(source))))
        : Of(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(source)));

    /// <summary>Stores the lanes at <paramref name="destination"/> (unaligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Store(float* destination)
    {
        if (typeof(TV) == typeof(Vector512<float>)) W(_v).Store(destination);
        else N(_v).Store(destination);
    }

    /// <summary>Lane <paramref name="index"/>.</summary>
    public float this[int index] => typeof(TV) == typeof(Vector512<float>) ? W(_v)[index] : N(_v)[index];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> operator +(Lanes<TV> a, Lanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(W(a._v) + W(b._v)) : Of(N(a._v) + N(b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> operator -(Lanes<TV> a, Lanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(W(a._v) - W(b._v)) : Of(N(a._v) - N(b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> operator *(Lanes<TV> a, Lanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(W(a._v) * W(b._v)) : Of(N(a._v) * N(b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> operator /(Lanes<TV> a, Lanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(W(a._v) / W(b._v)) : Of(N(a._v) / N(b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> operator -(Lanes<TV> a) => typeof(TV) == typeof(Vector512<float>) ? Of(-W(a._v)) : Of(-N(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> operator ^(Lanes<TV> a, Lanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(W(a._v) ^ W(b._v)) : Of(N(a._v) ^ N(b._v));

    /// <summary>a·b + c with one rounding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> Fma(Lanes<TV> a, Lanes<TV> b, Lanes<TV> c) =>
        typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.FusedMultiplyAdd(W(a._v), W(b._v), W(c._v))) : Of(Vector256.FusedMultiplyAdd(N(a._v), N(b._v), N(c._v)));

    /// <summary>accumulator ← a·b + accumulator with one rounding (the same bits as <see cref="Fma"/>).</summary>
    /// <remarks>
    /// For loop-carried accumulators: the JIT then computes the FMA in the accumulator's own register. With
    /// acc = Fma(a, b, acc) through this wrapper type it put the result in the register of an operand used for the
    /// last time and copied it back (vfmadd213ps + vmovaps instead of one vfmadd231ps: 9 extra moves in the 34
    /// instructions of the evaluator's 8-row loop).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FmaAccumulate(ref Lanes<TV> accumulator, Lanes<TV> a, Lanes<TV> b)
    {
        if (typeof(TV) == typeof(Vector512<float>))
            Unsafe.As<Lanes<TV>, Vector512<float>>(ref accumulator) = Vector512.FusedMultiplyAdd(W(a._v), W(b._v), W(accumulator._v));
        else
            Unsafe.As<Lanes<TV>, Vector256<float>>(ref accumulator) = Vector256.FusedMultiplyAdd(N(a._v), N(b._v), N(accumulator._v));
    }

    /// <summary>Correctly rounded square root.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> Sqrt(Lanes<TV> a) => typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.Sqrt(W(a._v))) : Of(Vector256.Sqrt(N(a._v)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> Abs(Lanes<TV> a) => typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.Abs(W(a._v))) : Of(Vector256.Abs(N(a._v)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> Floor(Lanes<TV> a) => typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.Floor(W(a._v))) : Of(Vector256.Floor(N(a._v)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> Max(Lanes<TV> a, Lanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.Max(W(a._v), W(b._v))) : Of(Vector256.Max(N(a._v), N(b._v)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> Min(Lanes<TV> a, Lanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.Min(W(a._v), W(b._v))) : Of(Vector256.Min(N(a._v), N(b._v)));

    /// <summary>
    /// max(a, b) by the native instruction (vmaxps): the same as <see cref="Max"/> except for NaN operands and for
    /// the order of +0 and −0 when the operands compare equal (then it returns b).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> MaxNative(Lanes<TV> a, Lanes<TV> b) =>
        typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.MaxNative(W(a._v), W(b._v))) : Of(Vector256.MaxNative(N(a._v), N(b._v)));

    /// <summary>
    /// e^a by .NET's vector exponential of this width (<see cref="Vector512.Exp(Vector512{float})"/>,
    /// <see cref="Vector256.Exp(Vector256{float})"/>): one lane-wise algorithm, so the same bits at both widths
    /// (tested). Not the project's own <c>VectorMathF.Exp</c>, which gives other bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> Exp(Lanes<TV> a) => typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.Exp(W(a._v))) : Of(Vector256.Exp(N(a._v)));

    /// <summary>ln a by .NET's vector logarithm of this width (lane-wise, the same bits at both widths; tested).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> Log(Lanes<TV> a) => typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.Log(W(a._v))) : Of(Vector256.Log(N(a._v)));

    /// <summary>All-ones lanes where a == b (IEEE: never for NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> EqualsMask(Lanes<TV> a, Lanes<TV> b) =>
        typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.Equals(W(a._v), W(b._v))) : Of(Vector256.Equals(N(a._v), N(b._v)));

    /// <summary>All-ones lanes where a &lt; b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> LessThan(Lanes<TV> a, Lanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.LessThan(W(a._v), W(b._v))) : Of(Vector256.LessThan(N(a._v), N(b._v)));

    /// <summary>All-ones lanes where a &gt; b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> GreaterThan(Lanes<TV> a, Lanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.GreaterThan(W(a._v), W(b._v))) : Of(Vector256.GreaterThan(N(a._v), N(b._v)));

    /// <summary>All-ones lanes where a &gt;= b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> GreaterThanOrEqual(Lanes<TV> a, Lanes<TV> b) =>
        typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.GreaterThanOrEqual(W(a._v), W(b._v))) : Of(Vector256.GreaterThanOrEqual(N(a._v), N(b._v)));

    /// <summary>Bitwise select: the bits of <paramref name="ifTrue"/> where <paramref name="mask"/> is set, else of <paramref name="ifFalse"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> Select(Lanes<TV> mask, Lanes<TV> ifTrue, Lanes<TV> ifFalse) =>
        typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.ConditionalSelect(W(mask._v), W(ifTrue._v), W(ifFalse._v))) : Of(Vector256.ConditionalSelect(N(mask._v), N(ifTrue._v), N(ifFalse._v)));

    /// <summary>
    /// Truncation to int32 per lane for |x| &lt; 2³¹ (beyond, and for NaN, the instruction's own 0x80000000). The
    /// saturating ConvertToInt32 gives the same integers in range but, without AVX-512, adds a compare and a
    /// blend to every conversion (seen in the 8-lane code); the callers' arguments are in range (VectorMathF).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public IntLanes<TV> ConvertToInt32() =>
        IntLanes<TV>.FromBits(typeof(TV) == typeof(Vector512<float>) ? Unsafe.BitCast<Vector512<int>, TV>(Vector512.ConvertToInt32Native(W(_v))) : Unsafe.BitCast<Vector256<int>, TV>(Vector256.ConvertToInt32Native(N(_v))));

    /// <summary>The same bits as int32 lanes.</summary>
    public IntLanes<TV> AsInt32() => IntLanes<TV>.FromBits(_v);

    /// <summary>The lanes converted to float64 (exactly): the lower half's and the upper half's, each a full vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (DoubleLanes<TV> Lower, DoubleLanes<TV> Upper) Widen()
    {
        if (typeof(TV) == typeof(Vector512<float>))
        {
            var (lower, upper) = Vector512.Widen(W(_v));
            return (DoubleLanes<TV>.FromBits(Unsafe.BitCast<Vector512<double>, TV>(lower)), DoubleLanes<TV>.FromBits(Unsafe.BitCast<Vector512<double>, TV>(upper)));
        }
        var (low, high) = Vector256.Widen(N(_v));
        return (DoubleLanes<TV>.FromBits(Unsafe.BitCast<Vector256<double>, TV>(low)), DoubleLanes<TV>.FromBits(Unsafe.BitCast<Vector256<double>, TV>(high)));
    }

    /// <summary>The sign bit of each lane, lane j at bit j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ExtractMostSignificantBits() =>
        typeof(TV) == typeof(Vector512<float>) ? (uint)W(_v).ExtractMostSignificantBits() : N(_v).ExtractMostSignificantBits();

    /// <summary>
    /// The sum of the lanes in the order of <see cref="Vector512.Sum{T}(Vector512{T})"/>: each 256-bit half
    /// summed by <see cref="Vector256.Sum{T}(Vector256{T})"/> (adjacent pairs, then pairs of pairs, …), then
    /// lower + upper. An 8-lane vector returns its one half's sum, so a 16-lane sum computed as two 8-lane
    /// halves is Sum(lower) + Sum(upper): the same float operations in the same order at both widths.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Sum() => typeof(TV) == typeof(Vector512<float>) ? Vector256.Sum(W(_v).GetLower()) + Vector256.Sum(W(_v).GetUpper()) : Vector256.Sum(N(_v));

    /// <summary>
    /// (a.Sum(), b.Sum(), c.Sum(), d.Sum()) with the same bits as four <see cref="Sum"/> calls, in fewer
    /// instructions: vhaddps forms the adjacent-pair sums of two vectors at once, so two rounds of it give
    /// each 128-bit half's ((x0 + x1) + (x2 + x3)) for four vectors, and lower + upper finishes the tree of
    /// <see cref="Vector256.Sum{T}(Vector256{T})"/>. At 16 lanes the 256-bit halves are reduced so and added.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Lanes<TV> a, Lanes<TV> b, Lanes<TV> c, Lanes<TV> d)
    {
        if (!Avx.IsSupported) return Vector128.Create(a.Sum(), b.Sum(), c.Sum(), d.Sum());
        if (typeof(TV) == typeof(Vector512<float>))
        {
            Vector512<float> wa = Unsafe.BitCast<TV, Vector512<float>>(a._v), wb = Unsafe.BitCast<TV, Vector512<float>>(b._v);
            Vector512<float> wc = Unsafe.BitCast<TV, Vector512<float>>(c._v), wd = Unsafe.BitCast<TV, Vector512<float>>(d._v);
            return HalfSums(wa.GetLower(), wb.GetLower(), wc.GetLower(), wd.GetLower()) + HalfSums(wa.GetUpper(), wb.GetUpper(), wc.GetUpper(), wd.GetUpper());
        }
        return HalfSums(Unsafe.BitCast<TV, Vector256<float>>(a._v), Unsafe.BitCast<TV, Vector256<float>>(b._v),
            Unsafe.BitCast<TV, Vector256<float>>(c._v), Unsafe.BitCast<TV, Vector256<float>>(d._v));
    }

    /// <summary>(Vector256.Sum(a), …, Vector256.Sum(d)) by vhaddps (AVX).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> HalfSums(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        var h = Avx.HorizontalAdd(Avx.HorizontalAdd(a, b), Avx.HorizontalAdd(c, d));
        return h.GetLower() + h.GetUpper();
    }
}

/// <summary>Int32 lanes of the same width as <see cref="Lanes{TV}"/> (the bits are kept in a <typeparamref name="TV"/>).</summary>
internal readonly struct IntLanes<TV> where TV : struct
{
    private readonly TV _v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private IntLanes(TV v) => _v = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> W(TV v) => Unsafe.BitCast<TV, Vector512<int>>(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> N(TV v) => Unsafe.BitCast<TV, Vector256<int>>(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static IntLanes<TV> Of(Vector512<int> v) => new(Unsafe.BitCast<Vector512<int>, TV>(v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static IntLanes<TV> Of(Vector256<int> v) => new(Unsafe.BitCast<Vector256<int>, TV>(v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static IntLanes<TV> FromBits(TV bits) => new(bits);

    /// <summary>All lanes <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IntLanes<TV> Create(int value) => typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.Create(value)) : Of(Vector256.Create(value));

    /// <summary>Count ints from <paramref name="source"/> + <paramref name="offset"/> (unaligned, unchecked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IntLanes<TV> Load(ref int source, nuint offset) =>
        typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.LoadUnsafe(ref source, offset)) : Of(Vector256.LoadUnsafe(ref source, offset));

    /// <summary>Stores the lanes at <paramref name="destination"/> + <paramref name="offset"/> (unaligned, unchecked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(ref int destination, nuint offset)
    {
        if (typeof(TV) == typeof(Vector512<float>)) W(_v).StoreUnsafe(ref destination, offset);
        else N(_v).StoreUnsafe(ref destination, offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IntLanes<TV> operator +(IntLanes<TV> a, IntLanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(W(a._v) + W(b._v)) : Of(N(a._v) + N(b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IntLanes<TV> operator -(IntLanes<TV> a, IntLanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(W(a._v) - W(b._v)) : Of(N(a._v) - N(b._v));

    /// <summary>The low 32 bits of the product (the same bits for signed and unsigned lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IntLanes<TV> operator *(IntLanes<TV> a, IntLanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(W(a._v) * W(b._v)) : Of(N(a._v) * N(b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IntLanes<TV> operator &(IntLanes<TV> a, IntLanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(W(a._v) & W(b._v)) : Of(N(a._v) & N(b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IntLanes<TV> operator |(IntLanes<TV> a, IntLanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(W(a._v) | W(b._v)) : Of(N(a._v) | N(b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IntLanes<TV> operator ^(IntLanes<TV> a, IntLanes<TV> b) => typeof(TV) == typeof(Vector512<float>) ? Of(W(a._v) ^ W(b._v)) : Of(N(a._v) ^ N(b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IntLanes<TV> operator <<(IntLanes<TV> a, int count) => typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.ShiftLeft(W(a._v), count)) : Of(Vector256.ShiftLeft(N(a._v), count));

    /// <summary>Arithmetic (sign-extending) right shift.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IntLanes<TV> operator >>(IntLanes<TV> a, int count) =>
        typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.ShiftRightArithmetic(W(a._v), count)) : Of(Vector256.ShiftRightArithmetic(N(a._v), count));

    /// <summary>Logical (zero-filling) right shift.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IntLanes<TV> operator >>>(IntLanes<TV> a, int count) =>
        typeof(TV) == typeof(Vector512<float>) ? Of(Vector512.ShiftRightLogical(W(a._v), count)) : Of(Vector256.ShiftRightLogical(N(a._v), count));

    /// <summary>Float lanes with all bits set where a == b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> EqualsMask(IntLanes<TV> a, IntLanes<TV> b) =>
        Lanes<TV>.FromBits(typeof(TV) == typeof(Vector512<float>) ? Unsafe.BitCast<Vector512<int>, TV>(Vector512.Equals(W(a._v), W(b._v))) : Unsafe.BitCast<Vector256<int>, TV>(Vector256.Equals(N(a._v), N(b._v))));

    /// <summary>Each lane converted to float (exact for |x| ≤ 2²⁴).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Lanes<TV> ConvertToSingle() =>
        Lanes<TV>.FromBits(typeof(TV) == typeof(Vector512<float>) ? Unsafe.BitCast<Vector512<float>, TV>(Vector512.ConvertToSingle(W(_v))) : Unsafe.BitCast<Vector256<float>, TV>(Vector256.ConvertToSingle(N(_v))));

    /// <summary>The same bits as float lanes.</summary>
    public Lanes<TV> AsSingle() => Lanes<TV>.FromBits(_v);
}


/// <summary>
/// Float64 lanes of the same register width as <see cref="Lanes{TV}"/> (8 at 512 bits, 4 at 256; the bits are kept in a
/// <typeparamref name="TV"/>): the float64 accumulators of a float32 kernel, filled by <see cref="Lanes{TV}.Widen"/>.
/// </summary>
internal readonly struct DoubleLanes<TV> where TV : struct
{
    private readonly TV _v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private DoubleLanes(TV v) => _v = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static DoubleLanes<TV> FromBits(TV bits) => new(bits);

    /// <summary>All lanes zero.</summary>
    public static DoubleLanes<TV> Zero => default;

    /// <summary>Lane <paramref name="index"/>.</summary>
    public double this[int index] => typeof(TV) == typeof(Vector512<float>) ? Unsafe.BitCast<TV, Vector512<double>>(_v)[index] : Unsafe.BitCast<TV, Vector256<double>>(_v)[index];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleLanes<TV> operator +(DoubleLanes<TV> a, DoubleLanes<TV> b) => typeof(TV) == typeof(Vector512<float>)
        ? new(Unsafe.BitCast<Vector512<double>, TV>(Unsafe.BitCast<TV, Vector512<double>>(a._v) + Unsafe.BitCast<TV, Vector512<double>>(b._v)))
        : new(Unsafe.BitCast<Vector256<double>, TV>(Unsafe.BitCast<TV, Vector256<double>>(a._v) + Unsafe.BitCast<TV, Vector256<double>>(b._v)));

    /// <summary>
    /// The sum of the lanes by <see cref="Vector512.Sum{T}(Vector512{T})"/> or <see cref="Vector256.Sum{T}(Vector256{T})"/>:
    /// 8 or 4 lanes, so the two widths sum in different orders (unlike <see cref="Lanes{TV}.Sum"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Sum() => typeof(TV) == typeof(Vector512<float>) ? Vector512.Sum(Unsafe.BitCast<TV, Vector512<double>>(_v)) : Vector256.Sum(Unsafe.BitCast<TV, Vector256<double>>(_v));
}
