namespace FunctionSpace.Ising.Inverse;

/// <summary>Settings of <see cref="Lbfgs.Minimize"/>.</summary>
/// <param name="History">Number of (s, y) correction pairs kept (the "m" of L-BFGS).</param>
/// <param name="MaxIterations">Iteration cap.</param>
/// <param name="GradientTolerance">Stop when the largest |(pseudo-)gradient| component is below this.</param>
/// <param name="RelativeTolerance">Stop when an iteration lowers the objective by less than this × max(1, |f|).</param>
/// <param name="MaxLineSearchSteps">Backtracking halvings before the line search is declared failed.</param>
public sealed record LbfgsOptions(int History = 10, int MaxIterations = 500, double GradientTolerance = 1e-7,
    double RelativeTolerance = 1e-10, int MaxLineSearchSteps = 40);

/// <summary>Outcome of a minimisation: the point, its objective, iterations and the reason for stopping.</summary>
/// <param name="Point">The minimiser found.</param>
/// <param name="Objective">Objective (including the L1 term) at <paramref name="Point"/>.</param>
/// <param name="Iterations">Quasi-Newton iterations taken.</param>
/// <param name="Evaluations">Objective/gradient evaluations.</param>
/// <param name="Stop">Why it stopped: converged (detail "gradient": the (pseudo-)gradient fell below the tolerance;
/// "objective": the relative decrease fell below it), the iteration cap, or stalled (detail "line search failed": no step
/// along the search direction lowered the objective at machine precision).</param>
/// <param name="GradientNorm">Largest |(pseudo-)gradient| component at the end.</param>
public sealed record LbfgsResult(double[] Point, double Objective, int Iterations, int Evaluations,
    Stop Stop, double GradientNorm)
{
    /// <summary>The (pseudo-)gradient fell below its tolerance.</summary>
    public static readonly Stop GradientConverged = new(StopReason.Converged, "gradient");

    /// <summary>The objective stopped decreasing.</summary>
    public static readonly Stop ObjectiveConverged = new(StopReason.Converged, "objective");

    /// <summary>No step along the search direction lowered the objective.</summary>
    public static readonly Stop LineSearchFailed = new(StopReason.Stalled, "line search failed");
}

