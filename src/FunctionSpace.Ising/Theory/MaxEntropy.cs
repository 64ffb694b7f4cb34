namespace FunctionSpace.Ising.Theory;

/// <summary>
/// The layer map q^l = F_β(c) on c ∈ [0, 1] with its inverse: closed form at β = ∞, otherwise tabulated
/// from <see cref="DenseOverlap.OverlapMap"/> at Chebyshev–Lobatto points and interpolated (monotone cubic).
/// </summary>
public sealed class LayerMap
{
    private readonly double[]? _c, _q;

    /// <summary>Inverse temperature β (+∞ for sign units).</summary>
    public double Beta { get; }

    /// <summary>F_β(1), the largest overlap one layer can produce.</summary>
    public double MaxOverlap { get; }

    /// <summary>Builds the map for inverse temperature <paramref name="beta"/> (table of <paramref name="tablePoints"/> points when finite).</summary>
    public LayerMap(double beta, int tablePoints = 257)
    {
        if (!(beta > 0)) throw new ArgumentOutOfRangeException(nameof(beta), "β must be positive");
        Beta = beta;
        if (double.IsPositiveInfinity(beta)) { MaxOverlap = 1; return; }
        _c = new double[tablePoints];
        _q = new double[tablePoints];
        for (int i = 0; i < tablePoints; i++)
        {
            // Chebyshev–Lobatto points cluster at c = 1, where F_β bends most.
            _c[i] = 0.5 * (1 - Math.Cos(Math.PI * i / (tablePoints - 1)));
            _q[i] = DenseOverlap.OverlapMap(beta, _c[i]);
        }
        MaxOverlap = _q[^1];
    }

    /// <summary>q = F_β(c) for c ∈ [0, 1].</summary>
    public double Forward(double c) => _c is null ? DenseOverlap.ArcsineLaw(c) : Interpolate(_c, _q!, c);

    /// <summary>c = F_β^{−1}(q) for q ∈ [0, F_β(1)].</summary>
    public double Inverse(double q) => _c is null ? DenseOverlap.InverseArcsineLaw(q) : Interpolate(_q!, _c, Math.Min(q, MaxOverlap));

    /// <summary>
    /// Complement form d′ = 1 − F_β(1 − e), accurate when e and d′ are tiny (β = ∞:
    /// d′ = (2/π) acos(1 − e) = (4/π) asin √(e/2)). Needed because near q = 1 the asin law has a square-root
    /// cusp: 1 − q′ ≈ (2√2/π) √(1 − c), so optimal profiles reach 1 − q ~ 1e−20 and below in the first layers.
    /// </summary>
    public double ComplementForward(double e) => _c is null
        ? 4 / Math.PI * Math.Asin(Math.Sqrt(Math.Clamp(e, 0, 2) / 2))
        : 1 - Forward(1 - e);

    /// <summary>Inverse of <see cref="ComplementForward"/>: e = 1 − F_β^{−1}(1 − d) (β = ∞: 2 sin²(πd/4)).</summary>
    public double ComplementInverse(double d)
    {
        if (_c is not null) return 1 - Inverse(1 - d);
        double s = Math.Sin(Math.PI * Math.Clamp(d, 0, 2) / 4);
        return 2 * s * s;
    }

    private static double Interpolate(double[] xs, double[] ys, double x)
    {
        if (x <= xs[0]) return ys[0];
        if (x >= xs[^1]) return ys[^1];
        int hi = Array.BinarySearch(xs, x);
        if (hi >= 0) return ys[hi];
        hi = ~hi;
        int lo = hi - 1;
        // Monotone cubic Hermite (Fritsch–Carlson) keeps F and F^{-1} exact inverses of each other up to rounding.
        double h = xs[hi] - xs[lo], t = (x - xs[lo]) / h;
        double d0 = Slope(xs, ys, lo), d1 = Slope(xs, ys, hi), delta = (ys[hi] - ys[lo]) / h;
        if (delta == 0) { d0 = d1 = 0; }
        else
        {
            double a = d0 / delta, b = d1 / delta, r = a * a + b * b;
            if (r > 9) { double tau = 3 / Math.Sqrt(r); d0 = tau * a * delta; d1 = tau * b * delta; }
        }
        double t2 = t * t, t3 = t2 * t;
        return (2 * t3 - 3 * t2 + 1) * ys[lo] + (t3 - 2 * t2 + t) * h * d0 + (-2 * t3 + 3 * t2) * ys[hi] + (t3 - t2) * h * d1;
    }

