using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Inverse;

namespace FunctionSpace.Ising.Tests.Inverse;

public class BoltzmannLearningTests
{
    [Fact]
    public void LearningOnExactMomentsWithExactEstimatorRecoversTheModel()
    {
        var model = InverseTestModels.Random(10, 0.3, 0.3, 21);
        var target = FitTarget.FromMoments(ExactEnumeration.Solve(model).Moments, "exact");
        var fit = new BoltzmannLearning(new ExactMomentEstimator(), name: "exact")
            .Fit(target, null, new FitOptions(MaxIterations: 3000, RmseTolerance: 1e-7));
        Assert.True(fit.Stop.Reason == StopReason.Converged, $"{fit.Stop} after {fit.Iterations}: best {fit.Diagnostics["best_rmse"]}, rejected {fit.Diagnostics["rejected_steps"]}, last {string.Join(" ", fit.RmseHistory.TakeLast(5))}");
        // The log-likelihood is strictly concave: matching moments to 1e-7 pins the parameters to ~1e-6
        // (the inverse susceptibility of this weakly coupled model is O(1)).
        for (int k = 0; k < model.Couplings.Length; k++) Assert.Equal(model.Couplings[k], fit.Model.Couplings[k], 1e-5);
        for (int i = 0; i < model.Size; i++) Assert.Equal(model.Fields[i], fit.Model.Fields[i], 1e-5);
        Assert.True(fit.RmseHistory[^1] < 1e-7);
        Assert.Equal(fit.Iterations, fit.RmseHistory.Length - 1);
    }
}
