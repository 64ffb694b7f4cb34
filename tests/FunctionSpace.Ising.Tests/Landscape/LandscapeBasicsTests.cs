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

    [Fact]
    public void JumpIsFoundOnAStepAndNotOnASmoothCurve()
    {
        var x = Enumerable.Range(0, 41).Select(k => -2 + 0.1 * k).ToArray();
        var smooth = x.Select(v => 0.5 * (1 - Math.Tanh(v))).ToArray();
        var converged = x.Select(_ => true).ToArray();
        Assert.Empty(TransitionDetection.FindJumps("forward", x, smooth, converged));

        var step = x.Select(v => v < 0.95 ? 0.8 - 0.01 * v : 0.05 - 0.01 * v).ToArray();
        var jump = Assert.Single(TransitionDetection.FindJumps("forward", x, step, converged));
        Assert.Equal(0.9, jump.XBefore, 12);
        Assert.Equal(1.0, jump.XAfter, 12);
        Assert.Equal(0.751, jump.Size, 10);   // 0.8 − 0.009 → 0.05 − 0.010
    }

    [Fact]
    public void NonConvergedPointsAreSkippedByJumpDetection()
    {
        double[] x = [0, 1, 2, 3, 4, 5];
        double[] d = [0.50, 0.49, 0.05, 0.48, 0.47, 0.46];   // the outlier is a failed point
        bool[] ok = [true, true, false, true, true, true];
        Assert.Empty(TransitionDetection.FindJumps("forward", x, d, ok));
    }

    [Fact]
    public void HysteresisLoopSpansWhereTheBranchesDiffer()
    {
        var x = Enumerable.Range(0, 11).Select(k => (double)k).ToArray();
        var forward = x.Select(v => v < 7 ? 0.8 : 0.1).ToArray();
        var backward = x.Select(v => v < 3 ? 0.8 : 0.1).ToArray();
        var loop = TransitionDetection.FindHysteresis(x, forward, backward, x.Select(_ => true).ToArray())!;
        Assert.Equal(3, loop.XLow);
        Assert.Equal(6, loop.XHigh);
        Assert.Equal(3, loop.Width);
        Assert.Equal(0.7, loop.MaxDistanceGap, 12);
        // Trapezoid area: full gap on [3, 6], ramps of half a unit at both ends.
        Assert.Equal(0.7 * 4, loop.Area, 10);
        Assert.Null(TransitionDetection.FindHysteresis(x, forward, forward, x.Select(_ => true).ToArray()));
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
        new(x, 1 - 2 * d, d, s, -1, -1 - s, FunctionSpace.Ising.Inference.BpStopReason.Converged, 3, 0);

    [Fact]
    public void The_gap_to_the_bound_is_not_interpolated_across_a_jump_in_d()
    {
        // d jumps from 0.88 to 0.02 between x = 0.1 and 0.2: no state of the model lies in between.
        var forward = new[] { Point(0, 0.90, 0.30), Point(0.1, 0.88, 0.32), Point(0.2, 0.02, 0.08), Point(0.3, 0.01, 0.05) };
        var sweep = new LandscapeSweep("jumpy", 10, new LandscapeSettings(0, 0.3, 4), forward, forward.Reverse().ToArray(), [], null, -1);
        Assert.True(double.IsNaN(LandscapeReport.GapAt(sweep, 0.3)));
        Assert.True(double.IsNaN(LandscapeReport.GapAt(sweep, 0.5)));
        double interpolated = 0.05 + (0.08 - 0.05) * (0.015 - 0.01) / (0.02 - 0.01);
        Assert.Equal(EntropyBound.MaxEntropy(0.015) - interpolated, LandscapeReport.GapAt(sweep, 0.015), 12);
        Assert.Equal(EntropyBound.MaxEntropy(0.89) - 0.31, LandscapeReport.GapAt(sweep, 0.89), 12);
    }
}
