using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Tests.Landscape;

/// <summary>
/// Jumps of d(x) are reported only when proven, at the right x: on a planted Curie–Weiss model, whose BP fixed points
/// solve a one-dimensional equation exactly, and on the published models.
/// </summary>
public class TransitionTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int N = 64;
    private const double Field = 0.1;

    private static (IsingModel Model, sbyte[] Reference) CurieWeiss(double coupling) => PlantedCurieWeiss.Create(N, coupling, Field);

    // BP's fixed points on this model are uniform (in the gauge): every cavity field equals g with
    // H = g − (N − 2) atanh(t tanh g), t = tanh(K/N), H = h + x, and ⟨τ⟩ = tanh(H + (N − 1) atanh(t tanh g)).
    private static double FieldOf(double g, double t) => g - (N - 2) * Math.Atanh(t * Math.Tanh(g));
    private static double DistanceOf(double g, double t, double field) => 0.5 * (1 - Math.Tanh(field + (N - 1) * Math.Atanh(t * Math.Tanh(g))));

    // The H at which the branch with g < 0 ends (dH/dg = 0): tanh² g* = ((N−2)t − 1)/((N−2)t − t²); NaN when (N−2)t ≤ 1
    // (one fixed point at every H: above the critical temperature). By symmetry the g > 0 branch ends at −H_s.
    private static double SpinodalField(double coupling)
    {
        double t = Math.Tanh(coupling / N), a = (N - 2) * t;
        if (a <= 1) return double.NaN;
        double g = -Math.Atanh(Math.Sqrt((a - 1) / (a - t * t)));
        return FieldOf(g, t);
    }

    // d of every stable BP fixed point at x: the roots of FieldOf(g) = h + x on the increasing stretches of FieldOf.
    private static double[] StableDistances(double coupling, double x)
    {
        double t = Math.Tanh(coupling / N), field = Field + x;
        var roots = new List<double>();
        double previous = -8;
        for (int k = 1; k <= 16000; k++)
        {
            double g = -8 + k * 0.001;
            double f0 = FieldOf(previous, t) - field, f1 = FieldOf(g, t) - field;
            if (f0 * f1 <= 0 && FieldOf(g, t) > FieldOf(previous, t))
            {
                double lo = previous, hi = g;
                for (int b = 0; b < 100; b++)
                {
                    double mid = 0.5 * (lo + hi);
                    if ((FieldOf(lo, t) - field) * (FieldOf(mid, t) - field) <= 0) hi = mid; else lo = mid;
                }
                roots.Add(DistanceOf(0.5 * (lo + hi), t, field));
            }
            previous = g;
        }
        return roots.ToArray();
    }

    [Fact]
    public void A_planted_first_order_transition_is_proven_at_both_spinodals()
    {
        // K = 1.5 (below the critical temperature, (N−2) tanh(K/N) = 1.45 > 1): two BP branches coexist for
        // h + x ∈ [−H_s, H_s]. Going up in x the far branch (d near 1) ends at x_F = H_s − h; going down the near branch
        // ends at x_B = −H_s − h.
        const double coupling = 1.5;
        var (model, reference) = CurieWeiss(coupling);
        double spinodal = SpinodalField(coupling);
        double xForward = spinodal - Field, xBackward = -spinodal - Field;
        var settings = new LandscapeSettings(-1, 1, 41);
        var sweep = EntropyLandscape.Sweep("CW", model, reference, settings);
        output.WriteLine($"exact x_F = {xForward:F5}, x_B = {xBackward:F5}; {sweep.BpSolves} BP solves; jumps: " +
                         string.Join("; ", sweep.ProvenJumps.Select(j => $"{j.Direction} [{j.XBefore:F5}, {j.XAfter:F5}] d {j.DistanceBefore:F3} → {j.DistanceAfter:F3}")));
        Assert.Empty(sweep.FailedPoints);
        var forward = Assert.Single(sweep.Jumps, j => j.Direction == "forward");
        var backward = Assert.Single(sweep.Jumps, j => j.Direction == "backward");
        Assert.Equal(2, sweep.ProvenJumps.Count);
        // The branch is found converged up to its end and not beyond it, so the exact spinodal lies in the bracket (BP's
        // tolerance 1e-9 on the cavity fields moves a point by far less than 1e-6 in x); the bracket is one x-resolution wide.
        Assert.InRange(xForward, forward.XBefore - 1e-6, forward.XAfter + 1e-6);
        Assert.InRange(xBackward, backward.XAfter - 1e-6, backward.XBefore + 1e-6);
        Assert.True(forward.Uncertainty <= settings.XResolution + 1e-12 && backward.Uncertainty <= settings.XResolution + 1e-12);
        Assert.InRange(Math.Abs(forward.Location - xForward), 0, 0.01);
        // Both branches were found at one x: the coexistence proof of each jump.
        Assert.True(Math.Abs(forward.EndingBranchDistance - forward.OtherBranchDistance) > settings.CoexistenceTolerance);
        var loop = Assert.Single(sweep.Hysteresis);
        Assert.False(loop.Open);
        Assert.Equal(backward.XBefore, loop.XLow);
        Assert.Equal(forward.XBefore, loop.XHigh);
        // Every converged point is one of BP's stable fixed points, to BP's tolerance.
        foreach (var p in sweep.Forward.Concat(sweep.Backward))
            Assert.InRange(StableDistances(coupling, p.X).Min(d => Math.Abs(d - p.Distance)), 0, 1e-7);
    }

    [Fact]
    public void The_same_model_above_its_critical_temperature_is_steep_but_continuous()
    {
        // K = 0.95: (N−2) tanh(K/N) = 0.92 < 1, one fixed point at every x, but d(x) falls with slope up to
        // 1/(2(1 − 0.92)) ≈ 6 per unit x: steps of the 0.05 grid change d by up to 0.3, and must be refined, not called jumps.
        const double coupling = 0.95;
        Assert.True(double.IsNaN(SpinodalField(coupling)));
        var (model, reference) = CurieWeiss(coupling);
        var settings = new LandscapeSettings(-1, 1, 41);
        var sweep = EntropyLandscape.Sweep("CW", model, reference, settings);
        Assert.Empty(sweep.FailedPoints);
        Assert.Empty(sweep.ProvenJumps);
        Assert.Empty(sweep.Loops);
        Assert.NotEmpty(sweep.SteepStretches);
        Assert.All(sweep.SteepStretches, s => Assert.True(s.Resolved));
        foreach (var points in new[] { sweep.Forward, sweep.Backward })
            for (int k = 1; k < points.Count; k++)
                Assert.True(Math.Abs(points[k].Distance - points[k - 1].Distance) <= settings.DistanceStep,
                    $"step {points[k - 1].X:F4} → {points[k].X:F4}: d {points[k - 1].Distance:F4} → {points[k].Distance:F4}");
        var grid = settings.Grid();
        Assert.True(grid.All(x => sweep.Forward.Any(p => p.X == x) && sweep.Backward.Any(p => p.X == x)), "both directions visit every grid point");
        foreach (var p in sweep.Forward.Concat(sweep.Backward))
            Assert.Equal(Assert.Single(StableDistances(coupling, p.X)), p.Distance, 1e-7);
        var findings = LandscapeFindings.Of(sweep, "test");
        Assert.Empty(findings.Jumps);
        Assert.Empty(findings.Hysteresis);
        Assert.Equal(0, findings.UnexplainedDisagreement, 1e-7);
    }

    [Fact]
    public void Published_under_para_parts_show_no_jump_on_a_121_point_grid()
    {
        var scenario = PublishedScenario.Open(Path.Combine(IO.SharedData.ReferenceDirectory(), "under-para"));
        var reference = scenario.SelectReference(new ReferenceChoice(ReferenceRank.Lowest));
        foreach (var part in PartModels.FromPublished(scenario, ["LB", "ITER", "RB"]))
        {
            var sweep = EntropyLandscape.Sweep(part.Name, part.Model, reference.Slice(part.Part.Start, part.Part.Length), new LandscapeSettings(-3, 3, 121));
            output.WriteLine($"{part.Name}: {sweep.BpSolves} BP solves, {sweep.Forward.Count + sweep.Backward.Count} points, " +
                             $"small bistabilities: {LandscapeFindingsTable.Jumps(sweep.SmallBistabilities)}; steep: {LandscapeFindingsTable.Stretches(sweep.SteepStretches)}");
            Assert.Empty(sweep.Jumps);
            Assert.Empty(sweep.Hysteresis);
            Assert.NotEmpty(sweep.SteepStretches);
        }
    }

    [Fact]
    public void Published_shallow_jumps_both_ways_with_hysteresis_located_within_a_hundredth()
    {
        var scenario = PublishedScenario.Open(Path.Combine(IO.SharedData.ReferenceDirectory(), "shallow"));
        var (_, model) = scenario.LoadPart("FULL");
        var reference = scenario.SelectReference(new ReferenceChoice(ReferenceRank.Lowest)).Spins;
        var sweep = EntropyLandscape.Sweep("FULL", model, reference, new LandscapeSettings(-3, 3, 121));
        var forward = Assert.Single(sweep.Jumps, j => j.Direction == "forward");
        var backward = Assert.Single(sweep.Jumps, j => j.Direction == "backward");
        Assert.True(forward.DistanceBefore > 0.5 && forward.DistanceAfter < 0.05, $"forward d {forward.DistanceBefore} → {forward.DistanceAfter}");
        Assert.True(backward.DistanceBefore < 0.5 && backward.DistanceAfter > 0.9, $"backward d {backward.DistanceBefore} → {backward.DistanceAfter}");
        var loop = Assert.Single(sweep.Hysteresis);
        Assert.Equal((backward.XBefore, forward.XBefore), (loop.XLow, loop.XHigh));
        Assert.True(loop.MaxDistanceGap > 0.5);

        // Independently: plain continuation in steps of 0.001 (warm start from the previous point only) from a coarse
        // approach, the jump taken as the midpoint of the 0.001 step where d changes by more than 0.05.
        double plainForward = PlainContinuationJump(model, reference, forward.Location - 0.15, forward.Location + 0.05, -3);
        double plainBackward = PlainContinuationJump(model, reference, backward.Location + 0.15, backward.Location - 0.05, 3);
        output.WriteLine($"forward jump {forward.Location:F4} (plain continuation {plainForward:F4}), backward {backward.Location:F4} ({plainBackward:F4}); " +
                         $"hysteresis [{loop.XLow:F4}, {loop.XHigh:F4}]; {sweep.BpSolves} BP solves");
        Assert.InRange(Math.Abs(forward.Location - plainForward), 0, 0.01);
        Assert.InRange(Math.Abs(backward.Location - plainBackward), 0, 0.01);
    }

    // Follows the branch from `from` (reached by 0.05 steps from `origin`) to `to` in steps of 0.001; returns the midpoint of
    // the first step whose |Δd| exceeds 0.05.
    private static double PlainContinuationJump(IsingModel model, sbyte[] reference, double from, double to, double origin)
    {
        var options = new BpOptions(Damping: 0, Tolerance: 1e-10, MaxIterations: 100000);
        BpMessages? messages = null;
        double sign = Math.Sign(to - from);
        var approach = Enumerable.Range(0, (int)Math.Floor(Math.Abs(from - origin) / 0.05) + 1).Select(k => origin + sign * 0.05 * k).ToList();
        approach.Add(from);
        foreach (double x in approach)
            messages = EntropyLandscape.SolvePoint(model, reference, x, options, messages).Result.Messages;
        double previous = EntropyLandscape.SolvePoint(model, reference, from, options, messages).Point.Distance;
        for (double x = from + sign * 0.001; sign * (to - x) >= 0; x += sign * 0.001)
        {
            var (point, result) = EntropyLandscape.SolvePoint(model, reference, x, options, messages);
            Assert.True(point.Converged, $"plain continuation: BP failed at x = {x}");
            if (Math.Abs(point.Distance - previous) > 0.05) return x - sign * 0.0005;
            (previous, messages) = (point.Distance, result.Messages);
        }
        throw new Xunit.Sdk.XunitException($"plain continuation found no jump between {from} and {to}");
    }
}
