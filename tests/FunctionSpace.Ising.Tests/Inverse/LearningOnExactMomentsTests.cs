using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Inverse;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Tests.Inverse;

/// <summary>BP and Monte-Carlo Boltzmann learning on exact moments of small models (exact enumeration).</summary>
public class LearningOnExactMomentsTests
{
    // The mean-field-Newton update (default) stalls on these small exact targets; the linear-response update converges.
    private static readonly BoltzmannLearningOptions Update = new(Update: BoltzmannUpdate.LinearResponse);

    private static IsingModel RandomTree(int n, int seed)
    {
        var rng = new Random(seed);
        var h = new double[n];
        var j = new double[n * n];
        for (int i = 0; i < n; i++) h[i] = 0.3 * (2 * rng.NextDouble() - 1);
        for (int i = 1; i < n; i++)
        {
            int parent = rng.Next(i);
            double v = (rng.Next(2) == 0 ? 1 : -1) * (0.2 + 0.5 * rng.NextDouble());
            j[i * n + parent] = j[parent * n + i] = v;
        }
        return new IsingModel(h, j);
    }

    [Fact]
    public void BpLearningOnATreeRecoversTheModel()
    {
        var model = RandomTree(12, 5);
        var target = FitTarget.FromMoments(ExactEnumeration.Solve(model).Moments, "exact tree");
        var fit = new BoltzmannLearning(new BpMomentEstimator(new BpOptions(Tolerance: 1e-13)), Update)
            .Fit(target, null, new FitOptions(MaxIterations: 400, RmseTolerance: 1e-10));
        // BP is exact on a tree, so the tree model is a fixed point of BP learning, and the max-entropy model of
        // tree moments is that tree (the likelihood is strictly concave): a BP-RMSE of 1e-10 pins J, h to ~1e-9
        // times the inverse susceptibility (O(10) here); 1e-7 leaves room for the off-tree couplings the
        // learning passes through, on which BP is not exact.
        Assert.True(fit.StopReason == FitStopReason.Converged, $"{fit.StopReason} after {fit.Iterations}, best {fit.Diagnostics["best_rmse"]}");
        for (int k = 0; k < model.Couplings.Length; k++) Assert.Equal(model.Couplings[k], fit.Model.Couplings[k], 1e-7);
        for (int i = 0; i < model.Size; i++) Assert.Equal(model.Fields[i], fit.Model.Fields[i], 1e-7);
        Assert.True(target.Moments.Rmse(ExactEnumeration.Solve(fit.Model).Moments) < 1e-8);
    }

    [Fact]
    public void BpLearningOnAWeakDenseModelMatchesExactMomentsWithinTheBpError()
    {
        var model = InverseTestModels.Random(12, 0.15, 0.3, 17);
        var exact = ExactEnumeration.Solve(model).Moments;
        var target = FitTarget.FromMoments(exact, "exact dense");
        var fit = new BoltzmannLearning(new BpMomentEstimator(new BpOptions(Tolerance: 1e-12)), Update)
            .Fit(target, null, new FitOptions(MaxIterations: 400, RmseTolerance: 1e-9));
        Assert.True(fit.StopReason == FitStopReason.Converged, $"{fit.StopReason} after {fit.Iterations}, best {fit.Diagnostics["best_rmse"]}");
        // Learning drives the BP moments of the fitted model onto the targets, so the fitted model's EXACT moments
        // miss the targets by BP's own error on it. For |J| ≤ 0.15 on N = 12 that error comes from the loops
        // (O(J³) per short loop) and equals, to leading order, BP's error on the true model, which we measure.
        double bpError = exact.Rmse(new BpMomentEstimator(new BpOptions(Tolerance: 1e-12)).Estimate(model));
        double fittedError = exact.Rmse(ExactEnumeration.Solve(fit.Model).Moments);
        Assert.True(bpError > 1e-5, $"BP error {bpError} should be visible at this coupling strength");
        Assert.True(fittedError < 2 * bpError, $"exact RMSE of the fitted model {fittedError} vs BP error {bpError}");
    }

    [Fact]
    public void MonteCarloRefinementMatchesExactMomentsWithinItsStatisticalError()
    {
        var model = InverseTestModels.Random(10, 0.4, 0.4, 29);
        var exact = ExactEnumeration.Solve(model).Moments;
        var target = FitTarget.FromMoments(exact, "exact dense");
        // Start from the BP fit, as fsi fit --refine mc does; BP is biased by loops at |J| ≤ 0.4.
        var bpFit = new BoltzmannLearning(new BpMomentEstimator(new BpOptions(Tolerance: 1e-12)), Update)
            .Fit(target, null, new FitOptions(MaxIterations: 300, RmseTolerance: 1e-9));
        double bpExactError = exact.Rmse(ExactEnumeration.Solve(bpFit.Model).Moments);

        var options = new PersistentChainOptions(Chains: 64, SweepsPerStep: 2, BurnInSweeps: 50, Seed: 3);
        const int steps = 600;
        var fit = new PersistentChainLearning(options).Fit(target, bpFit.Model, new FitOptions(MaxIterations: steps));
        double mcExactError = exact.Rmse(ExactEnumeration.Solve(fit.Model).Moments);
        // The returned parameters average the last 40 % of the steps, i.e. M = 240 × 128 Rao-Blackwellised samples;
        // each moment has variance ≤ 1 and heat-bath sweeps at |J| ≤ 0.4, N = 10 decorrelate in ~1 sweep, so the
        // statistical error of every moment is ≤ 1/√M ≈ 0.0057; three standard errors bound the RMSE.
        int averaged = (int)fit.Diagnostics["averaged_steps"]!;
        double bound = 3 / Math.Sqrt(averaged * options.Chains * options.SweepsPerStep);
        Assert.True(mcExactError < bound, $"exact RMSE after MC refinement {mcExactError} (bound {bound}, BP fit {bpExactError})");
        Assert.True(mcExactError < bpExactError, $"MC refinement {mcExactError} should beat the BP fit {bpExactError}");
        Assert.Equal(steps, fit.Iterations);
        Assert.Equal(FitStopReason.IterationCap, fit.StopReason);
    }

    [Fact]
    public void MonteCarloLearningIsReproducibleForASeed()
    {
        var model = InverseTestModels.Random(6, 0.3, 0.3, 2);
        var target = FitTarget.FromMoments(ExactEnumeration.Solve(model).Moments, "exact");
        var options = new PersistentChainOptions(Chains: 8, SweepsPerStep: 1, BurnInSweeps: 10, Seed: 11);
        var a = new PersistentChainLearning(options).Fit(target, null, new FitOptions(MaxIterations: 30));
        var b = new PersistentChainLearning(options).Fit(target, null, new FitOptions(MaxIterations: 30));
        // Same seed ⇒ same chains; the threaded BLAS products may differ in the last bit (summation order).
        for (int k = 0; k < a.Model.Couplings.Length; k++) Assert.Equal(a.Model.Couplings[k], b.Model.Couplings[k], 1e-12);
        for (int i = 0; i < a.Model.Size; i++) Assert.Equal(a.Model.Fields[i], b.Model.Fields[i], 1e-12);
    }
}
