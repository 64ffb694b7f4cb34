using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Inverse;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Tests.Ensembles;
using FunctionSpace.Ising.Tests.Inference;
using Xunit.Abstractions;

namespace FunctionSpace.Ising.Tests.Inverse;

/// <summary>The fit pipeline's guarantees: never worse than the independent model, the saved model is the best, verdicts that
/// follow the numbers, a noise floor that is the sampling noise, penalties chosen on held-out networks.</summary>
public class FitPipelineTests(ITestOutputHelper output)
{
    [Fact]
    public void APlantedModelIsRecoveredFromExactSamplesWithinTheirNoiseAndTheSavedModelIsTheBestCheck()
    {
        // N = 12, J ~ U(−0.3, 0.3), h ~ U(−0.3, 0.3); M = 20,000 independent draws of the exact distribution. A perfect model
        // differs from these data by their sampling noise, the floor f = sqrt(mean Var(s_i)/M + mean Var(s_i s_j)/M) ≈ 0.007
        // (FitPipeline.NoiseFloorFromCount; E[RMSE²] = f² for the true moments). The learning stops once a check's corrected
        // RMSE is ≤ max(0.005, f), measured to ~10 % (checks re-measure until their noise is ≤ 0.4 × the error), so the fitted
        // model's exact moments must be within 1.5 f of the data, and within 2 f of the planted model's own moments (its error
        // plus the data's: √(1.5² + 1) ≈ 1.8).
        var model = InverseTestModels.Random(12, 0.3, 0.3, 101);
        int m = 20_000;
        using var dir = new TempDirectory();
        string npy = dir.File("spins.npy");
        Npy.Write(npy, InverseTestModels.ExactSamples(model, m, 7), [m, 12]);
        var settings = new FitSettings(new FitInput(SpinsNpy: npy), ["FULL"]) { Seed = 3, BpCheck = false };
        var result = FitPipeline.Run(settings);
        FitPipeline.Write(result, dir.File("fit"));
        var report = Assert.Single(result.Parts);
        string stem = Path.Combine(dir.File("fit"), report.ModelName);
        var data = DataMoments.FromSpinsNpy(npy).ToMoments();
        double floor = FitPipeline.NoiseFloorFromCount(data, m);
        var fitted = ExactEnumeration.Solve(report.Model).Moments;
        var truth = ExactEnumeration.Solve(model).Moments;
        double toData = data.Rmse(fitted), toTruth = truth.Rmse(fitted);
        output.WriteLine($"floor {floor:F4}, fitted vs data {toData:F4}, vs truth {toTruth:F4}, truth vs data {data.Rmse(truth):F4}, independent {report.IndependentRmse:F4}; {report.Verdict.Text}; {report.Fit.Iterations} steps");
        Assert.InRange(floor, 0.005, 0.01);
        Assert.Equal(floor, report.NoiseFloor, 12);
        Assert.InRange(toData, 0, 1.5 * floor);
        Assert.InRange(toTruth, 0, 2 * floor);
        Assert.True(report.Verdict.Reproduces, report.Verdict.Text);

        // The saved model is the best check's, and its sidecar says which step that was.
        Assert.Equal(report.Fit.Method, report.Saved);
        var saved = ModelFile.Load(stem);
        Assert.Equal(report.Model.Couplings, saved.Couplings);
        using var sidecar = System.Text.Json.JsonDocument.Parse(File.ReadAllText(stem + ".json"));
        var checks = (IReadOnlyList<LearningCheck>)report.Fit.Diagnostics["checks"]!;
        var best = checks.Where(c => c.Best).MinBy(c => c.CorrectedRmse)!;
        Assert.Equal(best.Step, sidecar.RootElement.GetProperty("best_iteration").GetInt32());
        Assert.Equal(report.IndependentRmse, sidecar.RootElement.GetProperty("rmse_independent").GetDouble());
        var row = Assert.Single(FitTableRow.Read(Path.Combine(dir.File("fit"), FitPipeline.TableFile)));
        Assert.Equal(report.IndependentRmse, row.RmseIndependent);
        Assert.Equal(best.Step, row.BestStep);
        Assert.Equal(report.ModelName, row.Model);
    }

