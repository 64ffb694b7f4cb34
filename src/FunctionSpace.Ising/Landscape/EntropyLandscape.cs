using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Landscape;

/// <summary>Settings of an entropy-landscape sweep in the coupling field x.</summary>
/// <param name="XMin">Smallest coupling field.</param>
/// <param name="XMax">Largest coupling field.</param>
/// <param name="Points">Points of the coarse grid, visited by both directions; the sweep adds points where d(x) moves
/// faster than <paramref name="DistanceStep"/> per grid step.</param>
/// <param name="Bp">Belief-propagation options of every point.</param>
/// <param name="DistanceStep">Largest |Δd| between neighbouring points: a larger step is refined (halved, or cut in
/// proportion to the step's |Δd|) down to <paramref name="XResolution"/>.</param>
/// <param name="XResolution">Smallest x step. A |Δd| above <paramref name="DistanceStep"/> that remains at this step is
/// a jump if the two branches are proven to coexist, else an unresolved steep step.</param>
/// <param name="MinimumJump">Smallest |Δd| of a proven jump called a first-order transition of the landscape; smaller
/// proven jumps are listed as small bistabilities.</param>
public sealed record LandscapeSettings(double XMin = LandscapeSettings.DefaultXMin, double XMax = LandscapeSettings.DefaultXMax,
    int Points = LandscapeSettings.DefaultPoints, BpOptions? Bp = null, double DistanceStep = LandscapeSettings.DefaultDistanceStep,
    double XResolution = LandscapeSettings.DefaultXResolution, double MinimumJump = LandscapeSettings.DefaultMinimumJump)
{
    /// <summary>Default lower end of the coupling field x: d(x) starts beyond the reference's mirror image (d ≈ 0.9).</summary>
    public const double DefaultXMin = -1;
    /// <summary>Default upper end of x: d below 0.001 around every reference of the study's and our models.</summary>
    public const double DefaultXMax = 4;
    /// <summary>Default coarse grid points per direction (the refinement adds points where d moves; see docs/landscape.md).</summary>
    public const int DefaultPoints = 60;
    /// <summary>Default largest change of d between neighbouring points before x is refined.</summary>
    public const double DefaultDistanceStep = 0.02;
    /// <summary>Default smallest x step of the refinement.</summary>
    public const double DefaultXResolution = 0.002;
    /// <summary>Default smallest proven jump in d called a first-order transition.</summary>
    public const double DefaultMinimumJump = 0.05;

    /// <summary>The BP options in use.</summary>
    /// <remarks>Default: undamped, tolerance 1e-9 — warm-started neighbouring points converge in few sweeps; BP escalates the damping where that fails.</remarks>
    public BpOptions BpOptionsOrDefault => Bp ?? DefaultBp;

    /// <summary>
    /// Two converged d at the same x further apart than this belong to two different BP fixed points (a quarter of the
    /// distance step). BP stops at a cavity-field change of 1e-9, so one fixed point reached from two starts differs by
    /// about 1e-9/(1 − λ) for its slowest contraction rate λ: far below this unless λ is within 1e-6 of 1.
    /// </summary>
    public double CoexistenceTolerance => DistanceStep / 4;

    /// <summary>Run the forward and backward directions at the same time (they are independent; each result is the same either way).</summary>
    public bool ParallelDirections { get; init; } = true;

    /// <summary>
    /// A damping attempt of a landscape point is given up (and the damping escalated) after this many sweeps without a new
    /// low of the largest change (<see cref="BpOptions.StallSweeps"/>).
    /// </summary>
    /// <remarks>Without the window a point where BP does not converge runs the 5,000-sweep cap at each damping. A
    /// converging iteration keeps setting new lows; one that cycles or wanders does not. On the over-para quick run's
    /// FULL and RB models (60 grid points over [−1, 4]) windows of 200, 100 and 50 sweeps fail at the same points
    /// (8 and 14) and the points' sweeps fall from 6,285 and 12,431 (200) to 3,885 and 6,018 (100); on the published
    /// models (121 points over [−3, 3]) 100 and 200 give the same jumps and failures, while 50 lost one point of the
    /// shallow model near x = 0.</remarks>
    public const int DefaultStallSweeps = 100;

    /// <summary>The stronger dampings a sweep's BP tries in turn where the undamped iteration fails.</summary>
    public static IReadOnlyList<double> DefaultEscalation { get; } = [0.5, 0.75, 0.9375];

    // (Declared before DefaultBp: static initialisers run in textual order.)
    /// <summary>The default BP options of a sweep.</summary>
    /// <remarks>Where the undamped iteration fails, damping ½ first: there it fails by an oscillating mode (λ ≤ −1),
    /// which ½ maps to (1 + λ)/2, and ½ runs in the exponential form (several times cheaper per sweep than 0.8). On the
    /// default run's FULL model (60 grid points) the schedule ½, ¾, 15/16 converged at every point with ½, in 26 % fewer
    /// sweeps and 39 % less CPU time than 0.8, 0.95, and the same findings.</remarks>
    public static BpOptions DefaultBp { get; } = new(Damping: 0, Tolerance: 1e-9) { StallSweeps = DefaultStallSweeps, Escalation = DefaultEscalation };


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
        if (!(DistanceStep > 0 && DistanceStep < 1)) throw new InputException($"--distance-step: {DistanceStep} is outside (0, 1)");
        if (!(XResolution > 0 && XResolution <= GridStep)) throw new InputException($"--x-resolution: {XResolution} must be positive and at most the grid step {GridStep:G4}");
        if (!(MinimumJump >= 0)) throw new InputException($"landscape minimum jump: {MinimumJump} must be ≥ 0");
    }

    /// <summary>The spacing of the coarse grid.</summary>
    public double GridStep => (XMax - XMin) / (Points - 1);

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
    StopReason StopReason, int Iterations, double DampingUsed)
{
    /// <summary>True when BP converged; the other figures of a non-converged point are unreliable.</summary>
    public bool Converged => StopReason == StopReason.Converged;

    /// <summary>s_max(d) − s: the gap to the upper bound.</summary>
    public double GapToBound => EntropyBound.MaxEntropy(Distance) - Entropy;
}

