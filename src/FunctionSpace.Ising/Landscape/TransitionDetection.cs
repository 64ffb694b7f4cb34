namespace FunctionSpace.Ising.Landscape;

/// <summary>A discontinuity of d(x) between two consecutive sweep points: a first-order transition candidate.</summary>
/// <param name="Direction">"forward" (x increasing) or "backward" (x decreasing).</param>
/// <param name="XBefore">x of the last point before the jump.</param>
/// <param name="XAfter">x of the first point after the jump.</param>
/// <param name="DistanceBefore">d at <paramref name="XBefore"/>.</param>
/// <param name="DistanceAfter">d at <paramref name="XAfter"/>.</param>
public sealed record DistanceJump(string Direction, double XBefore, double XAfter, double DistanceBefore, double DistanceAfter)
{
    /// <summary>|Δd| across the jump.</summary>
    public double Size => Math.Abs(DistanceAfter - DistanceBefore);

    /// <summary>Midpoint of the x interval containing the jump.</summary>
    public double Location => 0.5 * (XBefore + XAfter);
}

/// <summary>The x range in which the forward and backward sweeps disagree: the hysteresis loop.</summary>
/// <param name="XLow">Smallest x where |d_fwd − d_bwd| exceeds the tolerance.</param>
/// <param name="XHigh">Largest such x.</param>
/// <param name="MaxDistanceGap">Largest |d_fwd − d_bwd| over the loop.</param>
/// <param name="Area">∫ |d_fwd − d_bwd| dx over the sweep (trapezoid rule): the loop area.</param>
public sealed record HysteresisLoop(double XLow, double XHigh, double MaxDistanceGap, double Area)
{
    /// <summary>Width of the loop in x.</summary>
    public double Width => XHigh - XLow;
}

/// <summary>Pure detection of jumps and hysteresis on sampled d(x) curves.</summary>
public static class TransitionDetection
{
    /// <summary>
    /// Finds discontinuities in d(x): consecutive converged points whose |Δd| is both above
    /// <paramref name="minimumJump"/> and more than <paramref name="relativeFactor"/> times the median |Δd| of the
    /// sweep (a smooth curve sampled on a grid has steps of comparable size; a first-order jump is an outlier).
    /// Points that did not converge are skipped (a jump is only claimed between two converged points).
    /// </summary>
    public static IReadOnlyList<DistanceJump> FindJumps(string direction, IReadOnlyList<double> x,
        IReadOnlyList<double> distance, IReadOnlyList<bool> converged, double minimumJump = 0.02, double relativeFactor = 8)
    {
        if (x.Count != distance.Count || x.Count != converged.Count) throw new ArgumentException("x, distance and converged differ in length");
        var good = Enumerable.Range(0, x.Count).Where(i => converged[i] && double.IsFinite(distance[i])).ToArray();
        if (good.Length < 2) return [];
        var steps = new double[good.Length - 1];
        for (int k = 0; k < steps.Length; k++) steps[k] = Math.Abs(distance[good[k + 1]] - distance[good[k]]);
        double median = Median(steps);
        var jumps = new List<DistanceJump>();
        for (int k = 0; k < steps.Length; k++)
        {
            if (steps[k] >= minimumJump && steps[k] > relativeFactor * median)
                jumps.Add(new DistanceJump(direction, x[good[k]], x[good[k + 1]], distance[good[k]], distance[good[k + 1]]));
        }
        return jumps;
    }

    /// <summary>
    /// Compares forward and backward sweeps on the same x grid (<paramref name="x"/> ascending, both curves indexed
    /// alike). Returns null when |d_fwd − d_bwd| ≤ <paramref name="tolerance"/> wherever both converged.
    /// </summary>
    public static HysteresisLoop? FindHysteresis(IReadOnlyList<double> x, IReadOnlyList<double> forward, IReadOnlyList<double> backward,
        IReadOnlyList<bool> bothConverged, double tolerance = 1e-3)
    {
        int n = x.Count;
        if (forward.Count != n || backward.Count != n || bothConverged.Count != n) throw new ArgumentException("curves differ in length");
        double low = double.NaN, high = double.NaN, maxGap = 0, area = 0;
        double previousGap = double.NaN, previousX = double.NaN;
        for (int i = 0; i < n; i++)
        {
            if (!bothConverged[i]) { previousGap = double.NaN; continue; }
            double gap = Math.Abs(forward[i] - backward[i]);
            if (!double.IsFinite(gap)) continue;
            if (double.IsFinite(previousGap)) area += 0.5 * (gap + previousGap) * Math.Abs(x[i] - previousX);
            previousGap = gap;
            previousX = x[i];
            if (gap <= tolerance) continue;
            if (double.IsNaN(low) || x[i] < low) low = x[i];
            if (double.IsNaN(high) || x[i] > high) high = x[i];
            maxGap = Math.Max(maxGap, gap);
        }
        return double.IsNaN(low) ? null : new HysteresisLoop(low, high, maxGap, area);
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.OrderBy(v => v).ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }
}
