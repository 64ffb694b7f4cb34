using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Inverse;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Tests.Inverse;

/// <summary>BP and Monte-Carlo Boltzmann learning on exact moments of small models (exact enumeration).</summary>
public class LearningOnExactMomentsTests
{
    // The mean-field-Newton update (default) stalls on these small exact targets; the linear-response update converges.
    private static readonly BoltzmannLearningOptions Update = new(Update: BoltzmannUpdate.LinearResponse);

    // The start fsi fit uses by default (--init tap).
    private static IsingModel Tap(FitTarget target) =>
        new MeanFieldInversion(MeanFieldVariant.Tap).Fit(target, null, new FitOptions()).Model;

    private static IsingModel RandomTree(int n, int seed)
    {
        var rng = new Random(seed);
        var h = new double[n];
        var j = new double[n * n];
        for (int i = 0; i < n; i++) h[i] = 0.3 * (2 * rng.NextDouble() - 1);
        for (int i = 1; i < n; i++)
        {
            int parent = rng.Next(i);
            double v = (rng.Next(2) == 0 ? 1 : -1) * (0.1 + 0.3 * rng.NextDouble());
            j[i * n + parent] = j[parent * n + i] = v;
        }
        return new IsingModel(h, j);
    }

    [Fact]
    public void BpLearningOnATreeMatchesTheTargetsButNotTheTree()
    {
        var model = RandomTree(12, 5);
        var exact = ExactEnumeration.Solve(model).Moments;
        var target = FitTarget.FromMoments(exact, "exact tree");
        var fit = new BoltzmannLearning(new BpMomentEstimator(new BpOptions(Tolerance: 1e-13)), Update)
            .Fit(target, Tap(target), new FitOptions(MaxIterations: 400, RmseTolerance: 1e-10));
        Assert.True(fit.Stop.Reason == StopReason.Converged, $"{fit.Stop} after {fit.Iterations}, best {fit.Diagnostics["best_rmse"]}");
        Assert.True(target.Moments.Rmse(new BpMomentEstimator(new BpOptions(Tolerance: 1e-13)).Estimate(fit.Model)) < 1e-9);
        // The tree itself reproduces the targets under BP (BP is exact on it), yet learning with BP on the COMPLETE
        // graph does not return it: the fixed point of complete-graph BP learning is the Bethe inverse, where every
        // pair, edge or not, gets J_ij from (m_i, m_j, C_ij) — and non-edges of a tree are correlated through their
        // path, so they get J_ij ≠ 0. Recovering the tree would need BP restricted to the tree's edges.
        double largestNonEdge = 0;
        for (int a = 0; a < model.Size; a++)
            for (int b = a + 1; b < model.Size; b++)
                if (model.Couplings[a * model.Size + b] == 0)
                    largestNonEdge = Math.Max(largestNonEdge, Math.Abs(fit.Model.Couplings[a * model.Size + b]));
        Assert.True(largestNonEdge > 1e-3, $"largest non-edge coupling {largestNonEdge}");
    }

    [Fact]
    public void BpLearningOnAWeakDenseModelMatchesExactMomentsWithinTheBpError()
    {
        var model = InverseTestModels.Random(12, 0.15, 0.3, 17);
        var exact = ExactEnumeration.Solve(model).Moments;
        var target = FitTarget.FromMoments(exact, "exact dense");
        var fit = new BoltzmannLearning(new BpMomentEstimator(new BpOptions(Tolerance: 1e-12)), Update)
            .Fit(target, Tap(target), new FitOptions(MaxIterations: 400, RmseTolerance: 1e-9));
        Assert.True(fit.Stop.Reason == StopReason.Converged, $"{fit.Stop} after {fit.Iterations}, best {fit.Diagnostics["best_rmse"]}");
        // Learning drives the BP moments of the fitted model onto the targets, so the fitted model's EXACT moments
        // miss the targets by BP's own error on it. For |J| ≤ 0.15 on N = 12 that error comes from the loops
        // (O(J³) per short loop) and is, to leading order, of the size of BP's error on the true model, which we
        // measure; the fitted couplings over-compensate BP's bias, so its own BP error is larger by an O(1) factor:
        // we require the same order of magnitude (factor 3), and far below the TAP start's error.
        double bpError = exact.Rmse(new BpMomentEstimator(new BpOptions(Tolerance: 1e-12)).Estimate(model));
        double fittedError = exact.Rmse(ExactEnumeration.Solve(fit.Model).Moments);
        Assert.True(bpError > 1e-5, $"BP error {bpError} should be visible at this coupling strength");
        Assert.True(fittedError < 3 * bpError, $"exact RMSE of the fitted model {fittedError} vs BP error {bpError}");
    }