    private static double Slope(double[] xs, double[] ys, int i)
    {
        if (i == 0) return (ys[1] - ys[0]) / (xs[1] - xs[0]);
        if (i == xs.Length - 1) return (ys[i] - ys[i - 1]) / (xs[i] - xs[i - 1]);
        double left = (ys[i] - ys[i - 1]) / (xs[i] - xs[i - 1]), right = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]);
        return left * right <= 0 ? 0 : 0.5 * (left + right);
    }
}

/// <summary>Settings of the max-entropy perturbation problem.</summary>
/// <param name="Kind">Continuous (entropy log η) or binary (entropy H(p)) weights.</param>
/// <param name="Layers">Depth L.</param>
/// <param name="StateGrid">Number of grid points of the dynamic programme over 1 − q (log-spaced below 1e−2).</param>
/// <param name="MaxPolishSweeps">Cap on coordinate-wise polishing sweeps after the dynamic programme.</param>
public sealed record MaxEntropySettings(PerturbationKind Kind, int Layers = 4, int StateGrid = 801, int MaxPolishSweeps = 200);

/// <summary>The dominant (max-entropy) perturbation at one function error ε.</summary>
/// <param name="Error">ε = (1 − q^L)/2.</param>
/// <param name="Feasible">False when q^L = 1 − 2ε cannot be reached (then the other fields are NaN): ε below
/// (1 − F_β^L(1))/2 at finite β, or — continuous weights, deep nets, tiny ε — only through 1 − q^1 below the
/// grid floor 1e−280 (each layer roughly squares 1 − q near q = 1, so this happens for L ≳ 7 at ε ~ 1e−2).</param>
/// <param name="Strengths">η*^l (continuous) or p*^l (binary), l = 1..L.</param>
/// <param name="Disagreements">1 − q^l, l = 0..L, along the optimal path (kept as complements: they reach 1e−100 and below).</param>
/// <param name="Entropy">S*(ε) = (1/L) Σ_l s(η_l or p_l), per weight.</param>
/// <param name="PolishSweeps">Polishing sweeps run after the dynamic programme.</param>
/// <param name="Stop">Why polishing stopped: <see cref="StopReason.Converged"/> (a full sweep gained less than 1e-13),
/// <see cref="StopReason.IterationCap"/> (the sweep cap) or <see cref="StopReason.NotNeeded"/> (L = 1, or the target is infeasible).</param>
public sealed record MaxEntropyProfile(double Error, bool Feasible, double[] Strengths, double[] Disagreements, double Entropy, int PolishSweeps, Stop Stop)
{
    /// <summary>A full polishing sweep improved the entropy by less than 1e-13.</summary>
    public static Stop SweepGainBelowTolerance { get; } = new(StopReason.Converged, "sweep gain below 1e-13");

    /// <summary>The polishing reached its sweep cap.</summary>
    public static Stop SweepCap { get; } = new(StopReason.IterationCap, "sweep cap");

    /// <summary>One layer: no intermediate overlap to polish.</summary>
    public static Stop SingleLayer { get; } = new(StopReason.NotNeeded, "one layer");

    /// <summary>The target error cannot be reached.</summary>
    public static Stop Infeasible { get; } = new(StopReason.NotNeeded, "infeasible");

    /// <summary>The overlaps q^l = 1 − (1 − q^l).</summary>
    public double[] Overlaps => Disagreements.Select(d => 1 - d).ToArray();
}

/// <summary>
/// Max-entropy perturbation at fixed function error: maximise S = (1/L) Σ_l s(ρ_l) subject to the chain
/// q^l = F(ρ_l q^{l−1}), q^0 = 1, q^L = 1 − 2ε. Because the constraint is a chain, a dynamic programme over
/// the intermediate disagreements d^l = 1 − q^l on a grid finds the global optimum up to grid resolution (the
/// binary problem is non-convex with discontinuous optima, so a local solver is not enough); the grid
/// optimum is then polished by coordinate-wise golden-section search within the neighbouring grid cells.
/// Every grid path is exactly feasible (only q^1..q^{L−1} are gridded; each ρ_l follows from its two ends).
/// </summary>
/// <remarks>Li &amp; Saad, PRL 120, 248301 (2018): dominant perturbation profiles and S(ε).</remarks>
public sealed class MaxEntropySolver
{
    private readonly MaxEntropySettings _settings;
    private readonly LayerMap _map;
    private readonly double[] _grid;          // d = 1 − q, ascending, d[0] = the smallest reachable (0 at β = ∞)
    private readonly double[] _inverseOnGrid; // e = 1 − c = ComplementInverse(d)

