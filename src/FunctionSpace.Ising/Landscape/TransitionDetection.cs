namespace FunctionSpace.Ising.Landscape;

/// <summary>
/// A proven discontinuity of d(x) along one sweep direction: the branch being followed ends between
/// <paramref name="XBefore"/> and <paramref name="XAfter"/> (at most <see cref="LandscapeSettings.XResolution"/> apart),
/// and the branch it lands on coexists with it at <paramref name="CoexistenceX"/> (BP warm-started from either branch
/// converges to a different d there): a first-order transition of the tilted ensemble, or — when small — a bistability.
/// </summary>
/// <param name="Direction">"forward" (x increasing) or "backward" (x decreasing).</param>
/// <param name="XBefore">x of the last point on the branch that ends.</param>
/// <param name="XAfter">x of the first point on the other branch.</param>
/// <param name="DistanceBefore">d at <paramref name="XBefore"/>.</param>
/// <param name="DistanceAfter">d at <paramref name="XAfter"/>.</param>
/// <param name="CoexistenceX">An x where both branches were found converged.</param>
/// <param name="EndingBranchDistance">d of the branch that ends, at <paramref name="CoexistenceX"/>.</param>
/// <param name="OtherBranchDistance">d of the branch it lands on, at <paramref name="CoexistenceX"/>.</param>
public sealed record DistanceJump(string Direction, double XBefore, double XAfter, double DistanceBefore, double DistanceAfter,
    double CoexistenceX, double EndingBranchDistance, double OtherBranchDistance)
{
    /// <summary>|Δd| across the jump.</summary>
    public double Size => Math.Abs(DistanceAfter - DistanceBefore);

    /// <summary>Midpoint of the x interval containing the jump.</summary>
    public double Location => 0.5 * (XBefore + XAfter);

    /// <summary>Width of the x interval containing the jump (the location is known to ± half of it).</summary>
    public double Uncertainty => Math.Abs(XAfter - XBefore);
}

/// <summary>
/// An x-interval where two branches of d(x) coexist, bounded by a proven backward jump (where the branch followed with x
/// decreasing ends) and a proven forward jump (where the branch followed with x increasing ends): the hysteresis loop.
/// </summary>
/// <param name="XLow">Lowest x known on both branches: the last point of the backward sweep's branch before it jumps
/// (or the sweep's XMin when that branch never ends inside the range: <paramref name="Open"/>).</param>
/// <param name="XHigh">Highest such x: the last point of the forward sweep's branch before it jumps (or XMax).</param>
/// <param name="MaxDistanceGap">Largest |d_fwd − d_bwd| over the x where both sweeps have a point inside the loop.</param>
/// <param name="Area">∫ |d_fwd − d_bwd| dx over those x (trapezoid rule): the loop area.</param>
/// <param name="JumpSize">The larger |Δd| of the loop's two jumps.</param>
/// <param name="Open">True when one branch persists to the end of the x range (the loop extends beyond it).</param>
public sealed record HysteresisLoop(double XLow, double XHigh, double MaxDistanceGap, double Area, double JumpSize, bool Open = false)
{
    /// <summary>Width of the loop in x (positive: a loop is only formed over a non-empty interval).</summary>
    public double Width => XHigh - XLow;
}

/// <summary>
/// A stretch of one sweep direction where d(x) changed by more than the sweep's distance step per grid step and was
/// refined until every step was at most that (resolved) or the x resolution was reached without finding two branches.
/// </summary>
/// <param name="Direction">"forward" or "backward".</param>
/// <param name="XFrom">Start of the stretch (in sweep order).</param>
/// <param name="XTo">End of the stretch.</param>
/// <param name="DistanceFrom">d at <paramref name="XFrom"/>.</param>
/// <param name="DistanceTo">d at <paramref name="XTo"/>.</param>
/// <param name="SmallestStep">The smallest x step taken inside the stretch.</param>
/// <param name="UnresolvedSteps">Steps still larger than the distance step at the x resolution, where BP from either
/// side found one branch only (continuous, but steeper than the resolution shows: e.g. near a critical point).</param>
public sealed record SteepStretch(string Direction, double XFrom, double XTo, double DistanceFrom, double DistanceTo,
    double SmallestStep, int UnresolvedSteps)
{
    /// <summary>True when every step of the stretch changed d by at most the distance step.</summary>
    public bool Resolved => UnresolvedSteps == 0;
}

