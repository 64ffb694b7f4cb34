using FunctionSpace.Ising.Models;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FunctionSpace.Ising.Inference;

public static partial class BeliefPropagation
{
    // Exponential form of the state: cavity fields with |2g| up to ~575 fit a double as e^{∓2g}; beyond that (or if a
    // row's product over- or underflows) the iteration hands back to the additive form, which has no such limit.
    private const double ExponentialLimit = 1e250;

    // The damped form multiplies two states (Y_old·Y_fresh, then the square root), so its rows stay within 1e±100:
    // a state is the row's 1/E times one message of size e^{±2|J|}, and the product then stays far inside the doubles.
    private const double DampedExponentialLimit = 1e100;

    /// <summary>The damping the exponential form also runs (besides 0): the old and the fresh state weigh the same.</summary>
    internal const double ExponentialDamping = 0.5;

    // The dampings d = 1 − 2^{−k} (k = 1 … 4: ½, ¾, ⅞, 15/16) run in exponential form: Y_old^d Y_fresh^{1−d} is k nested
    // geometric means Z ← √(Y_old Z) starting from Z = Y_fresh, k square roots instead of an exp and a log.
    private const int MaxHalvings = 4;

    /// <summary>k when <paramref name="damping"/> = 1 − 2^{−k} for k = 0 … 4 (0: undamped); −1 for any other damping.</summary>
    internal static int DyadicHalvings(double damping)
    {
        for (int k = 0; k <= MaxHalvings; k++)
            if (damping == 1 - Math.ScaleB(1.0, -k)) return k;
        return -1;
    }

    [ThreadStatic] private static double[]? _exponentialState;

