using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Tests.Inference;

namespace FunctionSpace.Ising.Tests.Landscape;

public class LandscapePhysicsTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly BpOptions Tight = new(Damping: 0.5, Tolerance: 1e-13, MaxIterations: 20000);

    private static sbyte[] RandomSpins(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (sbyte)(rng.Next(2) == 0 ? -1 : 1)).ToArray();
    }

    private static IsingModel Tilt(IsingModel model, sbyte[] reference, double x) =>
        model.WithFields(model.Fields.Select((h, i) => h + x * reference[i]).ToArray());

    [Fact]
    public void TreeSweepEqualsTheExactTiltedEnsemble()
    {
        // BP is exact on a tree: every landscape figure must equal exact enumeration up to BP's own tolerance.
        var model = PlantedModels.Tree(12, seed: 3);
        var reference = RandomSpins(12, 4);
        var sweep = EntropyLandscape.Sweep("tree", model, reference, new LandscapeSettings(-1, 1.5, 11, Tight));
        Assert.Empty(sweep.FailedPoints);
        foreach (var point in sweep.Forward.Concat(sweep.Backward))
        {
            var exact = ExactEnumeration.Solve(Tilt(model, reference, point.X));
            double q = exact.Moments.Magnetisations.Select((m, i) => m * reference[i]).Sum() / 12;
            Assert.Equal(q, point.Overlap, 1e-10);
            Assert.Equal((1 - q) / 2, point.Distance, 1e-10);
            Assert.Equal(exact.Entropy / 12, point.Entropy, 1e-10);
            Assert.Equal((exact.MeanEnergy + point.X * 12 * q) / 12, point.Energy, 1e-10);
        }
        Assert.Empty(sweep.ProvenJumps);
        Assert.Empty(sweep.Loops);
        Assert.Equal(model.Energy(reference) / 12, sweep.ReferenceEnergy, 1e-14);
    }

    [Fact]
    public void IndependentBpAgreesOnPublishedRightBoundary()
    {
        // The library's landscape against the test-only loop BP (no shared code) on the published under-para RB model.
        var scenario = PublishedScenario.Open(Path.Combine(IO.SharedData.ReferenceDirectory(), "under-para"));
        var (part, model) = scenario.LoadPart("RB");
        var reference = scenario.SelectReference(new ReferenceChoice(ReferenceRank.Lowest)).Slice(part.Start, part.Length);
        var j = new double[model.Size, model.Size];
        for (int a = 0; a < model.Size; a++) for (int b = 0; b < model.Size; b++) j[a, b] = model.Coupling(a, b);
        foreach (double x in new[] { -1.0, 0.5, 1.5 })
        {
            var (point, result) = EntropyLandscape.SolvePoint(model, reference, x, new BpOptions(Tolerance: 1e-11), null);
            Assert.True(result.Converged);
            var independent = ReferenceBp.LandscapePoint(j, model.Fields, reference, x);
            Assert.True(independent.Converged);
            Assert.Equal(independent.Distance, point.Distance, 1e-6);
            Assert.Equal(independent.Entropy, point.Entropy, 1e-6);
            Assert.Equal(independent.Energy, point.Energy, 1e-6);
        }
    }

    [Fact]
    public void WarmStartPredictorChangesSweepsNotResults()
    {
        // The predictor only chooses where BP starts: the points (the same fixed points, to the BP tolerance), the
        // jumps and the hysteresis loop must not depend on it, on the shallow model whose branches end in jumps.
        // Tolerance: BP stops at a cavity-field change of 1e-9, leaving an error of about 1e-9·λ/(1 − λ) for the slowest
        // contraction rate λ; 1e-7 allows λ up to 0.99, near a spinodal (measured: ~1e-10).
        var scenario = PublishedScenario.Open(Path.Combine(IO.SharedData.ReferenceDirectory(), "shallow"));
        var (_, model) = scenario.LoadPart("FULL");
        var reference = scenario.SelectReference(new ReferenceChoice(ReferenceRank.Lowest)).Spins;
        var sweeps = new[] { 1, 2, 5 }.Select(points =>
            EntropyLandscape.Sweep("FULL", model, reference, new LandscapeSettings(-1.5, 1.5, 61) { PredictorPoints = points })).ToArray();
        int[] iterations = sweeps.Select(s => s.Forward.Concat(s.Backward).Sum(p => p.Iterations)).ToArray();
        // Compared on the grid points, which every sweep visits in both directions (refinement adds others where d moves).
        var grid = sweeps[0].Settings.Grid();
        LandscapePoint[] OnGrid(LandscapeSweep s) => grid.Select(x => s.Forward.Single(p => p.X == x)).Concat(grid.Select(x => s.Backward.Single(p => p.X == x))).ToArray();
        var last = OnGrid(sweeps[0]);
        foreach (var sweep in sweeps)
        {
            Assert.Empty(sweep.FailedPoints);
            var points = OnGrid(sweep);
            double dd = points.Zip(last, (a, b) => Math.Abs(a.Distance - b.Distance)).Max();
            double ds = points.Zip(last, (a, b) => Math.Abs(a.Entropy - b.Entropy)).Max();
            output.WriteLine($"predictor {sweep.Settings.PredictorPoints}: {sweep.Forward.Concat(sweep.Backward).Sum(p => p.Iterations)} sweeps, " +
                             $"max |Δd| {dd:G3}, max |Δs| {ds:G3} against the last-point start; jumps {string.Join(", ", sweep.Jumps.Select(j => $"{j.Direction} {j.Location:F4}"))}; " +
                             $"loops {string.Join(", ", sweep.Hysteresis.Select(h => $"[{h.XLow:F4}, {h.XHigh:F4}]"))}");
            Assert.InRange(dd, 0, 1e-7);
            Assert.InRange(ds, 0, 1e-7);
            // The refinement's trial steps may land on the other branch a step earlier or later with another start: the
            // jumps agree to within the x resolution.
            Assert.Equal(sweeps[0].Jumps.Select(j => j.Direction), sweep.Jumps.Select(j => j.Direction));
            foreach (var (a, b) in sweeps[0].Jumps.Zip(sweep.Jumps)) Assert.InRange(Math.Abs(a.Location - b.Location), 0, sweep.Settings.XResolution * 1.000001);
            Assert.Equal(sweeps[0].Hysteresis.Count, sweep.Hysteresis.Count);
            foreach (var (a, b) in sweeps[0].Hysteresis.Zip(sweep.Hysteresis)) Assert.InRange(Math.Abs(a.Width - b.Width), 0, 2 * sweep.Settings.XResolution * 1.000001);
        }
        Assert.True(iterations[2] < iterations[1] && iterations[1] < iterations[0], string.Join(" ", iterations));
    }

    [Fact]
    public void UnderParaInteriorHugsTheBound()
    {
        var scenario = PublishedScenario.Open(Path.Combine(IO.SharedData.ReferenceDirectory(), "under-para"));
        var reference = scenario.SelectReference(new ReferenceChoice(ReferenceRank.Lowest));
        var gaps = new Dictionary<string, double>();
        foreach (var part in PartModels.FromPublished(scenario, ["LB", "ITER", "RB"]))
        {
            var sweep = EntropyLandscape.Sweep(part.Name, part.Model, reference.Slice(part.Part.Start, part.Part.Length), new LandscapeSettings(-2, 2, 11));
            Assert.Empty(sweep.FailedPoints);
            Assert.Empty(sweep.Jumps);
            gaps[part.Name] = sweep.MaxGapToBound;
        }
        Assert.True(gaps["ITER"] < 0.04, $"ITER gap {gaps["ITER"]}");
        Assert.True(gaps["LB"] > 1.5 * gaps["ITER"] && gaps["RB"] > 1.5 * gaps["ITER"], string.Join(", ", gaps));
    }

    [Fact]
    public void NonConvergenceIsReportedNeverSilent()
    {
        var scenario = PublishedScenario.Open(Path.Combine(IO.SharedData.ReferenceDirectory(), "shallow"));
        var (_, model) = scenario.LoadPart("FULL");
        var reference = scenario.SelectReference(new ReferenceChoice(ReferenceRank.Lowest)).Spins;
        var sweep = EntropyLandscape.Sweep("FULL", model, reference,
            new LandscapeSettings(0, 1, 3, new BpOptions(MaxIterations: 2, EscalateDamping: false)));
        Assert.Equal(6, sweep.FailedPoints.Count());
        string dir = Path.Combine(Path.GetTempPath(), "fsi-landscape-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var report = LandscapeReport.WriteSweeps(dir, [sweep], "test reference");
            Assert.Contains("- FULL (N = 200): x ∈ [0, 1] (3 grid points, 6 points with refinement, 6 BP solves); no converged point;", report.Summary);
            Assert.Contains("| FULL | 200 | — | — | — | — | — | none | none | none | none | 0 % | 6 of 6 | — |", report.Summary);
            var (headers, rows) = Reporting.CsvTable.Read(Path.Combine(dir, "landscape.csv"));
            int converged = Array.IndexOf(headers, "converged");
            Assert.All(rows, r => Assert.Equal("False", r[converged]));
            Assert.True(File.Exists(Path.Combine(dir, "entropy_vs_distance.png")));
            Assert.True(File.Exists(Path.Combine(dir, "distance_vs_x.png")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void HeatCapacityIntegralWithExactVariancesIsTheExactEntropy()
    {
        // S = N ln 2 − ∫₀¹ β Var_β(E) dβ holds exactly; 20 Gauss–Legendre nodes integrate this smooth integrand to ~1e-12.
        var model = PlantedModels.Dense(10, 0.6, seed: 2);
        var reference = RandomSpins(10, 9);
        var tilted = Tilt(model, reference, 0.7);
        var result = HeatCapacity.Entropy(tilted, new ExactEnergyVariance(), nodes: 20);
        Assert.Equal(ExactEnumeration.Solve(tilted).Entropy, result.Entropy, 1e-9);
        Assert.Equal(0, result.StandardError);
    }

    [Fact]
    public void HeatCapacityFromMonteCarloAgreesWithBpAndExactOnATree()
    {
        var model = PlantedModels.Tree(14, seed: 8);
        var reference = RandomSpins(14, 1);
        var tilted = Tilt(model, reference, 0.4);
        var mc = HeatCapacity.Entropy(tilted, new MonteCarloEnergyVariance(new MonteCarloOptions(Chains: 8, BurnInSweeps: 200, Samples: 4000, Seed: 11)), nodes: 10);
        double exact = ExactEnumeration.Solve(tilted).Entropy;
        var bp = BeliefPropagation.Run(tilted, Tight);
        Assert.Equal(exact, bp.Entropy, 1e-9);
        Assert.True(mc.StandardError > 0);
        // Quadrature error with 10 nodes is far below the Monte-Carlo error; allow 4 standard errors.
        Assert.True(Math.Abs(mc.Entropy - exact) < 4 * mc.StandardError, $"MC {mc.Entropy} ± {mc.StandardError}, exact {exact}");
    }

    [Fact]
    public void IsoEnergyRootsHaveTheTargetDistanceAndEnergyExactlyOnATree()
    {
        var model = PlantedModels.Tree(10, seed: 5);
        // Reference: the state whose energy is closest to the mean energy at β = 2 (not the ground state, which has
        // no equal-energy neighbours at d > 0), so the iso-energy ensembles exist at moderate β.
        double meanEnergy = ExactEnumeration.Solve(model.Scaled(2)).MeanEnergy / 2;
        sbyte[] State(int s) => Enumerable.Range(0, 10).Select(i => (sbyte)(((s >> i) & 1) == 1 ? -1 : 1)).ToArray();
        var reference = State(Enumerable.Range(0, 1 << 10).MinBy(s => Math.Abs(model.Energy(State(s)) - meanEnergy)));
        double target = model.Energy(reference) / 10;
        double[] distances = [0.05, 0.1, 0.15, 0.2];
        var points = IsoEnergy.Solve(model, reference, target, distances, 2.0, new IsoEnergySettings(Tight, Tolerance: 1e-9));
        Assert.True(points.All(pt => pt.Converged), string.Join("; ", points.Select(pt => $"{pt.TargetDistance}: {pt.Stop}")));
        foreach (var point in points.Where(pt => pt.Converged))
        {
            var scaled = model.Scaled(point.Beta);
            var ensemble = scaled.WithFields(scaled.Fields.Select((h, i) => h + point.X * reference[i]).ToArray());
            var exact = ExactEnumeration.Solve(ensemble);
            double q = exact.Moments.Magnetisations.Select((m, i) => m * reference[i]).Sum() / 10;
            Assert.Equal(point.TargetDistance, (1 - q) / 2, 1e-8);
            Assert.Equal(target, (exact.MeanEnergy + point.X * 10 * q) / (point.Beta * 10), 1e-8);
            Assert.Equal(exact.Entropy / 10, point.Entropy, 1e-9);
        }
    }
}
