using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Landscape;

/// <summary>Settings of an entropy-landscape sweep in the coupling field x.</summary>
/// <param name="XMin">Smallest coupling field.</param>
/// <param name="XMax">Largest coupling field.</param>
/// <param name="Points">Grid points (each swept forward and backward).</param>
/// <param name="Bp">Belief-propagation options of every point.</param>
/// <param name="MinimumJump">Smallest |Δd| between consecutive points reported as a discontinuity.</param>
/// <param name="JumpFactor">A discontinuity must also exceed this multiple of the sweep's median |Δd|.</param>
/// <param name="HysteresisTolerance">|d_fwd − d_bwd| above this counts as hysteresis.</param>
public sealed record LandscapeSettings(double XMin = -2, double XMax = 2, int Points = 200, BpOptions? Bp = null,
    double MinimumJump = 0.02, double JumpFactor = 8, double HysteresisTolerance = 1e-3)
{
    /// <summary>The BP options in use.</summary>
    /// <remarks>Default: undamped, tolerance 1e-9 — warm-started neighbouring points converge in few sweeps; BP escalates the damping where that fails.</remarks>
    public BpOptions BpOptionsOrDefault => Bp ?? DefaultBp;

    /// <summary>
    /// A damping attempt of a landscape point is given up (and the damping escalated) after this many sweeps without a new
    /// low of the largest change (<see cref="BpOptions.StallSweeps"/>).
    /// </summary>
    /// <remarks>A point where BP does not converge used to run the 5,000-sweep cap at each of its four dampings: on the
    /// over-para quick run's FULL model (60 points each way) the 8 such points took 100 of the sweep's 119 s. With the
    /// window the converged points are bit-identical (their iteration keeps setting new lows; the slowest took fewer than
    /// 400 sweeps) and the same points fail, in 12 s. The quick run's under-para landscapes (3 references, 22 ± 2 failing
    /// points of 480 each): 96.7 s → 21.3 s, the same points failing, converged points within 3e-15 (a failed point's
    /// messages seed the next start, and they now come from an earlier stop).</remarks>
    public const int DefaultStallSweeps = 200;

    /// <summary>The default BP options of a sweep.</summary>
    public static BpOptions DefaultBp { get; } = new(Damping: 0, Tolerance: 1e-9) { StallSweeps = DefaultStallSweeps };

    /// <summary>
    /// Converged points of the sweep the next point's warm start is extrapolated from (a polynomial of degree
    /// PredictorPoints − 1; 1 = the last point's messages). Only BP's start depends on it, not its fixed point.
    /// </summary>
    /// <remarks>Default 5: on the N = 675 benchmark models 2 → 5 points cut the sweeps of a 200-point sweep by a third
    /// (10,378 → 6,986); 6 points saved a little more and 8 fewer again, as the extrapolation also amplifies the
    /// start's 1e-9 convergence noise (the weights of degree 4 sum to 31 in absolute value).</remarks>
    public int PredictorPoints { get; init; } = 5;

    /// <summary>
    /// Largest |x| of a sweep: tanh x is ±1 to double precision beyond |x| ≈ 19, so a wider range only adds points where
    /// every spin sits at the reference (or against it), and a huge one (1e300) overflows the tilted fields.
    /// </summary>
    public const double MaxField = 1000;

    /// <summary>Throws InputException when the grid is unusable.</summary>
    public void Validate()
    {
        if (PredictorPoints < 1 || PredictorPoints > 8) throw new InputException($"landscape predictor: {PredictorPoints} points is outside 1..8");
        if (!double.IsFinite(XMin) || !double.IsFinite(XMax) || XMax <= XMin || Math.Abs(XMin) > MaxField || Math.Abs(XMax) > MaxField)
            throw new InputException($"--x-range: need XMIN < XMAX within ±{MaxField}, got {IO.MessageText.Number(XMin)}..{IO.MessageText.Number(XMax)}");
        if (Points < 2) throw new InputException($"--points: need at least 2, got {Points}");
    }

    /// <summary>The ascending x grid.</summary>
    public double[] Grid() => Enumerable.Range(0, Points).Select(k => XMin + (XMax - XMin) * k / (Points - 1)).ToArray();
}

