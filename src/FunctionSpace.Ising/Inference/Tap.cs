using FunctionSpace.Ising.Models;
using System.Runtime.Intrinsics;

namespace FunctionSpace.Ising.Inference;

/// <summary>TAP iteration settings.</summary>
/// <param name="Damping">m ← d·m_old + (1−d)·m_new, in [0, 1). Default 0: the plain iteration (Zou &amp; Huang App. I) and that of the
/// study's code. On the published models it finds the same fixed points from the same starts as d = 0.5 (shallow: the
/// same 263/37 split of 300 starts; under-para LB/ITER/RB the same states) in about half the iterations; raise it for
/// a model on which the plain iteration oscillates (non-converged starts are counted in the census).</param>
/// <param name="Tolerance">Converged when max_i |m_i(t+1) − m_i(t)| is below this.</param>
/// <param name="MaxIterations">Iteration cap.</param>
public sealed record TapOptions(double Damping = 0, double Tolerance = 1e-9, int MaxIterations = 10000)
{
    /// <summary>
    /// Give a start up (not converged) when its largest change has not reached a new low for this many iterations
    /// (0 = run to <see cref="MaxIterations"/>). A converging iteration keeps setting new lows; a start caught in a cycle
    /// (the undamped iteration's period-2 orbits) does not, and ran the whole cap.
    /// </summary>
    /// <remarks>Off by default (also in the census, `fsi tap --stall-iterations`): on the N = 675 benchmark models a window
    /// of 500 iterations gave up 6–8 of 1,000 starts that converge later (2,000 gave up none), and a census must not lose
    /// converging starts. It pays where starts cycle: on the over-para quick run's FULL model none of 100 undamped starts
    /// converged and each ran the 10,000-iteration cap (60 s; 20 s with a window of 2,000).</remarks>
    public int StallIterations { get; init; }

    /// <summary>Checks the settings; a bad value gives a one-line <see cref="InputException"/>.</summary>
    public void Validate()
    {
        if (StallIterations < 0) throw new InputException($"tap stall iterations: {StallIterations} must be ≥ 0");
        if (!(Damping >= 0 && Damping < 1)) throw new InputException($"tap damping: {Damping} is outside [0, 1)");
        if (!(Tolerance > 0)) throw new InputException($"tap tolerance: {Tolerance} must be positive");
        if (MaxIterations < 1) throw new InputException($"tap max iterations: {MaxIterations} must be at least 1");
    }
}

/// <summary>A TAP solution: why the iteration stopped, after how many iterations, the magnetisations and their TAP free energy.</summary>
/// <param name="Stop">Converged (the change fell below the tolerance), the iteration cap, stalled (no new low of the change
/// for the stall window) or diverged (non-finite values).</param>
/// <param name="Iterations">Iterations run.</param>
/// <param name="MaxChange">Largest magnetisation change of the last iteration.</param>
/// <param name="Magnetisations">The stationary point m.</param>
/// <param name="FreeEnergy">TAP free energy at m (<see cref="Tap.FreeEnergy"/>).</param>
public sealed record TapResult(Stop Stop, int Iterations, double MaxChange, double[] Magnetisations, double FreeEnergy)
{
    /// <summary>True when the change fell below the tolerance.</summary>
    public bool Converged => Stop.Reason == StopReason.Converged;

    // The stop of an iteration that ended with the given change.
    internal static Stop StopOf(double change, double tolerance, bool stalled) =>
        !double.IsFinite(change) ? new Stop(StopReason.Diverged)
        : change < tolerance ? new Stop(StopReason.Converged)
        : stalled ? new Stop(StopReason.Stalled) : new Stop(StopReason.IterationCap);
}