    [Fact]
    public void MomentsWrittenWithABootstrapGiveTheFitTheirOwnNoiseFloorPerPartAndPerSlice()
    {
        // 40 networks, 3 configurations each, 6 spins: the bootstrap over networks written beside the moments is the floor
        // every fit of them is judged against — the named part's (FULL) as written, and for another slice the same formula,
        // sqrt(mean σ(m_i)² + mean_{i≠j} σ(C_ij)²), over that slice's errors.
        const int networks = 40, per = 3, n = 6;
        var random = new Random(5);
        var spins = new sbyte[networks * per * n];
        var ids = new int[networks * per];
        for (int k = 0; k < networks; k++)
        {
            var centre = Enumerable.Range(0, n).Select(_ => random.Next(2) == 0 ? -1 : 1).ToArray();
            for (int r = 0; r < per; r++)
            {
                ids[k * per + r] = k;
                for (int i = 0; i < n; i++) spins[(k * per + r) * n + i] = (sbyte)(random.NextDouble() < 0.05 ? -centre[i] : centre[i]);
            }
        }
        var chunk = new EnsembleChunk(networks * per, n, spins, new float[networks * per], ids, new float[networks * per]);
        var result = EnsembleMoments.Compute([chunk], n, null, new MomentsSettings { BootstrapReplicates = 50, BootstrapSeed = 3 }, "test");
        using var dir = new TempDirectory();
        string stem = dir.File("moments");
        EnsembleMoments.Write(result, stem, new Dictionary<string, object?>());
        var noise = EnsembleMoments.ReadNoise(stem + ".noise")!;
        var reports = FitPipeline.Run(new FitSettings(new FitInput(MomentsStem: stem), ["FULL", "1:5"]) { BpCheck = false, Fit = new FitOptions(MaxIterations: 25) }).Parts;
        var full = reports.Single(r => r.Part.Name == "FULL");
        Assert.Equal(noise.Parts.Single(p => p.Part == "FULL").NoiseFloor, full.NoiseFloor, 12);
        Assert.Equal("bootstrap over 40 networks (50 replicates)", full.NoiseFloorSource);
        var slice = reports.Single(r => r.Part.Name != "FULL");
        double a = 0, b = 0;
        for (int i = 1; i < 5; i++)
        {
            a += noise.MagnetisationErrors[i] * noise.MagnetisationErrors[i];
            for (int j = 1; j < 5; j++) if (i != j) b += noise.SecondMomentErrors[i * n + j] * noise.SecondMomentErrors[i * n + j];
        }
        Assert.Equal(Math.Sqrt(a / 4 + b / 12), slice.NoiseFloor, 12);
        // Networks, not configurations, set the noise: three near-copies per network give a floor well above the count-based one.
        Assert.True(full.NoiseFloor > 1.3 * FitPipeline.NoiseFloorFromCount(result.Moments.ToMoments(), networks * per), $"{full.NoiseFloor}");
    }

    [Fact]
    public void AFitThatCannotBeatTheIndependentModelSavesTheIndependentModel()
    {
        // Exact moments of independent spins: the independent-site model reproduces them exactly (RMSE 0), so whatever the
        // learning or a closed-form inversion returns, the saved model is the independent one.
        var m = new[] { 0.3, -0.2, 0.5, 0.1, -0.4, 0.0, 0.25, -0.6 };
        int n = m.Length;
        var c = new double[n * n];
        for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) c[a * n + b] = a == b ? 1 : m[a] * m[b];
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("mi_data.txt"), string.Join("\n", m.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        File.WriteAllText(dir.File("Ca_data.txt"), string.Join("\n", Enumerable.Range(0, n).Select(a =>
            string.Join(" ", Enumerable.Range(0, n).Select(b => c[a * n + b].ToString("R", System.Globalization.CultureInfo.InvariantCulture))))));
        foreach (var method in new[] { FitMethod.Mc, FitMethod.Nmf })
        {
            var settings = new FitSettings(new FitInput(MomentsTextDirectory: dir.Path), ["FULL"]) { Method = method, BpCheck = false, Fit = new FitOptions(MaxIterations: 30) };
            var report = Assert.Single(FitPipeline.Run(settings).Parts);
            Assert.Equal(0, report.IndependentRmse, 12);
            Assert.Equal("independent", report.Saved);
            Assert.All(report.Model.Couplings, v => Assert.Equal(0, v));
            Assert.True(report.Verdict.Reproduces);
        }
    }

