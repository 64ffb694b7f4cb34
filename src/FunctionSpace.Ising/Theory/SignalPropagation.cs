namespace FunctionSpace.Ising.Theory;

/// <summary>Activation function of the mean-field signal-propagation analysis.</summary>
public enum Activation
{
    /// <summary>φ = tanh.</summary>
    Tanh,
    /// <summary>φ = max(0, x).</summary>
    ReLU,
    /// <summary>φ = sgn x (φ′ is a delta: χ₁ = ∞, always chaotic).</summary>
    Sign,
}

/// <summary>The length-map fixed point and the slope of the correlation map there.</summary>
/// <param name="FixedPoint">q* (∞ when diverged).</param>
/// <param name="Chi1">χ₁ = σ_w² ∫Dz φ′(√q* z)²; ordered phase χ₁ &lt; 1, chaotic χ₁ &gt; 1.</param>
/// <param name="Iterations">Bisection steps (0 for closed forms).</param>
/// <param name="Stop">Why the search stopped: <see cref="StopReason.Converged"/> (bracketed to the tolerance, or a closed form — the
/// detail says which), <see cref="StopReason.IterationCap"/> (the bisection cap) or <see cref="StopReason.Diverged"/> (q grows without
/// bound: ReLU with σ_w² ≥ 2).</param>
public sealed record SignalFixedPoint(double FixedPoint, double Chi1, int Iterations, Stop Stop)
{
    /// <summary>q* is a closed form (sign, ReLU, tanh without bias at σ_w ≤ 1).</summary>
    public static Stop ClosedForm { get; } = new(StopReason.Converged, "closed form");

    /// <summary>The bisection bracketed q* to the tolerance.</summary>
    public static Stop Bracketed { get; } = new(StopReason.Converged, "bracket below tolerance");

    /// <summary>The bisection reached its cap.</summary>
    public static Stop BisectionCap { get; } = new(StopReason.IterationCap, "bisection cap");

    /// <summary>q grows without bound.</summary>
    public static Stop Unbounded { get; } = new(StopReason.Diverged, "q grows without bound");
}

/// <summary>
/// Mean-field signal propagation through deep random networks with weights N(0, σ_w²/N) and biases
/// N(0, σ_b²): length map q^l = σ_w² ∫Dz φ(√q^{l−1} z)² + σ_b², correlation map
/// c^l = [σ_w² ∫Dz₁Dz₂ φ(u₁)φ(u₂) + σ_b²]/q* with u₁ = √q* z₁, u₂ = √q*(c z₁ + √(1−c²) z₂), and
/// χ₁ = σ_w² ∫Dz φ′(√q* z)² — the slope of the correlation map at c = 1; χ₁ = 1 is the order/chaos boundary.
/// </summary>
/// <remarks>Poole, Lahiri, Raghu, Sohl-Dickstein &amp; Ganguli, NeurIPS 2016, Eqs. (3), (5), (7).</remarks>
public sealed record SignalPropagation(Activation Activation, double SigmaW, double SigmaB)
{
    private const double Cutoff = 9.5, Tolerance = 1e-12;
    private const double InvSqrt2Pi = 0.3989422804014327;

    // ∫Dz f(z) for an f that varies on the scale `width` around z = 0.
    private static double Gauss(Func<double, double> f, double width) =>
        AdaptiveQuadrature.Integrate(z => InvSqrt2Pi * Math.Exp(-0.5 * z * z) * f(z),
            AdaptiveQuadrature.GradedBreakpoints(-Cutoff, Cutoff, 0, Math.Min(1, width)), Tolerance).Value;

    /// <summary>One step of the length map.</summary>
    public double LengthMap(double q)
    {
        double second = Activation switch
        {
            Activation.Tanh => q <= 0 ? 0 : Gauss(z => { double t = Math.Tanh(Math.Sqrt(q) * z); return t * t; }, 1 / Math.Sqrt(q)),
            Activation.ReLU => 0.5 * q,   // ∫Dz relu(√q z)² = q/2
            Activation.Sign => 1,
            _ => throw new ArgumentOutOfRangeException(),
        };
        return SigmaW * SigmaW * second + SigmaB * SigmaB;
    }

    /// <summary>χ₁ at variance q: σ_w² ∫Dz φ′(√q z)².</summary>
    public double Chi1At(double q) => Activation switch
    {
        Activation.Tanh => SigmaW * SigmaW * (q <= 0 ? 1 : Gauss(z => { double c = Math.Cosh(Math.Sqrt(q) * z); return 1 / (c * c * c * c); }, 1 / Math.Sqrt(q))),
        Activation.ReLU => 0.5 * SigmaW * SigmaW,  // φ′ = Θ(x): ∫Dz Θ(z) = ½
        Activation.Sign => double.PositiveInfinity,
        _ => throw new ArgumentOutOfRangeException(),
    };

