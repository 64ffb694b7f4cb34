using FunctionSpace.Ising.Landscape;

namespace FunctionSpace.Ising.Tests.Landscape;

public class LandscapeBasicsTests
{
    [Fact]
    public void BoundIsTheBinaryEntropy()
    {
        Assert.Equal(Math.Log(2), EntropyBound.MaxEntropy(0.5), 15);
        Assert.Equal(0, EntropyBound.MaxEntropy(0));
        Assert.Equal(0, EntropyBound.MaxEntropy(1));
        double d = 0.1;
        Assert.Equal(-0.1 * Math.Log(0.1) - 0.9 * Math.Log(0.9), EntropyBound.MaxEntropy(d), 15);
        Assert.Equal(EntropyBound.MaxEntropy(0.2), EntropyBound.MaxEntropy(0.8), 15);
        Assert.True(double.IsNaN(EntropyBound.MaxEntropy(1.5)));
    }

    private static DistanceJump Jump(string direction, double before, double after, double dBefore, double dAfter) =>
        new(direction, before, after, dBefore, dAfter, before, dBefore, dAfter);

    private static (double X, double Distance, bool Converged)[] Curve(IEnumerable<double> x, Func<double, double> d) =>
        x.Select(v => (v, d(v), true)).ToArray();

    [Fact]
    public void A_loop_joins_a_forward_jump_to_the_backward_jump_that_ends_the_other_branch()
    {
        // Forward branch high (0.8) until its jump at x ∈ [1.0, 1.01] onto the low branch (0.2); the low branch, followed
        // backward, has a small bistability of its own at x = 0 (0.2 → 0.22) and ends at x ∈ [−1.01, −1.0], back on 0.8.
        var grid = Enumerable.Range(0, 41).Select(k => -2 + 0.1 * k).ToArray();
        var forward = Curve(grid, x => x <= 1.0 + 1e-9 ? 0.8 : 0.2);
        var backward = Curve(grid, x => x < -1.0 - 1e-9 ? 0.8 : x < 0 ? 0.22 : 0.2);
        var up = Jump("forward", 1.0, 1.01, 0.8, 0.2);
        var small = Jump("backward", 0.0, -0.005, 0.2, 0.22);
        var down = Jump("backward", -1.0, -1.01, 0.22, 0.8);
        var loop = Assert.Single(TransitionDetection.Loops([up], [small, down], forward, backward, -2, 2, 0.005));
        Assert.Equal((-1.0, 1.0), (loop.XLow, loop.XHigh));
        Assert.False(loop.Open);
        Assert.Equal(0.6, loop.JumpSize, 12);
        Assert.Equal(0.6, loop.MaxDistanceGap, 12);
        // The trapezoid area over the common grid points inside (x = −1.0 … 1.0): 0.58 below 0, 0.6 from 0.
        Assert.Equal(0.58 * 0.9 + 0.5 * (0.58 + 0.6) * 0.1 + 0.6 * 1.0, loop.Area, 9);
    }

    [Fact]
    public void A_loop_is_open_only_when_the_sweeps_disagree_up_to_the_end_of_the_range()
    {
        var grid = Enumerable.Range(0, 41).Select(k => -2 + 0.1 * k).ToArray();
        var forward = Curve(grid, x => x <= 1.0 + 1e-9 ? 0.8 : 0.05);
        var up = Jump("forward", 1.0, 1.01, 0.8, 0.05);
        // The backward sweep stays low down to XMin: its branch never ends inside the range.
        var open = Assert.Single(TransitionDetection.Loops([up], [], forward, Curve(grid, _ => 0.1), -2, 2, 0.005));
        Assert.True(open.Open);
        Assert.Equal((-2.0, 1.0), (open.XLow, open.XHigh));
        // The backward sweep rejoins the forward one below x = 0 without a proven jump (e.g. hidden by failed points): no loop.
        Assert.Empty(TransitionDetection.Loops([up], [], forward, Curve(grid, x => x < 0 ? 0.8 : 0.1), -2, 2, 0.005));
        // Equal sweeps, no jumps: nothing.
        Assert.Empty(TransitionDetection.Loops([], [], forward, forward, -2, 2, 0.005));
        Assert.Equal(0, TransitionDetection.UnexplainedDisagreement(forward, forward, []));
        Assert.Equal(0.7, TransitionDetection.UnexplainedDisagreement(forward, Curve(grid, x => x < 0 ? 0.8 : 0.1), []), 12);
    }