    [Fact]
    public void VerdictsFollowTheTargetTheNoiseFloorAndWhetherTheErrorWasStillFalling()
    {
        var mixed = new MixingCheck(0.1, 0.1, 0.01, 16, true);
        VerifiedMoments Verified(double rmse, double noise) => new(rmse, noise, new Moments([0.0], [1.0]), mixed, null);
        // Corrected RMSE √(0.012² − 0.005²) = 0.0109 > 0.01: does not reproduce; "fit longer" only while the error still fell.
        var falling = FitVerdict.Judge(Verified(0.012, 0.005), 0.03, double.NaN, 0.01, new Stop(StopReason.IterationCap), stillFalling: true, "mc");
        var flat = FitVerdict.Judge(Verified(0.012, 0.005), 0.03, double.NaN, 0.01, new Stop(StopReason.IterationCap), stillFalling: false, "mc");
        var stalled = FitVerdict.Judge(Verified(0.012, 0.005), 0.03, double.NaN, 0.01, new Stop(StopReason.Stalled), stillFalling: true, "mc");
        Assert.False(falling.Reproduces);
        Assert.StartsWith("fit longer", falling.Advice);
        Assert.DoesNotContain("fit longer", flat.Advice);
        Assert.DoesNotContain("fit longer", stalled.Advice);
        // The same noise-corrected 0.0087 reproduces the data (the measured 0.01 includes Monte-Carlo noise 0.005).
        Assert.True(FitVerdict.Judge(Verified(0.010, 0.005), 0.03, double.NaN, 0.01, new Stop(StopReason.Stalled), false, "mc").Reproduces);
        // A noise floor above the target: the fit is judged against the floor and reaching it is said as such.
        var atFloor = FitVerdict.Judge(Verified(0.028, 0.005), 0.04, 0.03, 0.01, new Stop(StopReason.Converged), false, "mc");
        Assert.True(atFloor.Reproduces);
        Assert.Equal(0.03, atFloor.Required);
        Assert.StartsWith("at the data's noise floor", atFloor.Text);
        var short_ = FitVerdict.Judge(Verified(0.05, 0.005), 0.04, 0.03, 0.01, new Stop(StopReason.Stalled), false, "independent");
        Assert.StartsWith("does not reach the data's noise floor", short_.Text);
        Assert.Contains("no learned model beat the independent-site model", short_.Text);
        // Chains that did not mix give no verdict.
        var notMixed = FitVerdict.Judge(new VerifiedMoments(0.005, 0.001, new Moments([0.0], [1.0]), new MixingCheck(0.8, 0.1, 0.01, 16, false), null),
            0.03, double.NaN, 0.01, new Stop(StopReason.Stalled), false, "mc");
        Assert.False(notMixed.Reproduces);
        Assert.StartsWith("not verified", notMixed.Text);
    }

