using MathNet.Numerics.LinearAlgebra;

namespace FunctionSpace.Ising.Theory;

/// <summary>A quadrature rule: nodes and weights, Σ w_i f(x_i) ≈ ∫ f dμ for the rule's measure μ.</summary>
/// <param name="Nodes">Abscissae, ascending.</param>
/// <param name="Weights">Weights, one per node.</param>
public sealed record QuadratureRule(double[] Nodes, double[] Weights)
{
    /// <summary>Σ_i w_i f(x_i).</summary>
    public double Integrate(Func<double, double> f)
    {
        double sum = 0;
        for (int i = 0; i < Nodes.Length; i++) sum += Weights[i] * f(Nodes[i]);
        return sum;
    }
}

/// <summary>
/// Gaussian quadrature rules computed here (no tables): Golub–Welsch eigen-decomposition of the Jacobi
/// matrix, nodes then polished by Newton steps on the orthonormal polynomial and weights from the
/// Christoffel function w_i = 1/Σ_k p_k(x_i)², which is more accurate than squared eigenvector entries.
/// </summary>
/// <remarks>Golub &amp; Welsch, Math. Comp. 23, 221 (1969).</remarks>
public static class GaussianQuadrature
{
    private static readonly Dictionary<(char, int), QuadratureRule> Cache = new();
    private static readonly object CacheLock = new();

    /// <summary>
    /// n-point Gauss–Hermite rule for the standard normal measure Dz = e^{−z²/2}/√(2π) dz (probabilists'
    /// Hermite polynomials): exact for polynomials of degree ≤ 2n−1; the weights sum to 1.
    /// </summary>
    public static QuadratureRule Hermite(int n)
    {
        if (n < 1 || n > 400) throw new ArgumentOutOfRangeException(nameof(n), "Gauss–Hermite order must be 1..400");
        return Cached('H', n, () => Build(n, _ => 0.0, k => Math.Sqrt(k)));
    }

    /// <summary>n-point Gauss–Legendre rule on [−1, 1] (weights sum to 2), exact for degree ≤ 2n−1.</summary>
    public static QuadratureRule Legendre(int n)
    {
        if (n < 1 || n > 400) throw new ArgumentOutOfRangeException(nameof(n), "Gauss–Legendre order must be 1..400");
        return Cached('L', n, () =>
        {
            var rule = Build(n, _ => 0.0, k => k / Math.Sqrt(4.0 * k * k - 1.0));
            for (int i = 0; i < n; i++) rule.Weights[i] *= 2.0;  // Legendre measure has total mass 2
            return rule;
        });
    }

    private static QuadratureRule Cached(char kind, int n, Func<QuadratureRule> build)
    {
        lock (CacheLock)
        {
            if (!Cache.TryGetValue((kind, n), out var rule)) Cache[(kind, n)] = rule = build();
            return rule;
        }
    }

    // Three-term recurrence of the orthonormal polynomials: b_{k+1} p_{k+1} = (x − a_k) p_k − b_k p_{k−1};
    // weights returned for a unit-mass measure.
    private static QuadratureRule Build(int n, Func<int, double> a, Func<int, double> b)
    {
        var jacobi = Matrix<double>.Build.Dense(n, n);
        for (int k = 0; k < n; k++)
        {
            jacobi[k, k] = a(k);
            if (k + 1 < n) jacobi[k, k + 1] = jacobi[k + 1, k] = b(k + 1);
        }
        var evd = jacobi.Evd(Symmetricity.Symmetric);
        double[] nodes = evd.EigenValues.Select(z => z.Real).OrderBy(x => x).ToArray();
        double[] weights = new double[n];
        for (int i = 0; i < n; i++)
        {
            double x = nodes[i];
            for (int iter = 0; iter < 5; iter++)
            {
                // Newton on p_n: p_n' from differentiating the recurrence.
                Evaluate(n, x, a, b, out double pn, out double dpn, out _);
                if (dpn == 0) break;
                double step = pn / dpn;
                x -= step;
                if (Math.Abs(step) <= 1e-16 * Math.Max(1, Math.Abs(x))) break;
            }
            nodes[i] = x;
            Evaluate(n, x, a, b, out _, out _, out double sumSquares);
            weights[i] = 1.0 / sumSquares;
        }
        return new QuadratureRule(nodes, weights);
    }