    /// <summary>
    /// The length map's stable fixed point q* and χ₁ there: closed forms for ReLU (σ_b²/(1 − σ_w²/2), diverging
    /// for σ_w² ≥ 2) and sign (σ_w² + σ_b²); for tanh, bisection on L(q) − q, which is positive below q* and
    /// negative above (L is increasing, concave and bounded). Root-finding, unlike iterating the map, does not
    /// slow down near the critical line.
    /// </summary>
    public SignalFixedPoint FixedPoint(double tolerance = 1e-14)
    {
        double sw2 = SigmaW * SigmaW, sb2 = SigmaB * SigmaB;
        switch (Activation)
        {
            case Activation.Sign:
                return new SignalFixedPoint(sw2 + sb2, Chi1At(sw2 + sb2), 0, SignalFixedPoint.ClosedForm);
            case Activation.ReLU:
                if (sw2 < 2) { double q = sb2 / (1 - sw2 / 2); return new SignalFixedPoint(q, Chi1At(q), 0, SignalFixedPoint.ClosedForm); }
                // σ_w² = 2 with σ_b = 0: every q is fixed (marginal); otherwise q grows without bound.
                if (sw2 == 2 && sb2 == 0) return new SignalFixedPoint(1, Chi1At(1), 0, SignalFixedPoint.ClosedForm);
                return new SignalFixedPoint(double.PositiveInfinity, Chi1At(double.PositiveInfinity), 0, SignalFixedPoint.Unbounded);
        }
        // tanh without bias and σ_w ≤ 1: L(q) = σ_w² E tanh²(√q z) < σ_w² q ≤ q, so q* = 0 is the only fixed point.
        if (sb2 == 0 && SigmaW <= 1) return new SignalFixedPoint(0, Chi1At(0), 0, SignalFixedPoint.ClosedForm);
        double lo = sb2 > 0 ? 0 : 1e-300, hi = sw2 + sb2 + 1;
        int iterations = 0;
        // Bisection in ln q when the bracket spans decades (q* → 0 as σ_w → 1⁺ at σ_b = 0).
        while (hi - lo > tolerance * Math.Max(hi, 1e-300) && iterations < 2000)
        {
            iterations++;
            double mid = lo > 0 && hi / lo > 4 ? Math.Sqrt(lo * hi) : 0.5 * (lo + hi);
            if (LengthMap(mid) > mid) lo = mid; else hi = mid;
        }
        double qStar = 0.5 * (lo + hi);
        return new SignalFixedPoint(qStar, Chi1At(qStar), iterations, iterations < 2000 ? SignalFixedPoint.Bracketed : SignalFixedPoint.BisectionCap);
    }

    /// <summary>One step of the correlation map at the fixed point q*: c → c′.</summary>
    public double CorrelationMap(double c, double qStar)
    {
        c = Math.Clamp(c, -1, 1);
        double s = Math.Sqrt(Math.Max(0, 1 - c * c)), root = Math.Sqrt(qStar);
        double cross = Activation switch
        {
            // Arc-cosine kernel of degree 1 (Cho & Saul 2009).
            Activation.ReLU => qStar / (2 * Math.PI) * (s + (Math.PI - Math.Acos(c)) * c),
            Activation.Sign => 2 / Math.PI * Math.Asin(c),
            Activation.Tanh => Gauss(z1 =>
            {
                double t1 = Math.Tanh(root * z1);
                if (s < 1e-14) return t1 * Math.Tanh(root * c * z1);
                return t1 * AdaptiveQuadrature.Integrate(z2 => InvSqrt2Pi * Math.Exp(-0.5 * z2 * z2) * Math.Tanh(root * (c * z1 + s * z2)),
                    AdaptiveQuadrature.GradedBreakpoints(-Cutoff, Cutoff, -c * z1 / s, Math.Min(1, 1 / (root * s))), 1e-11).Value;
            }, 1 / root),
            _ => throw new ArgumentOutOfRangeException(),
        };
        return (SigmaW * SigmaW * cross + SigmaB * SigmaB) / qStar;
    }

    /// <summary>
    /// The σ_w where χ₁ = 1 at bias σ_b (bisection on [<paramref name="low"/>, <paramref name="high"/>]); NaN if χ₁ − 1
    /// does not change sign there (e.g. sign units, which are chaotic for every σ_w &gt; 0).
    /// </summary>
    public static double CriticalSigmaW(Activation activation, double sigmaB, double low = 0.3, double high = 6)
    {
        double G(double sw) => new SignalPropagation(activation, sw, sigmaB).FixedPoint().Chi1 - 1;
        double glo = G(low), ghi = G(high);
        if (double.IsNaN(glo) || double.IsNaN(ghi) || double.IsInfinity(glo) || Math.Sign(glo) == Math.Sign(ghi)) return double.NaN;
        for (int i = 0; i < 60 && high - low > 1e-10; i++)
        {
            double mid = 0.5 * (low + high), gm = G(mid);
            if (Math.Sign(gm) == Math.Sign(glo)) { low = mid; glo = gm; } else high = mid;
        }
        return 0.5 * (low + high);
    }
}
