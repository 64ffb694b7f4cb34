using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Inverse;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Tests.Inverse;

public class BetheInversionTests
{
    [Fact]
    public void InvertsTheBpMomentMapExactly()
    {
        // At a BP fixed point of (J, h), the Bethe inversion of BP's beliefs returns (J, h); BP converged to 1e-13 on
        // cavity fields leaves ~1e-12 in the moments, amplified at most by 1/b(±±) ~ 10 in the logs.
        var model = InverseTestModels.Random(12, 0.3, 0.3, 4);
        var bp = BeliefPropagation.Run(model, new BpOptions(Tolerance: 1e-13));
        Assert.True(bp.Converged);
        var beliefs = BeliefPropagation.Moments(model, bp);
        var inverted = BetheInversion.Model(beliefs);
        for (int k = 0; k < model.Couplings.Length; k++) Assert.Equal(model.Couplings[k], inverted.Couplings[k], 1e-9);
        for (int i = 0; i < model.Size; i++) Assert.Equal(model.Fields[i], inverted.Fields[i], 1e-9);

        // Its messages are that fixed point: BP from them stops after one sweep with the same beliefs.
        var again = BeliefPropagation.Run(inverted, new BpOptions(Tolerance: 1e-10), BetheInversion.Messages(beliefs));
        Assert.Equal(1, again.Iterations);
        Assert.True(beliefs.Rmse(BeliefPropagation.Moments(inverted, again)) < 1e-10);
    }

    [Fact]
    public void OnTwoSpinsItIsTheExactInverse()
    {
        // Two spins form a tree: P(s1, s2) is the pair belief itself, so exact enumeration of the inverted model
        // reproduces the moments to round-off.
        var moments = new Moments([0.3, -0.2], [1, 0.25, 0.25, 1]);
        var model = BetheInversion.Model(moments);
        Assert.True(moments.Rmse(ExactEnumeration.Solve(model).Moments) < 1e-14);
    }

    [Fact]
    public void ImpossiblePairIsAOneLineInputError()
    {
        // m = 0.5, 0.5 with <s s> = -0.5 gives b(−−) = (1 − 1 − 0.5)/4 < 0.
        var moments = new Moments([0.5, 0.5], [1, -0.5, -0.5, 1]);
        var e = Assert.Throws<InputException>(() => BetheInversion.Model(moments));
        Assert.StartsWith("bethe inversion: pair (0, 1) has a probability ≤ 0", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void InexactEstimatorTiesItsToleranceToTheError()
    {
        var estimator = new InexactBpMomentEstimator(new BpOptions(Tolerance: 1e-8), fraction: 0.1, ceiling: 1e-3);
        Assert.Equal(1e-8, estimator.NextTolerance);          // no RMSE yet (the start model, cold): the floor
        estimator.SetErrorScale(0.002);
        Assert.Equal(2e-4, estimator.NextTolerance, 15);
        estimator.SetErrorScale(1);
        Assert.Equal(1e-3, estimator.NextTolerance);          // the ceiling
        estimator.SetErrorScale(1e-12);
        Assert.Equal(1e-8, estimator.NextTolerance);          // the floor
        var model = InverseTestModels.Random(10, 0.2, 0.2, 3);
        var tight = BeliefPropagation.Moments(model, BeliefPropagation.Run(model, new BpOptions(Tolerance: 1e-13)));
        estimator.SetErrorScale(1e-3);
        var loose = estimator.Estimate(model);
        Assert.Equal(1e-4, estimator.LastTolerance, 15);
        Assert.True(tight.Rmse(loose) < 1e-4, $"moment error {tight.Rmse(loose):E2} above the tolerance");
    }

    [Fact]
    public void InexactEstimatorReusesOnlyDeadArrays()
    {
        // The estimator recycles message arrays that are neither its warm start nor its best, and pair arrays handed back
        // by Recycle. Along a learning-like sequence (improve, improve, worse and back to the best, recycle every
        // estimate) each estimate must equal a fresh run from the same warm start, and the best messages must not change
        // while they are the best.
        var model = InverseTestModels.Random(40, 0.15, 0.2, 5);
        var options = new BpOptions(Tolerance: 1e-10);
        var estimator = new InexactBpMomentEstimator(options, fraction: 1e-9);   // always the floor tolerance
        var rng = new Random(2);
        BpMessages? warm = null, best = null;
        double[]? bestCopy = null;
        for (int step = 0; step < 8; step++)
        {
            var j = model.Couplings.ToArray();
            for (int a = 0; a < 40; a++)
                for (int b = a + 1; b < 40; b++) j[a * 40 + b] = j[b * 40 + a] += 1e-3 * (2 * rng.NextDouble() - 1);
            var current = new IsingModel(model.Fields, j);
            var (expected, expectedMoments) = BeliefPropagation.RunWithMoments(current, options with { Tolerance = estimator.NextTolerance },
                warm?.Clone());
            var moments = estimator.Estimate(current);
            Assert.Equal(expectedMoments.SecondMoments, moments.SecondMoments);
            Assert.Equal(expectedMoments.Magnetisations, moments.Magnetisations);
            Assert.Equal(expected.Iterations, estimator.LastResult!.Iterations);
            Assert.Equal(expected.MaxChange, estimator.LastResult.MaxChange);
            Assert.True(double.IsNaN(estimator.LastResult.FreeEnergy));   // learning asks for the moments only
            if (bestCopy != null) Assert.Equal(bestCopy, Clone(best!));       // the best survived the run
            if (step % 3 == 2)
            {
                estimator.ReturnToBest();                                       // a worse step: back to the best
                warm = best;
            }
            else
            {
                estimator.MarkBest();
                warm = best = estimator.Messages;
                bestCopy = Clone(best!);
            }
            estimator.Recycle(moments);
        }
    }

    [Fact]
    public void InexactEstimatorFailsAStepOverItsSweepBudgetWithoutEscalating()
    {
        // The budget binds only once the learning has a best model (a finite error scale): the first estimate, from a cold
        // start, runs to convergence however long it takes; a later one that has not converged within the budget fails at
        // once at the given damping, and a return to the best model restarts from the best model's fixed point.
        var model = InverseTestModels.Random(10, 0.2, 0.2, 3);
        var estimator = new InexactBpMomentEstimator(new BpOptions(Tolerance: 1e-10), fraction: 1e-9, ceiling: 1e-10) { SweepBudget = 3 };
        estimator.Estimate(model);
        Assert.True(estimator.LastResult!.Converged);
        Assert.True(estimator.LastResult.Iterations > 3, $"the cold start took {estimator.LastResult.Iterations} sweeps");
        estimator.MarkBest();
        estimator.SetErrorScale(0.01);
        var j = model.Couplings.ToArray();
        for (int k = 0; k < j.Length; k++) j[k] *= 1.5;
        var failure = Assert.Throws<BpConvergenceException>(() => estimator.Estimate(new IsingModel(model.Fields, j)));
        Assert.Equal(3, failure.Result.Iterations);
        Assert.Equal(0.5, failure.Result.DampingUsed);
        Assert.Equal(StopReason.IterationCap, failure.Result.StopReason);
        estimator.ReturnToBest();
        estimator.Estimate(model);
        Assert.Equal(1, estimator.LastResult!.Iterations);
    }

    private static double[] Clone(BpMessages messages) =>
        Enumerable.Range(0, messages.Size * messages.Size).Select(k => messages.CavityMagnetisation(k / messages.Size, k % messages.Size)).ToArray();
}
