using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inference;

/// <summary>Settings of belief propagation.</summary>
/// <param name="Damping">Weight of the old message in g ← d·g_old + (1−d)·g_new, in [0, 1).</param>
/// <param name="Tolerance">Converged when the largest undamped change of a cavity field is below this.</param>
/// <param name="MaxIterations">Sweep cap per damping attempt.</param>
/// <param name="EscalateDamping">On non-convergence retry from the same start with stronger damping (0.8, then 0.95), then report failure.</param>
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
    /// Run undamped sweeps in exponential variables (e^{2u}, e^{−2g}: a division per message instead of an exp, a log
    /// and a division). The same iteration and fixed point; false selects the additive form, kept for comparison.
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

    /// <summary>Checks the settings; a bad value gives a one-line <see cref="InputException"/>.</summary>
    public void Validate()
    {
        if (!(Damping >= 0 && Damping < 1)) throw new InputException($"bp damping: {Damping} is outside [0, 1)");
        if (!(Tolerance > 0)) throw new InputException($"bp tolerance: {Tolerance} must be positive");
        if (MaxIterations < 1) throw new InputException($"bp max iterations: {MaxIterations} must be at least 1");
        if (StallSweeps < 0) throw new InputException($"bp stall sweeps: {StallSweeps} must be ≥ 0");
        if (AndersonDepth < 0 || AndersonDepth > 20) throw new InputException($"bp anderson depth: {AndersonDepth} is outside 0..20");
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

    /// <summary>Random cavity magnetisations uniform in (−scale, scale), from a seeded generator.</summary>
    public static BpMessages Random(int size, Random random, double scale = 0.5)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!(scale > 0 && scale < 1)) throw new InputException($"bp start: scale {scale} is not inside (0, 1)");
        var g = new double[size * size];
        for (int k = 0; k < g.Length; k++) g[k] = Math.Atanh((2 * random.NextDouble() - 1) * scale);
        return new BpMessages(size, g);
    }
}

/// <summary>Why belief propagation stopped.</summary>
public enum BpStopReason
{
    /// <summary>The largest message change fell below the tolerance.</summary>
    Converged,
    /// <summary>The sweep cap was reached at every damping tried.</summary>
    IterationCap,
    /// <summary>Messages became non-finite.</summary>
    Diverged,
    /// <summary>The largest change set no new low for <see cref="BpOptions.StallSweeps"/> sweeps at every damping tried.</summary>
    Stalled,
}

