using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Cli;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Tests.Inference;

namespace FunctionSpace.Ising.Tests.Landscape;

public class LandscapeToolsTests
{
    private static string Scenario(string name) => Path.Combine(IO.SharedData.ReferenceDirectory(), name);

    [Fact]
    public void TapCensusOfAWeakModelFindsOneState()
    {
        var model = PlantedModels.Dense(30, 0.2, seed: 1);
        var census = TapLandscape.Run(model, new TapCensusSettings(Starts: 40, Seed: 3));
        Assert.Equal(40, census.Converged);
        Assert.Equal(1, census.DistinctStates);
        Assert.Single(census.Peaks);
    }

    [Fact]
    public void UndampedTapFindsTheSameStatesAsDampedOnThePublishedShallowModel()
    {
        // The default (plain) iteration must land every start on the fixed point that the damped one reaches, so that
        // the census histogram does not depend on the damping.
        var (_, model) = PublishedScenario.Open(Scenario("shallow")).LoadPart("FULL");
        var plain = TapLandscape.Run(model, new TapCensusSettings(Starts: 60, Seed: 5));
        var damped = TapLandscape.Run(model, new TapCensusSettings(Starts: 60, Seed: 5, Tap: new FunctionSpace.Ising.Inference.TapOptions(Damping: 0.5)));
        Assert.Equal(60, plain.Converged);
        Assert.Equal(60, damped.Converged);
        Assert.Equal(2, plain.DistinctStates);
        Assert.Equal(damped.StartIndices, plain.StartIndices);
        for (int k = 0; k < plain.FreeEnergies.Length; k++) Assert.Equal(damped.FreeEnergies[k], plain.FreeEnergies[k], 8);
    }

