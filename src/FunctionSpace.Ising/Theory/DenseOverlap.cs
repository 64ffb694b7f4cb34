namespace FunctionSpace.Ising.Theory;

/// <summary>How the perturbed copy's weights differ from the reference's.</summary>
public enum PerturbationKind
{
    /// <summary>Gaussian weights, w = √(1−η²) ŵ + η δw: field correlation ρ = √(1−η²); entropy per weight log η.</summary>
    Continuous,
    /// <summary>Binary weights flipped with probability p: ρ = 1 − 2p; entropy per weight H(p) (nats).</summary>
    Binary,
}

/// <summary>
/// Overlap recursion of two coupled dense sign networks (reference ŵ, perturbed w) fed the same input
/// (Li &amp; Saad, PRL 120, 248301 (2018)): the local fields (ĥ, h) are jointly Gaussian with unit variances and
/// correlation c = ρ_l q^{l−1}, and q^l = F_β(c) = E[tanh(βĥ) tanh(βh)].
/// </summary>
public static class DenseOverlap
{
    /// <summary>Absolute tolerance of each adaptive integral in <see cref="OverlapMap"/>.</summary>
    public const double Tolerance = 1e-11;

    // |z| beyond this carries Gaussian mass < 1e-19.
    private const double GaussianCutoff = 9.5;

    /// <summary>The β → ∞ closed form F_∞(c) = (2/π) asin c (sign units).</summary>
    public static double ArcsineLaw(double c) => 2.0 / Math.PI * Math.Asin(Math.Clamp(c, -1, 1));

    /// <summary>Inverse of <see cref="ArcsineLaw"/>: c = sin(πq/2).</summary>
    public static double InverseArcsineLaw(double q) => Math.Sin(Math.PI * q / 2);

    /// <summary>
    /// F_β(c) = E[tanh(βĥ) tanh(βh)] for unit-variance Gaussian fields with correlation c, by nested
    /// adaptive Gauss–Legendre quadrature (accurate to ~1e-10 for any β): with ĥ = x and
    /// h = c x + √(1−c²) z, q = 2∫_0^∞ Dx tanh(βx) G(x), G(x) = ∫ Dz tanh(β(cx + √(1−c²) z)) (the
    /// integrand is even in x). β = +∞ gives <see cref="ArcsineLaw"/> exactly.
    /// </summary>
    /// <remarks>Stochastic units P(s|h) = e^{βsh}/2cosh βh, so ⟨s|h⟩ = tanh βh; Li &amp; Saad (2018), Eq. (3).</remarks>
    public static double OverlapMap(double beta, double c)
    {
        if (!(beta > 0)) throw new ArgumentOutOfRangeException(nameof(beta), "β must be positive");
        if (!(Math.Abs(c) <= 1)) throw new ArgumentOutOfRangeException(nameof(c), "correlation must lie in [−1, 1]");
        if (double.IsPositiveInfinity(beta)) return ArcsineLaw(c);
        double s = Math.Sqrt(Math.Max(0, 1 - c * c));
        const double invSqrt2Pi = 0.3989422804014327;
        double Outer(double x)
        {
            double t = Math.Tanh(beta * x);
            if (t == 0) return 0;
            return invSqrt2Pi * Math.Exp(-0.5 * x * x) * t * Conditional(x);
        }
        double Conditional(double x)
        {
            double mean = c * x;
            if (s < 1e-14) return Math.Tanh(beta * mean);
            // ∫ tanh(βy) N(y; cx, s²) dy over y = cx + s z, split where tanh changes sign (z = −cx/s).
            double lo = -GaussianCutoff, hi = GaussianCutoff, zero = -mean / s;
            double Inner(double z) => invSqrt2Pi * Math.Exp(-0.5 * z * z) * Math.Tanh(beta * (mean + s * z));
            // tanh switches sign over a width 1/(βs) in z around z₀: grade the breakpoints there.
            return AdaptiveQuadrature.Integrate(Inner, AdaptiveQuadrature.GradedBreakpoints(lo, hi, zero, 1 / (beta * s)), Tolerance).Value;
        }
        return 2 * AdaptiveQuadrature.Integrate(Outer, AdaptiveQuadrature.GradedBreakpoints(0, GaussianCutoff, 0, 1 / beta), Tolerance).Value;
    }

    /// <summary>
    /// F_β(c) by a fixed two-dimensional Gauss–Hermite product rule of order n (fast; accurate only while
    /// tanh(βz) is smooth on the node spacing, i.e. moderate β — used as a cross-check of <see cref="OverlapMap"/>).
    /// </summary>
    public static double OverlapMapGaussHermite(double beta, double c, int order)
    {
        var rule = GaussianQuadrature.Hermite(order);
        double s = Math.Sqrt(Math.Max(0, 1 - c * c)), sum = 0;
        for (int i = 0; i < order; i++)
        {
            double x = rule.Nodes[i], tx = Math.Tanh(beta * x), inner = 0;
            for (int j = 0; j < order; j++) inner += rule.Weights[j] * Math.Tanh(beta * (c * x + s * rule.Nodes[j]));
            sum += rule.Weights[i] * tx * inner;
        }
        return sum;
    }

    /// <summary>Field correlation ρ of one layer for the perturbation strength (η for continuous, p for binary).</summary>
    public static double Rho(PerturbationKind kind, double strength) => kind switch
    {
        PerturbationKind.Continuous => Math.Sqrt(Math.Max(0, 1 - strength * strength)),
        PerturbationKind.Binary => 1 - 2 * strength,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Entropy per weight of one layer's perturbation: log η (continuous) or H(p) in nats (binary).</summary>
    public static double Entropy(PerturbationKind kind, double strength) => kind switch
    {
        PerturbationKind.Continuous => Math.Log(strength),
        PerturbationKind.Binary => BinaryEntropy(strength),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>H(p) = −p ln p − (1−p) ln(1−p), with H(0) = H(1) = 0.</summary>
    public static double BinaryEntropy(double p) =>
        (p <= 0 || p >= 1) ? 0 : -p * Math.Log(p) - (1 - p) * Math.Log(1 - p);

    /// <summary>
    /// The overlaps q^0..q^L for per-layer perturbation strengths (η_l or p_l), q^0 = <paramref name="inputOverlap"/>:
    /// q^l = F_β(ρ_l q^{l−1}).
    /// </summary>
    public static double[] Overlaps(PerturbationKind kind, IReadOnlyList<double> strengths, double beta, double inputOverlap = 1)
    {
        var q = new double[strengths.Count + 1];
        q[0] = inputOverlap;
        for (int l = 1; l <= strengths.Count; l++) q[l] = OverlapMap(beta, Rho(kind, strengths[l - 1]) * q[l - 1]);
        return q;
    }
}
