using System.Runtime.Intrinsics;

namespace FunctionSpace.Ising.Inference;

/// <summary>
/// Element-wise kernels for the message-passing hot loops, on 512- or 256-bit SIMD vectors when the CPU has
/// them (the vector Exp/Log of .NET are accurate to about 1 ulp), scalar otherwise.
/// </summary>
internal static class VectorMath
{
    /// <summary>Cavity fields beyond ±40 are clamped: tanh(40) = 1 in double, so nothing changes for |J| &lt; 19.</summary>
    public const double FieldClamp = 40;

    /// <summary>
    /// u = atanh(t · tanh g) written as ½ ln[(E(1+t) + (1−t)) / (E(1−t) + (1+t))] with E = e^{2g}: one exp,
    /// one log and one division per edge instead of tanh + atanh (Zou &amp; Huang App. C, message u_{k→i}).
    /// </summary>
    public static void MessageFromCavityField(ReadOnlySpan<double> g, ReadOnlySpan<double> t, Span<double> u)
    {
        int n = g.Length, k = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var one = Vector512.Create(1.0); var half = Vector512.Create(0.5); var two = Vector512.Create(2.0);
            var lo = Vector512.Create(-FieldClamp); var hi = Vector512.Create(FieldClamp);
            for (; k <= n - Vector512<double>.Count; k += Vector512<double>.Count)
            {
                var gv = Vector512.Min(Vector512.Max(Vector512.Create(g.Slice(k, Vector512<double>.Count)), lo), hi);
                var tv = Vector512.Create(t.Slice(k, Vector512<double>.Count));
                var e = Vector512.Exp(two * gv);
                var onePlus = one + tv; var oneMinus = one - tv;
                var ratio = (e * onePlus + oneMinus) / (e * oneMinus + onePlus);
                (half * Vector512.Log(ratio)).CopyTo(u.Slice(k, Vector512<double>.Count));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(1.0); var half = Vector256.Create(0.5); var two = Vector256.Create(2.0);
            var lo = Vector256.Create(-FieldClamp); var hi = Vector256.Create(FieldClamp);
            for (; k <= n - Vector256<double>.Count; k += Vector256<double>.Count)
            {
                var gv = Vector256.Min(Vector256.Max(Vector256.Create(g.Slice(k, Vector256<double>.Count)), lo), hi);
                var tv = Vector256.Create(t.Slice(k, Vector256<double>.Count));
                var e = Vector256.Exp(two * gv);
                var onePlus = one + tv; var oneMinus = one - tv;
                var ratio = (e * onePlus + oneMinus) / (e * oneMinus + onePlus);
                (half * Vector256.Log(ratio)).CopyTo(u.Slice(k, Vector256<double>.Count));
            }
        }
        for (; k < n; k++)
        {
            double e = Math.Exp(2 * Math.Clamp(g[k], -FieldClamp, FieldClamp));
            double tk = t[k];
            u[k] = 0.5 * Math.Log((e * (1 + tk) + (1 - tk)) / (e * (1 - tk) + (1 + tk)));
        }
    }

    /// <summary>y = tanh x as sign(x)(1 − 2/(e^{2|x|} + 1)); absolute error ~1e-16.</summary>
    public static void Tanh(ReadOnlySpan<double> x, Span<double> y)
    {
        int n = x.Length, k = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var one = Vector512.Create(1.0); var two = Vector512.Create(2.0); var hi = Vector512.Create(FieldClamp);
            for (; k <= n - Vector512<double>.Count; k += Vector512<double>.Count)
            {
                var xv = Vector512.Create(x.Slice(k, Vector512<double>.Count));
                var a = Vector512.Min(Vector512.Abs(xv), hi);
                var r = one - two / (Vector512.Exp(two * a) + one);
                Vector512.ConditionalSelect(Vector512.LessThan(xv, Vector512<double>.Zero), -r, r).CopyTo(y.Slice(k, Vector512<double>.Count));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(1.0); var two = Vector256.Create(2.0); var hi = Vector256.Create(FieldClamp);
            for (; k <= n - Vector256<double>.Count; k += Vector256<double>.Count)
            {
                var xv = Vector256.Create(x.Slice(k, Vector256<double>.Count));
                var a = Vector256.Min(Vector256.Abs(xv), hi);
                var r = one - two / (Vector256.Exp(two * a) + one);
                Vector256.ConditionalSelect(Vector256.LessThan(xv, Vector256<double>.Zero), -r, r).CopyTo(y.Slice(k, Vector256<double>.Count));
            }
        }
        for (; k < n; k++) y[k] = Math.Tanh(x[k]);
    }

    /// <summary>y = ln x element-wise.</summary>
    public static void Log(ReadOnlySpan<double> x, Span<double> y)
    {
        int n = x.Length, k = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; k <= n - Vector512<double>.Count; k += Vector512<double>.Count)
                Vector512.Log(Vector512.Create(x.Slice(k, Vector512<double>.Count))).CopyTo(y.Slice(k, Vector512<double>.Count));
        else if (Vector256.IsHardwareAccelerated)
            for (; k <= n - Vector256<double>.Count; k += Vector256<double>.Count)
                Vector256.Log(Vector256.Create(x.Slice(k, Vector256<double>.Count))).CopyTo(y.Slice(k, Vector256<double>.Count));
        for (; k < n; k++) y[k] = Math.Log(x[k]);
    }

    /// <summary>y += x.</summary>
    public static void AddInPlace(Span<double> y, ReadOnlySpan<double> x)
    {
        int n = y.Length, k = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; k <= n - Vector512<double>.Count; k += Vector512<double>.Count)
                (Vector512.Create(y.Slice(k, Vector512<double>.Count)) + Vector512.Create(x.Slice(k, Vector512<double>.Count))).CopyTo(y.Slice(k, Vector512<double>.Count));
        else if (Vector256.IsHardwareAccelerated)
            for (; k <= n - Vector256<double>.Count; k += Vector256<double>.Count)
                (Vector256.Create(y.Slice(k, Vector256<double>.Count)) + Vector256.Create(x.Slice(k, Vector256<double>.Count))).CopyTo(y.Slice(k, Vector256<double>.Count));
        for (; k < n; k++) y[k] += x[k];
    }

    /// <summary>y += f·x (the local-field update after a spin flip).</summary>
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

    /// <summary>Cache-blocked transpose of an n×n row-major matrix.</summary>
    public static void Transpose(ReadOnlySpan<double> source, Span<double> target, int n, int rowStart, int rowEnd)
    {
        const int Tile = 32;
        for (int i0 = rowStart; i0 < rowEnd; i0 += Tile)
        {
            int i1 = Math.Min(i0 + Tile, rowEnd);
            for (int j0 = 0; j0 < n; j0 += Tile)
            {
                int j1 = Math.Min(j0 + Tile, n);
                for (int j = j0; j < j1; j++)
                {
                    var src = source.Slice(j * n, n);
                    for (int i = i0; i < i1; i++) target[i * n + j] = src[i];
                }
            }
        }
    }
}
