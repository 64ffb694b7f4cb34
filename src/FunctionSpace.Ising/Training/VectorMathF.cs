using System.Runtime.CompilerServices;
using FunctionSpace.Ising.Simd;

namespace FunctionSpace.Ising.Training;

/// <summary>
/// Single-precision exp, log and sin/cos on SIMD vectors of either width (<see cref="Lanes{TV}"/>) as
/// polynomials in registers, for the training kernel's inner loops (the library's Vector512.Exp/Log/SinCos
/// for float measured 6–10× slower than a square root on the AVX-512 machine).
/// </summary>
/// <remarks>
/// Exp and log follow the Cephes single-precision algorithms (Moshier, "Methods and Programs for
/// Mathematical Functions", 1989): exp by x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two constants) and a
/// degree-7 polynomial for e^r; log by x = 2^e·m with m ∈ [√½, √2) and a degree-9 polynomial for
/// log(1 + (m − 1)). Both have errors of a few ulp over their domain (checked in the tests against
/// double-precision Math). Sin/cos take the angle in turns: reduced exactly to a quarter turn
/// |a| ≤ π/4, where Taylor series of degree 9 (sin) and 10 (cos) are accurate to below 2·10⁻⁹.
/// Every step acts lane by lane, so a lane's result is the same at 8 and at 16 lanes.
/// </remarks>
internal static class VectorMathF
{
    /// <summary>e^x for x ≤ 88; x below −87.3 is clamped there (e^x ≈ 1.6·10⁻³⁸ instead of smaller), so no denormals.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> Exp<TV>(Lanes<TV> x) where TV : struct
    {
        x = Lanes<TV>.Max(Lanes<TV>.Min(x, Lanes<TV>.Create(88.0f)), Lanes<TV>.Create(-87.3f));
        var n = Lanes<TV>.Floor(Lanes<TV>.Fma(x, Lanes<TV>.Create(1.44269504088896341f), Lanes<TV>.Create(0.5f)));
        var r = Lanes<TV>.Fma(n, Lanes<TV>.Create(-0.693359375f), x);
        r = Lanes<TV>.Fma(n, Lanes<TV>.Create(2.12194440e-4f), r);
        var p = Lanes<TV>.Create(1.9875691500e-4f);
        p = Lanes<TV>.Fma(p, r, Lanes<TV>.Create(1.3981999507e-3f));
        p = Lanes<TV>.Fma(p, r, Lanes<TV>.Create(8.3334519073e-3f));
        p = Lanes<TV>.Fma(p, r, Lanes<TV>.Create(4.1665795894e-2f));
        p = Lanes<TV>.Fma(p, r, Lanes<TV>.Create(1.6666665459e-1f));
        p = Lanes<TV>.Fma(p, r, Lanes<TV>.Create(5.0000001201e-1f));
        p = Lanes<TV>.Fma(p, r * r, r) + Lanes<TV>.One;
        // n ∈ [−126, 127] after the clamp, so the conversion is exact (a NaN lane stays NaN through p).
        var scale = ((n.ConvertToInt32() + IntLanes<TV>.Create(127)) << 23).AsSingle();
        return p * scale;
    }

    /// <summary>Natural logarithm for positive normal x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes<TV> Log<TV>(Lanes<TV> x) where TV : struct
    {
        var bits = x.AsInt32();
        var e = ((bits >> 23) - IntLanes<TV>.Create(126)).ConvertToSingle();
        var m = ((bits & IntLanes<TV>.Create(0x007FFFFF)) | IntLanes<TV>.Create(0x3F000000)).AsSingle(); // m ∈ [0.5, 1)
        var small = Lanes<TV>.LessThan(m, Lanes<TV>.Create(0.707106781186547524f));
        e -= Lanes<TV>.Select(small, Lanes<TV>.One, Lanes<TV>.Zero);
        m = m - Lanes<TV>.One + Lanes<TV>.Select(small, m, Lanes<TV>.Zero); // now log(1 + m) is wanted, m ∈ [√½ − 1, √2 − 1)
        var z = m * m;
        var p = Lanes<TV>.Create(7.0376836292e-2f);
        p = Lanes<TV>.Fma(p, m, Lanes<TV>.Create(-1.1514610310e-1f));
        p = Lanes<TV>.Fma(p, m, Lanes<TV>.Create(1.1676998740e-1f));
        p = Lanes<TV>.Fma(p, m, Lanes<TV>.Create(-1.2420140846e-1f));
        p = Lanes<TV>.Fma(p, m, Lanes<TV>.Create(1.4249322787e-1f));
        p = Lanes<TV>.Fma(p, m, Lanes<TV>.Create(-1.6668057665e-1f));
        p = Lanes<TV>.Fma(p, m, Lanes<TV>.Create(2.0000714765e-1f));
        p = Lanes<TV>.Fma(p, m, Lanes<TV>.Create(-2.4999993993e-1f));
        p = Lanes<TV>.Fma(p, m, Lanes<TV>.Create(3.3333331174e-1f));
        var y = p * m * z;
        y = Lanes<TV>.Fma(e, Lanes<TV>.Create(-2.12194440e-4f), y);
        y = Lanes<TV>.Fma(z, Lanes<TV>.Create(-0.5f), y);
        return Lanes<TV>.Fma(e, Lanes<TV>.Create(0.693359375f), m + y);
    }

    /// <summary>(sin 2πu, cos 2πu) for u ∈ [0, 1) (the angle in turns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Lanes<TV> Sin, Lanes<TV> Cos) SinCosTurns<TV>(Lanes<TV> u) where TV : struct
    {
        var t = u * Lanes<TV>.Create(4f);
        var q = (t + Lanes<TV>.Create(0.5f)).ConvertToInt32(); // nearest quarter turn, 0..4 (t ≥ 0)
        var a = (t - q.ConvertToSingle()) * Lanes<TV>.Create(MathF.PI / 2); // |a| ≤ π/4
        var a2 = a * a;
        var s = Lanes<TV>.Fma(a2, Lanes<TV>.Create(1f / 362880), Lanes<TV>.Create(-1f / 5040));
        s = Lanes<TV>.Fma(s, a2, Lanes<TV>.Create(1f / 120));
        s = Lanes<TV>.Fma(s, a2, Lanes<TV>.Create(-1f / 6));
        s = Lanes<TV>.Fma(s * a2, a, a);
        var c = Lanes<TV>.Fma(a2, Lanes<TV>.Create(-1f / 3628800), Lanes<TV>.Create(1f / 40320));
        c = Lanes<TV>.Fma(c, a2, Lanes<TV>.Create(-1f / 720));
        c = Lanes<TV>.Fma(c, a2, Lanes<TV>.Create(1f / 24));
        c = Lanes<TV>.Fma(c, a2, Lanes<TV>.Create(-0.5f));
        c = Lanes<TV>.Fma(c, a2, Lanes<TV>.One);
        // Angle qπ/2 + a: odd q swaps sin and cos; sin changes sign for q mod 4 ∈ {2, 3}, cos for {1, 2}.
        var one = IntLanes<TV>.Create(1);
        var swap = IntLanes<TV>.EqualsMask(q & one, one);
        var sin = Lanes<TV>.Select(swap, c, s);
        var cos = Lanes<TV>.Select(swap, s, c);
        var sinSign = ((q & IntLanes<TV>.Create(2)) << 30).AsSingle();
        var cosSign = (((q + one) & IntLanes<TV>.Create(2)) << 30).AsSingle();
        return (sin ^ sinSign, cos ^ cosSign);
    }
}