    /// <summary>Creates a solver for the settings and layer map (β).</summary>
    public MaxEntropySolver(MaxEntropySettings settings, LayerMap map)
    {
        if (settings.Layers < 1) throw new InputException($"--layers: {settings.Layers} must be at least 1");
        if (settings.StateGrid < 21) throw new InputException($"--grid: {settings.StateGrid} must be at least 21");
        _settings = settings;
        _map = map;
        double floor = map.ComplementForward(0);  // 1 − F(1): 0 for sign units
        var points = new SortedSet<double> { floor, 1 };
        int logPoints = settings.StateGrid * 5 / 8, linearPoints = settings.StateGrid - logPoints;
        // Log-spaced 1e−280 … 1e−2 (the first layers of continuous profiles live there), then dense-near-0 up to 1.
        for (int i = 0; i < logPoints; i++) points.Add(Math.Pow(10, -280 + 278.0 * i / (logPoints - 1)));
        for (int i = 1; i <= linearPoints; i++) { double u = (double)i / linearPoints; points.Add(1e-2 + (1 - 1e-2) * u * u); }
        // Paths where the first layers copy the reference exactly (ρ = 1).
        double d = 0;
        for (int l = 0; l < settings.Layers; l++) { d = map.ComplementForward(d); points.Add(d); }
        _grid = points.Where(v => v >= floor && v <= 1).ToArray();
        _inverseOnGrid = _grid.Select(map.ComplementInverse).ToArray();
    }

    /// <summary>Per-layer entropy as a function of 1 − ρ: ½ ln((1 − ρ)(1 + ρ)) = ln η (continuous) or H((1 − ρ)/2) (binary).</summary>
    public double LayerEntropy(double oneMinusRho) => _settings.Kind == PerturbationKind.Continuous
        ? (oneMinusRho <= 0 ? double.NegativeInfinity : 0.5 * Math.Log(oneMinusRho * (2 - oneMinusRho)))
        : DenseOverlap.BinaryEntropy(0.5 * oneMinusRho);

    // 1 − ρ of the layer taking disagreement dPrev to the next layer with e = 1 − c = 1 − ρ (1 − dPrev):
    // 1 − ρ = (e − dPrev)/(1 − dPrev). NaN when infeasible (ρ > 1).
    private static double OneMinusRho(double dPrev, double eNext)
    {
        if (dPrev >= 1) return 1;  // q = 0: the next overlap is 0 whatever ρ; the entropy is maximal at ρ = 0
        double value = (eNext - dPrev) / (1 - dPrev);
        if (value < -1e-15 * Math.Max(eNext, 1e-300) - 1e-300) return double.NaN;
        return Math.Clamp(value, 0, 1);
    }

    private double Step(double dPrev, double eNext)
    {
        if (dPrev >= 1 && eNext < 1 - 1e-15) return double.NegativeInfinity;
        double omr = OneMinusRho(dPrev, eNext);
        return double.IsNaN(omr) ? double.NegativeInfinity : LayerEntropy(omr);
    }