/// <summary>One point of the landscape: the tilted ensemble P(s) ∝ exp(−E(s) + x Σ σ*_i s_i) solved by BP.</summary>
/// <param name="X">Coupling field.</param>
/// <param name="Overlap">q = (1/N) Σ σ*_i m_i.</param>
/// <param name="Distance">d = (1 − q)/2.</param>
/// <param name="Entropy">s = (⟨E_x⟩ − F_x)/N, the entropy density of the tilted ensemble (β = 1).</param>
/// <param name="Energy">Model energy density e = ⟨E⟩/N (without the coupling-field term).</param>
/// <param name="FreeEnergy">Tilted Bethe free energy density F_x/N.</param>
/// <param name="StopReason">Why BP stopped.</param>
/// <param name="Iterations">BP iterations.</param>
/// <param name="DampingUsed">The damping that BP ended with.</param>
public sealed record LandscapePoint(double X, double Overlap, double Distance, double Entropy, double Energy, double FreeEnergy,
    BpStopReason StopReason, int Iterations, double DampingUsed)
{
    /// <summary>True when BP converged; the other figures of a non-converged point are unreliable.</summary>
    public bool Converged => StopReason == BpStopReason.Converged;

    /// <summary>s_max(d) − s: the gap to the upper bound.</summary>
    public double GapToBound => EntropyBound.MaxEntropy(Distance) - Entropy;
}

/// <summary>A forward + backward sweep of one model around one reference.</summary>
/// <param name="Name">Label of the curve (the part, e.g. "ITER").</param>
/// <param name="Size">Number of spins N of the model.</param>
/// <param name="Settings">The sweep settings.</param>
/// <param name="Forward">Points with x increasing.</param>
/// <param name="Backward">Points with x decreasing (in sweep order).</param>
/// <param name="Jumps">Discontinuities of d(x) in either direction.</param>
/// <param name="Hysteresis">The loop where the two sweeps disagree, or null.</param>
/// <param name="ReferenceEnergy">Model energy density of the reference, E(σ*)/N.</param>
public sealed record LandscapeSweep(string Name, int Size, LandscapeSettings Settings, IReadOnlyList<LandscapePoint> Forward,
    IReadOnlyList<LandscapePoint> Backward, IReadOnlyList<DistanceJump> Jumps, HysteresisLoop? Hysteresis, double ReferenceEnergy)
{
    /// <summary>All points that failed to converge, both directions.</summary>
    public IEnumerable<LandscapePoint> FailedPoints => Forward.Concat(Backward).Where(p => !p.Converged);

    /// <summary>The largest s_max(d) − s over converged points of both directions (NaN when none converged).</summary>
    public double MaxGapToBound
    {
        get
        {
            var gaps = Forward.Concat(Backward).Where(p => p.Converged).Select(p => p.GapToBound).ToArray();
            return gaps.Length == 0 ? double.NaN : gaps.Max();
        }
    }

    /// <summary>The backward sweep reordered by ascending x (aligned with <see cref="Forward"/>).</summary>
    public IReadOnlyList<LandscapePoint> BackwardAscending => Backward.Reverse().ToArray();
}

/// <summary>
/// The entropy landscape around a reference (Zou &amp; Huang Eqs. 6–8, App. C; Huang &amp; Kabashima 2014):
/// BP on the model with fields h_i + x σ*_i, swept in x forward and backward with message reuse so that
/// metastable branches (first-order transitions, hysteresis) show.
/// </summary>
public static class EntropyLandscape
{
    /// <summary>Solves the tilted ensemble at one x, warm-starting BP from <paramref name="warmStart"/>.</summary>
    /// <returns>The point and BP's result (its messages warm-start the next point).</returns>
    /// <remarks>
    /// With E_x(s) = E(s) − x Σ σ*_i s_i: q = Σ σ*_i m_i / N, d = (1−q)/2 (Eq. 7), s = (⟨E_x⟩ − F_x)/N (Eq. 8, β = 1),
    /// e = (⟨E_x⟩ + x N q)/N.
    /// </remarks>
    public static (LandscapePoint Point, BpResult Result) SolvePoint(IsingModel model, ReadOnlySpan<sbyte> reference, double x,
        BpOptions options, BpMessages? warmStart, CancellationToken ct = default) =>
        SolvePoint(model, reference, x, options, warmStart, null, ct);

