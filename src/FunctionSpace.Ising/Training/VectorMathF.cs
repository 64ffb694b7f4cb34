using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FunctionSpace.Ising.Training;

/// <summary>
/// Single-precision exp, log and sin/cos on 512-bit vectors as polynomials in registers, for the training
/// kernel's inner loops (the library's Vector512.Exp/Log/SinCos for float measured 6–10× slower than a
/// square root on this machine).
/// </summary>
/// <remarks>
/// Exp and log follow the Cephes single-precision algorithms (Moshier, "Methods and Programs for
/// Mathematical Functions", 1989): exp by x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two constants) and a
/// degree-7 polynomial for e^r; log by x = 2^e·m with m ∈ [√½, √2) and a degree-9 polynomial for
/// log(1 + (m − 1)). Both have errors of a few ulp over their domain (checked in the tests against
/// double-precision Math). Sin/cos take the angle in turns: reduced exactly to a quarter turn
/// |a| ≤ π/4, where Taylor series of degree 9 (sin) and 10 (cos) are accurate to below 2·10⁻⁹.
/// </remarks>
internal static class VectorMathF
{
    /// <summary>e^x for x ≤ 88; x below −87.3 is clamped there (e^x ≈ 1.6·10⁻³⁸ instead of smaller), so no denormals.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Max(Vector512.Min(x, Vector512.Create(88.0f)), Vector512.Create(-87.3f));
        var n = Vector512.Floor(Vector512.FusedMultiplyAdd(x, Vector512.Create(1.44269504088896341f), Vector512.Create(0.5f)));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500e-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        var scale = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
        return p * scale;
    }

    /// <summary>Natural logarithm for positive normal x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Log(Vector512<float> x)
    {
        var bits = x.AsInt32();
        var e = Vector512.ConvertToSingle(Vector512.ShiftRightArithmetic(bits, 23) - Vector512.Create(126));
        var m = ((bits & Vector512.Create(0x007FFFFF)) | Vector512.Create(0x3F000000)).AsSingle(); // m ∈ [0.5, 1)
        var small = Vector512.LessThan(m, Vector512.Create(0.707106781186547524f));
        e -= Vector512.ConditionalSelect(small, Vector512<float>.One, Vector512<float>.Zero);
        m = m - Vector512<float>.One + Vector512.ConditionalSelect(small, m, Vector512<float>.Zero); // now log(1 + m) is wanted, m ∈ [√½ − 1, √2 − 1)
        var z = m * m;
        var p = Vector512.Create(7.0376836292e-2f);
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(-1.1514610310e-1f));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(1.1676998740e-1f));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(-1.2420140846e-1f));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(1.4249322787e-1f));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(-1.6668057665e-1f));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(2.0000714765e-1f));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(-2.4999993993e-1f));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(3.3333331174e-1f));
        var y = p * m * z;
        y = Vector512.FusedMultiplyAdd(e, Vector512.Create(-2.12194440e-4f), y);
        y = Vector512.FusedMultiplyAdd(z, Vector512.Create(-0.5f), y);
        return Vector512.FusedMultiplyAdd(e, Vector512.Create(0.693359375f), m + y);
    }

    /// <summary>(sin 2πu, cos 2πu) for u ∈ [0, 1) (the angle in turns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> Sin, Vector512<float> Cos) SinCosTurns(Vector512<float> u)
    {
        var t = u * Vector512.Create(4f);
        var q = Vector512.ConvertToInt32(t + Vector512.Create(0.5f)); // nearest quarter turn, 0..4 (t ≥ 0)
        var a = (t - Vector512.ConvertToSingle(q)) * Vector512.Create(MathF.PI / 2); // |a| ≤ π/4
        var a2 = a * a;
        var s = Vector512.FusedMultiplyAdd(a2, Vector512.Create(1f / 362880), Vector512.Create(-1f / 5040));
        s = Vector512.FusedMultiplyAdd(s, a2, Vector512.Create(1f / 120));
        s = Vector512.FusedMultiplyAdd(s, a2, Vector512.Create(-1f / 6));
        s = Vector512.FusedMultiplyAdd(s * a2, a, a);
        var c = Vector512.FusedMultiplyAdd(a2, Vector512.Create(-1f / 3628800), Vector512.Create(1f / 40320));
        c = Vector512.FusedMultiplyAdd(c, a2, Vector512.Create(-1f / 720));
        c = Vector512.FusedMultiplyAdd(c, a2, Vector512.Create(1f / 24));
        c = Vector512.FusedMultiplyAdd(c, a2, Vector512.Create(-0.5f));
        c = Vector512.FusedMultiplyAdd(c, a2, Vector512<float>.One);
        // Angle qπ/2 + a: odd q swaps sin and cos; sin changes sign for q mod 4 ∈ {2, 3}, cos for {1, 2}.
        var swap = Vector512.Equals(q & Vector512<int>.One, Vector512<int>.One).AsSingle();
        var sin = Vector512.ConditionalSelect(swap, c, s);
        var cos = Vector512.ConditionalSelect(swap, s, c);
        var sinSign = Vector512.ShiftLeft(q & Vector512.Create(2), 30).AsSingle();
        var cosSign = Vector512.ShiftLeft((q + Vector512<int>.One) & Vector512.Create(2), 30).AsSingle();
        return (sin ^ sinSign, cos ^ cosSign);
    }
}
