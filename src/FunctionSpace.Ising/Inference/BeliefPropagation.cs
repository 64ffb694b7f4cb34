using System.Diagnostics;
using System.Runtime.Intrinsics;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inference;

/// <summary>Settings of belief propagation.</summary>
/// <param name="Damping">Weight of the old message in g ← d·g_old + (1−d)·g_new, in [0, 1).</param>
/// <param name="Tolerance">Converged when the largest undamped change of a cavity field is below this.</param>
/// <param name="MaxIterations">Sweep cap per damping attempt.</param>
/// <param name="EscalateDamping">On non-convergence retry from the same start with stronger damping (<see cref="BpOptions.Escalation"/>), then report failure.</param>
public sealed record BpOptions(double Damping = 0.5, double Tolerance = 1e-10, int MaxIterations = 5000,
    bool EscalateDamping = true)
{
    /// <summary>
    /// History length of Anderson acceleration of the message iteration (0 = plain damped iteration). Near a
    /// critical point BP's slowest mode decays like λ^t with λ close to 1; Anderson mixing (Walker &amp; Ni 2011)
    /// removes it in a few extra sweeps. The fixed point is the same; only the path to it changes.
    /// </summary>
    /// <remarks>Off by default: it pays on near-critical models (the published fits: ~4x fewer sweeps) but not on
    /// fast-converging ones, where its extra vector passes cost more than they save.</remarks>
    public int AndersonDepth { get; init; } = 0;

    /// <summary>
    /// Run undamped sweeps, and sweeps at the dampings 1 − 2^{−k} (½, ¾, ⅞, 15/16), in exponential variables (e^{2u},
    /// e^{−2g}: a division per message, and k square roots when damped, instead of an exp, a log and a division). The same
    /// iteration and fixed point; other dampings, and false, run the additive form (kept for comparison).
    /// </summary>
    public bool ExponentialForm { get; init; } = true;

    /// <summary>
    /// Give up a damping attempt (and escalate) when the largest change has not reached a new low for this many
    /// sweeps (0 = never: run to the cap). A convergent iteration keeps setting new lows, within about
    /// ln(κ)/ln(1/ρ) sweeps for spectral radius ρ and eigenbasis condition κ; an oscillating or wandering one does not.
    /// </summary>
    /// <remarks>Off by default. Boltzmann learning turns it on: there BP at the start damping can stop converging as
    /// the model moves, and running to the 5,000-sweep cap before escalating cost seconds per step.</remarks>
    public int StallSweeps { get; init; } = 0;

    /// <summary>
    /// The stronger dampings tried in turn after a failed attempt (those above <see cref="Damping"/>), when
    /// <see cref="EscalateDamping"/>. Null: 0.8, then 0.95.
    /// </summary>
    /// <remarks>The dampings 1 − 2^{−k} (½, ¾, ⅞, 15/16) run in the exponential form, several times cheaper per sweep than
    /// the additive form the others need.</remarks>
    public IReadOnlyList<double>? Escalation { get; init; }

    /// <summary>The escalation schedule in effect.</summary>
    public IReadOnlyList<double> EscalationOrDefault => Escalation ?? DefaultEscalation;

    private static readonly double[] DefaultEscalation = [0.8, 0.95];

    /// <summary>Checks the settings; a bad value gives a one-line <see cref="InputException"/>.</summary>
    public void Validate()
    {
        if (!(Damping >= 0 && Damping < 1)) throw new InputException($"bp damping: {Damping} is outside [0, 1)");
        if (!(Tolerance > 0)) throw new InputException($"bp tolerance: {Tolerance} must be positive");
        if (MaxIterations < 1) throw new InputException($"bp max iterations: {MaxIterations} must be at least 1");
        if (StallSweeps < 0) throw new InputException($"bp stall sweeps: {StallSweeps} must be ≥ 0");
        if (AndersonDepth < 0 || AndersonDepth > 20) throw new InputException($"bp anderson depth: {AndersonDepth} is outside 0..20");
        if (Escalation != null && Escalation.Any(d => !(d > 0 && d < 1)))
            throw new InputException($"bp escalation: the dampings {string.Join(", ", Escalation)} must each lie in (0, 1)");
    }
}

/// <summary>
/// BP messages: the cavity magnetisations m_{i→j} = tanh g_{i→j} of a dense model, stored as cavity fields
/// g_{i→j} (N×N row-major, sender i in the row) so saturated spins keep their precision. Reuse them as the
/// warm start of the next run on a nearby model.
/// </summary>
public sealed class BpMessages
{
    internal BpMessages(int size, double[] cavityFields)
    {
        Size = size;
        CavityFields = cavityFields;
    }

    /// <summary>Number of spins N.</summary>
    public int Size { get; }

    /// <summary>g_{i→j}, N×N row-major; m_{i→j} = tanh g_{i→j}.</summary>
    internal double[] CavityFields { get; }

    /// <summary>The cavity magnetisation m_{i→j}: ⟨s_i⟩ with the coupling to j removed.</summary>
    public double CavityMagnetisation(int i, int j) => Math.Tanh(CavityFields[i * Size + j]);

    /// <summary>Messages from given cavity fields g_{i→j} (N×N row-major, taken over, not copied).</summary>
    internal static BpMessages FromCavityFields(int size, double[] cavityFields) => new(size, cavityFields);