    // As above, writing the messages into a spare N×N array of the caller (see BeliefPropagation.RunInto).
    internal static (LandscapePoint Point, BpResult Result) SolvePoint(IsingModel model, ReadOnlySpan<sbyte> reference, double x,
        BpOptions options, BpMessages? warmStart, double[]? spare, CancellationToken ct)
    {
        int n = model.Size;
        if (reference.Length != n) throw new ArgumentException($"reference has {reference.Length} spins, the model {n}");
        var fields = new double[n];
        for (int i = 0; i < n; i++) fields[i] = model.Fields[i] + x * reference[i];
        BpResult result = BeliefPropagation.RunInto(model.WithFields(fields), options, warmStart, spare, ct);
        return (ToPoint(x, reference, result, n), result);
    }

    internal static LandscapePoint ToPoint(double x, ReadOnlySpan<sbyte> reference, BpResult result, int n)
    {
        double overlap = 0;
        for (int i = 0; i < n; i++) overlap += reference[i] * result.Magnetisations[i];
        overlap /= n;
        return new LandscapePoint(x, overlap, 0.5 * (1 - overlap), result.Entropy / n, (result.Energy + x * n * overlap) / n,
            result.FreeEnergy / n, result.StopReason, result.Iterations, result.DampingUsed);
    }

    /// <summary>
    /// The warm start of the point at <paramref name="x"/>: the cavity fields extrapolated by the Lagrange polynomial
    /// through the last converged points of the sweep (<paramref name="history"/>, oldest first), else the last
    /// converged messages (or null).
    /// </summary>
    /// <remarks>
    /// With k points on a smooth branch spaced Δx apart, the start's error is O(Δx^k) instead of O(Δx) for the last
    /// point alone, which saves sweeps (BP converges linearly, so the sweeps needed grow with ln(error of the start /
    /// tolerance)). Only the start of BP changes, not its fixed point. All points lie on the branch being followed (the
    /// previous converged solutions of this sweep, with no failed point between them), so the extrapolation stays on
    /// the same metastable branch. It is used only going on in the same direction by at most one grid step, with
    /// steps that do not grow; otherwise fewer points (or the last alone) are used.
    /// The prediction is written into <paramref name="buffer"/> when given (BP copies its start, so one buffer
    /// serves a whole sweep: no 3.6 MB allocation per point at N = 675).
    /// </remarks>
    internal static BpMessages? Predict(IReadOnlyList<(double X, BpMessages Messages)> history, double x, double[]? buffer = null)
    {
        if (history.Count == 0) return null;
        var last = history[^1];
        // The longest usable tail of the history: same direction, equal or shrinking steps, x at most one step ahead.
        int count = 1;
        double ahead = x - last.X;
        while (count < history.Count)
        {
            var (newer, older) = (history[^count], history[^(count + 1)]);
            double step = newer.X - older.X;
            double reference = count == 1 ? ahead : history[^(count - 1)].X - newer.X;
            if (!(step * ahead > 0 && Math.Abs(reference) <= 1.000001 * Math.Abs(step)) || older.Messages.Size != last.Messages.Size) break;
            count++;
        }
        if (count == 1) return last.Messages;
        var nodes = new double[count];
        var sources = new double[count][];
        for (int a = 0; a < count; a++) (nodes[a], sources[a]) = (history[history.Count - count + a].X, history[history.Count - count + a].Messages.CavityFields);
        var weights = new double[count];
        for (int a = 0; a < count; a++)
        {
            double w = 1;
            for (int b = 0; b < count; b++)
                if (b != a) w *= (x - nodes[b]) / (nodes[a] - nodes[b]);
            weights[a] = w;
        }
        int size = last.Messages.CavityFields.Length;
        var g = buffer is { } buf && buf.Length == size ? buf : new double[size];
        int half = size / 2;
        Parallel.For(0, 2, part =>
        {
            int k0 = part == 0 ? 0 : half, k1 = part == 0 ? half : size;
            VectorMath.LinearCombination(sources, weights, g.AsSpan(k0, k1 - k0), k0);
        });
        return BpMessages.FromCavityFields(last.Messages.Size, g);
    }