    /// <summary>Solves for one ε ∈ [0, 1/2].</summary>
    public MaxEntropyProfile Solve(double error)
    {
        if (!(error >= 0 && error <= 0.5)) throw new InputException($"--errors: ε = {error} must lie in [0, 0.5]");
        int layers = _settings.Layers;
        double target = 2 * error;  // d^L
        double reachable = 0;
        for (int l = 0; l < layers; l++) reachable = _map.ComplementForward(reachable);
        if (target < reachable - 1e-12) return Infeasible(error);
        target = Math.Max(target, reachable);
        double eTarget = _map.ComplementInverse(target);

        int n = _grid.Length;
        var path = new double[layers + 1];
        path[0] = 0;
        path[layers] = target;
        if (layers > 1)
        {
            // value[j]: best entropy of layers 1..l ending at d^l = grid[j]; parent pointers for the path.
            var value = new double[n];
            var parent = new int[layers, n];
            for (int j = 0; j < n; j++) value[j] = Step(0, _inverseOnGrid[j]);
            for (int l = 2; l < layers; l++)
            {
                var next = new double[n];
                var previous = value;
                int layer = l;
                Parallel.For(0, n, j =>
                {
                    double best = double.NegativeInfinity; int arg = -1;
                    double e = _inverseOnGrid[j];
                    for (int i = 0; i < n; i++)
                    {
                        if (_grid[i] > e) break;  // ρ ≤ 1 needs d^{l−1} ≤ e^l
                        if (double.IsNegativeInfinity(previous[i])) continue;
                        double v = previous[i] + Step(_grid[i], e);
                        if (v > best) { best = v; arg = i; }
                    }
                    next[j] = best; parent[layer, j] = arg;
                });
                value = next;
            }
            double total = double.NegativeInfinity; int last = -1;
            for (int i = 0; i < n; i++)
            {
                if (double.IsNegativeInfinity(value[i])) continue;
                double v = value[i] + Step(_grid[i], eTarget);
                if (v > total) { total = v; last = i; }
            }
            if (last < 0) return Infeasible(error);
            for (int l = layers - 1; l >= 1; l--)
            {
                path[l] = _grid[last];
                if (l > 1) last = parent[l, last];
            }
        }
        var (sweeps, stop) = Polish(path);
        return Build(error, path, sweeps, stop);
    }

    /// <summary>Solves for each ε in <paramref name="errors"/>, reporting progress.</summary>
    public MaxEntropyProfile[] SolveAll(IReadOnlyList<double> errors, IProgress<ProgressReport>? progress = null, CancellationToken cancel = default)
    {
        var results = new MaxEntropyProfile[errors.Count];
        for (int i = 0; i < errors.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            results[i] = Solve(errors[i]);
            progress?.Report(new ProgressReport($"max-entropy {_settings.Kind.ToString().ToLowerInvariant()}", i + 1, errors.Count, "ε values"));
        }
        return results;
    }

    private double PathEntropy(double[] path)
    {
        double sum = 0;
        for (int l = 1; l < path.Length; l++) sum += Step(path[l - 1], _map.ComplementInverse(path[l]));
        return sum;
    }

    // Coordinate-wise golden-section search on each intermediate d^l within the two neighbouring grid cells
    // of its current value (the global basin was already picked by the dynamic programme), inside the
    // feasible interval D(d^{l−1}) ≤ d^l ≤ D^{-1}(d^{l+1}); its ends (ρ = 1, i.e. p = 0) are tried explicitly.
    // Golden section runs in ln d where the cells are log-spaced.
    private (int Sweeps, Stop Stop) Polish(double[] path)
    {
        int layers = path.Length - 1;
        if (layers < 2) return (0, MaxEntropyProfile.SingleLayer);
        double current = PathEntropy(path);
        for (int sweep = 1; sweep <= _settings.MaxPolishSweeps; sweep++)
        {
            double before = current;
            for (int l = 1; l < layers; l++)
            {
                double lo = _map.ComplementForward(path[l - 1]), hi = _map.ComplementInverse(path[l + 1]);
                if (hi < lo) continue;
                int k = Array.BinarySearch(_grid, path[l]);
                if (k < 0) k = ~k;
                double a = Math.Max(lo, _grid[Math.Max(0, k - 2)]), b = Math.Min(hi, _grid[Math.Min(_grid.Length - 1, k + 2)]);
                if (b < a) { a = lo; b = hi; }
                int layer = l;
                double Local(double x) => Step(path[layer - 1], _map.ComplementInverse(x)) + Step(x, _map.ComplementInverse(path[layer + 1]));
                double candidate = a > 0 && b < 1e-2
                    ? Math.Exp(GoldenMax(t => Local(Math.Exp(t)), Math.Log(a), Math.Log(b)))
                    : GoldenMax(Local, a, b);
                double bestX = path[l], bestV = Local(bestX);
                foreach (double x in new[] { a, b, lo, hi, candidate })
                {
                    double v = Local(x);
                    if (v > bestV) { bestV = v; bestX = x; }
                }
                path[l] = bestX;
            }
            current = PathEntropy(path);
            if (current - before < 1e-13) return (sweep, MaxEntropyProfile.SweepGainBelowTolerance);
        }
        return (_settings.MaxPolishSweeps, MaxEntropyProfile.SweepCap);
    }