    [Fact]
    public void Coverage_counts_the_part_of_d_in_0_to_half_within_reach_of_a_converged_point()
    {
        Assert.Equal(1.0, LandscapeFindings.CoverageOf(Enumerable.Range(0, 11).Select(k => 0.05 * k), 0.025), 12);
        // Points only at d < 0.06 and d > 0.9 (the failure pattern of an over-para part): [0, 0.085] of [0, 0.5].
        Assert.Equal(0.085 / 0.5, LandscapeFindings.CoverageOf([0.0, 0.03, 0.06, 0.92, 0.97], 0.025), 12);
        Assert.Equal(0, LandscapeFindings.CoverageOf([], 0.025));
        Assert.Equal(0, LandscapeFindings.CoverageOf([double.NaN, 0.8], 0.025));
    }

    private static LandscapeFindings Finding(string part, double gap, double coverage, string reference = "r") =>
        new(part, 10, reference, gap, [new GapAtDistance(0.1, gap / 2)], [], [], [], [], coverage, 0, 20, 0, 0.05);

    [Fact]
    public void Most_liquid_and_most_constrained_are_withheld_when_coverage_or_the_fit_do_not_carry_them()
    {
        var good = new[] { Finding("LB", 0.08, 1), Finding("ITER", 0.04, 0.95), Finding("RB", 0.10, 1), Finding("FULL", 0.2, 1) };
        var ranked = LandscapeComparison.Of(good);
        Assert.Equal(("ITER", "RB"), (ranked.MostLiquid, ranked.MostConstrained));
        Assert.Null(ranked.Withheld);
        Assert.Equal(["ITER", "LB", "RB"], ranked.Gaps.Select(g => g.Part));
        Assert.StartsWith("Closest to the bound (most liquid): ITER (max gap 0.040); most constrained: RB (max gap 0.100)", ranked.Sentence());

        var poorCoverage = LandscapeComparison.Of([good[0], good[1], Finding("RB", 0.05, 0.17)]);
        Assert.Null(poorCoverage.MostLiquid);
        Assert.Equal("BP covers too little of d ∈ [0, 0.5] (at least 90 % needed): RB 17 %", poorCoverage.Withheld);
        Assert.Equal("Most liquid / most constrained: not stated, because BP covers too little of d ∈ [0, 0.5] (at least 90 % needed): RB 17 %.", poorCoverage.Sentence());

        var fits = new Dictionary<string, PartFitVerdict> { ["LB"] = new(false, "does not reproduce the data"), ["ITER"] = new(true, "reproduces the data") };
        var poorFit = LandscapeComparison.Of(good, fits);
        Assert.Null(poorFit.MostConstrained);
        Assert.Equal("the fit of LB does not reproduce the data", poorFit.Withheld);

        // Several references: the worst coverage and the largest gap of each part count.
        var two = LandscapeComparison.Of([.. good, Finding("ITER", 0.05, 0.5, "median")]);
        Assert.Equal("BP covers too little of d ∈ [0, 0.5] (at least 90 % needed): ITER 50 % (median)", two.Withheld);
        var both = LandscapeComparison.Of([Finding("LB", 0.08, 0.3), Finding("ITER", 0.04, 0.2), good[2]],
            new Dictionary<string, PartFitVerdict> { ["LB"] = new(false, "does not reproduce the data"), ["RB"] = new(false, "does not reproduce the data") });
        Assert.Equal("BP covers too little of d ∈ [0, 0.5] (at least 90 % needed): LB 30 %, ITER 20 %; the fits of LB, RB do not reproduce the data", both.Withheld);

        Assert.Equal("No cross-part comparison: fewer than two sub-networks to compare.", LandscapeComparison.Of([good[3]]).Sentence());
    }