/// <summary>Pure analysis of the transitions found by the two sweep directions.</summary>
public static class TransitionDetection
{
    /// <summary>
    /// The hysteresis loops: each forward jump paired with a backward jump below it in x whose d-range overlaps and
    /// where the two sweeps differ at every common x in between (the two ends of one pair of coexisting branches). Between them both branches are known to exist: the
    /// backward branch down to the last x before its jump, the forward branch up to the last x before its jump. A loop
    /// is formed only over a non-empty interval. A jump in one direction without a partner may mean its branch persists
    /// to the end of the range in the other: an open loop to XMin (forward jump) or XMax (backward jump), formed only
    /// when the two sweeps disagree at every common x inside it.
    /// </summary>
    /// <param name="forward">Forward jumps.</param>
    /// <param name="backward">Backward jumps.</param>
    /// <param name="forwardPoints">Forward sweep: (x, d, converged) per point.</param>
    /// <param name="backwardPoints">Backward sweep: (x, d, converged) per point.</param>
    /// <param name="xMin">Lower end of the sweep range.</param>
    /// <param name="xMax">Upper end of the sweep range.</param>
    /// <param name="tolerance">|d_fwd − d_bwd| above this counts as a disagreement.</param>
    public static IReadOnlyList<HysteresisLoop> Loops(IReadOnlyList<DistanceJump> forward, IReadOnlyList<DistanceJump> backward,
        IReadOnlyList<(double X, double Distance, bool Converged)> forwardPoints, IReadOnlyList<(double X, double Distance, bool Converged)> backwardPoints,
        double xMin, double xMax, double tolerance)
    {
        var common = CommonPoints(forwardPoints, backwardPoints);
        var loops = new List<HysteresisLoop>();
        var usedBackward = new HashSet<DistanceJump>();
        foreach (var f in forward.OrderBy(j => j.Location))
        {
            // The partner: a backward jump below f, spanning overlapping d, with the two sweeps apart at every common x
            // between them (both branches present throughout); the lowest such one (a smaller jump inside the loop, on
            // one of its branches, is not its end).
            var partner = backward.Where(b => !usedBackward.Contains(b) && b.Location < f.Location && Overlap(f, b)
                    && Connects(f, b, forwardPoints, backwardPoints)
                    && common.Where(c => c.X >= b.XBefore && c.X <= f.XBefore).All(c => c.Gap > tolerance))
                .OrderBy(b => b.Location).FirstOrDefault();
            if (partner != null)
            {
                usedBackward.Add(partner);
                if (partner.XBefore < f.XBefore) loops.Add(Loop(partner.XBefore, f.XBefore, common, Math.Max(f.Size, partner.Size), false, f, partner));
            }
            else if (f.XBefore > xMin && DisagreeThroughout(common, xMin, f.XBefore, tolerance))
                loops.Add(Loop(xMin, f.XBefore, common, f.Size, true, f, null));
        }
        foreach (var b in backward.Where(b => !usedBackward.Contains(b)))
            if (b.XBefore < xMax && DisagreeThroughout(common, b.XBefore, xMax, tolerance))
                loops.Add(Loop(b.XBefore, xMax, common, b.Size, true, null, b));
        return loops.OrderBy(l => l.XLow).ToArray();
    }

    // An open loop needs the two sweeps to differ at every common x from the jump to the end of the range (and at one
    // at least): otherwise the other direction's jump exists but was not proven (e.g. hidden by failed points).
    private static bool DisagreeThroughout(IReadOnlyList<(double X, double Gap)> common, double low, double high, double tolerance)
    {
        var inside = common.Where(c => c.X >= low && c.X <= high).ToArray();
        return inside.Length > 0 && inside.All(c => c.Gap > tolerance);
    }