    private static double GoldenMax(Func<double, double> f, double a, double b)
    {
        const double ratio = 0.6180339887498949;
        double x1 = b - ratio * (b - a), x2 = a + ratio * (b - a), f1 = f(x1), f2 = f(x2);
        for (int i = 0; i < 200 && b - a > 1e-15 * Math.Max(1, Math.Abs(a)); i++)
        {
            if (f1 < f2) { a = x1; x1 = x2; f1 = f2; x2 = a + ratio * (b - a); f2 = f(x2); }
            else { b = x2; x2 = x1; f2 = f1; x1 = b - ratio * (b - a); f1 = f(x1); }
        }
        return f1 > f2 ? x1 : x2;
    }

    private MaxEntropyProfile Build(double error, double[] path, int sweeps, Stop stop)
    {
        int layers = path.Length - 1;
        var strengths = new double[layers];
        double sum = 0;
        for (int l = 1; l <= layers; l++)
        {
            double omr = OneMinusRho(path[l - 1], _map.ComplementInverse(path[l]));
            if (double.IsNaN(omr)) omr = 0;
            strengths[l - 1] = _settings.Kind == PerturbationKind.Continuous ? Math.Sqrt(omr * (2 - omr)) : 0.5 * omr;
            sum += LayerEntropy(omr);
        }
        return new MaxEntropyProfile(error, true, strengths, path, sum / layers, sweeps, stop);
    }

    private MaxEntropyProfile Infeasible(double error)
    {
        int layers = _settings.Layers;
        return new MaxEntropyProfile(error, false, Enumerable.Repeat(double.NaN, layers).ToArray(),
            Enumerable.Repeat(double.NaN, layers + 1).ToArray(), double.NaN, 0, MaxEntropyProfile.Infeasible);
    }
}

/// <summary>
/// Annealed generalisation: with P = α L N² examples each passed with probability 1 − ε, the log-volume per
/// weight is S*(ε) + α ln(1 − ε); the typical error maximises it.
/// </summary>
/// <remarks>Li &amp; Saad (2018): ε*(α) = argmax_ε [S*(ε) + α ln(1 − ε)], ε* ∝ 1/α at large α (continuous weights).</remarks>
public static class AnnealedGeneralisation
{
    /// <summary>
    /// ε*(α) on the tabulated curve S*(ε) (refined by a parabola in ln ε through the best grid point and its
    /// neighbours); NaN when the maximum sits at the smallest tabulated ε, i.e. ε* lies below the table.
    /// </summary>
    public static double OptimalError(IReadOnlyList<double> errors, IReadOnlyList<double> entropies, double alpha)
    {
        if (errors.Count != entropies.Count || errors.Count < 3) throw new ArgumentException("need at least 3 (ε, S) points");
        int best = -1; double bestValue = double.NegativeInfinity;
        for (int i = 0; i < errors.Count; i++)
        {
            if (double.IsNaN(entropies[i])) continue;
            double v = entropies[i] + alpha * Math.Log(1 - errors[i]);
            if (v > bestValue) { bestValue = v; best = i; }
        }
        int firstFeasible = 0;
        while (firstFeasible < entropies.Count && double.IsNaN(entropies[firstFeasible])) firstFeasible++;
        if (best <= firstFeasible) return double.NaN;
        if (best >= errors.Count - 1) return errors[best];
        // Parabolic refinement in ln ε (exact for a log grid, harmless on a linear one).
        double x0 = Math.Log(errors[best - 1]), x1 = Math.Log(errors[best]), x2 = Math.Log(errors[best + 1]);
        double F(int i) => entropies[i] + alpha * Math.Log(1 - errors[i]);
        double y0 = F(best - 1), y1 = F(best), y2 = F(best + 1);
        double denom = (x0 - x1) * (x0 - x2) * (x1 - x2);
        double a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denom;
        double b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / denom;
        if (a >= 0) return errors[best];
        double x = Math.Clamp(-b / (2 * a), x0, x2);
        return Math.Exp(x);
    }
}