/// <summary>
/// Thouless–Anderson–Palmer equations at β = 1.
/// </summary>
/// <remarks>
/// Zou &amp; Huang App. I; Mézard, Parisi &amp; Virasoro, Spin Glass Theory and Beyond:
/// m_i(t+1) = tanh(h_i + Σ_j J_ij m_j(t) − m_i(t−1) Σ_j J_ij² (1 − m_j(t)²)), the Onsager reaction term taken
/// with the previous-previous iterate (the time indexing that makes the iteration converge, cf. Bolthausen).
/// Its fixed points are the stationary points of the Plefka second-order free energy <see cref="FreeEnergy"/>.
/// </remarks>
public static class Tap
{
    /// <summary>Iterates the TAP equations from <paramref name="initialMagnetisations"/> (also used as m(t−1) at the start).</summary>
    public static TapResult Solve(IsingModel model, double[] initialMagnetisations, TapOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int n = model.Size;
        CheckStart(initialMagnetisations, n, "tap start");
        double[] J = model.Couplings, h = model.Fields;
        var j2 = SquaredCouplings(J);
        var previous = (double[])initialMagnetisations.Clone();
        var current = (double[])initialMagnetisations.Clone();
        var next = new double[n];
        var oneMinusM2 = new double[n];
        double change = double.NaN;
        var stall = new StallWatch(options.StallIterations);
        for (int iteration = 1; iteration <= options.MaxIterations; iteration++)
        {
            if ((iteration & 63) == 0) ct.ThrowIfCancellationRequested();
            for (int j = 0; j < n; j++) oneMinusM2[j] = 1 - current[j] * current[j];
            change = 0;
            for (int i = 0; i < n; i++)
            {
                double field = h[i] + VectorMath.Dot(J.AsSpan(i * n, n), current);
                double onsager = previous[i] * VectorMath.Dot(j2.AsSpan(i * n, n), oneMinusM2);
                double updated = options.Damping * current[i] + (1 - options.Damping) * Math.Tanh(field - onsager);
                next[i] = updated;
                change = Math.Max(change, Math.Abs(updated - current[i]));
            }
            (previous, current, next) = (current, next, previous);
            bool stalled = false;
            if (!double.IsFinite(change) || change < options.Tolerance || (stalled = stall.Stalled(change, iteration)))
                return Result(model, TapResult.StopOf(change, options.Tolerance, stalled), iteration, change, current);
        }
        return Result(model, new Stop(StopReason.IterationCap), options.MaxIterations, change, current);

        // A diverged iteration has no free energy.
        static TapResult Result(IsingModel model, Stop stop, int iterations, double change, double[] m) =>
            new(stop, iterations, change, m, stop.Reason == StopReason.Diverged ? double.NaN : FreeEnergy(model, m));
    }