    private static void Evaluate(int n, double x, Func<int, double> a, Func<int, double> b,
        out double pn, out double dpn, out double sumSquares)
    {
        double pPrev = 0, p = 1, dPrev = 0, d = 0;
        sumSquares = 0;
        for (int k = 0; k < n; k++)
        {
            sumSquares += p * p;
            double bk = k == 0 ? 0 : b(k), bNext = b(k + 1);
            double pNext = ((x - a(k)) * p - bk * pPrev) / bNext;
            double dNext = (p + (x - a(k)) * d - bk * dPrev) / bNext;
            pPrev = p; p = pNext; dPrev = d; d = dNext;
        }
        pn = p; dpn = d;
    }
}

/// <summary>
/// Globally adaptive Gauss–Legendre integration on a finite interval: the interval with the largest error
/// estimate (|G_n on the whole − G_n on its two halves|) is bisected until the summed estimate is below
/// tolerance. Handles boundary layers and kinks (e.g. tanh(βx) at large β) that defeat fixed rules.
/// </summary>
public static class AdaptiveQuadrature
{
    /// <summary>Outcome of an adaptive integration.</summary>
    /// <param name="Value">The integral.</param>
    /// <param name="ErrorEstimate">Summed error estimate.</param>
    /// <param name="Intervals">Number of subintervals used.</param>
    /// <param name="Converged">True when the error estimate met the tolerance before the interval cap.</param>
    public readonly record struct Result(double Value, double ErrorEstimate, int Intervals, bool Converged);

    private const int Order = 10;

    /// <summary>∫_a^b f(x) dx to absolute tolerance <paramref name="tolerance"/> (at most <paramref name="maxIntervals"/> pieces).</summary>
    public static Result Integrate(Func<double, double> f, double a, double b, double tolerance = 1e-12, int maxIntervals = 2000) =>
        Integrate(f, [a, b], tolerance, maxIntervals);

    /// <summary>
    /// ∫ f over [breakpoints[0], breakpoints[^1]], starting from the pieces between ascending breakpoints.
    /// Features narrower than a piece's node spacing are invisible to the error estimate, so place
    /// breakpoints around them (see <see cref="GradedBreakpoints"/>).
    /// </summary>
    public static Result Integrate(Func<double, double> f, IReadOnlyList<double> breakpoints, double tolerance = 1e-12, int maxIntervals = 4000)
    {
        if (breakpoints.Count < 2) throw new ArgumentException("need at least two breakpoints");
        var rule = GaussianQuadrature.Legendre(Order);
        var heap = new PriorityQueue<(double A, double B, double Fine, double Err), double>();
        double total = 0, error = 0;
        for (int i = 1; i < breakpoints.Count; i++)
            if (breakpoints[i] > breakpoints[i - 1]) Push(breakpoints[i - 1], breakpoints[i]);
        if (heap.Count == 0) return new Result(0, 0, 0, true);
        while (error > tolerance && heap.Count < maxIntervals)
        {
            var worst = heap.Dequeue();
            total -= worst.Fine; error -= worst.Err;
            double mid = 0.5 * (worst.A + worst.B);
            Push(worst.A, mid);
            Push(mid, worst.B);
        }
        return new Result(total, Math.Max(error, 0), heap.Count, error <= tolerance);

        void Push(double lo, double hi)
        {
            double mid = 0.5 * (lo + hi);
            double whole = Apply(lo, hi), fine = Apply(lo, mid) + Apply(mid, hi);
            double err = Math.Abs(whole - fine);
            heap.Enqueue((lo, hi, fine, err), -err);
            total += fine; error += err;
        }

        double Apply(double lo, double hi)
        {
            double half = 0.5 * (hi - lo), centre = 0.5 * (hi + lo), sum = 0;
            for (int i = 0; i < Order; i++) sum += rule.Weights[i] * f(centre + half * rule.Nodes[i]);
            return sum * half;
        }
    }

    /// <summary>
    /// Breakpoints a, b and centre ± width·4^j (j = 0, 1, …) inside (a, b): resolves a feature of scale
    /// <paramref name="width"/> at <paramref name="centre"/> (e.g. tanh(β(y − y₀)) with width 1/β).
    /// </summary>
    public static double[] GradedBreakpoints(double a, double b, double centre, double width)
    {
        var points = new SortedSet<double> { a, b };
        if (centre > a && centre < b) points.Add(centre);
        if (width > 0)
            for (double d = width; d < b - a; d *= 4)
            {
                if (centre - d > a && centre - d < b) points.Add(centre - d);
                if (centre + d > a && centre + d < b) points.Add(centre + d);
            }
        return points.ToArray();
    }
}