    /// <summary>
    /// Sweeps x from XMin to XMax (forward), then back (backward), each point warm-started from the last converged
    /// messages, then detects d(x) jumps and the hysteresis loop. Non-converged points are kept and flagged.
    /// </summary>
    public static LandscapeSweep Sweep(string name, IsingModel model, sbyte[] reference, LandscapeSettings settings,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        settings.Validate();
        if (reference.Length != model.Size)
            throw new InputException($"reference: {reference.Length} spins but the {name} model has {model.Size}");
        var grid = settings.Grid();
        var options = settings.BpOptionsOrDefault;
        var forward = new List<LandscapePoint>(grid.Length);
        var backward = new List<LandscapePoint>(grid.Length);
        var history = new List<(double X, BpMessages Messages)>();
        var prediction = new double[model.Size * model.Size];
        double[]? spare = null;
        long done = 0, total = 2L * grid.Length;
        foreach (var (list, xs, direction) in new[] { (forward, grid, "forward"), (backward, grid.Reverse().ToArray(), "backward") })
        {
            foreach (double x in xs)
            {
                ct.ThrowIfCancellationRequested();
                var start = Predict(history, x, prediction);
                var (point, result) = SolvePoint(model, reference, x, options, start, spare, ct);
                list.Add(point);
                // Messages that leave the history are referenced by nothing else: the next point writes into them
                // (a fresh 3.6 MB array per point costs milliseconds of page faults at N = 675).
                spare = null;
                if (result.Converged)
                {
                    // A jump in d means the new point lies on another branch: extrapolate from it alone from here on.
                    if (list.Count > 1 && list[^2].Converged && Math.Abs(point.Distance - list[^2].Distance) > settings.MinimumJump)
                    {
                        spare = history.Count > 0 ? history[0].Messages.CavityFields : null;
                        history.Clear();
                    }
                    history.Add((x, result.Messages));
                    if (history.Count > settings.PredictorPoints)
                    {
                        spare = history[0].Messages.CavityFields;
                        history.RemoveAt(0);
                    }
                }
                else
                {
                    spare = result.Messages.CavityFields;
                    if (history.Count > 1) history.RemoveRange(0, history.Count - 1);   // restart the predictor from the last converged point
                }
                progress?.Report(new ProgressReport($"landscape {name}", ++done, total, "points",
                    $"{direction} x={x:F3} d={point.Distance:F4}{(point.Converged ? "" : " NOT CONVERGED")}"));
            }
        }
        var jumps = new List<DistanceJump>();
        jumps.AddRange(TransitionDetection.FindJumps("forward", forward.Select(p => p.X).ToArray(), forward.Select(p => p.Distance).ToArray(),
            forward.Select(p => p.Converged).ToArray(), settings.MinimumJump, settings.JumpFactor));
        jumps.AddRange(TransitionDetection.FindJumps("backward", backward.Select(p => p.X).ToArray(), backward.Select(p => p.Distance).ToArray(),
            backward.Select(p => p.Converged).ToArray(), settings.MinimumJump, settings.JumpFactor));
        var backAscending = backward.AsEnumerable().Reverse().ToArray();
        var loop = TransitionDetection.FindHysteresis(grid, forward.Select(p => p.Distance).ToArray(), backAscending.Select(p => p.Distance).ToArray(),
            grid.Select((_, k) => forward[k].Converged && backAscending[k].Converged).ToArray(), settings.HysteresisTolerance);
        double referenceEnergy = model.Energy(reference) / model.Size;
        return new LandscapeSweep(name, model.Size, settings, forward, backward, jumps, loop, referenceEnergy);
    }
}