    /// <summary>
    /// Solves from many starts at once (rows of <paramref name="initialMagnetisations"/>, count × N), with the
    /// matrix products of all unconverged starts computed tile by tile (4 starts share each row of J) on SIMD vectors in parallel; each start stops on its own.
    /// </summary>
    /// <remarks>
    /// The same iteration as <see cref="Solve"/> (same time indexing, same stopping rule per start). When the couplings
    /// split the spins into groups that do not interact (J_ij exactly 0 between groups, e.g. the block-diagonal
    /// LB ⊕ ITER ⊕ RB model), the products Σ_j J_ij m_j are taken group by group (<see cref="CouplingBlocks"/>):
    /// identical sums without the zero terms.
    /// </remarks>
    public static TapResult[] SolveMany(IsingModel model, double[] initialMagnetisations, int count, TapOptions options,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int n = model.Size;
        if (count < 1 || initialMagnetisations.Length != (long)count * n)
            throw new InputException($"tap starts: {initialMagnetisations.Length} values do not form {count} starts of {n} spins");
        for (int k = 0; k < initialMagnetisations.Length; k++)
            if (!(Math.Abs(initialMagnetisations[k]) <= 1))
                throw new InputException($"tap starts: start {k / n}, m[{k % n}] = {initialMagnetisations[k]} is not in [-1, 1]");

        var results = new TapResult[count];
        var finalM = new double[count * n];
        var iterationsOf = new int[count];
        var changeOf = new double[count];
        var stopOf = new Stop[count];
        // Spins are reordered so that each group of coupled spins is contiguous (perm[new] = old); the products with
        // J then run block by block, skipping the couplings that are exactly zero between groups.
        var (perm, blocks) = CouplingBlocks(model.Couplings, n);
        var permutedStarts = new double[initialMagnetisations.Length];
        for (int s = 0; s < count; s++)
            for (int a = 0; a < n; a++) permutedStarts[(long)s * n + a] = initialMagnetisations[(long)s * n + perm[a]];
        // Per group: its couplings J and J² as a dense block (rows contiguous), in the new order.
        var blockJ = new double[blocks.Count][];
        var blockJ2 = new double[blocks.Count][];
        for (int q = 0; q < blocks.Count; q++)
        {
            var (start, length) = blocks[q];
            blockJ[q] = new double[length * length];
            blockJ2[q] = new double[length * length];
            for (int a = 0; a < length; a++)
                for (int b = 0; b < length; b++)
                {
                    double v = model.Couplings[perm[start + a] * n + perm[start + b]];
                    blockJ[q][a * length + b] = v;
                    blockJ2[q][a * length + b] = v * v;
                }
        }
        var h = perm.Select(i => model.Fields[i]).ToArray();
        var current = permutedStarts;
        var previous = (double[])permutedStarts.Clone();
        var next = new double[permutedStarts.Length];
        var oneMinusM2 = new double[permutedStarts.Length];
        var changes = new double[count];
        var stalls = Enumerable.Repeat(new StallWatch(options.StallIterations), count).ToArray();
        var active = Enumerable.Range(0, count).ToArray();
        double d = options.Damping;
        for (int iteration = 1; iteration <= options.MaxIterations && active.Length > 0; iteration++)
        {
            ct.ThrowIfCancellationRequested();
            var ids = active;
            int tiles = (ids.Length + TapTile - 1) / TapTile;
            // Each tile of up to 4 starts shares the loads of J; every start's arithmetic is the same whatever its tile.
            Parallel.For(0, tiles, tile =>
            {
                int t0 = tile * TapTile, t1 = Math.Min(t0 + TapTile, ids.Length);
                for (int k = t0; k < t1; k++)
                {
                    var m = current.AsSpan(ids[k] * n, n);
                    var om = oneMinusM2.AsSpan(ids[k] * n, n);
                    for (int a = 0; a < n; a++) om[a] = 1 - m[a] * m[a];
                }
                var change = new double[TapTile];
                for (int q = 0; q < blocks.Count; q++)
                {
                    var (start, length) = blocks[q];
                    int a = 0;
                    if (t1 - t0 == TapTile)
                        for (; a + 1 < length; a += 2)
                            TapRowPair(blockJ[q], blockJ2[q], a, length, ids, t0, start, n, h, d, current, previous, oneMinusM2, next, change);
                    for (; a < length; a++)
                        TapRows(blockJ[q].AsSpan(a * length, length), blockJ2[q].AsSpan(a * length, length), ids, t0, t1,
                            start, start + a, n, h[start + a], d, current, previous, oneMinusM2, next, change);
                }
                for (int k = t0; k < t1; k++) changes[ids[k]] = change[k - t0];
            });
            var keep = new List<int>(ids.Length);
            foreach (int id in ids)
            {
                // m(t−1) ← m(t), m(t) ← m(t+1) for this start.
                Array.Copy(current, (long)id * n, previous, (long)id * n, n);
                Array.Copy(next, (long)id * n, current, (long)id * n, n);
                double c = changes[id];
                bool stalled = stalls[id].Stalled(c, iteration);
                bool finished = c < options.Tolerance || !double.IsFinite(c) || iteration == options.MaxIterations || stalled;
                if (!finished) { keep.Add(id); continue; }
                iterationsOf[id] = iteration;
                changeOf[id] = c;
                stopOf[id] = TapResult.StopOf(c, options.Tolerance, stalled);
                Array.Copy(current, (long)id * n, finalM, (long)id * n, n);
            }
            active = keep.ToArray();
            progress?.Report(new ProgressReport("tap", count - active.Length, count, "starts", $"iteration {iteration}"));
        }
        for (int s = 0; s < count; s++)
        {
            var m = new double[n];
            for (int a = 0; a < n; a++) m[perm[a]] = finalM[(long)s * n + a];
            bool finite = m.All(double.IsFinite);
            results[s] = new TapResult(stopOf[s], iterationsOf[s], changeOf[s], m, finite ? FreeEnergy(model, m) : double.NaN);
        }
        return results;
    }