    /// <summary>An independent copy.</summary>
    public BpMessages Clone() => new(Size, (double[])CavityFields.Clone());

    /// <summary>The uncoupled start m_{i→j} = tanh h_i (the J = 0 fixed point).</summary>
    public static BpMessages Uncoupled(IsingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = model.Size;
        var g = new double[n * n];
        for (int i = 0; i < n; i++) g.AsSpan(i * n, n).Fill(model.Fields[i]);
        return new BpMessages(n, g);
    }

    /// <summary>Every message m_{i→j} = m_i for given magnetisations |m_i| &lt; 1 (e.g. a reference configuration ±0.9).</summary>
    public static BpMessages FromMagnetisations(IReadOnlyList<double> magnetisations)
    {
        int n = magnetisations.Count;
        var g = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            double m = magnetisations[i];
            if (!(Math.Abs(m) < 1)) throw new InputException($"bp start: m[{i}] = {m} is not inside (-1, 1)");
            g.AsSpan(i * n, n).Fill(Math.Atanh(m));
        }
        return new BpMessages(n, g);
    }

    /// <summary>Random cavity magnetisations uniform in (−scale, scale), from a generator started at <paramref name="seed"/>.</summary>
    public static BpMessages Random(int size, ulong seed, double scale = 0.5)
    {
        var random = new Randomness.SplitMix64(seed);
        if (!(scale > 0 && scale < 1)) throw new InputException($"bp start: scale {scale} is not inside (0, 1)");
        var g = new double[size * size];
        for (int k = 0; k < g.Length; k++) g[k] = Math.Atanh((2 * random.NextDouble() - 1) * scale);
        return new BpMessages(size, g);
    }
}

/// <summary>Outcome of a BP run: why it stopped, the fixed point and the Bethe thermodynamics.</summary>
/// <param name="StopReason">Converged (the largest message change fell below the tolerance), the sweep cap at every damping tried, stalled (no new low of the change for <see cref="BpOptions.StallSweeps"/> sweeps at every damping) or diverged (non-finite messages).</param>
/// <param name="Iterations">Sweeps run, summed over all damping attempts.</param>
/// <param name="MaxChange">Largest undamped cavity-field change of the last sweep.</param>
/// <param name="DampingUsed">Damping of the last attempt.</param>
/// <param name="Messages">Final messages; pass as warm start to the next call.</param>
/// <param name="Magnetisations">m_i = tanh(h_i + Σ_k u_{k→i}).</param>
/// <param name="FreeEnergy">F = −ln Z_Bethe (NaN, as Energy and Entropy, when only the moments were asked for).</param>
/// <param name="Energy">⟨E⟩ = −Σ h_i m_i − Σ_{i&lt;j} J_ij ⟨s_i s_j⟩ from node and edge beliefs.</param>
/// <param name="Entropy">S = Energy − FreeEnergy (β = 1).</param>
public sealed record BpResult(
    StopReason StopReason, int Iterations, double MaxChange, double DampingUsed,
    BpMessages Messages, double[] Magnetisations, double FreeEnergy, double Energy, double Entropy)
{
    /// <summary>True when the run reached the tolerance.</summary>
    public bool Converged => StopReason == StopReason.Converged;

    /// <summary>
    /// Wall time spent in the message sweeps (all damping attempts); the rest of the run is the setup (tanh J, the
    /// copy of the start) and the final pass (magnetisations, Bethe free energy and energy, pair moments if asked).
    /// </summary>
    public TimeSpan SweepTime { get; init; }

    /// <summary>One line: stop reason, sweeps, damping and last change.</summary>
    public string Describe() =>
        $"BP {StopReason.ToString().ToLowerInvariant()} after {Iterations} sweeps (damping {DampingUsed}, max change {MaxChange:G3})";
}

/// <summary>BP failed to converge at every damping tried; the message says how it stopped.</summary>
public sealed class BpConvergenceException(BpResult result)
    : Exception($"belief propagation did not converge: {result.Describe()}")
{
    /// <summary>The failed run.</summary>
    public BpResult Result { get; } = result;
}

/// <summary>
/// Belief propagation (the cavity method) on a dense Ising model.
/// </summary>
/// <remarks>
/// Zou &amp; Huang, PRR 3, 033290, Appendix C. Messages are cavity magnetisations m_{i→j} = tanh g_{i→j};
/// u_{k→i} = atanh(tanh J_ki · m_{k→i}); with the cavity-sum trick H_i = h_i + Σ_k u_{k→i} and
/// g_{i→j} = H_i − u_{j→i}, a synchronous sweep costs O(N²). Rows are processed in parallel and each row
/// with SIMD exp/log. The Bethe free energy is
/// −F = Σ_i ln 2cosh H_i + Σ_{i&lt;j} ½ ln[(1−t²m_{i→j}²)(1−t²m_{j→i}²) / ((1−t²)(1+t m_{i→j} m_{j→i})²)], t = tanh J_ij
/// (the site and edge free-energy shifts, with ln cosh J = −½ ln(1−t²)); it is exact on trees.
/// </remarks>
public static partial class BeliefPropagation
{
    /// <summary>
    /// Dense-model BP (Zou &amp; Huang App. C): u_{k→i} = atanh(tanh J_ki · m_{k→i}),
    /// m_{i→j} = tanh(h_i + Σ_{k≠j} u_{k→i}); O(N²)/sweep via cavity sums. Starts from
    /// <paramref name="warmStart"/> (copied, not modified) or from the uncoupled messages.
    /// </summary>
    public static BpResult Run(IsingModel model, BpOptions options, BpMessages? warmStart = null, CancellationToken ct = default) =>
        RunCore(model, options, warmStart, withPairs: false, ct).Result;