    [Theory]
    [InlineData(1, false)]   // the study's rule: one rate, uncentred
    [InlineData(10, true)]   // the default: η_h = 10 η_J, centred on the data magnetisations
    public void GradientLearningRecoversAModelFromItsOwnBpMoments(double fieldRateRatio, bool centered)
    {
        // Targets that BP can match exactly: the BP moments of a planted dense model. The only parameters whose BP
        // beliefs equal them are the planted ones (the Bethe inversion of the beliefs), so the plain gradient rule with
        // its adaptive rate must return the planted J and h, to the accuracy its stopping RMSE allows.
        var model = InverseTestModels.Random(12, 0.2, 0.3, 41);
        var bp = new BpOptions(Tolerance: 1e-13);
        var target = FitTarget.FromMoments(new BpMomentEstimator(bp).Estimate(model), "BP moments of a planted model");
        var fit = new BoltzmannLearning(new BpMomentEstimator(bp), new BoltzmannLearningOptions(Update: BoltzmannUpdate.Gradient,
                FieldRateRatio: fieldRateRatio, CenteredGradient: centered))
            .Fit(target, Tap(target), new FitOptions(MaxIterations: 3000, RmseTolerance: 1e-10));
        Assert.True(fit.Stop.Reason == StopReason.Converged, $"{fit.Stop} after {fit.Iterations}, best {fit.Diagnostics["best_rmse"]}");
        // RMSE 1e-10 over 12 + 66 moments bounds each moment's error by ~1e-9; the moment map's inverse near this weakly
        // coupled model has slopes of order 1/(1 − m²) ≲ 2, so parameters are within a few 1e-9 (1e-7 leaves room).
        for (int k = 0; k < model.Couplings.Length; k++) Assert.Equal(model.Couplings[k], fit.Model.Couplings[k], 1e-7);
        for (int i = 0; i < model.Size; i++) Assert.Equal(model.Fields[i], fit.Model.Fields[i], 1e-7);
        Assert.Equal("Gradient", fit.Diagnostics["update"]);
    }

    [Fact]
    public void GradientLearningWithASweepBudgetUndoesTheStepsOverItAndStillRecoversTheModel()
    {
        // As above, with BP at a tolerance of a tenth of the best RMSE (fsi fit's gradient rule) and a budget so small that
        // some steps exceed it: those steps are undone with the rate halved, which costs steps but not the answer.
        var model = InverseTestModels.Random(12, 0.2, 0.3, 41);
        var bp = new BpOptions(Tolerance: 1e-13);
        var target = FitTarget.FromMoments(new BpMomentEstimator(bp).Estimate(model), "BP moments of a planted model");
        var estimator = new InexactBpMomentEstimator(bp, 0.1) { SweepBudget = Budget };
        var fit = new BoltzmannLearning(estimator, new BoltzmannLearningOptions(Update: BoltzmannUpdate.Gradient))
            .Fit(target, Tap(target), new FitOptions(MaxIterations: 3000, RmseTolerance: 1e-10));
        Assert.True(fit.Stop.Reason == StopReason.Converged, $"{fit.Stop} after {fit.Iterations}, best {fit.Diagnostics["best_rmse"]}");
        Assert.True((int)fit.Diagnostics["failed_estimates"]! > 0, "no step exceeded the budget: the test does not exercise it");
        // The first estimate (the start, cold) and the last (the confirmation of convergence at the floor tolerance) are
        // outside the budget; every step's estimate is within it.
        Assert.True(estimator.Sweeps.Skip(1).SkipLast(1).All(s => s <= Budget), $"a step's estimate ran past the budget: {string.Join(" ", estimator.Sweeps)}");
        Assert.Equal(bp.Tolerance, estimator.LastTolerance);
        for (int k = 0; k < model.Couplings.Length; k++) Assert.Equal(model.Couplings[k], fit.Model.Couplings[k], 1e-7);
        for (int i = 0; i < model.Size; i++) Assert.Equal(model.Fields[i], fit.Model.Fields[i], 1e-7);
    }