    [Fact]
    public void The_findings_table_has_one_row_per_part_and_every_column()
    {
        var findings = new[] { Finding("LB", 0.08, 1) with { Jumps = [Jump("forward", 1.3, 1.302, 0.6, 0.005)], FailedPoints = 3 }, Finding("ITER", double.NaN, 0) };
        string table = LandscapeFindingsTable.Markdown(findings, new Dictionary<string, PartFitVerdict> { ["LB"] = new(true, "reproduces the data") });
        var lines = table.TrimEnd().Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.All(lines, l => Assert.Equal(15, l.Count(c => c == '|')));
        Assert.Contains("| LB | 10 | 0.0800 |", lines[2]);
        Assert.Contains("forward x = 1.301 ± 0.001: d 0.600 → 0.005", lines[2]);
        Assert.Contains("| 3 of 20 | reproduces the data |", lines[2]);
        Assert.Contains("| ITER | 10 | — |", lines[3]);
        Assert.EndsWith("| 0 % | 0 of 20 | — |", lines[3]);
    }

    [Fact]
    public void Steep_stretches_merge_per_direction_and_across_directions_only_on_the_same_branch()
    {
        SteepStretch S(string direction, double from, double to, double dFrom, double dTo) => new(direction, from, to, dFrom, dTo, 0.01, 0);
        var merged = LandscapeFindings.MergeStretches([
            S("forward", -0.2, -0.1, 0.68, 0.6), S("forward", -0.1, 0.2, 0.6, 0.32),
            S("backward", 0.2, -0.2, 0.32, 0.68),
            S("backward", 1.5, 1.2, 0.05, 0.1), S("forward", 1.2, 1.4, 0.7, 0.6)], gridStep: 0.05, tolerance: 0.04);
        Assert.Equal(3, merged.Count);
        Assert.Equal(new SteepStretch("both", -0.2, 0.2, 0.68, 0.32, 0.01, 0), merged[0]);
        Assert.Equal(["forward", "backward"], merged.Skip(1).Select(m => m.Direction).Order().Reverse());
    }

    [Fact]
    public void ModesOfBimodalAndUnimodalSamples()
    {
        var rng = new Random(5);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var bimodal = Enumerable.Range(0, 600).Select(k => (k % 3 == 0 ? -1.0 : 1.0) + 0.15 * Normal()).ToArray();
        var modes = PeakCounting.Modes(bimodal);
        Assert.Equal(2, modes.Length);
        Assert.InRange(modes[0], -1.1, -0.9);
        Assert.InRange(modes[1], 0.9, 1.1);
        var unimodal = Enumerable.Range(0, 600).Select(_ => 0.3 * Normal()).ToArray();
        Assert.Single(PeakCounting.Modes(unimodal));
        Assert.Single(PeakCounting.Modes([-1.25, -1.25, -1.25]));
        // Two exactly repeated values, one dominant (IQR = 0): still two modes.
        Assert.Equal(2, PeakCounting.Modes([.. Enumerable.Repeat(-0.84, 50), .. Enumerable.Repeat(-0.75, 10)]).Length);
    }

    [Fact]
    public void HistogramCountsEveryValue()
    {
        var h = Histogram.Of([0, 0.1, 0.2, 0.9, 1.0], 2);
        Assert.Equal([3, 2], h.Counts);
        Assert.Equal([0.25, 0.75], h.Centres);
    }

    [Theory]
    [InlineData("lowest", ReferenceRank.Lowest, 0)]
    [InlineData("MEDIAN", ReferenceRank.Median, 0)]
    [InlineData("highest", ReferenceRank.Highest, 0)]
    [InlineData("17", ReferenceRank.Index, 17)]
    public void ReferenceChoiceParses(string text, ReferenceRank rank, int index)
    {
        var choice = ReferenceChoice.Parse(text);
        Assert.Equal(rank, choice.Rank);
        Assert.Equal(index, choice.Index);
    }

    [Fact]
    public void BadReferenceChoiceIsOneLine()
    {
        var e = Assert.Throws<InputException>(() => ReferenceChoice.Parse("-3"));
        Assert.Equal("--reference: '-3' is not lowest, median, highest or a non-negative index", e.Message);
    }