    /// <summary>
    /// <see cref="Run"/>, writing the new messages into <paramref name="messageBuffer"/> when given (N×N, owned by the
    /// caller, referenced by nothing else, not the warm start's; a buffer of another size is ignored): a sweep over many
    /// points then touches no fresh N×N memory.
    /// </summary>
    internal static BpResult RunInto(IsingModel model, BpOptions options, BpMessages? warmStart, double[]? messageBuffer,
        CancellationToken ct = default) =>
        RunCore(model, options, warmStart, withPairs: false, ct, messageBuffer).Result;

    /// <summary>
    /// <see cref="Run"/> and the moments of its fixed point in one final pass: the pair moments
    /// ⟨s_i s_j⟩ = (t_ij + m_{i→j} m_{j→i}) / (1 + t_ij m_{i→j} m_{j→i}) come from the same cavity magnetisations as
    /// the Bethe energy (what <see cref="Moments"/> would recompute from the messages). One Boltzmann-learning step's
    /// inference. The moments are those of the last messages whether or not the run converged.
    /// </summary>
    public static (BpResult Result, Moments Moments) RunWithMoments(IsingModel model, BpOptions options, BpMessages? warmStart = null,
        CancellationToken ct = default) => Always(RunWithMomentsInto(model, options, warmStart, null, null, ct));

    /// <summary>
    /// As the overload above, reusing the arrays of <paramref name="recycledMessages"/> and <paramref name="recycledMoments"/>
    /// (earlier results the caller no longer reads; they are overwritten, so nothing may use them afterwards) for the new
    /// messages and pair moments: a loop of evaluations then touches no fresh N×N memory (3.6 MB at N = 675, whose page
    /// faults cost milliseconds per array). Either may be null; the warm start itself is never overwritten.
    /// </summary>
    public static (BpResult Result, Moments Moments) RunWithMoments(IsingModel model, BpOptions options, BpMessages? warmStart,
        BpMessages? recycledMessages, Moments? recycledMoments, CancellationToken ct = default) =>
        Always(RunWithMomentsInto(model, options, warmStart, recycledMessages?.CavityFields, recycledMoments?.SecondMoments, ct));

    // Without onlyIfConverged every run has its moments.
    private static (BpResult Result, Moments Moments) Always((BpResult Result, Moments? Moments) run) => (run.Result, run.Moments!);

    /// <summary>
    /// As <see cref="RunWithMoments(IsingModel, BpOptions, BpMessages?, CancellationToken)"/>, writing the new messages into
    /// <paramref name="messageBuffer"/> and the pair moments into <paramref name="pairBuffer"/> when given (N×N, owned by
    /// the caller and referenced by nothing else; a buffer of another size is ignored). Without
    /// <paramref name="thermodynamics"/> the Bethe free energy, energy and entropy of the result are NaN (a learning step
    /// reads only the moments, and the free energy's edge terms cost a logarithm per edge). With
    /// <paramref name="onlyIfConverged"/> a run that did not converge returns null moments and leaves
    /// <paramref name="pairBuffer"/> unwritten: the learning estimators discard a failed step's moments, and its N² pair
    /// pass was 1–2 ms of a budget-capped step at N = 675.
    /// </summary>
    internal static (BpResult Result, Moments? Moments) RunWithMomentsInto(IsingModel model, BpOptions options, BpMessages? warmStart,
        double[]? messageBuffer, double[]? pairBuffer, CancellationToken ct, bool thermodynamics = true, bool onlyIfConverged = false)
    {
        var (result, pairs) = RunCore(model, options, warmStart, withPairs: true, ct, messageBuffer, pairBuffer, thermodynamics,
            pairsOnlyIfConverged: onlyIfConverged);
        return (result, pairs == null ? null : new Moments((double[])result.Magnetisations.Clone(), pairs));
    }