    [Fact]
    public void TheNoiseFloorFromTheSampleCountIsTheRmseOfTrueMomentsAgainstSampledOnes()
    {
        // Independent spins with magnetisations m_i: sample moments of M draws differ from the true ones by the sampling
        // noise, whose mean square is exactly the floor's square (E[(m̂ − m)²] = (1 − m²)/M, E[(Ĉ − C)²] = (1 − C²)/M).
        var m = Enumerable.Range(0, 10).Select(i => 0.8 * Math.Sin(i)).ToArray();
        int n = m.Length, count = 400, repeats = 200;
        var c = new double[n * n];
        for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) c[a * n + b] = a == b ? 1 : m[a] * m[b];
        var truth = new Moments(m, c);
        double floor = FitPipeline.NoiseFloorFromCount(truth, count);
        var rng = new Random(12);
        double meanSquare = 0;
        for (int r = 0; r < repeats; r++)
        {
            var spins = new sbyte[count * n];
            for (int k = 0; k < spins.Length; k++) spins[k] = rng.NextDouble() < 0.5 * (1 + m[k % n]) ? (sbyte)1 : (sbyte)-1;
            double rmse = truth.Rmse(SampleStatistics.Moments(spins, count, n));
            meanSquare += rmse * rmse / repeats;
        }
        // The mean of 200 squared RMSEs, each an average of ~100 squared deviations: relative error ≲ 2 %; 5 % bounds it.
        Assert.InRange(Math.Sqrt(meanSquare) / floor, 0.95, 1.05);
    }

    [Fact]
    public void HeldOutSelectionChoosesNoPenaltyForNoiselessFoldsAndAPenaltyForSmallSamplesThatBringsTheFitCloserToTheTruth()
    {
        var model = InverseTestModels.Random(8, 0.4, 0.3, 17);
        var truth = ExactEnumeration.Solve(model).Moments;
        // Exact Boltzmann learning with L2 (exact moments, linear-response step): the fitted model's exact moments.
        Moments FitExact(Moments train, FitOptions options) =>
            ExactEnumeration.Solve(new BoltzmannLearning(new ExactMomentEstimator(), new BoltzmannLearningOptions(Update: BoltzmannUpdate.LinearResponse))
                .Fit(FitTarget.FromMoments(train, "train"), null, options with { MaxIterations = 400, RmseTolerance = 1e-9 }).Model).Moments;
        var noiseless = new[] { new MomentFold(truth, truth, 1000, 1000), new MomentFold(truth, truth, 1000, 1000) };
        var clean = HeldOutSelection.Select(noiseless, PenaltyKind.L2, [0, 100, 1000], (f, o, _) => FitExact(f.Train, o), new FitOptions());
        Assert.Equal(0, clean.Scale);

        // 2 × 100 networks: pair moments carry noise ≈ 1/√100 = 0.1, of the size of the planted correlations. Unpenalised
        // couplings then follow the noise; a Gaussian prior shrinks them, which lowers the coupling error (the variance falls
        // more than the bias grows).
        const int count = 200;
        var spins = InverseTestModels.ExactSamples(model, count, 5);
        var groups = new[] { new MomentAccumulator(8), new MomentAccumulator(8) };
        for (int mu = 0; mu < count; mu++) groups[HeldOutSelection.GroupOf(mu, 2)].Add(spins.AsSpan(mu * 8, 8), 1);
        var folds = HeldOutSelection.FromGroups(groups);
        var selection = HeldOutSelection.Select(folds, PenaltyKind.L2, PenaltyScale.Defaults(PenaltyKind.L2), (f, o, _) => FitExact(f.Train, o), new FitOptions());
        output.WriteLine(string.Join(", ", selection.Scores.Select(s => $"c {s.Scale}: {s.Mean:F4} ± {s.StandardError:F4}")));
        Assert.True(selection.Scale > 0, "no penalty chosen for 100-network folds");
        var all = new MomentAccumulator(8);
        all.Add(spins, count);
        var data = all.ToMoments("all").ToMoments();
        var (l2, _) = selection.StrengthsFor(count);
        double CouplingError(FitOptions options)
        {
            var fit = new BoltzmannLearning(new ExactMomentEstimator(), new BoltzmannLearningOptions(Update: BoltzmannUpdate.LinearResponse))
                .Fit(FitTarget.FromMoments(data, "all"), null, options with { MaxIterations = 400, RmseTolerance = 1e-9 }).Model;
            return Math.Sqrt(fit.Couplings.Zip(model.Couplings).Average(p => (p.First - p.Second) * (p.First - p.Second)));
        }
        double plain = CouplingError(new FitOptions()), penalised = CouplingError(new FitOptions(L2: l2));
        output.WriteLine($"chosen c = {selection.Scale} (λ₂ = {l2:G3}): coupling RMSE to the planted model {penalised:F4}, unpenalised {plain:F4}");
        Assert.True(penalised < plain, $"penalised {penalised} vs unpenalised {plain}");
    }

    [Fact]
    public void FoldsFromAnEnsembleHoldOutWholeNetworksAndTogetherGiveTheFullMoments()
    {
        string path = EnsembleTestData.TempFile("folds.fsie");
        var architecture = FunctionSpace.Ising.Networks.Architecture.Shallow;
        int n = architecture.WeightCount;
        using (var writer = EnsembleWriter.Create(path, EnsembleTestData.Header(architecture)))
            for (int block = 0; block < 3; block++) writer.Write(EnsembleTestData.Chunk(block, 7, n, seed: block));
        var (folds, networks) = FitPipeline.FoldsFromEnsembles([path], 2);
        Assert.Equal(21, networks);
        Assert.Equal(2, folds.Count);
        // Network ids are block × 100 + row; group = id mod 2. Each fold's training networks are the other's held-out ones.
        Assert.Equal(folds[0].TrainCount, folds[1].HeldOutCount);
        Assert.Equal(folds[1].TrainCount, folds[0].HeldOutCount);
        Assert.Equal(21, folds[0].TrainCount + folds[0].HeldOutCount);
        var (full, _, _, _) = new FitInput(Ensembles: [path]).Load(keepSamples: false);
        for (int i = 0; i < n; i++)
        {
            double merged = (folds[0].Train.Magnetisations[i] * folds[0].TrainCount + folds[0].HeldOut.Magnetisations[i] * folds[0].HeldOutCount) / 21;
            Assert.Equal(full.Magnetisations[i], merged, 12);
        }
    }
}
