using TorchSharp;
using static TorchSharp.torch;

namespace FunctionSpace.Ising;

/// <summary>
/// Tensor operations with a scalar operand whose <see cref="Scalar"/> stays alive for the whole native call.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 passes a Scalar's native handle to libtorch and does not keep the managed Scalar reachable for the
/// call (no GC.KeepAlive). A temporary Scalar — an implicit conversion such as <c>t * 0.5</c>, <c>t.fill_(1.0)</c>, or
/// the alpha = 1 that <c>Tensor.add(Tensor)</c> and the <c>+</c> operator create — can therefore be finalised by a
/// garbage collection on another thread while libtorch reads it, which fails with "Expected false to be true" from
/// c10::Scalar::toDouble (seen in <c>fsi fit --method mc</c> over four parts; a test collecting garbage on a second
/// thread reproduces it within seconds). Every scalar operand in this project goes through these methods: constants are
/// static (never collected), other values are disposed after the call, which keeps them alive until it returns.
/// <c>Tensor - Tensor</c> and tensor-tensor products take no Scalar and need no wrapper.
/// </remarks>
internal static class TorchScalars
{
    private static readonly Scalar One = 1.ToScalar();   // integral: libtorch rejects a floating alpha for integer tensors

    /// <summary>a + b (element-wise, broadcasting).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a += b in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary>a += v in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, double v) { using var s = v.ToScalar(); return a.add_(s, One); }

    /// <summary>v − a.</summary>
    public static Tensor SubtractedFrom(this Tensor a, double v) { using var s = v.ToScalar(); return a.neg().add_(s, One); }

    /// <summary>a · v.</summary>
    public static Tensor Times(this Tensor a, double v) { using var s = v.ToScalar(); return a.mul(s); }

    /// <summary>a ·= v in place.</summary>
    public static Tensor TimesInPlace(this Tensor a, double v) { using var s = v.ToScalar(); return a.mul_(s); }

    /// <summary>a / v.</summary>
    public static Tensor Over(this Tensor a, double v) { using var s = v.ToScalar(); return a.div(s); }

    /// <summary>a /= v in place.</summary>
    public static Tensor OverInPlace(this Tensor a, double v) { using var s = v.ToScalar(); return a.div_(s); }

    /// <summary>Every element of a set to v, in place.</summary>
    public static Tensor FillWith(this Tensor a, double v) { using var s = v.ToScalar(); return a.fill_(s); }

    /// <summary>a &lt; v element-wise.</summary>
    public static Tensor LessThan(this Tensor a, double v) { using var s = v.ToScalar(); return a.lt(s); }

    /// <summary>a ≤ v element-wise.</summary>
    public static Tensor AtMost(this Tensor a, double v) { using var s = v.ToScalar(); return a.le(s); }

    /// <summary>a &gt; v element-wise.</summary>
    public static Tensor GreaterThan(this Tensor a, double v) { using var s = v.ToScalar(); return a.gt(s); }

    /// <summary>The leaky ReLU of a with the given negative slope.</summary>
    public static Tensor LeakyRelu(this Tensor a, double slope) { using var s = slope.ToScalar(); return a.leaky_relu(s); }

    /// <summary>The leaky ReLU of a, in place.</summary>
    public static Tensor LeakyReluInPlace(this Tensor a, double slope) { using var s = slope.ToScalar(); return a.leaky_relu_(s); }

    /// <summary>A tensor shaped as <paramref name="like"/>, every element v.</summary>
    public static Tensor FullLike(Tensor like, double v, ScalarType dtype) { using var s = v.ToScalar(); return full_like(like, s, dtype: dtype); }

    /// <summary>a += v · t1 · t2 in place.</summary>
    public static Tensor AddProductInPlace(this Tensor a, Tensor t1, Tensor t2, double v) { using var s = v.ToScalar(); return a.addcmul_(t1, t2, s); }

    /// <summary>where(condition, x, y) with scalar branches (0-dimensional float64 tensors: no Scalar is involved).</summary>
    public static Tensor Select(Tensor condition, double x, double y)
    {
        using var tx = tensor(x);
        using var ty = tensor(y);
        return where(condition, tx, ty);
    }
}