    // Starts per tile of the batched iteration (they share each load of a row of J and J²).
    private const int TapTile = 4;

    // One row i (position `row` in the new order) of the TAP update for the starts ids[t0..t1):
    // next_i = d m_i + (1−d) tanh(h_i + Σ_j J_ij m_j − m_i(t−1) Σ_j J_ij² (1 − m_j²)), j over the row's group
    // [groupStart, groupStart + |jRow|); change[k] ← max(change[k], |next_i − m_i|). Each start's sums run in the same
    // fixed order (8 lanes, then the lanes, then the tail) whatever the tile.
    private static void TapRows(ReadOnlySpan<double> jRow, ReadOnlySpan<double> j2Row, int[] ids, int t0, int t1, int groupStart,
        int row, int n, double h, double d, double[] current, double[] previous, double[] oneMinusM2, double[] next, double[] change)
    {
        int length = jRow.Length;
        for (int k = t0; k < t1; k++)
        {
            long at = (long)ids[k] * n;
            var m = current.AsSpan((int)at + groupStart, length);
            var om = oneMinusM2.AsSpan((int)at + groupStart, length);
            var fieldAcc = Vector512<double>.Zero;
            var reactionAcc = Vector512<double>.Zero;
            int c = 0;
            for (; c <= length - Vector512<double>.Count; c += Vector512<double>.Count)
            {
                fieldAcc += Vector512.Create(jRow.Slice(c, Vector512<double>.Count)) * Vector512.Create(m.Slice(c, Vector512<double>.Count));
                reactionAcc += Vector512.Create(j2Row.Slice(c, Vector512<double>.Count)) * Vector512.Create(om.Slice(c, Vector512<double>.Count));
            }
            double field = Vector512.Sum(fieldAcc), reaction = Vector512.Sum(reactionAcc);
            for (; c < length; c++)
            {
                field += jRow[c] * m[c];
                reaction += j2Row[c] * om[c];
            }
            double mi = current[at + row];
            double updated = d * mi + (1 - d) * Math.Tanh(h + field - previous[at + row] * reaction);
            next[at + row] = updated;
            change[k - t0] = Math.Max(change[k - t0], Math.Abs(updated - mi));
        }
    }