    // A forward and a backward jump are the two ends of one loop when each lands on the branch the other direction
    // follows there: the d each lands on (at its coexistence x) lies within half the smaller jump of the other sweep's d
    // at that x (interpolated between its neighbouring converged points; no test where the other sweep has none).
    private static bool Connects(DistanceJump f, DistanceJump b, IReadOnlyList<(double X, double Distance, bool Converged)> forwardPoints,
        IReadOnlyList<(double X, double Distance, bool Converged)> backwardPoints)
    {
        double tolerance = 0.5 * Math.Min(f.Size, b.Size);
        double forwardThere = InterpolateAt(forwardPoints, b.CoexistenceX), backwardThere = InterpolateAt(backwardPoints, f.CoexistenceX);
        return !(Math.Abs(b.OtherBranchDistance - forwardThere) > tolerance) && !(Math.Abs(f.OtherBranchDistance - backwardThere) > tolerance);
    }

    // d of a sweep at x, linear between the converged points next to x on either side (NaN when x is outside them).
    private static double InterpolateAt(IReadOnlyList<(double X, double Distance, bool Converged)> points, double x)
    {
        var ok = points.Where(p => p.Converged && double.IsFinite(p.Distance)).OrderBy(p => p.X).ToArray();
        for (int k = 0; k < ok.Length; k++)
        {
            if (ok[k].X == x) return ok[k].Distance;
            if (k + 1 < ok.Length && ok[k].X < x && x < ok[k + 1].X)
                return ok[k].Distance + (ok[k + 1].Distance - ok[k].Distance) * (x - ok[k].X) / (ok[k + 1].X - ok[k].X);
        }
        return double.NaN;
    }

    // Two jumps connect the same pair of branches when the d-intervals they span overlap.
    private static bool Overlap(DistanceJump a, DistanceJump b)
    {
        double aLo = Math.Min(a.DistanceBefore, a.DistanceAfter), aHi = Math.Max(a.DistanceBefore, a.DistanceAfter);
        double bLo = Math.Min(b.DistanceBefore, b.DistanceAfter), bHi = Math.Max(b.DistanceBefore, b.DistanceAfter);
        return aLo < bHi && bLo < aHi;
    }

    private static HysteresisLoop Loop(double low, double high, IReadOnlyList<(double X, double Gap)> common, double jumpSize, bool open,
        DistanceJump? forward, DistanceJump? backward)
    {
        var inside = common.Where(c => c.X >= low && c.X <= high).ToArray();
        double max = inside.Select(c => c.Gap).DefaultIfEmpty(0).Max();
        // The proofs of coexistence are points of the loop too.
        foreach (var j in new[] { forward, backward })
            if (j != null) max = Math.Max(max, Math.Abs(j.EndingBranchDistance - j.OtherBranchDistance));
        double area = 0;
        for (int k = 1; k < inside.Length; k++) area += 0.5 * (inside[k].Gap + inside[k - 1].Gap) * (inside[k].X - inside[k - 1].X);
        return new HysteresisLoop(low, high, max, area, jumpSize, open);
    }

    // |d_fwd − d_bwd| at every x where both directions have a converged point (the coarse grid, which both visit exactly).
    private static IReadOnlyList<(double X, double Gap)> CommonPoints(IReadOnlyList<(double X, double Distance, bool Converged)> forward,
        IReadOnlyList<(double X, double Distance, bool Converged)> backward)
    {
        var back = new Dictionary<double, double>();
        foreach (var p in backward)
            if (p.Converged && double.IsFinite(p.Distance)) back[p.X] = p.Distance;
        return forward.Where(p => p.Converged && back.ContainsKey(p.X)).Select(p => (p.X, Math.Abs(p.Distance - back[p.X])))
            .OrderBy(c => c.Item1).ToArray();
    }

    /// <summary>
    /// The largest |d_fwd − d_bwd| at common converged x outside <paramref name="loops"/>: a disagreement of the two
    /// directions that no proven jump accounts for (below the sweep's distance step, or across points where BP failed).
    /// </summary>
    public static double UnexplainedDisagreement(IReadOnlyList<(double X, double Distance, bool Converged)> forward,
        IReadOnlyList<(double X, double Distance, bool Converged)> backward, IReadOnlyList<HysteresisLoop> loops) =>
        CommonPoints(forward, backward).Where(c => !loops.Any(l => c.X >= l.XLow && c.X <= l.XHigh)).Select(c => c.Gap).DefaultIfEmpty(0).Max();
}