    [Fact]
    public void SelectionByEnergyRank()
    {
        double[] energies = [3, -1, 7, 0, 5];
        Assert.Equal(1, ReferenceSelection.Select(energies, new ReferenceChoice(ReferenceRank.Lowest), "s"));
        Assert.Equal(2, ReferenceSelection.Select(energies, new ReferenceChoice(ReferenceRank.Highest), "s"));
        Assert.Equal(0, ReferenceSelection.Select(energies, new ReferenceChoice(ReferenceRank.Median), "s"));
        Assert.Equal(4, ReferenceSelection.Select(energies, new ReferenceChoice(ReferenceRank.Index, 4), "s"));
        var e = Assert.Throws<InputException>(() => ReferenceSelection.Select(energies, new ReferenceChoice(ReferenceRank.Index, 5), "ens.fsie"));
        Assert.Equal("--reference: index 5 is out of range; ens.fsie has 5 configurations (0..4)", e.Message);
        Assert.Equal([1, 3], EnsembleReferences.Choose(energies, new ReferenceChoice(ReferenceRank.Lowest), 2, "s"));
        Assert.Equal([2, 4], EnsembleReferences.Choose(energies, new ReferenceChoice(ReferenceRank.Highest), 2, "s").Order().ToArray());
        Assert.Equal([3, 0, 4], EnsembleReferences.Choose(energies, new ReferenceChoice(ReferenceRank.Median), 3, "s"));
    }

    [Fact]
    public void PublishedShallowEnergiesMatchTheModel()
    {
        var scenario = PublishedScenario.Open(Path.Combine(IO.SharedData.ReferenceDirectory(), "shallow"));
        Assert.Equal("20-10", scenario.Architecture.ToString());
        Assert.Equal(60, scenario.References.Count);
        Assert.Equal(["FULL"], scenario.AvailableParts());
        var (part, model) = scenario.LoadPart("FULL");
        Assert.Equal(200, part.Length);
        // The energy column is E(s) = −Σ_{i<j} J s s − Σ h s printed with 4 decimals.
        foreach (var r in scenario.References) Assert.Equal(r.Energy, model.Energy(r.Spins), 4);
        var lowest = scenario.SelectReference(new ReferenceChoice(ReferenceRank.Lowest));
        Assert.Equal(scenario.References.Min(r => r.Energy), lowest.Energy);
    }

    [Fact]
    public void UnderParaHasNoFullCouplings()
    {
        var scenario = PublishedScenario.Open(Path.Combine(IO.SharedData.ReferenceDirectory(), "under-para"));
        Assert.Equal(["LB", "ITER", "RB"], scenario.AvailableParts());
        var e = Assert.Throws<InputException>(() => scenario.LoadPart("FULL"));
        Assert.Equal("--part: FULL: J_FULL.txt is not published in under-para (only h_FULL.txt is); parts with a full model: LB, ITER, RB", e.Message);
        var (part, model) = scenario.LoadPart("iter");
        Assert.Equal((300, 225), (part.Start, model.Size));
    }
}

public class LandscapeGapTests
{
    private static LandscapePoint Point(double x, double d, double s) =>
        new(x, 1 - 2 * d, d, s, -1, -1 - s, FunctionSpace.Ising.StopReason.Converged, 3, 0);

    [Fact]
    public void The_gap_to_the_bound_is_not_interpolated_across_a_jump_in_d()
    {
        // d jumps from 0.88 to 0.02 between x = 0.1 and 0.2: no state of the model lies in between.
        var forward = new[] { Point(0, 0.90, 0.30), Point(0.1, 0.88, 0.32), Point(0.2, 0.02, 0.08), Point(0.3, 0.01, 0.05) };
        var sweep = new LandscapeSweep("jumpy", 10, new LandscapeSettings(0, 0.3, 4), forward, forward.Reverse().ToArray(), [], [], [], -1);
        Assert.True(double.IsNaN(LandscapeReport.GapAt(sweep, 0.3)));
        Assert.True(double.IsNaN(LandscapeReport.GapAt(sweep, 0.5)));
        double interpolated = 0.05 + (0.08 - 0.05) * (0.015 - 0.01) / (0.02 - 0.01);
        Assert.Equal(EntropyBound.MaxEntropy(0.015) - interpolated, LandscapeReport.GapAt(sweep, 0.015), 12);
        Assert.Equal(EntropyBound.MaxEntropy(0.89) - 0.31, LandscapeReport.GapAt(sweep, 0.89), 12);
    }
}