    // An antiferromagnet J_ij = −2/N, no field: the plain TAP iteration m ← tanh(−2 m̄ + …) has slope −2 at its only
    // fixed point m = 0 and settles on the period-2 orbit m̄ ↔ −m̄; at damping ½ the slope is ½ − ½·2 = −½ and it converges.
    private static IsingModel Antiferromagnet(int n)
    {
        var j = new double[n * n];
        for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) if (a != b) j[a * n + b] = -2.0 / n;
        return new IsingModel(new double[n], j);
    }

    [Fact]
    public void A_census_whose_plain_iteration_cycles_converges_with_damping_and_says_so()
    {
        int n = 20;
        var model = Antiferromagnet(n);
        var census = TapLandscape.Run(model, new TapCensusSettings(Starts: 40, Seed: 4));
        Assert.Equal(40, census.Converged);
        Assert.Equal(1, census.DistinctStates);
        Assert.Single(census.Peaks);
        // The pilot's 16 starts meet every damping until one converges; the other 24 start at that damping.
        // Stall windows 500 / (1 − damping), at most 2,000; the last pass repeats the plain iteration with 2,000.
        Assert.Equal([new TapPass(0, 16, 0, 500), new TapPass(0.5, 40, 40, 1000), new TapPass(0.8, 0, 0, 2000), new TapPass(0.95, 0, 0, 2000),
            new TapPass(0, 0, 0, 2000)], census.Passes);
        Assert.All(census.Dampings, d => Assert.Equal(0.5, d));
        // The fixed point m = 0: F/N = −ln 2 − (1/N) Σ_{i<j} ½ J_ij² (Tap.FreeEnergy at m = 0), to the iteration's tolerance.
        double exact = -Math.Log(2) - 0.5 * (n - 1) / 2.0 * (2.0 / n) * (2.0 / n);
        Assert.All(census.FreeEnergies, f => Assert.Equal(exact, f, 12));
        Assert.Contains("40 of 40 TAP starts converged (seed 4; 0 of 16 undamped, 40 of 40 at damping 0.5)", LandscapeReport.TapSummary("AF", census));
    }

    [Fact]
    public void A_census_with_no_converged_start_reports_no_peaks()
    {
        var census = TapLandscape.Run(Antiferromagnet(20), new TapCensusSettings(Starts: 10, Seed: 4) { FallbackDampings = [] });
        Assert.Equal(0, census.Converged);
        Assert.Empty(census.Peaks);
        Assert.Equal(0, census.DistinctStates);
        Assert.Equal([new TapPass(0, 10, 0, 500), new TapPass(0, 10, 0, 2000)], census.Passes);
        using var dir = new TempDirectory();
        var written = LandscapeReport.WriteTap(dir.Path, "AF", census);
        Assert.Equal("AF (N = 20): 0 of 10 TAP starts converged (seed 4; 0 of 10 undamped, 0 of 10 undamped again, stall window 2,000). No start converged at any damping: there is no " +
                     "free-energy distribution, so no states or peaks are reported.\n", written.Summary.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("peak(s)", written.Summary);
        Assert.True(File.Exists(dir.File("tap_histogram.png")) && File.Exists(dir.File("tap_histogram.svg")));
    }

    [Fact]
    public void TapCensusOfAFerromagnetFindsTwoStates()
    {
        // Curie–Weiss, J = 1.5/N, small uniform field: two TAP states (m ≈ ±0.86) with free energies ≈ 2hm apart per spin.
        int n = 40;
        var j = new double[n * n];
        for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) if (a != b) j[a * n + b] = 1.5 / n;
        var model = new IsingModel(Enumerable.Repeat(0.02, n).ToArray(), j);
        var census = TapLandscape.Run(model, new TapCensusSettings(Starts: 60, Seed: 2));
        Assert.Equal(60, census.Converged);
        Assert.Equal(2, census.DistinctStates);
        Assert.True(census.Peaks.Length == 2, string.Join(",", census.FreeEnergies.Select(f => f.ToString("R")).Distinct()));
        var again = TapLandscape.Run(model, new TapCensusSettings(Starts: 60, Seed: 2));
        Assert.Equal(census.FreeEnergies, again.FreeEnergies);
    }

    [Fact]
    public void DynamicsStartsAtTheReferenceAndKeepsOtherWeights()
    {
        var architecture = new Architecture([4, 3, 2]);
        var part = architecture.Part("LB");
        var model = PlantedModels.Dense(part.Length, 0.5, seed: 4);
        var rng = new Random(7);
        var inputs = Enumerable.Range(0, 60 * 4).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var labels = Enumerable.Range(0, 60).Select(_ => (byte)rng.Next(2)).ToArray();
        var references = Enumerable.Range(0, 3).Select(r => new ReferenceConfiguration($"r{r}",
            Enumerable.Range(0, architecture.WeightCount).Select(_ => (sbyte)(rng.Next(2) == 0 ? -1 : 1)).ToArray(), double.NaN, double.NaN)).ToArray();
        var settings = new DynamicsSettings(Sweeps: 20, RecordEvery: 5, Seed: 9);
        var result = Dynamics.Run(model, part, architecture, references, inputs, labels, settings);
        Assert.Equal([0, 5, 10, 15, 20], result.Sweeps);
        for (int r = 0; r < references.Length; r++)
        {
            var t = result.Trajectories[r];
            var start = references[r].Slice(part.Start, part.Length);
            Assert.Equal(model.Energy(start) / part.Length, t.Energy[0], 12);
            Assert.Equal(BinaryNetwork.Accuracy(architecture, references[r].Spins, 1, inputs, labels)[0], t.Accuracy[0], 6);
            // Recompute the last record from the sampler itself: the part moves, the rest stays at the reference.
            var run = MonteCarlo.Sample(model, new MonteCarloOptions(Chains: 1, BurnInSweeps: 0, Samples: 4, ThinSweeps: 5, Seed: SplitMix64.Element(9, (ulong)r)), start);
            var last = run.Samples.AsSpan(3 * part.Length, part.Length);
            Assert.Equal(model.Energy(last) / part.Length, t.Energy[^1], 12);
            var weights = (sbyte[])references[r].Spins.Clone();
            last.CopyTo(weights.AsSpan(part.Start));
            Assert.Equal(BinaryNetwork.Accuracy(architecture, weights, 1, inputs, labels)[0], t.Accuracy[^1], 6);
        }
        double mean = result.Trajectories.Average(t => t.Energy[2]);
        Assert.Equal(mean, result.EnergyMean[2], 12);
    }

    [Fact]
    public void EnergyAccuracyOfPublishedReferences()
    {
        var scenario = PublishedScenario.Open(Scenario("shallow"));
        var (part, model) = scenario.LoadPart("FULL");
        var table = EnergyAccuracy.Evaluate(model, part, scenario.References);
        Assert.Equal(60, table.Energy.Length);
        // The file prints energies with 4 decimals: per spin that is 5e-5/200.
        for (int k = 0; k < 60; k++) Assert.Equal(scenario.References[k].Energy / 200, table.Energy[k], 2.6e-7);
        Assert.InRange(table.Correlation, -1, 1);
        var parameters = EnergyAccuracy.Parameters(model);
        Assert.Equal(200 * 199 / 2, parameters.Couplings.Counts.Sum());
        Assert.Equal(200, parameters.Fields.Counts.Sum());
    }

    private static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void LandscapeCliRejectsMissingFullModel()
    {
        var (code, _, err) = Cli("landscape", "--reference-dir", Scenario("under-para"), "--part", "FULL", "--quiet");
        Assert.Equal(1, code);
        Assert.Equal("fsi: error: --part: FULL: J_FULL.txt is not published in under-para (only h_FULL.txt is); parts with a full model: LB, ITER, RB", err.Trim());
    }

    [Fact]
    public void LandscapeCliRejectsBadRangeAndSources()
    {
        var (code, _, err) = Cli("landscape", "--reference-dir", Scenario("shallow"), "--x-range", "2:1", "--quiet");
        Assert.Equal(1, code);
        Assert.Equal("fsi: error: --x-range: '2:1' is not XMIN:XMAX with XMIN < XMAX (e.g. -2:2)", err.Trim());
        (code, _, err) = Cli("landscape", "--quiet");
        Assert.Equal(1, code);
        Assert.Equal("fsi: error: --reference-dir / --model: give exactly one of them", err.Trim());
        (code, _, err) = Cli("landscape", "--reference-dir", Scenario("shallow"), "--reference", "60", "--quiet");
        Assert.Equal(1, code);
        Assert.Equal("fsi: error: --reference: index 60 (+0) is out of range; shallow refs_El/Em/Eh has 60 configurations", err.Trim());
    }

    [Fact]
    public void LandscapeCliWritesFiguresTablesAndSummary()
    {
        string dir = Path.Combine(Path.GetTempPath(), "fsi-landscape-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, output, err) = Cli("landscape", "--reference-dir", Scenario("under-para"), "--part", "RB", "--points", "5",
                "--x-range", "-2:2", "--iso-energy-points", "0", "--out", dir, "--quiet");
            Assert.True(code == 0, err);
            Assert.Contains("| RB | 150 |", output);
            Assert.Contains("- RB (N = 150): x ∈ [-2, 2] (5 grid points,", output);
            foreach (string f in new[] { "landscape.csv", "transitions.csv", "entropy_vs_distance.png", "entropy_vs_distance.svg", "distance_vs_x.png", "summary.md",
                         "RB/energy_accuracy.csv", "RB/energy_accuracy.png", "RB/couplings_histogram.png", "RB/fields_histogram.csv" })
                Assert.True(File.Exists(Path.Combine(dir, f)), f);
            var (headers, rows) = Reporting.CsvTable.Read(Path.Combine(dir, "landscape.csv"));
            // Every grid point both ways, plus the points refinement added where d moved by more than 0.02 per step.
            Assert.True(rows.Count >= 2 * 5, $"{rows.Count} rows");
            Assert.Equal(5, rows.Count(r => r[1] == "forward" && new[] { "-2.0", "-1.0", "0.0", "1.0", "2.0" }.Contains(r[2])));
            Assert.Equal("part", headers[0]);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void TapCliWritesTheHistogram()
    {
        string dir = Path.Combine(Path.GetTempPath(), "fsi-tap-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, output, err) = Cli("tap", "--reference-dir", Scenario("under-para"), "--part", "RB", "--starts", "20", "--max-iterations", "2000", "--out", dir, "--quiet");
            Assert.True(code == 0, err);
            Assert.Contains("TAP starts converged", output);
            Assert.True(File.Exists(Path.Combine(dir, "tap_histogram.png")));
            Assert.True(File.Exists(Path.Combine(dir, "tap_free_energies.csv")));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