    /// <summary>
    /// The synchronous BP iteration of <see cref="Iterate"/>, undamped or at a damping 1 − 2^{−k} (½, ¾, ⅞, 15/16), in
    /// exponential variables: no exp or log per message, one division (and k square roots when damped). Returns null when a field leaves the range
    /// where that form is exact in doubles; the caller then runs the additive iteration from the same start.
    /// </summary>
    /// <remarks>
    /// Zou &amp; Huang App. C with U_{k→i} = e^{2u_{k→i}} and Y_{i→j} = e^{−2g_{i→j}}. The cavity sum becomes a product,
    /// E_i = e^{2H_i} = e^{2h_i} Π_k U_{k→i}; the cavity field g_{i→j} = H_i − u_{j→i} becomes Y_{i→j} = U_{j→i} / E_i
    /// (one multiplication by the row's 1/E_i); and the message u = atanh(t tanh g), i.e.
    /// e^{2u} = (1 + t tanh g)/(1 − t tanh g) with tanh g = (1 − Y)/(1 + Y), becomes the Möbius map
    /// U_{i→j} = ((1 + t) + (1 − t)Y) / ((1 − t) + (1 + t)Y), t = tanh J_ij.
    /// The stopping rule is the additive one exactly: |g_new − g_old| = atanh(|Y_new − Y_old| / (Y_new + Y_old)), and the
    /// largest of these fractions is tracked without a division by comparing cross products. The iteration, the
    /// fixed point and the sweep count are those of the additive form; only rounding differs (~1e-16 relative in Y,
    /// i.e. ~1e-16 absolute in g). A coupling that is exactly zero sends U = 1 (u = 0) whatever Y is, so the skipped
    /// column groups hold 1; there the cavity field is g = H_i, so after the first sweep those entries of Y are not
    /// touched until the end: their change is the row's change of 1/E_i, and they are set to the final 1/E_i. A
    /// block-structured model then costs in proportion to its non-zero couplings.
    /// Damping d acts on the cavity fields, g ← d g_old + (1 − d) g_fresh (<see cref="BpOptions.Damping"/>), which in
    /// these variables is Y ← Y_old^d Y_fresh^{1−d}; at d = ½ that is the geometric mean √(Y_old Y_fresh), one square
    /// root instead of an exp and a log, and at d = 1 − 2^{−k} k nested geometric means Z ← √(Y_old Z) from Z = Y_fresh:
    /// the same damped iteration as the additive form, up to rounding. Every column
    /// is then live (a zero coupling sends U = (1 + Y)/(1 + Y) = 1 exactly, but its entries of Y no longer follow 1/E).
    /// </remarks>
    private static (StopReason, int, double)? IterateExponential(IsingModel model, double[] g, Workspace w, double damping,
        BpOptions options, CancellationToken ct)
    {
        if (!VectorMath.IsAccelerated) return null;
        int halvings = DyadicHalvings(damping);
        if (halvings < 0) return null;
        bool damped = halvings > 0;
        double limit = damped ? DampedExponentialLimit : ExponentialLimit;
        int n = model.Size, size = n * n;
        double[] t = w.T, h = model.Fields;
        var y = _exponentialState is { } s && s.Length >= size ? s : _exponentialState = new double[size];
        var live = damped ? AllColumns(n) : LiveColumns(t, n);
        int blocks = live.Length;
        bool parallel = w.Chunks > 1;
        double[] incoming = w.Incoming, next = w.IncomingNext;
        var inRange = new bool[blocks];
        // Messages across exactly-zero couplings are never computed: they hold U = 1 from here on. Where every column is
        // live, the first message pass writes every entry of both buffers, so there is nothing to fill.
        bool anyDead = Array.Exists(live, ranges => HasDeadColumns(ranges, n));
        ForBlocks(blocks, parallel, b =>
        {
            int k0 = b * FusedRows * n, k1 = Math.Min(k0 + FusedRows * n, size);
            inRange[b] = ToExponential(g.AsSpan(k0, k1 - k0), y.AsSpan(k0, k1 - k0));
            if (!anyDead) return;
            incoming.AsSpan(k0, k1 - k0).Fill(1.0);
            next.AsSpan(k0, k1 - k0).Fill(1.0);
        });
        if (Array.IndexOf(inRange, false) >= 0) return null;
        var eTwoH = new double[n];
        for (int i = 0; i < n; i++) eTwoH[i] = Math.Exp(2 * h[i]);
        var inverseE = new double[n];
        var numerators = new double[blocks];
        var denominators = new double[blocks];

        ForBlocks(blocks, parallel, b => SendExponentialMessages(y, t, incoming, live[b], b, n));
        double change = double.NaN;
        (StopReason, int, double)? outcome = null;
        var stall = new StallWatch(options.StallSweeps);
        for (int iteration = 1; iteration <= options.MaxIterations; iteration++)
        {
            ct.ThrowIfCancellationRequested();
            var read = incoming;
            var write = next;
            bool first = iteration == 1;
            ForBlocks(blocks, parallel, b =>
            {
                int i0 = b * FusedRows, i1 = Math.Min(i0 + FusedRows, n);
                var ranges = live[b];
                var scratch = BlockScratch(n);
                double bestNumerator = 0, bestDenominator = 1;
                bool ok = true;
                for (int i = i0; i < i1; i++)
                {
                    var row = read.AsSpan(i * n, n);
                    var yRow = y.AsSpan(i * n, n);
                    double e = eTwoH[i];
                    for (int r = 0; r < ranges.Length; r += 2) e *= Product(row[ranges[r]..ranges[r + 1]]);
                    if (!(e > 1 / limit && e < limit)) { ok = false; break; }
                    double inverse = 1 / e;
                    if (first)
                        Track(UpdateExponentialRow(yRow, row, inverse, halvings), ref bestNumerator, ref bestDenominator);
                    else
                    {
                        // Update and message in one pass over the live ranges; the block is written out below.
                        for (int r = 0; r < ranges.Length; r += 2)
                        {
                            int c0 = ranges[r], c1 = ranges[r + 1];
                            Track(UpdateAndMessage(yRow[c0..c1], row[c0..c1], t.AsSpan(i * n + c0, c1 - c0), inverse,
                                scratch.AsSpan((i - i0) * n + c0, c1 - c0), halvings), ref bestNumerator, ref bestDenominator);
                        }
                        // Outside the live ranges U = 1, so Y = 1/E there: every such entry changed as 1/E did.
                        if (HasDeadColumns(ranges, n))
                            Track((Math.Abs(inverse - inverseE[i]), inverse + inverseE[i]), ref bestNumerator, ref bestDenominator);
                    }
                    inverseE[i] = inverse;
                }
                inRange[b] = ok;
                numerators[b] = bestNumerator;
                denominators[b] = bestDenominator;
                if (!ok) return;
                if (first) SendExponentialMessages(y, t, write, ranges, b, n);
                else WriteTransposed(scratch, write, ranges, b, n);
            });
            (incoming, next) = (next, incoming);
            if (Array.IndexOf(inRange, false) >= 0) return null;
            double fraction = 0;
            for (int b = 0; b < blocks; b++) fraction = Math.Max(fraction, numerators[b] / denominators[b]);
            change = Math.Atanh(fraction);
            if (!double.IsFinite(change)) return null;
            if (change < options.Tolerance) { outcome = (StopReason.Converged, iteration, change); break; }
            if (stall.Stalled(change, iteration)) { outcome = (StopReason.Stalled, iteration, change); break; }
        }
        outcome ??= (StopReason.IterationCap, options.MaxIterations, change);
        // After the first sweep the entries outside the live ranges were not written: they hold 1/E of the last sweep.
        ForBlocks(blocks, parallel, b =>
        {
            var ranges = live[b];
            if (!HasDeadColumns(ranges, n)) return;
            for (int i = b * FusedRows; i < Math.Min(b * FusedRows + FusedRows, n); i++)
            {
                int c = 0;
                for (int r = 0; r <= ranges.Length; r += 2)
                {
                    int end = r < ranges.Length ? ranges[r] : n;
                    y.AsSpan(i * n + c, end - c).Fill(inverseE[i]);
                    if (r < ranges.Length) c = ranges[r + 1];
                }
            }
        });
        // The returned cavity fields g = −½ ln Y, and for Finish the cavity magnetisations m = tanh g = (1 − Y)/(1 + Y)
        // and H_i = ½ ln(e^{2h_i} Π_k U_{k→i}) over the messages of the final g (those the last sweep wrote), which is
        // what Finish would otherwise recompute from g with an exp and a log per edge.
        double[] cavity = w.Cavity, fields = w.H;
        ForBlocks(blocks, parallel, b =>
        {
            int k0 = b * FusedRows * n, k1 = Math.Min(k0 + FusedRows * n, size);
            FromExponential(y.AsSpan(k0, k1 - k0), g.AsSpan(k0, k1 - k0));
            CavityMagnetisations(y.AsSpan(k0, k1 - k0), cavity.AsSpan(k0, k1 - k0));
            var ranges = live[b];
            for (int i = b * FusedRows; i < Math.Min(b * FusedRows + FusedRows, n); i++)
            {
                double e = eTwoH[i];
                for (int r = 0; r < ranges.Length; r += 2) e *= Product(incoming.AsSpan(i * n + ranges[r], ranges[r + 1] - ranges[r]));
                inRange[b] &= e > 1 / limit && e < limit;
                fields[i] = 0.5 * Math.Log(e);
            }
        });
        w.FinalStateReady = Array.IndexOf(inRange, false) < 0;
        return outcome;
    }