    // TapRows for rows a and a+1 of a group and a full tile of 4 starts at once: each load of J and J² serves 4 starts
    // and each load of m serves 2 rows. The sums of every (row, start) are accumulated exactly as in TapRows
    // (same lanes, same order), so the result does not depend on which path handled it.
    private static void TapRowPair(double[] jBlock, double[] j2Block, int a, int length, int[] ids, int t0, int groupStart,
        int n, double[] h, double d, double[] current, double[] previous, double[] oneMinusM2, double[] next, double[] change)
    {
        const int W = 8;
        var jA = jBlock.AsSpan(a * length, length); var jB = jBlock.AsSpan((a + 1) * length, length);
        var qA = j2Block.AsSpan(a * length, length); var qB = j2Block.AsSpan((a + 1) * length, length);
        int o0 = ids[t0] * n + groupStart, o1 = ids[t0 + 1] * n + groupStart, o2 = ids[t0 + 2] * n + groupStart, o3 = ids[t0 + 3] * n + groupStart;
        var m0 = current.AsSpan(o0, length); var m1 = current.AsSpan(o1, length); var m2 = current.AsSpan(o2, length); var m3 = current.AsSpan(o3, length);
        var p0 = oneMinusM2.AsSpan(o0, length); var p1 = oneMinusM2.AsSpan(o1, length); var p2 = oneMinusM2.AsSpan(o2, length); var p3 = oneMinusM2.AsSpan(o3, length);
        Vector512<double> fA0 = default, fA1 = default, fA2 = default, fA3 = default, fB0 = default, fB1 = default, fB2 = default, fB3 = default;
        Vector512<double> rA0 = default, rA1 = default, rA2 = default, rA3 = default, rB0 = default, rB1 = default, rB2 = default, rB3 = default;
        int c = 0;
        for (; c <= length - W; c += W)
        {
            var ja = Vector512.Create(jA.Slice(c, W)); var jb = Vector512.Create(jB.Slice(c, W));
            var v = Vector512.Create(m0.Slice(c, W)); fA0 += ja * v; fB0 += jb * v;
            v = Vector512.Create(m1.Slice(c, W)); fA1 += ja * v; fB1 += jb * v;
            v = Vector512.Create(m2.Slice(c, W)); fA2 += ja * v; fB2 += jb * v;
            v = Vector512.Create(m3.Slice(c, W)); fA3 += ja * v; fB3 += jb * v;
            var qa = Vector512.Create(qA.Slice(c, W)); var qb = Vector512.Create(qB.Slice(c, W));
            v = Vector512.Create(p0.Slice(c, W)); rA0 += qa * v; rB0 += qb * v;
            v = Vector512.Create(p1.Slice(c, W)); rA1 += qa * v; rB1 += qb * v;
            v = Vector512.Create(p2.Slice(c, W)); rA2 += qa * v; rB2 += qb * v;
            v = Vector512.Create(p3.Slice(c, W)); rA3 += qa * v; rB3 += qb * v;
        }
        Span<double> field = [Vector512.Sum(fA0), Vector512.Sum(fA1), Vector512.Sum(fA2), Vector512.Sum(fA3),
            Vector512.Sum(fB0), Vector512.Sum(fB1), Vector512.Sum(fB2), Vector512.Sum(fB3)];
        Span<double> reaction = [Vector512.Sum(rA0), Vector512.Sum(rA1), Vector512.Sum(rA2), Vector512.Sum(rA3),
            Vector512.Sum(rB0), Vector512.Sum(rB1), Vector512.Sum(rB2), Vector512.Sum(rB3)];
        for (int r = 0; r < 2; r++)
        {
            var jr = r == 0 ? jA : jB; var qr = r == 0 ? qA : qB;
            int row = groupStart + a + r;
            for (int k = 0; k < TapTile; k++)
            {
                int at = ids[t0 + k] * n;
                var m = current.AsSpan(at + groupStart, length); var om = oneMinusM2.AsSpan(at + groupStart, length);
                double f = field[r * TapTile + k], x = reaction[r * TapTile + k];
                for (int e = c; e < length; e++)
                {
                    f += jr[e] * m[e];
                    x += qr[e] * om[e];
                }
                double mi = current[at + row];
                double updated = d * mi + (1 - d) * Math.Tanh(h[row] + f - previous[at + row] * x);
                next[at + row] = updated;
                change[k] = Math.Max(change[k], Math.Abs(updated - mi));
            }
        }
    }