    private static (BpResult Result, double[]? Pairs) RunCore(IsingModel model, BpOptions options, BpMessages? warmStart, bool withPairs,
        CancellationToken ct, double[]? messageBuffer = null, double[]? pairBuffer = null, bool thermodynamics = true,
        bool pairsOnlyIfConverged = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int n = model.Size;
        if (warmStart != null && warmStart.Size != n)
            throw new ArgumentException($"warm start has {warmStart.Size} spins, the model {n}", nameof(warmStart));
        var start = warmStart ?? BpMessages.Uncoupled(model);
        var workspace = Workspace.Rent(n);
        TanhCouplings(model.Couplings, workspace.T, n);

        var dampings = new List<double> { options.Damping };
        if (options.EscalateDamping) dampings.AddRange(options.EscalationOrDefault.Where(d => d > options.Damping));

        int totalIterations = 0;
        StopReason reason = StopReason.IterationCap;
        double change = double.NaN, damping = options.Damping;
        // Every entry is overwritten by the start below: no need to zero the new messages (3.6 MB at N = 675).
        double[] g = messageBuffer is { } buffer && buffer.Length == n * n && buffer != start.CavityFields
            ? buffer : GC.AllocateUninitializedArray<double>(n * n);
        long sweepTicks = 0;
        foreach (double d in dampings)
        {
            damping = d;
            workspace.FinalStateReady = false;
            start.CavityFields.AsSpan().CopyTo(g);
            long sweepStart = Stopwatch.GetTimestamp();
            (reason, int iterations, change) = options.AndersonDepth > 0
                ? IterateAccelerated(model, g, workspace, d, options, ct)
                : (options.ExponentialForm ? IterateExponential(model, g, workspace, d, options, ct) : null) ?? Iterate(model, g, workspace, d, options, ct);
            sweepTicks += Stopwatch.GetTimestamp() - sweepStart;
            totalIterations += iterations;
            if (reason == StopReason.Converged) break;
        }
        if (pairsOnlyIfConverged && reason != StopReason.Converged) withPairs = false;
        return Finish(model, new BpMessages(n, g), workspace, reason, totalIterations, change, damping,
            withPairs ? pairBuffer is { } p && p.Length == n * n && p != g ? p : GC.AllocateUninitializedArray<double>(n * n) : null,
            Stopwatch.GetElapsedTime(0, sweepTicks), thermodynamics);
    }