/// <summary>
/// Limited-memory BFGS (Nocedal 1980, two-loop recursion) with Armijo backtracking, and its orthant-wise
/// extension OWL-QN (Andrew &amp; Gao, ICML 2007) for f(x) + Σ_k λ_k |x_k|: the pseudo-gradient replaces
/// the gradient, the direction is projected onto the pseudo-gradient's orthant and every trial point onto
/// the current orthant, so coordinates that cross zero are clamped to exactly 0 (a sparse solution).
/// </summary>
public static class Lbfgs
{
    /// <summary>
    /// Minimises <c>f(x) + Σ_k l1[k]·|x_k|</c>. <paramref name="objective"/> fills the gradient of the smooth
    /// part f into its second argument and returns f. <paramref name="l1"/> (per coordinate, ≥ 0) may be null
    /// for plain L-BFGS. <paramref name="onIteration"/> receives (iteration, objective, gradient norm).
    /// </summary>
    public static LbfgsResult Minimize(Func<double[], double[], double> objective, double[] initial, LbfgsOptions options,
        double[]? l1 = null, Action<int, double, double>? onIteration = null, CancellationToken ct = default)
    {
        int n = initial.Length;
        if (l1 != null && l1.Length != n) throw new ArgumentException("one L1 weight per coordinate", nameof(l1));
        bool sparse = l1 != null && l1.Any(w => w > 0);
        var x = (double[])initial.Clone();
        var g = new double[n];
        double f = objective(x, g) + L1Term(x, l1);
        int evaluations = 1;
        var pg = new double[n];
        var sHistory = new List<double[]>();
        var yHistory = new List<double[]>();
        var rhoHistory = new List<double>();
        var d = new double[n];
        var xNew = new double[n];
        var gNew = new double[n];
        var alpha = new double[options.History];
        PseudoGradient(x, g, l1, pg);
        double pgNorm = MaxAbs(pg);
        if (pgNorm <= options.GradientTolerance)
            return new LbfgsResult(x, f, 0, evaluations, LbfgsResult.GradientConverged, pgNorm);

        for (int iteration = 1; iteration <= options.MaxIterations; iteration++)
        {
            ct.ThrowIfCancellationRequested();
            // Two-loop recursion: d = −H·pg with H the L-BFGS inverse-Hessian estimate.
            for (int k = 0; k < n; k++) d[k] = -pg[k];
            int h = sHistory.Count;
            for (int q = h - 1; q >= 0; q--)
            {
                alpha[q] = rhoHistory[q] * Dot(sHistory[q], d);
                Axpy(-alpha[q], yHistory[q], d);
            }
            if (h > 0)
            {
                double gamma = Dot(sHistory[h - 1], yHistory[h - 1]) / Dot(yHistory[h - 1], yHistory[h - 1]);
                for (int k = 0; k < n; k++) d[k] *= gamma;
            }
            for (int q = 0; q < h; q++)
            {
                double beta = rhoHistory[q] * Dot(yHistory[q], d);
                Axpy(alpha[q] - beta, sHistory[q], d);
            }
            if (sparse)
                for (int k = 0; k < n; k++)
                    if (d[k] * pg[k] >= 0) d[k] = 0;   // keep only components that descend along −pg
            double slope = Dot(pg, d);
            if (slope >= 0)
            {
                // Lost descent (bad curvature pairs): restart from steepest descent.
                sHistory.Clear(); yHistory.Clear(); rhoHistory.Clear();
                for (int k = 0; k < n; k++) d[k] = -pg[k];
                slope = Dot(pg, d);
            }
            double step = h == 0 ? Math.Min(1.0, 1.0 / Math.Max(1e-300, Norm(pg))) : 1.0;
            double fNew = double.NaN;
            bool accepted = false;
            for (int trial = 0; trial < options.MaxLineSearchSteps; trial++)
            {
                for (int k = 0; k < n; k++)
                {
                    double v = x[k] + step * d[k];
                    if (sparse && l1![k] > 0)
                    {
                        // Orthant of the current point (or of −pg at zero); crossing it clamps to 0.
                        double orthant = x[k] != 0 ? Math.Sign(x[k]) : Math.Sign(-pg[k]);
                        if (v * orthant <= 0) v = 0;
                    }
                    xNew[k] = v;
                }
                fNew = objective(xNew, gNew) + L1Term(xNew, l1);
                evaluations++;
                double decrease = 0;
                for (int k = 0; k < n; k++) decrease += pg[k] * (xNew[k] - x[k]);
                if (double.IsFinite(fNew) && fNew <= f + 1e-4 * decrease) { accepted = true; break; }
                step *= 0.5;
            }
            if (!accepted)
                return new LbfgsResult(x, f, iteration, evaluations, LbfgsResult.LineSearchFailed, pgNorm);

            var s = new double[n];
            var y = new double[n];
            for (int k = 0; k < n; k++) { s[k] = xNew[k] - x[k]; y[k] = gNew[k] - g[k]; }
            double sy = Dot(s, y);
            if (sy > 1e-12 * Norm(s) * Norm(y))
            {
                if (sHistory.Count == options.History) { sHistory.RemoveAt(0); yHistory.RemoveAt(0); rhoHistory.RemoveAt(0); }
                sHistory.Add(s); yHistory.Add(y); rhoHistory.Add(1 / sy);
            }
            double fOld = f;
            Array.Copy(xNew, x, n);
            Array.Copy(gNew, g, n);
            f = fNew;
            PseudoGradient(x, g, l1, pg);
            pgNorm = MaxAbs(pg);
            onIteration?.Invoke(iteration, f, pgNorm);
            if (pgNorm <= options.GradientTolerance)
                return new LbfgsResult(x, f, iteration, evaluations, LbfgsResult.GradientConverged, pgNorm);
            if (fOld - f <= options.RelativeTolerance * Math.Max(1, Math.Abs(f)))
                return new LbfgsResult(x, f, iteration, evaluations, LbfgsResult.ObjectiveConverged, pgNorm);
        }
        return new LbfgsResult(x, f, options.MaxIterations, evaluations, new Stop(StopReason.IterationCap), pgNorm);
    }

    // Pseudo-gradient of f + Σ λ|x| (Andrew & Gao eq. 4): the one-sided derivative that descends, 0 if none does.
    private static void PseudoGradient(double[] x, double[] g, double[]? l1, double[] pg)
    {
        for (int k = 0; k < x.Length; k++)
        {
            double lambda = l1?[k] ?? 0;
            if (lambda <= 0) { pg[k] = g[k]; continue; }
            if (x[k] > 0) pg[k] = g[k] + lambda;
            else if (x[k] < 0) pg[k] = g[k] - lambda;
            else if (g[k] + lambda < 0) pg[k] = g[k] + lambda;
            else if (g[k] - lambda > 0) pg[k] = g[k] - lambda;
            else pg[k] = 0;
        }
    }

    private static double L1Term(double[] x, double[]? l1)
    {
        if (l1 == null) return 0;
        double sum = 0;
        for (int k = 0; k < x.Length; k++) sum += l1[k] * Math.Abs(x[k]);
        return sum;
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int k = 0; k < a.Length; k++) sum += a[k] * b[k];
        return sum;
    }

    private static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    private static double MaxAbs(double[] a)
    {
        double max = 0;
        foreach (double v in a) max = Math.Max(max, Math.Abs(v));
        return max;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (int k = 0; k < x.Length; k++) y[k] += a * x[k];
    }
}