/// <summary>Outcome of a BP run: why it stopped, the fixed point and the Bethe thermodynamics.</summary>
/// <param name="StopReason">Converged, iteration cap or diverged.</param>
/// <param name="Iterations">Sweeps run, summed over all damping attempts.</param>
/// <param name="MaxChange">Largest undamped cavity-field change of the last sweep.</param>
/// <param name="DampingUsed">Damping of the last attempt.</param>
/// <param name="Messages">Final messages; pass as warm start to the next call.</param>
/// <param name="Magnetisations">m_i = tanh(h_i + Σ_k u_{k→i}).</param>
/// <param name="FreeEnergy">F = −ln Z_Bethe.</param>
/// <param name="Energy">⟨E⟩ = −Σ h_i m_i − Σ_{i&lt;j} J_ij ⟨s_i s_j⟩ from node and edge beliefs.</param>
/// <param name="Entropy">S = Energy − FreeEnergy (β = 1).</param>
public sealed record BpResult(
    BpStopReason StopReason, int Iterations, double MaxChange, double DampingUsed,
    BpMessages Messages, double[] Magnetisations, double FreeEnergy, double Energy, double Entropy)
{
    /// <summary>True when the run reached the tolerance.</summary>
    public bool Converged => StopReason == BpStopReason.Converged;

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
    private static readonly double[] EscalationSchedule = [0.8, 0.95];

    /// <summary>
    /// Dense-model BP (Zou &amp; Huang App. C): u_{k→i} = atanh(tanh J_ki · m_{k→i}),
    /// m_{i→j} = tanh(h_i + Σ_{k≠j} u_{k→i}); O(N²)/sweep via cavity sums. Starts from
    /// <paramref name="warmStart"/> (copied, not modified) or from the uncoupled messages.
    /// </summary>
    public static BpResult Run(IsingModel model, BpOptions options, BpMessages? warmStart = null, CancellationToken ct = default)
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
        if (options.EscalateDamping) dampings.AddRange(EscalationSchedule.Where(d => d > options.Damping));

        int totalIterations = 0;
        BpStopReason reason = BpStopReason.IterationCap;
        double change = double.NaN, damping = options.Damping;
        double[] g = new double[n * n];
        foreach (double d in dampings)
        {
            damping = d;
            start.CavityFields.AsSpan().CopyTo(g);
            (reason, int iterations, change) = options.AndersonDepth > 0
                ? IterateAccelerated(model, g, workspace, d, options, ct)
                : (d == 0 && options.ExponentialForm ? IterateExponential(model, g, workspace, options, ct) : null) ?? Iterate(model, g, workspace, d, options, ct);
            totalIterations += iterations;
            if (reason == BpStopReason.Converged) break;
        }
        return Finish(model, new BpMessages(n, g), workspace, reason, totalIterations, change, damping);
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
        public readonly int Chunks = n >= 96 ? Environment.ProcessorCount : 1;
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
    private static (BpStopReason, int, double) IterateAccelerated(IsingModel model, double[] x, Workspace w, double damping,
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
                if (!double.IsFinite(hCav[i])) return (BpStopReason.Diverged, iteration, double.NaN);
            change = FreshMessages(x, u, hCav, fresh, f, n, w.Chunks);
            if (!double.IsFinite(change)) return (BpStopReason.Diverged, iteration, change);
            if (change < options.Tolerance)
            {
                fresh.AsSpan().CopyTo(x);
                return (BpStopReason.Converged, iteration, change);
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
        return (BpStopReason.IterationCap, options.MaxIterations, change);
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

    private static BpResult Finish(IsingModel model, BpMessages messages, Workspace w, BpStopReason reason,
        int iterations, double change, double damping)
    {
        int n = model.Size;
        double[] g = messages.CavityFields, t = w.T, hCav = w.H, J = model.Couplings, h = model.Fields;
        var live = LiveColumns(t, n);
        bool parallel = w.Chunks > 1;

        // u_{k→i} of the final messages by receiver row (exact zeros where t = 0), H_i = h_i + Σ_k u_{k→i}, m_i = tanh H_i.
        var incoming = w.Incoming;
        Array.Clear(incoming);
        ForBlocks(live.Length, parallel, b => SendMessages(g, t, incoming, live[b], b, n));
        for (int i = 0; i < n; i++) hCav[i] = h[i] + Sum(incoming.AsSpan(i * n, n));
        var magnetisations = new double[n];
        VectorMath.Tanh(hCav, magnetisations);

        // Cavity magnetisations m_{i→j} = tanh g_{i→j} where t_ij may be non-zero: an edge with t_ij = 0 adds
        // ½ ln 1 = 0 to ln Z and J_ij⟨s_i s_j⟩ = 0 to the energy, so only those entries are needed (both (i,j) and
        // (j,i) are covered: t is symmetric).
        var cavity = w.Cavity;
        ForBlocks(live.Length, parallel, b =>
        {
            int i0 = b * FusedRows, i1 = Math.Min(i0 + FusedRows, n);
            var ranges = live[b];
            for (int i = i0; i < i1; i++)
                for (int r = 0; r < ranges.Length; r += 2)
                    VectorMath.Tanh(g.AsSpan(i * n + ranges[r], ranges[r + 1] - ranges[r]), cavity.AsSpan(i * n + ranges[r], ranges[r + 1] - ranges[r]));
        });

        var edgeTerms = new double[live.Length];
        var edgeEnergy = new double[live.Length];
        ForBlocks(live.Length, parallel, block =>
        {
            int i0 = block * FusedRows, i1 = Math.Min(i0 + FusedRows, n);
            var ranges = live[block];
            var ratio = new double[n];
            var logs = new double[n];
            double terms = 0, energy = 0;
            for (int i = i0; i < i1; i++)
            {
                int count = 0;
                for (int r = 0; r < ranges.Length; r += 2)
                    for (int j = Math.Max(ranges[r], i + 1); j < ranges[r + 1]; j++)
                    {
                        double tk = t[i * n + j];
                        if (tk == 0) continue;
                        double a = cavity[i * n + j], b = cavity[j * n + i], ab = a * b;
                        double denominator = 1 + tk * ab;
                        energy += J[i * n + j] * (tk + ab) / denominator;
                        double t2 = tk * tk;
                        ratio[count++] = (1 - t2 * a * a) * (1 - t2 * b * b) / ((1 - t2) * denominator * denominator);
                    }
                VectorMath.Log(ratio.AsSpan(0, count), logs.AsSpan(0, count));
                for (int k = 0; k < count; k++) terms += 0.5 * logs[k];
            }
            edgeTerms[block] = terms;
            edgeEnergy[block] = energy;
        });

        double logZ = edgeTerms.Sum();
        double meanEnergy = -edgeEnergy.Sum();
        for (int i = 0; i < n; i++)
        {
            double x = Math.Abs(hCav[i]);
            logZ += x + Math.Log(1 + Math.Exp(-2 * x));    // ln 2cosh H_i, overflow-free
            meanEnergy -= h[i] * magnetisations[i];
        }
        double freeEnergy = -logZ;
        return new BpResult(reason, iterations, change, damping, messages, magnetisations, freeEnergy, meanEnergy,
            meanEnergy - freeEnergy);
    }

    // Edge-belief pair moments ⟨s_i s_j⟩ = (t_ij + m_{i→j} m_{j→i}) / (1 + t_ij m_{i→j} m_{j→i}), diagonal 1, from the
    // messages; computed on demand by Moments (the landscape needs only m, E and F).
    private static double[] PairMoments(IsingModel model, BpMessages messages)
    {
        int n = model.Size;
        var t = new double[n * n];
        var cavity = new double[n * n];
        int chunks = n >= 96 ? Environment.ProcessorCount : 1;
        TanhCouplings(model.Couplings, t, n);
        For(n, chunks, (r0, r1) => VectorMath.Tanh(messages.CavityFields.AsSpan(r0 * n, (r1 - r0) * n), cavity.AsSpan(r0 * n, (r1 - r0) * n)));
        var pairs = new double[n * n];
        For(n, chunks, (r0, r1) =>
        {
            for (int i = r0; i < r1; i++)
            {
                pairs[i * n + i] = 1;
                for (int j = i + 1; j < n; j++)
                {
                    double tk = t[i * n + j], ab = cavity[i * n + j] * cavity[j * n + i];
                    pairs[i * n + j] = (tk + ab) / (1 + tk * ab);
                }
            }
        });
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) pairs[j * n + i] = pairs[i * n + j];
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
        var result = BeliefPropagation.Run(model, Options, warm, ct);
        LastResult = result;
        if (!result.Converged) throw new BpConvergenceException(result);
        return BeliefPropagation.Moments(model, result);
    }
}