    // Keeps the larger of two fractions a/b (positive terms) without dividing.
    private static void Track((double Numerator, double Denominator) candidate, ref double numerator, ref double denominator)
    {
        if (candidate.Numerator * denominator > numerator * candidate.Denominator) (numerator, denominator) = candidate;
    }

    private static bool HasDeadColumns(int[] ranges, int n) => !(ranges.Length == 2 && ranges[0] == 0 && ranges[1] == n);

    // Y = e^{−2g}; false when some |g| is beyond the exponential form's range.
    private static bool ToExponential(ReadOnlySpan<double> g, Span<double> y)
    {
        double limit = 0.5 * Math.Log(ExponentialLimit) - 1;
        int k = 0, size = g.Length;
        var minusTwo = Vector512.Create(-2.0);
        var bound = Vector512.Create(limit);
        var outside = Vector512<double>.Zero;
        for (; k <= size - Vector512<double>.Count; k += Vector512<double>.Count)
        {
            var gv = Vector512.Create(g.Slice(k, Vector512<double>.Count));
            outside |= Vector512.GreaterThan(Vector512.Abs(gv), bound);
            VectorMath.Exp(minusTwo * Vector512.Min(Vector512.Max(gv, -bound), bound)).CopyTo(y.Slice(k, Vector512<double>.Count));
        }
        if (outside != Vector512<double>.Zero) return false;
        for (; k < size; k++)
        {
            if (!(Math.Abs(g[k]) <= limit)) return false;
            y[k] = Math.Exp(-2 * g[k]);
        }
        return true;
    }