/// <summary>A forward + backward sweep of one model around one reference.</summary>
/// <param name="Name">Label of the curve (the part, e.g. "ITER").</param>
/// <param name="Size">Number of spins N of the model.</param>
/// <param name="Settings">The sweep settings.</param>
/// <param name="Forward">Points with x increasing (the coarse grid plus the points refinement added).</param>
/// <param name="Backward">Points with x decreasing (in sweep order).</param>
/// <param name="ProvenJumps">Every proven discontinuity of d(x), both directions, whatever its size.</param>
/// <param name="Loops">Every x-interval where two branches coexist between a backward and a forward jump.</param>
/// <param name="SteepStretches">Stretches of either direction that were refined because d(x) moved fast, with no jump.</param>
/// <param name="ReferenceEnergy">Model energy density of the reference, E(σ*)/N.</param>
public sealed record LandscapeSweep(string Name, int Size, LandscapeSettings Settings, IReadOnlyList<LandscapePoint> Forward,
    IReadOnlyList<LandscapePoint> Backward, IReadOnlyList<DistanceJump> ProvenJumps, IReadOnlyList<HysteresisLoop> Loops,
    IReadOnlyList<SteepStretch> SteepStretches, double ReferenceEnergy)
{
    /// <summary>BP solves run, both directions, including rejected trial steps and the solves that proved coexistence.</summary>
    public int BpSolves { get; init; }

    /// <summary>BP sweeps of all those solves (every damping attempt): the sweep's cost in units independent of the machine.</summary>
    public long BpSweeps { get; init; }

    /// <summary>
    /// x of the refinement probes (trial steps off the grid) where BP did not converge. They are not points of the
    /// sweep: the step was retried shorter or the change resolved between converged points; they are counted here.
    /// </summary>
    public IReadOnlyList<double> FailedProbes { get; init; } = [];

    /// <summary>The first-order transitions: proven jumps of at least <see cref="LandscapeSettings.MinimumJump"/> in d.</summary>
    public IReadOnlyList<DistanceJump> Jumps => ProvenJumps.Where(j => j.Size >= Settings.MinimumJump).ToArray();

    /// <summary>Proven jumps smaller than <see cref="LandscapeSettings.MinimumJump"/>: two nearby branches (a few spins flip together).</summary>
    public IReadOnlyList<DistanceJump> SmallBistabilities => ProvenJumps.Where(j => j.Size < Settings.MinimumJump).ToArray();

    /// <summary>The hysteresis loops of the first-order transitions.</summary>
    public IReadOnlyList<HysteresisLoop> Hysteresis => Loops.Where(l => l.JumpSize >= Settings.MinimumJump).ToArray();

    /// <summary>All points that failed to converge, both directions.</summary>
    public IEnumerable<LandscapePoint> FailedPoints => Forward.Concat(Backward).Where(p => !p.Converged);

    /// <summary>The largest s_max(d) − s over converged points of both directions with d ≤ 0.5 (NaN when there are none).</summary>
    /// <remarks>d ≤ 0.5: the configurations nearer the reference than a random one, the half of the landscape the
    /// liquid-or-constrained question is about (d &gt; 0.5 mirrors it around the reversed reference).</remarks>
    public double MaxGapToBound
    {
        get
        {
            var gaps = Forward.Concat(Backward).Where(p => p.Converged && p.Distance <= 0.5).Select(p => p.GapToBound).ToArray();
            return gaps.Length == 0 ? double.NaN : gaps.Max();
        }
    }

    /// <summary>The backward sweep reordered by ascending x.</summary>
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
    internal static BpMessages? Predict(IReadOnlyList<(double X, BpMessages Messages)> history, double x, double[]? buffer = null) =>
        Predict(history, x, 1.000001, buffer);

    // As above, a step allowed to be up to `maxStepGrowth` times the one before it.
    internal static BpMessages? Predict(IReadOnlyList<(double X, BpMessages Messages)> history, double x, double maxStepGrowth, double[]? buffer)
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
            if (!(step * ahead > 0 && Math.Abs(reference) <= maxStepGrowth * Math.Abs(step)) || older.Messages.Size != last.Messages.Size) break;
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
    /// Sweeps x from XMin to XMax (forward) and back (backward), each point warm-started from the branch being followed,
    /// refining x where d moves by more than <see cref="LandscapeSettings.DistanceStep"/> until the change is resolved or
    /// proven discontinuous; then pairs the jumps into hysteresis loops. Non-converged points are kept and flagged.
    /// </summary>
    /// <remarks>
    /// Adaptive continuation: from the last accepted point a trial step is solved; a step with |Δd| above the distance
    /// step is rejected and retried shorter (half, or in proportion to δ/|Δd|), down to the x resolution; accepted steps
    /// grow back by a factor 2 up to the grid step, and every coarse grid point is visited exactly, so both directions
    /// share it. A step still too large at the resolution is tested for two coexisting branches: BP at the last point's x
    /// warm-started from the new point's messages, then, if that found one branch only, up to four bisections solving the
    /// midpoint from both ends. Two converged d further apart than <see cref="LandscapeSettings.CoexistenceTolerance"/>
    /// at one x prove a discontinuity (Zou &amp; Huang's first-order transition of the tilted ensemble shows as such a
    /// pair of branches); otherwise the step is an unresolved part of a steep continuous stretch. A failed trial next to a
    /// converged point is retried once at half the step (a grid point tried again gets a longer stall window); a failed trial off the grid is not
    /// kept as a point (<see cref="LandscapeSweep.FailedProbes"/>), a failed grid point is. Where d moves by more than the
    /// distance step across failed x (at most two grid steps), the interval is bisected from both converged ends and
    /// tested for coexistence the same way.
    /// </remarks>
    public static LandscapeSweep Sweep(string name, IsingModel model, sbyte[] reference, LandscapeSettings settings,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        settings.Validate();
        if (reference.Length != model.Size)
            throw new InputException($"reference: {reference.Length} spins but the {name} model has {model.Size}");
        var grid = settings.Grid();
        long done = 0, total = 2L * grid.Length;
        void Report(string direction, LandscapePoint point) =>
            progress?.Report(new ProgressReport($"landscape {name}", Interlocked.Increment(ref done), total, "grid points",
                $"{direction} x={point.X:F3} d={point.Distance:F4}{(point.Converged ? "" : " NOT CONVERGED")}"));
        var forward = new BranchFollower(model, reference, settings, "forward", Report, ct);
        var backward = new BranchFollower(model, reference, settings, "backward", Report, ct);
        if (settings.ParallelDirections)
        {
            try { Parallel.Invoke(new ParallelOptions { CancellationToken = ct }, () => forward.Run(grid), () => backward.Run(grid.Reverse().ToArray())); }
            catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
        }
        else
        {
            forward.Run(grid);
            backward.Run(grid.Reverse().ToArray());
        }
        var jumps = forward.Jumps.Concat(backward.Jumps).ToArray();
        static (double, double, bool)[] Curve(List<LandscapePoint> points) => points.Select(p => (p.X, p.Distance, p.Converged)).ToArray();
        var loops = TransitionDetection.Loops(forward.Jumps, backward.Jumps, Curve(forward.Points), Curve(backward.Points),
            settings.XMin, settings.XMax, settings.CoexistenceTolerance);
        double referenceEnergy = model.Energy(reference) / model.Size;
        return new LandscapeSweep(name, model.Size, settings, forward.Points, backward.Points, jumps, loops,
            forward.Steep.Concat(backward.Steep).ToArray(), referenceEnergy)
        {
            BpSolves = forward.Solves + backward.Solves,
            BpSweeps = forward.Sweeps + backward.Sweeps,
            FailedProbes = forward.FailedProbes.Concat(backward.FailedProbes).Order().ToArray(),
        };
    }

    /// <summary>One sweep to run: the curve's name, the model and the reference (sliced to the model's spins).</summary>
    /// <param name="Name">Label of the curve (the part).</param>
    /// <param name="Model">The model.</param>
    /// <param name="Reference">The reference configuration, N spins.</param>
    public sealed record SweepJob(string Name, IsingModel Model, sbyte[] Reference);

    /// <summary>
    /// Runs <see cref="Sweep"/> for every job, as many at once as there are cores (each with its two directions at once
    /// when <see cref="LandscapeSettings.ParallelDirections"/>); the results, in job order, are those of running them one
    /// by one. Progress is reported as one stage, <paramref name="stage"/>, counting grid points over all jobs.
    /// </summary>
    public static IReadOnlyList<LandscapeSweep> SweepAll(IReadOnlyList<SweepJob> jobs, LandscapeSettings settings, string stage,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        settings.Validate();
        var results = new LandscapeSweep[jobs.Count];
        long done = 0, total = 2L * settings.Points * jobs.Count;
        // Each sweep reports per grid point; the jobs together make one stage with one count.
        var combined = progress == null ? null : new CallbackProgress(r =>
        {
            if (r.Unit == "grid points") progress.Report(new ProgressReport(stage, Interlocked.Increment(ref done), total, "grid points", $"{r.Stage}: {r.Detail}"));
        });
        try
        {
            Parallel.For(0, jobs.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct },
                k => results[k] = Sweep(jobs[k].Name, jobs[k].Model, jobs[k].Reference, settings, combined, ct));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return results;
    }

    // Forwards reports to a delegate on the reporting thread (Progress<T> would post them to a synchronisation context).
    private sealed class CallbackProgress(Action<ProgressReport> report) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport value) => report(value);
    }

    // One direction of a sweep: adaptive continuation of the branch through the grid (see Sweep).
    private sealed class BranchFollower(IsingModel model, sbyte[] reference, LandscapeSettings settings, string direction,
        Action<string, LandscapePoint> report, CancellationToken ct)
    {
        private readonly BpOptions _options = settings.BpOptionsOrDefault;
        // A grid point tried again after a failure next to a converged point (typically just past a spinodal, where the
        // iteration crawls past the lost branch for a while before it settles on the other) gets a stall window four
        // times longer: a grid point is kept, so worth the sweeps; a refinement probe is not.
        private readonly BpOptions _patient = settings.BpOptionsOrDefault with { StallSweeps = 4 * settings.BpOptionsOrDefault.StallSweeps };
        // Converged points of the branch being followed (oldest first), for the warm-start predictor.
        private readonly List<(double X, BpMessages Messages)> _history = [];
        // N×N message arrays no longer referenced by anything: BP writes the next result into one of them (a fresh
        // 3.6 MB array per point costs milliseconds of page faults at N = 675).
        private readonly Stack<double[]> _free = new();
        private readonly double[] _prediction = new double[model.Size * model.Size];
        private SteepBuilder? _stretch;
        private double _sign;

        public readonly List<LandscapePoint> Points = [];
        public readonly List<DistanceJump> Jumps = [];
        public readonly List<SteepStretch> Steep = [];
        public readonly List<double> FailedProbes = [];
        public int Solves;
        public long Sweeps;

        public void Run(double[] grid)
        {
            double coarse = Math.Abs(grid[1] - grid[0]);
            double resolution = settings.XResolution, delta = settings.DistanceStep;
            // Refinement is a safety net, not a grid: past this many extra solves steps are accepted as they come.
            int budget = 20 * grid.Length;
            bool Affordable() => Solves - Points.Count < budget;
            _sign = grid[1] > grid[0] ? 1 : -1;
            var (first, firstResult) = Solve(grid[0], null);
            Accept(first, firstResult);
            report(direction, first);
            var current = first;
            // The last converged point and its index in Points (the branch's end when BP fails after it).
            var (lastGood, lastGoodIndex) = first.Converged ? (first, 0) : ((LandscapePoint?)null, -1);
            double step = coarse;
            int target = 1;
            // retried: the last trial failed and the step was halved; bypass: go to the grid point without refining.
            bool retried = false, bypass = false;
            while (target < grid.Length)
            {
                ct.ThrowIfCancellationRequested();
                double goal = grid[target];
                double remaining = Math.Abs(goal - current.X);
                double h = bypass ? remaining : Math.Min(step, remaining);
                if (remaining - h < 0.5 * resolution) h = remaining;   // no sliver of a step before the grid point
                double x = h == remaining ? goal : current.X + _sign * h;
                var (trial, result) = Solve(x, Predict(_history, x, 2.000001, _prediction), patient: x == goal && current.Converged && (retried || bypass), onPath: true,
                    probe: x != goal);
                if (!trial.Converged && current.Converged && !bypass && Affordable())
                {
                    // BP may fail from a start too far from the fixed point (near a spinodal its basin shrinks, and just
                    // past it the iteration crawls by the ghost of the lost branch): one retry at half the step. A probe
                    // off the grid that fails is not kept as a point (it is counted); after a second failure the sweep
                    // goes straight to the grid point and resolves the change between the converged ends afterwards.
                    Release(result);
                    if (x != goal) FailedProbes.Add(x);
                    if (!retried && h > resolution * (1 + 1e-9)) { retried = true; step = Math.Max(resolution, 0.5 * h); }
                    else bypass = true;
                    continue;
                }
                double change = Math.Abs(trial.Distance - current.Distance);
                bool refine = current.Converged && trial.Converged && !bypass && Affordable();
                if (refine && change > delta && h > resolution * (1 + 1e-9))
                {
                    // Too large a step: retry a shorter one from the same point.
                    Release(result);
                    _stretch ??= new SteepBuilder(current);
                    step = Math.Max(resolution, Math.Min(0.5 * h, 0.8 * h * delta / change));
                    continue;
                }
                if (refine && change > delta)
                {
                    var jump = ProveCoexistence(current, _history[^1].Messages, trial, result.Messages);
                    if (jump != null) NewBranch(jump);
                    else (_stretch ??= new SteepBuilder(current)).Unresolved++;
                }
                else if ((!current.Converged || bypass) && trial.Converged && lastGood != null && Affordable()
                         && Math.Abs(trial.Distance - lastGood.Distance) > delta && Math.Abs(trial.X - lastGood.X) <= 2.001 * coarse)
                {
                    // d moved across x where BP failed: locate the change between the last converged point and this one.
                    var found = new List<LandscapePoint>();
                    var jump = ResolveAcrossFailures(lastGood, _history[^1].Messages, trial, result.Messages, found);
                    if (found.Count > 0)
                    {
                        Points.AddRange(found);
                        Points.Sort(lastGoodIndex + 1, Points.Count - lastGoodIndex - 1, Comparer<LandscapePoint>.Create((a, b) => (_sign * a.X).CompareTo(_sign * b.X)));
                    }
                    if (jump != null) NewBranch(jump);
                }
                retried = false;
                bypass = false;
                Accept(trial, result);
                if (trial.Converged) (lastGood, lastGoodIndex) = (trial, Points.Count - 1);
                if (trial.Converged && _stretch != null) _stretch.Extend(trial, h);
                step = trial.Converged ? Math.Min(coarse, 2 * h) : coarse;
                if (step >= coarse) CloseStretch();
                current = trial;
                if (x == goal)
                {
                    target++;
                    report(direction, trial);
                }
            }
            CloseStretch();
            Release(null);
        }

        // A proven jump: the point after it starts a new branch (the predictor must not mix the two).
        private void NewBranch(DistanceJump jump)
        {
            CloseStretch();
            Jumps.Add(jump);
            ReleaseHistory(keep: 0);
        }

        // Between the last converged point before a run of failed points and the first converged one after it, with
        // |Δd| above the distance step: bisect, continuing the left branch into each midpoint (or, where that fails, the
        // right one), so the ends close in on where d changes; the midpoints reached from the left are points of this
        // sweep and go to `found`. Then test the final bracket for two coexisting branches. Null when d turns out to
        // change by at most the distance step per bracket, or the branches are not proven to coexist.
        private DistanceJump? ResolveAcrossFailures(LandscapePoint left, BpMessages leftMessages, LandscapePoint right, BpMessages rightMessages,
            List<LandscapePoint> found)
        {
            var owned = new List<BpResult>();
            try
            {
                for (int k = 0; k < 16 && Math.Abs(right.X - left.X) > settings.XResolution * (1 + 1e-9); k++)
                {
                    double x = 0.5 * (left.X + right.X);
                    var (middle, result) = Solve(x, leftMessages);
                    owned.Add(result);
                    if (middle.Converged) found.Add(middle);
                    else
                    {
                        (middle, result) = Solve(x, rightMessages);
                        owned.Add(result);
                        if (!middle.Converged) break;
                    }
                    if (Math.Abs(middle.Distance - left.Distance) <= Math.Abs(middle.Distance - right.Distance)) (left, leftMessages) = (middle, result.Messages);
                    else (right, rightMessages) = (middle, result.Messages);
                    if (Math.Abs(right.Distance - left.Distance) <= settings.DistanceStep) return null;
                }
                return ProveCoexistence(left, leftMessages, right, rightMessages);
            }
            finally
            {
                foreach (var r in owned) Release(r);
            }
        }

        private void CloseStretch()
        {
            if (_stretch is { } s && s.Steps > 0 && Math.Abs(s.Last.Distance - s.First.Distance) > settings.DistanceStep)
                Steep.Add(new SteepStretch(direction, s.First.X, s.Last.X, s.First.Distance, s.Last.Distance, s.SmallestStep, s.Unresolved));
            _stretch = null;
        }

        // A step along the branch (onPath) starts at the damping that converged the step before, when that was stronger
        // than the settings': BP's instability is a property of the region of x, so the next step would fail the same way
        // and pay a whole stall window first. Near the edges of such a region the undamped iteration still converges, but
        // its slowest mode is λ ≈ −1 (an oscillation about to grow), which damping ½ maps to (1 + λ)/2 ≈ 0: hundreds of
        // sweeps become tens. Every StickyRun-th step along the branch tries the settings' damping again. The damping only
        // changes the path to a fixed point, not the fixed point (a fixed point of the damped map is one of BP's).
        private (LandscapePoint Point, BpResult Result) Solve(double x, BpMessages? start, bool patient = false, bool onPath = false, bool probe = false)
        {
            Solves++;
            var options = patient ? _patient : _options;
            // A refinement probe off the grid that fails is dropped and retried at half the step: it gets the first
            // escalation only, not the slow strong dampings a kept point may need.
            if (probe && options.EscalationOrDefault.Count > 1) options = options with { Escalation = [options.EscalationOrDefault[0]] };
            if (onPath && _stickyDamping > options.Damping) options = options with { Damping = _stickyDamping };
            var solved = SolvePoint(model, reference, x, options, start, _free.Count > 0 ? _free.Pop() : null, ct);
            Sweeps += solved.Result.Iterations;
            if (onPath && solved.Point.Converged)
            {
                bool damped = solved.Result.DampingUsed > _options.Damping;
                _stickyRun = damped ? _stickyRun + 1 : 0;
                _stickyDamping = damped && _stickyRun < StickyRun ? solved.Result.DampingUsed : _options.Damping;
                if (_stickyRun >= StickyRun) _stickyRun = 0;
            }
            return solved;
        }

        // Steps along the branch at a stronger damping before the settings' damping is tried again.
        private const int StickyRun = 4;
        private double _stickyDamping = settings.BpOptionsOrDefault.Damping;
        private int _stickyRun;

        // Adds a point to the sweep; a converged one joins the history of its branch, a failed one restarts the
        // predictor from the last converged point (its messages are not a branch's).
        private void Accept(LandscapePoint point, BpResult result)
        {
            Points.Add(point);
            if (point.Converged)
            {
                _history.Add((point.X, result.Messages));
                if (_history.Count > settings.PredictorPoints)
                {
                    _free.Push(_history[0].Messages.CavityFields);
                    _history.RemoveAt(0);
                }
            }
            else
            {
                Release(result);
                ReleaseHistory(keep: 1);
            }
        }

        // Drops all but the newest `keep` history entries (their arrays are free for reuse).
        private void ReleaseHistory(int keep)
        {
            int drop = Math.Max(0, _history.Count - keep);
            for (int k = 0; k < drop; k++) _free.Push(_history[k].Messages.CavityFields);
            _history.RemoveRange(0, drop);
        }

        private void Release(BpResult? result)
        {
            if (result != null) _free.Push(result.Messages.CavityFields);
            while (_free.Count > 4) _free.Pop();   // keep a few spares, let the rest go
        }

        // `before` is the end of the branch being followed (with its messages), `after` a point beyond it on the other
        // side of a change of d larger than the distance step. Two converged d at one x further apart than the
        // coexistence tolerance prove two branches: first at before's x, solved from after's messages; then at up to
        // four bisection midpoints, each solved from both ends' messages. Null when only one branch was found.
        private DistanceJump? ProveCoexistence(LandscapePoint before, BpMessages beforeMessages, LandscapePoint after, BpMessages afterMessages)
        {
            double tolerance = settings.CoexistenceTolerance;
            var owned = new List<BpResult>();
            DistanceJump Jump(double x, double ending, double other) =>
                new(direction, before.X, after.X, before.Distance, after.Distance, x, ending, other);
            try
            {
                var (back, backResult) = Solve(before.X, afterMessages);
                owned.Add(backResult);
                if (back.Converged && Math.Abs(back.Distance - before.Distance) > tolerance) return Jump(before.X, before.Distance, back.Distance);
                var (left, leftMessages) = (before, beforeMessages);
                var (right, rightMessages) = (after, afterMessages);
                for (int k = 0; k < 4; k++)
                {
                    double x = 0.5 * (left.X + right.X);
                    var (fromLeft, l) = Solve(x, leftMessages);
                    owned.Add(l);
                    var (fromRight, r) = Solve(x, rightMessages);
                    owned.Add(r);
                    if (fromLeft.Converged && fromRight.Converged && Math.Abs(fromLeft.Distance - fromRight.Distance) > tolerance)
                        return Jump(x, fromLeft.Distance, fromRight.Distance);
                    var (middle, messages) = fromLeft.Converged ? (fromLeft, l.Messages) : fromRight.Converged ? (fromRight, r.Messages) : (null, null);
                    if (middle == null) return null;
                    if (Math.Abs(middle.Distance - left.Distance) <= Math.Abs(middle.Distance - right.Distance)) (left, leftMessages) = (middle, messages!);
                    else (right, rightMessages) = (middle, messages!);
                }
                return null;
            }
            finally
            {
                foreach (var r in owned) Release(r);
            }
        }
    }

    // The steps of a steep stretch as they are accepted.
    private sealed class SteepBuilder(LandscapePoint first)
    {
        public LandscapePoint First { get; } = first;
        public LandscapePoint Last { get; private set; } = first;
        public double SmallestStep { get; private set; } = double.PositiveInfinity;
        public int Steps { get; private set; }
        public int Unresolved;

        public void Extend(LandscapePoint point, double step)
        {
            Last = point;
            SmallestStep = Math.Min(SmallestStep, step);
            Steps++;
        }
    }
}