    /// <summary>
    /// Groups of spins that couple only among themselves: the connected components of the graph of non-zero J_ij,
    /// each listed in increasing spin order, components ordered by their smallest spin, then neighbouring components
    /// merged up to 32 spins (tiny blocks make inefficient products). Returns the order perm[new] = old and the
    /// blocks (start, length) in the new order. A J_ij that is exactly zero contributes nothing to Σ_j J_ij m_j or
    /// Σ_j J_ij² (1 − m_j²), so products taken block by block equal the full ones.
    /// </summary>
    internal static (int[] Permutation, List<(int Start, int Length)> Blocks) CouplingBlocks(double[] couplings, int n)
    {
        var parent = Enumerable.Range(0, n).ToArray();
        int Find(int a) { while (parent[a] != a) a = parent[a] = parent[parent[a]]; return a; }
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (couplings[i * n + j] != 0 || couplings[j * n + i] != 0)
                {
                    int a = Find(i), b = Find(j);
                    if (a != b) parent[Math.Max(a, b)] = Math.Min(a, b);
                }
        var components = Enumerable.Range(0, n).GroupBy(Find).OrderBy(g => g.Key).Select(g => g.ToArray()).ToList();
        var perm = components.SelectMany(c => c).ToArray();
        var blocks = new List<(int Start, int Length)>();
        int at = 0;
        foreach (var component in components)
        {
            if (blocks.Count > 0 && blocks[^1].Length + component.Length <= 32 && blocks[^1].Length < 32)
                blocks[^1] = (blocks[^1].Start, blocks[^1].Length + component.Length);
            else blocks.Add((at, component.Length));
            at += component.Length;
        }
        return (perm, blocks);
    }

    /// <summary>
    /// TAP free energy (Plefka second order, β = 1):
    /// F = −Σ_i h_i m_i − Σ_{i&lt;j} J_ij m_i m_j − ½ Σ_{i&lt;j} J_ij² (1−m_i²)(1−m_j²) − Σ_i S_binary(m_i),
    /// S_binary(m) = −[(1+m)/2 ln((1+m)/2) + (1−m)/2 ln((1−m)/2)].
    /// </summary>
    public static double FreeEnergy(IsingModel model, double[] magnetisations)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = model.Size;
        CheckStart(magnetisations, n, "tap magnetisations", allowEdges: true);
        double[] J = model.Couplings, h = model.Fields;
        var oneMinusM2 = magnetisations.Select(m => 1 - m * m).ToArray();
        double f = 0;
        for (int i = 0; i < n; i++)
        {
            double mi = magnetisations[i];
            // Row sums over all j count each pair twice: ½ Σ_{i≠j} = Σ_{i<j}.
            double pair = 0, reaction = 0;
            var row = J.AsSpan(i * n, n);
            for (int j = 0; j < n; j++)
            {
                pair += row[j] * magnetisations[j];
                reaction += row[j] * row[j] * oneMinusM2[j];
            }
            f -= h[i] * mi + 0.5 * mi * pair + 0.25 * oneMinusM2[i] * reaction + BinaryEntropy(mi);
        }
        return f;
    }

    /// <summary>S(m) = −[(1+m)/2 ln((1+m)/2) + (1−m)/2 ln((1−m)/2)], with 0 ln 0 = 0.</summary>
    public static double BinaryEntropy(double m)
    {
        double p = 0.5 * (1 + m), q = 0.5 * (1 - m);
        return -(p > 0 ? p * Math.Log(p) : 0) - (q > 0 ? q * Math.Log(q) : 0);
    }

    private static double[] SquaredCouplings(double[] J)
    {
        var j2 = new double[J.Length];
        for (int k = 0; k < J.Length; k++) j2[k] = J[k] * J[k];
        return j2;
    }

    private static void CheckStart(double[] m, int n, string what, bool allowEdges = true)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.Length != n) throw new InputException($"{what}: {m.Length} values, the model has {n} spins");
        for (int i = 0; i < n; i++)
            if (!(allowEdges ? Math.Abs(m[i]) <= 1 : Math.Abs(m[i]) < 1))
                throw new InputException($"{what}: m[{i}] = {m[i]} is not in [-1, 1]");
    }
}