    // m = (1 − Y)/(1 + Y) = tanh g.
    private static void CavityMagnetisations(ReadOnlySpan<double> y, Span<double> m)
    {
        int k = 0, n = y.Length;
        var one = Vector512<double>.One;
        for (; k <= n - Vector512<double>.Count; k += Vector512<double>.Count)
        {
            var yv = Vector512.Create(y.Slice(k, Vector512<double>.Count));
            ((one - yv) / (one + yv)).CopyTo(m.Slice(k, Vector512<double>.Count));
        }
        for (; k < n; k++) m[k] = (1 - y[k]) / (1 + y[k]);
    }

    // g = −½ ln Y.
    private static void FromExponential(ReadOnlySpan<double> y, Span<double> g)
    {
        VectorMath.Log(y, g);
        VectorMath.Scale(g, -0.5);
    }

    // Π x in a fixed order (8 lanes, then the lanes and the tail).
    private static double Product(ReadOnlySpan<double> x)
    {
        // Four independent products hide the multiplication latency.
        const int W = 8;
        int k = 0;
        Vector512<double> a0 = Vector512<double>.One, a1 = a0, a2 = a0, a3 = a0;
        for (; k <= x.Length - 4 * W; k += 4 * W)
        {
            a0 *= Vector512.Create(x.Slice(k, W));
            a1 *= Vector512.Create(x.Slice(k + W, W));
            a2 *= Vector512.Create(x.Slice(k + 2 * W, W));
            a3 *= Vector512.Create(x.Slice(k + 3 * W, W));
        }
        for (; k <= x.Length - W; k += W) a0 *= Vector512.Create(x.Slice(k, W));
        var acc = (a0 * a1) * (a2 * a3);
        double product = 1;
        for (int lane = 0; lane < Vector512<double>.Count; lane++) product *= acc[lane];
        for (; k < x.Length; k++) product *= x[k];
        return product;
    }

    // Y_j ← U_j / E without sending messages (the first sweep's whole rows); the change and damping as UpdateAndMessage.
    private static (double, double) UpdateExponentialRow(Span<double> y, ReadOnlySpan<double> incoming, double inverseE, int halvings) =>
        UpdateAndMessage(y, incoming, ReadOnlySpan<double>.Empty, inverseE, Span<double>.Empty, halvings);

    // The fused sweep step of one live range of row i: Y_j ← U_j / E (damped by d = 1 − 2^{−k}: Y_j ← Y_j^d (U_j / E)^{1−d}
    // as k nested geometric means) and, unless `message`
    // is empty, the new message (a + bY_j) / (b + aY_j) into it. Returns the largest |Y_fresh − Y_old| / (Y_fresh + Y_old)
    // (the undamped change, as the additive form measures it) as a (numerator, denominator) pair, the row maximum chosen
    // by cross-multiplied comparisons (all terms are positive).
    private static (double, double) UpdateAndMessage(Span<double> y, ReadOnlySpan<double> incoming, ReadOnlySpan<double> t,
        double inverseE, Span<double> message, int halvings)
    {
        int k = 0, n = y.Length;
        var scale = Vector512.Create(inverseE);
        var bestNum = Vector512<double>.Zero;
        var bestDen = Vector512<double>.One;
        bool send = !message.IsEmpty;
        for (; k <= n - Vector512<double>.Count; k += Vector512<double>.Count)
        {
            var old = Vector512.Create(y.Slice(k, Vector512<double>.Count));
            var fresh = Vector512.Create(incoming.Slice(k, Vector512<double>.Count)) * scale;
            var num = Vector512.Abs(fresh - old);
            var den = fresh + old;
            var larger = Vector512.GreaterThan(num * bestDen, bestNum * den);
            bestNum = Vector512.ConditionalSelect(larger, num, bestNum);
            bestDen = Vector512.ConditionalSelect(larger, den, bestDen);
            var state = fresh;
            for (int h = 0; h < halvings; h++) state = Vector512.Sqrt(old * state);
            state.CopyTo(y.Slice(k, Vector512<double>.Count));
            if (!send) continue;
            Message(Vector512.Create(t.Slice(k, Vector512<double>.Count)), state).CopyTo(message.Slice(k, Vector512<double>.Count));
        }
        double rowNum = 0, rowDen = 1;
        for (int lane = 0; lane < Vector512<double>.Count; lane++)
            if (bestNum[lane] * rowDen > rowNum * bestDen[lane]) (rowNum, rowDen) = (bestNum[lane], bestDen[lane]);
        for (; k < n; k++)
        {
            double old = y[k], fresh = incoming[k] * inverseE, num = Math.Abs(fresh - old), den = fresh + old;
            if (num * rowDen > rowNum * den) (rowNum, rowDen) = (num, den);
            double state = fresh;
            for (int h = 0; h < halvings; h++) state = Math.Sqrt(old * state);
            y[k] = state;
            if (!send) continue;
            message[k] = Message(t[k], state);
        }
        return (rowNum, rowDen);
    }