    private const int Budget = 6;

    [Fact]
    public void MonteCarloLearningFromZeroReachesItsToleranceOnExactMomentsAndReturnsItsBestCheck()
    {
        var model = InverseTestModels.Random(10, 0.4, 0.4, 29);
        var exact = ExactEnumeration.Solve(model).Moments;
        var target = FitTarget.FromMoments(exact, "exact dense");
        var independent = FitVerification.Independent(exact);
        var learner = new PersistentChainLearning(new PersistentChainOptions(Seed: 3)) { Incumbent = new Incumbent("independent", FitVerification.IndependentModel(exact), independent) };
        const double tolerance = 0.005;
        var fit = learner.Fit(target, new IsingModel(new double[10], new double[100]), new FitOptions(MaxIterations: 600, RmseTolerance: tolerance));
        double exactError = exact.Rmse(ExactEnumeration.Solve(fit.Model).Moments);
        // A check stops the learning once its noise-corrected RMSE is ≤ 0.005; checks measure again until their Monte-Carlo
        // noise is below 0.4 × the error they measure, so the check's estimate of the returned model's error is within ~40 %
        // of the truth: its exact error is below 2 × 0.005 = 0.01, and far below the independent model's.
        Assert.True(fit.Stop.Reason == StopReason.Converged, $"{fit.Stop} after {fit.Iterations} steps, exact RMSE {exactError}");
        Assert.InRange(exactError, 0, 2 * tolerance);
        Assert.True(exactError < independent.Rmse / 3, $"exact RMSE {exactError} vs independent {independent.Rmse}");
        // The returned model is the best check's: its step is the saved one and the check marked it best.
        var checks = (IReadOnlyList<LearningCheck>)fit.Diagnostics["checks"]!;
        var best = checks.Where(c => c.Best).MinBy(c => c.CorrectedRmse)!;
        Assert.Equal(best.Step, fit.BestIteration);
        Assert.Equal(best.CorrectedRmse, learner.BestCheck!.CorrectedRmse);
    }

    [Fact]
    public void MonteCarloLearningNeverReturnsSomethingWorseThanItsIncumbent()
    {
        // Data whose exact model is the independent one (J = 0): the incumbent has RMSE 0, which no learned model's noisy
        // check can beat (its corrected RMSE is ≥ 0 and the incumbent wins ties), so the incumbent is returned.
        var m = new[] { 0.3, -0.2, 0.5, 0.1, -0.4, 0.0 };
        int n = m.Length;
        var c = new double[n * n];
        for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) c[a * n + b] = a == b ? 1 : m[a] * m[b];
        var data = new Moments(m, c);
        var incumbent = new Incumbent("independent", FitVerification.IndependentModel(data), FitVerification.Independent(data));
        var learner = new PersistentChainLearning(new PersistentChainOptions(Chains: 64, Seed: 5)) { Incumbent = incumbent };
        var fit = learner.Fit(FitTarget.FromMoments(data, "independent"), new IsingModel(new double[n], new double[n * n]), new FitOptions(MaxIterations: 50, RmseTolerance: 1e-6));
        Assert.Equal(-1, fit.BestIteration);
        Assert.Same(incumbent.Model, fit.Model);
        Assert.Equal("independent", fit.Diagnostics["best_source"]);
    }

    [Fact]
    public void MonteCarloLearningIsReproducibleForASeed()
    {
        var model = InverseTestModels.Random(6, 0.3, 0.3, 2);
        var target = FitTarget.FromMoments(ExactEnumeration.Solve(model).Moments, "exact");
        var options = new PersistentChainOptions(Chains: 8, SweepsPerStep: 1, BurnInSweeps: 10, Seed: 11, CheckEvery: 10);
        var a = new PersistentChainLearning(options).Fit(target, null, new FitOptions(MaxIterations: 30));
        var b = new PersistentChainLearning(options).Fit(target, null, new FitOptions(MaxIterations: 30));
        // Same seed ⇒ same chains; the threaded BLAS products may differ in the last bit (summation order).
        for (int k = 0; k < a.Model.Couplings.Length; k++) Assert.Equal(a.Model.Couplings[k], b.Model.Couplings[k], 1e-12);
        for (int i = 0; i < a.Model.Size; i++) Assert.Equal(a.Model.Fields[i], b.Model.Fields[i], 1e-12);
    }
}