    /// <summary>
    /// ⟨s_i s_j⟩ = (t_ij + m_{i→j} m_{j→i}) / (1 + t_ij m_{i→j} m_{j→i}), t = tanh J; diagonal 1.
    /// <paramref name="model"/> must be the model <paramref name="result"/> was computed for.
    /// </summary>
    public static Moments Moments(IsingModel model, BpResult result)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(result);
        if (model.Size != result.Magnetisations.Length)
            throw new ArgumentException($"BP result of {result.Magnetisations.Length} spins used with a model of {model.Size}");
        return new Moments((double[])result.Magnetisations.Clone(), PairMoments(model, result.Messages));
    }

    private sealed class Workspace(int n)
    {
        // One workspace per thread, reused while N stays the same: a learning loop or an x-sweep then allocates
        // only the new messages and pair moments per call (the N×N scratch arrays are megabytes at N = 675).
        [ThreadStatic] private static Workspace? _cached;

        public static Workspace Rent(int n)
        {
            if (_cached is { } cached && cached.Size == n) return cached;
            return _cached = new Workspace(n);
        }

        public int Size => n;
        public readonly double[] Cavity = new double[n * n];   // m_{i→j} in Finish
        public readonly double[] T = new double[n * n];     // tanh J
        public readonly double[] U = new double[n * n];     // u_{i→j}, sender row
        public readonly double[] Incoming = new double[n * n];       // fused sweep: u_{k→i} in row i (receiver row)
        public readonly double[] IncomingNext = new double[n * n];   // its double buffer
        public readonly double[] H = new double[n];         // full cavity sums
        public readonly double[] PartialSums = new double[(n + SumRows - 1) / SumRows * n];   // Finish: column sums per row group
        public readonly int Chunks = n >= 96 ? Environment.ProcessorCount : 1;

        // Set by the exponential iteration when it has left m_{i→j} in Cavity and H_i in H for its final messages,
        // so Finish skips recomputing them from g; cleared before every attempt.
        public bool FinalStateReady;
    }

    private static void TanhCouplings(double[] couplings, double[] t, int n) =>
        For(n, n >= 96 ? Environment.ProcessorCount : 1, (r0, r1) =>
            VectorMath.Tanh(couplings.AsSpan(r0 * n, (r1 - r0) * n), t.AsSpan(r0 * n, (r1 - r0) * n)));

    // Row blocks [r0, r1) run in parallel; one block when the model is small.
    private static void For(int n, int chunks, Action<int, int> body) => For(n, chunks, (_, r0, r1) => body(r0, r1));

    // As above, also passing the block's index (for per-block partial results).
    private static void For(int n, int chunks, Action<int, int, int> body)
    {
        if (chunks <= 1) { body(0, 0, n); return; }
        Parallel.For(0, chunks, c => body(c, n * c / chunks, n * (c + 1) / chunks));
    }

    // Anderson-accelerated iteration (type II, Walker & Ni, SIAM J. Numer. Anal. 49, 1715 (2011)) on the vector of
    // cavity fields x: with the BP map G, residual f = G(x) − x and the last m differences ΔF, ΔG,
    // γ = argmin ‖f − ΔF γ‖₂ and x ← G(x) − ΔG γ − d (f − ΔF γ) (d = damping). The history is cleared when the
    // residual grows by more than a factor 2, which falls back to the plain damped step.
    private static (StopReason, int, double) IterateAccelerated(IsingModel model, double[] x, Workspace w, double damping,
        BpOptions options, CancellationToken ct)
    {
        int n = model.Size, size = n * n, depth = options.AndersonDepth;
        double[] u = w.U, hCav = w.H, h = model.Fields, t = w.T;
        var fresh = new double[size];
        var f = new double[size];
        var previousFresh = new double[size];
        var previousF = new double[size];
        var deltaF = new double[depth][];
        var deltaG = new double[depth][];
        for (int a = 0; a < depth; a++) { deltaF[a] = new double[size]; deltaG[a] = new double[size]; }
        var gram = new double[depth, depth];
        int stored = 0, next = 0;
        double previousResidual = double.PositiveInfinity, change = double.NaN;
        var partial = new double[Math.Max(1, w.Chunks) * (depth + 1)];
        for (int iteration = 1; iteration <= options.MaxIterations; iteration++)
        {
            ct.ThrowIfCancellationRequested();
            ComputeMessagesAndSums(x, t, u, hCav, h, n, w.Chunks);
            for (int i = 0; i < n; i++)
                if (!double.IsFinite(hCav[i])) return (StopReason.Diverged, iteration, double.NaN);
            change = FreshMessages(x, u, hCav, fresh, f, n, w.Chunks);
            if (!double.IsFinite(change)) return (StopReason.Diverged, iteration, change);
            if (change < options.Tolerance)
            {
                fresh.AsSpan().CopyTo(x);
                return (StopReason.Converged, iteration, change);
            }

            if (change > 2 * previousResidual) stored = 0;   // safeguard: restart the history
            else if (iteration > 1)
            {
                var dF = deltaF[next]; var dG = deltaG[next];
                ForRange(size, w.Chunks, (k0, k1) =>
                {
                    for (int k = k0; k < k1; k++) { dF[k] = f[k] - previousF[k]; dG[k] = fresh[k] - previousFresh[k]; }
                });
                stored = Math.Min(stored + 1, depth);
                int newest = next;
                next = (next + 1) % depth;
                for (int a = 0; a < depth; a++)
                {
                    if (!IsStored(a, newest, stored, depth)) continue;
                    double dot = Dot(deltaF[a], dF, w.Chunks, partial);
                    gram[a, newest] = dot;
                    gram[newest, a] = dot;
                }
            }
            previousResidual = change;
            f.AsSpan().CopyTo(previousF);
            fresh.AsSpan().CopyTo(previousFresh);

            // γ from the regularised normal equations over the stored slots.
            var slots = Enumerable.Range(0, depth).Where(a => stored > 0 && IsStored(a, (next + depth - 1) % depth, stored, depth)).ToArray();
            var gamma = new double[slots.Length];
            if (slots.Length > 0)
            {
                var matrix = new double[slots.Length, slots.Length];
                var rhs = new double[slots.Length];
                double trace = 0;
                for (int a = 0; a < slots.Length; a++) trace += gram[slots[a], slots[a]];
                for (int a = 0; a < slots.Length; a++)
                {
                    rhs[a] = Dot(deltaF[slots[a]], f, w.Chunks, partial);
                    for (int b = 0; b < slots.Length; b++) matrix[a, b] = gram[slots[a], slots[b]];
                    matrix[a, a] += 1e-12 * trace + 1e-300;
                }
                if (!SolveInPlace(matrix, rhs)) { stored = 0; Array.Clear(rhs); }
                gamma = rhs;
            }
            double d = damping;
            ForRange(size, w.Chunks, (k0, k1) =>
            {
                for (int k = k0; k < k1; k++) x[k] = fresh[k] - d * f[k];
                for (int a = 0; a < slots.Length; a++)
                {
                    double ga = gamma[a];
                    var dG = deltaG[slots[a]]; var dF = deltaF[slots[a]];
                    for (int k = k0; k < k1; k++) x[k] -= ga * (dG[k] - d * dF[k]);
                }
            });
        }
        return (StopReason.IterationCap, options.MaxIterations, change);
    }

    // Slot a holds one of the `stored` most recent differences, the newest in slot `newest` (a ring buffer).
    private static bool IsStored(int a, int newest, int stored, int depth) => (newest - a + depth) % depth < stored;

    // fresh_{i→j} = H_i − u_{j→i} (tile-wise transposed read), f = fresh − x; returns max |f|.
    private static double FreshMessages(double[] x, double[] u, double[] hCav, double[] fresh, double[] f, int n, int chunks)
    {
        var maxima = new double[Math.Max(1, chunks)];
        For(n, chunks, (chunk, r0, r1) =>
        {
            const int Tile = 32;
            double localMax = 0;
            for (int i0 = r0; i0 < r1; i0 += Tile)
            {
                int i1 = Math.Min(i0 + Tile, r1);
                for (int j0 = 0; j0 < n; j0 += Tile)
                {
                    int j1 = Math.Min(j0 + Tile, n);
                    for (int j = j0; j < j1; j++)
                    {
                        int column = j * n;
                        for (int i = i0; i < i1; i++)
                        {
                            int at = i * n + j;
                            double value = hCav[i] - u[column + i];
                            fresh[at] = value;
                            double residual = value - x[at];
                            f[at] = residual;
                            if (Math.Abs(residual) > localMax) localMax = Math.Abs(residual);
                        }
                    }
                }
            }
            maxima[chunk] = localMax;
        });
        return maxima.Max();
    }

    private static void ForRange(int size, int chunks, Action<int, int> body) => For(size, chunks, body);

    private static double Dot(double[] a, double[] b, int chunks, double[] partial)
    {
        int size = a.Length;
        Array.Clear(partial);
        For(size, chunks, (chunk, k0, k1) => partial[chunk] = VectorMath.Dot(a.AsSpan(k0, k1 - k0), b.AsSpan(k0, k1 - k0)));
        return partial.Sum();
    }

    // Gaussian elimination with partial pivoting; false when singular.
    private static bool SolveInPlace(double[,] a, double[] b)
    {
        int m = b.Length;
        for (int c = 0; c < m; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < m; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[pivot, c])) pivot = r;
            if (!(Math.Abs(a[pivot, c]) > 0)) return false;
            if (pivot != c)
            {
                for (int k = 0; k < m; k++) (a[c, k], a[pivot, k]) = (a[pivot, k], a[c, k]);
                (b[c], b[pivot]) = (b[pivot], b[c]);
            }
            for (int r = c + 1; r < m; r++)
            {
                double factor = a[r, c] / a[c, c];
                for (int k = c; k < m; k++) a[r, k] -= factor * a[c, k];
                b[r] -= factor * b[c];
            }
        }
        for (int r = m - 1; r >= 0; r--)
        {
            double sum = b[r];
            for (int k = r + 1; k < m; k++) sum -= a[r, k] * b[k];
            b[r] = sum / a[r, r];
        }
        return b.All(double.IsFinite);
    }

    // u_{i→j} from g_{i→j} for every edge, then H_j = h_j + Σ_i u_{i→j} (column sums, by column blocks).
    private static void ComputeMessagesAndSums(double[] g, double[] t, double[] u, double[] hCav, double[] h, int n, int chunks)
    {
        For(n, chunks, (r0, r1) =>
            VectorMath.MessageFromCavityField(g.AsSpan(r0 * n, (r1 - r0) * n), t.AsSpan(r0 * n, (r1 - r0) * n), u.AsSpan(r0 * n, (r1 - r0) * n)));
        For(n, chunks, (c0, c1) =>
        {
            var sums = hCav.AsSpan(c0, c1 - c0);
            h.AsSpan(c0, c1 - c0).CopyTo(sums);
            for (int i = 0; i < n; i++) VectorMath.AddInPlace(sums, u.AsSpan(i * n + c0, c1 - c0));
        });
    }

    // Rows per strip of the final edge pass: the strip's transposed cavity magnetisations (Rows × N doubles, 86 KB at
    // N = 675) stay in the core's L2 cache while the strip's pairs are computed and mirrored.
    private const int EdgeRows = 16;

    // Rows per group of the column sums H_j = h_j + Σ_i u_{i→j}: partial sums per fixed group of rows, added in group
    // order, so the rounding does not depend on how many threads ran.
    private const int SumRows = 64;

    [ThreadStatic] private static double[]? _stripScratch;

    private static (BpResult Result, double[]? Pairs) Finish(IsingModel model, BpMessages messages, Workspace w, StopReason reason,
        int iterations, double change, double damping, double[]? pairs, TimeSpan sweepTime, bool thermodynamics)
    {
        int n = model.Size;
        double[] g = messages.CavityFields, t = w.T, cavity = w.Cavity, hCav = w.H, h = model.Fields;
        bool parallel = w.Chunks > 1;

        // One pass over the rows: m_{i→j} = tanh g_{i→j} (kept for the edge pass) and the messages u_{i→j} =
        // atanh(t_ij m_{i→j}) added into per-group column sums, H_j = h_j + Σ_i u_{i→j}. A coupling that is exactly
        // zero gives u = ½ ln 1 = 0 exactly, so no entry needs to be skipped.
        // (Skipped when the exponential iteration already left both: m = (1 − Y)/(1 + Y), H = ½ ln(e^{2h} Π U).)
        if (!w.FinalStateReady)
        {
            int groups = (n + SumRows - 1) / SumRows;
            var partial = w.PartialSums;
            ForBlocks(groups, parallel, q =>
            {
                int i0 = q * SumRows, i1 = Math.Min(i0 + SumRows, n);
                var sums = partial.AsSpan(q * n, n);
                sums.Clear();
                var u = RowScratch(n);
                for (int i = i0; i < i1; i++)
                {
                    CavityRow(g.AsSpan(i * n, n), t.AsSpan(i * n, n), cavity.AsSpan(i * n, n), u);
                    VectorMath.AddInPlace(sums, u);
                }
            });
            h.AsSpan().CopyTo(hCav);
            for (int q = 0; q < groups; q++) VectorMath.AddInPlace(hCav.AsSpan(0, n), partial.AsSpan(q * n, n));
        }
        w.FinalStateReady = false;
        var magnetisations = new double[n];
        VectorMath.Tanh(hCav.AsSpan(0, n), magnetisations);

        var (edgeLogZ, edgeEnergy) = EdgePass(cavity, t, model.Couplings, pairs, n, parallel, thermodynamics);
        if (!thermodynamics)
            return (new BpResult(reason, iterations, change, damping, messages, magnetisations, double.NaN, double.NaN, double.NaN)
                { SweepTime = sweepTime }, pairs);

        double logZ = edgeLogZ;
        double meanEnergy = -edgeEnergy;
        for (int i = 0; i < n; i++)
        {
            double x = Math.Abs(hCav[i]);
            logZ += x + Math.Log(1 + Math.Exp(-2 * x));    // ln 2cosh H_i, overflow-free
            meanEnergy -= h[i] * magnetisations[i];
        }
        double freeEnergy = -logZ;
        var result = new BpResult(reason, iterations, change, damping, messages, magnetisations, freeEnergy, meanEnergy,
            meanEnergy - freeEnergy) { SweepTime = sweepTime };
        return (result, pairs);
    }

    /// <summary>
    /// One row of cavity magnetisations m = tanh g and, unless <paramref name="u"/> is empty, messages u = atanh(t m),
    /// sharing one exponential E = e^{2g} per edge.
    /// </summary>
    /// <remarks>
    /// tanh g = (E − 1)/(E + 1) and u = ½ ln[(E(1+t) + (1−t)) / (E(1−t) + (1+t))] (Zou &amp; Huang App. C; the message form of
    /// <see cref="VectorMath.MessageFromCavityField"/>), g clamped to ±<see cref="VectorMath.FieldClamp"/> where tanh is ±1
    /// in doubles. Absolute error of m ~1e-16, as VectorMath.Tanh; the separate tanh and message kernels took two
    /// exponentials per edge.
    /// </remarks>
    private static void CavityRow(ReadOnlySpan<double> g, ReadOnlySpan<double> t, Span<double> m, Span<double> u)
    {
        int n = g.Length, k = 0;
        bool messages = !u.IsEmpty;
        if (VectorMath.IsAccelerated)
        {
            const int W = 8;
            var one = Vector512<double>.One; var half = Vector512.Create(0.5); var two = Vector512.Create(2.0);
            var lo = Vector512.Create(-VectorMath.FieldClamp); var hi = Vector512.Create(VectorMath.FieldClamp);
            for (; k <= n - W; k += W)
            {
                var e = VectorMath.Exp(two * Vector512.Min(Vector512.Max(Vector512.Create(g.Slice(k, W)), lo), hi));
                ((e - one) / (e + one)).CopyTo(m.Slice(k, W));
                if (!messages) continue;
                var tv = Vector512.Create(t.Slice(k, W));
                var onePlus = one + tv; var oneMinus = one - tv;
                (half * VectorMath.Log((e * onePlus + oneMinus) / (e * oneMinus + onePlus))).CopyTo(u.Slice(k, W));
            }
        }
        for (; k < n; k++)
        {
            double e = Math.Exp(2 * Math.Clamp(g[k], -VectorMath.FieldClamp, VectorMath.FieldClamp));
            m[k] = (e - 1) / (e + 1);
            if (!messages) continue;
            double tk = t[k];
            u[k] = 0.5 * Math.Log((e * (1 + tk) + (1 - tk)) / (e * (1 - tk) + (1 + tk)));
        }
    }

    private static double[] RowScratch(int n) =>
        _rowScratch is { } s && s.Length >= n ? s : _rowScratch = new double[n];

    [ThreadStatic] private static double[]? _rowScratch;

    /// <summary>
    /// The edge terms of the Bethe free energy and energy, and optionally the pair moments, from the cavity
    /// magnetisations a = m_{i→j} (row i) and b = m_{j→i}.
    /// </summary>
    /// <remarks>
    /// Per edge i &lt; j with t = tanh J_ij: ⟨s_i s_j⟩ = (t + ab)/(1 + t ab) (the edge belief), energy J_ij⟨s_i s_j⟩, and
    /// ½ ln[(1−t²a²)(1−t²b²) / ((1−t²)(1+t ab)²)] added to ln Z (Zou &amp; Huang App. C; Yedidia, Freeman &amp; Weiss
    /// 2005). Rows are processed in strips of <see cref="EdgeRows"/>: the strip's b = m_{j→i} (column i of the cavity
    /// matrix, j ≥ i) is first transposed into a scratch row block, so each row's pairs j &gt; i are one contiguous SIMD
    /// pass; the strip's pairs are then mirrored into column i of the rows below (row j gets a contiguous run). An edge
    /// with t = 0 adds ln 1 = 0 and J⟨s_i s_j⟩ = 0 exactly. Strips run in parallel; their partial sums are added in
    /// strip order (the same rounding for any thread count).
    /// </remarks>
    private static (double LogZ, double Energy) EdgePass(double[] cavity, double[] t, double[] couplings, double[]? pairs,
        int n, bool parallel, bool thermodynamics)
    {
        int strips = (n + EdgeRows - 1) / EdgeRows;
        var logZ = new double[strips];
        var energy = new double[strips];
        ForBlocks(strips, parallel, s =>
        {
            int i0 = s * EdgeRows, i1 = Math.Min(i0 + EdgeRows, n), rows = i1 - i0;
            var b = _stripScratch is { } scratch && scratch.Length >= EdgeRows * n ? scratch : _stripScratch = new double[EdgeRows * n];
            // b[(i − i0)·n + j] = m_{j→i} for j ≥ i0: row j of the cavity matrix holds the strip's columns contiguously.
            for (int j = i0; j < n; j++)
            {
                var column = cavity.AsSpan(j * n + i0, rows);
                for (int r = 0; r < rows; r++) b[r * n + j] = column[r];
            }
            double stripLogZ = 0, stripEnergy = 0;
            for (int i = i0; i < i1; i++)
            {
                int j0 = i + 1, length = n - j0;
                if (pairs != null) pairs[i * n + i] = 1;
                if (length == 0) continue;
                var (rowLogZ, rowEnergy) = EdgeRow(cavity.AsSpan(i * n + j0, length), b.AsSpan((i - i0) * n + j0, length),
                    t.AsSpan(i * n + j0, length), couplings.AsSpan(i * n + j0, length),
                    pairs == null ? Span<double>.Empty : pairs.AsSpan(i * n + j0, length), thermodynamics);
                stripLogZ += rowLogZ;
                stripEnergy += rowEnergy;
            }
            logZ[s] = stripLogZ;
            energy[s] = stripEnergy;
            if (pairs == null) return;
            // Mirror: ⟨s_j s_i⟩ = ⟨s_i s_j⟩ for the strip's rows i and j > i (row j receives a contiguous run).
            for (int j = i0 + 1; j < n; j++)
            {
                int last = Math.Min(i1, j);
                for (int i = i0; i < last; i++) pairs[j * n + i] = pairs[i * n + j];
            }
        });
        double totalLogZ = 0, totalEnergy = 0;
        for (int s = 0; s < strips; s++) { totalLogZ += logZ[s]; totalEnergy += energy[s]; }
        return (totalLogZ, totalEnergy);
    }

    // One row's edges: p = (t + ab)/(1 + t ab) into `pairs` (unless empty), Σ J p and Σ ½ ln[(1−t²a²)(1−t²b²)/((1−t²)(1+t ab)²)].
    private static (double LogZ, double Energy) EdgeRow(ReadOnlySpan<double> a, ReadOnlySpan<double> b, ReadOnlySpan<double> t,
        ReadOnlySpan<double> couplings, Span<double> pairs, bool thermodynamics)
    {
        int length = a.Length, k = 0;
        bool store = !pairs.IsEmpty;
        double logZ = 0, energy = 0;
        if (VectorMath.IsAccelerated)
        {
            const int W = 8;
            var one = Vector512<double>.One;
            var energyV = Vector512<double>.Zero;
            var logV = Vector512<double>.Zero;
            for (; k <= length - W; k += W)
            {
                var av = Vector512.Create(a.Slice(k, W));
                var bv = Vector512.Create(b.Slice(k, W));
                var tv = Vector512.Create(t.Slice(k, W));
                var ab = av * bv;
                var denominator = one + tv * ab;
                var p = (tv + ab) / denominator;
                if (store) p.CopyTo(pairs.Slice(k, W));
                if (!thermodynamics) continue;
                energyV += Vector512.Create(couplings.Slice(k, W)) * p;
                var t2 = tv * tv;
                var ratio = (one - t2 * av * av) * (one - t2 * bv * bv) / ((one - t2) * denominator * denominator);
                logV += VectorMath.Log(ratio);
            }
            energy = Vector512.Sum(energyV);
            logZ = 0.5 * Vector512.Sum(logV);
        }
        for (; k < length; k++)
        {
            double tk = t[k], ak = a[k], bk = b[k], ab = ak * bk;
            double denominator = 1 + tk * ab;
            double p = (tk + ab) / denominator;
            if (store) pairs[k] = p;
            if (!thermodynamics) continue;
            energy += couplings[k] * p;
            double t2 = tk * tk;
            logZ += 0.5 * Math.Log((1 - t2 * ak * ak) * (1 - t2 * bk * bk) / ((1 - t2) * denominator * denominator));
        }
        return (logZ, energy);
    }

    // Edge-belief pair moments from the messages alone (for a result computed without them): m_{i→j} = tanh g_{i→j},
    // t = tanh J, then the edge pass without the thermodynamics.
    private static double[] PairMoments(IsingModel model, BpMessages messages)
    {
        int n = model.Size;
        var w = Workspace.Rent(n);
        TanhCouplings(model.Couplings, w.T, n);
        double[] g = messages.CavityFields, cavity = w.Cavity;
        // Row by row with the kernel of the final pass: the same pairs to the last bit.
        For(n, w.Chunks, (r0, r1) =>
        {
            for (int i = r0; i < r1; i++) CavityRow(g.AsSpan(i * n, n), w.T.AsSpan(i * n, n), cavity.AsSpan(i * n, n), Span<double>.Empty);
        });
        var pairs = GC.AllocateUninitializedArray<double>(n * n);
        EdgePass(cavity, w.T, model.Couplings, pairs, n, w.Chunks > 1, thermodynamics: false);
        return pairs;
    }
}

/// <summary>
/// Moments by belief propagation; keeps the last messages and warm-starts the next call from them (the
/// Boltzmann-learning loop changes the model a little at a time). Non-convergence, after the damping
/// escalation, throws <see cref="BpConvergenceException"/> — never a silent wrong answer.
/// </summary>
public sealed class BpMomentEstimator(BpOptions options) : IMomentEstimator
{
    /// <summary>Settings used for every call.</summary>
    public BpOptions Options { get; } = options;

    /// <summary>The last run (converged or not), or null before the first call.</summary>
    public BpResult? LastResult { get; private set; }

    /// <inheritdoc />
    public Moments Estimate(IsingModel model, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var warm = LastResult is { } last && last.Messages.Size == model.Size && last.Converged ? last.Messages : null;
        var (result, moments) = BeliefPropagation.RunWithMomentsInto(model, Options, warm, null, null, ct, thermodynamics: false,
            onlyIfConverged: true);
        LastResult = result;
        if (!result.Converged) throw new BpConvergenceException(result);
        return moments!;
    }
}