    private static double[] BlockScratch(int n) =>
        _blockScratch is { } s && s.Length >= FusedRows * n ? s : _blockScratch = new double[FusedRows * n];

    // Block b's messages (scratch row k = sender i0 + k) into target[j·n + i] over the block's live column ranges.
    private static void WriteTransposed(double[] scratch, double[] target, int[] ranges, int block, int n)
    {
        int i0 = block * FusedRows, rows = Math.Min(i0 + FusedRows, n) - i0;
        for (int r = 0; r < ranges.Length; r += 2)
            VectorMath.TransposeBlock(scratch, target.AsSpan(i0), n, rows, ranges[r], ranges[r + 1]);
    }

    // The messages U_{i→j} of the rows of block b from their Y over the block's live column ranges, stored as
    // target[j·n + i] (row j = receiver); as SendMessages, each block writes only its own columns of target.
    private static void SendExponentialMessages(double[] y, double[] t, double[] target, int[] ranges, int block, int n)
    {
        int i0 = block * FusedRows, i1 = Math.Min(i0 + FusedRows, n);
        var scratch = BlockScratch(n);
        for (int r = 0; r < ranges.Length; r += 2)
        {
            int c0 = ranges[r], c1 = ranges[r + 1];
            for (int i = i0; i < i1; i++)
                MessageFromExponential(y.AsSpan(i * n + c0, c1 - c0), t.AsSpan(i * n + c0, c1 - c0), scratch.AsSpan((i - i0) * n + c0, c1 - c0));
        }
        WriteTransposed(scratch, target, ranges, block, n);
    }

    private static void MessageFromExponential(ReadOnlySpan<double> y, ReadOnlySpan<double> t, Span<double> u)
    {
        int k = 0, n = y.Length;
        for (; k <= n - Vector512<double>.Count; k += Vector512<double>.Count)
            Message(Vector512.Create(t.Slice(k, Vector512<double>.Count)), Vector512.Create(y.Slice(k, Vector512<double>.Count)))
                .CopyTo(u.Slice(k, Vector512<double>.Count));
        for (; k < n; k++) u[k] = Message(t[k], y[k]);
    }

    // The message U = e^{2u} of a cavity state Y = e^{−2g} across a coupling t = tanh J: the Möbius map
    // (a + bY) / (b + aY), a = 1 + t, b = 1 − t, written so that no two terms cancel.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Message(Vector512<double> t, Vector512<double> y)
    {
        var a = Vector512<double>.One + t;
        var b = Vector512<double>.One - t;
        return Vector512.FusedMultiplyAdd(b, y, a) / Vector512.FusedMultiplyAdd(a, y, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Message(double t, double y)
    {
        double a = 1 + t, b = 1 - t;
        return Math.FusedMultiplyAdd(b, y, a) / Math.FusedMultiplyAdd(a, y, b);
    }
}
