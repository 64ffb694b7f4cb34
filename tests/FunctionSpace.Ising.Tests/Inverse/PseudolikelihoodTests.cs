using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Inverse;
using MathNet.Numerics.LinearAlgebra;

namespace FunctionSpace.Ising.Tests.Inverse;

public class PseudolikelihoodTests
{
    [Fact]
    public void RecoversCouplingsFromExactSamplesWithinTheAsymptoticStandardError()
    {
        int n = 10, count = 100_000;
        var model = InverseTestModels.Random(n, 0.3, 0.3, 11);
        var samples = InverseTestModels.ExactSamples(model, count, 5);
        var accumulator = new MomentAccumulator(n);
        accumulator.Add(samples, count);
        var target = new FitTarget(accumulator.ToMoments("exact samples").ToMoments(), samples, count, "exact samples");
        var fit = new Pseudolikelihood(new PseudolikelihoodOptions(SinglePrecision: false, GradientTolerance: 1e-9) { StatisticalTolerance = 0 })
            .Fit(target, null, new FitOptions(MaxIterations: 500));
        Assert.Equal(FitStopReason.Converged, fit.StopReason);
        var sigma = StandardErrors(model, count);
        for (int i = 0; i < n; i++)
            for (int k = i + 1; k < n; k++)
            {
                double error = Math.Abs(fit.Model.Couplings[i * n + k] - model.Couplings[i * n + k]);
                double bound = 4 * 0.5 * (sigma[i * n + k] + sigma[k * n + i]);   // 4σ of the symmetrised estimate
                Assert.True(error < bound, $"J[{i},{k}]: error {error:E3} > 4σ = {bound:E3}");
            }
        // Fields: same standard errors from the constant feature (slot i of row i).
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(fit.Model.Fields[i] - model.Fields[i]) < 0.05, $"h[{i}] = {fit.Model.Fields[i]} vs {model.Fields[i]}");
    }

    [Fact]
    public void StatisticalStoppingRuleLeavesAnOptimisationErrorFarBelowTheStatisticalError()
    {
        // The default rule stops at a largest gradient component of 0.1/√M instead of 1e-9: the estimate must stay
        // within a small fraction of its standard error of the fully converged one (float32 products, as by default).
        int n = 10, count = 100_000;
        var model = InverseTestModels.Random(n, 0.3, 0.3, 11);
        var samples = InverseTestModels.ExactSamples(model, count, 5);
        var accumulator = new MomentAccumulator(n);
        accumulator.Add(samples, count);
        var target = new FitTarget(accumulator.ToMoments("exact samples").ToMoments(), samples, count, "exact samples");
        var tight = new Pseudolikelihood(new PseudolikelihoodOptions(SinglePrecision: false, GradientTolerance: 1e-9) { StatisticalTolerance = 0 })
            .Fit(target, null, new FitOptions(MaxIterations: 500));
        var fast = new Pseudolikelihood().Fit(target, null, new FitOptions(MaxIterations: 500));
        Assert.Equal(FitStopReason.Converged, fast.StopReason);
        Assert.Equal(0.1 / Math.Sqrt(count), (double)fast.Diagnostics["gradient_tolerance"]!, 15);
        var sigma = StandardErrors(model, count);
        for (int i = 0; i < n; i++)
            for (int k = i + 1; k < n; k++)
            {
                double gap = Math.Abs(fast.Model.Couplings[i * n + k] - tight.Model.Couplings[i * n + k]);
                double se = 0.5 * (sigma[i * n + k] + sigma[k * n + i]);
                Assert.True(gap < 0.25 * se, $"J[{i},{k}]: optimisation error {gap:E3} ≥ 0.25σ = {0.25 * se:E3}");
            }
    }

    // Standard error of the row-i conditional maximum likelihood of coupling (i, k), N×N.
    private static double[] StandardErrors(FunctionSpace.Ising.Models.IsingModel model, int count)
    {
        int n = model.Size;
        // Standard error of the row-i conditional maximum likelihood: Cov = I_i⁻¹ / M with the Fisher matrix
        // I_i = E[sech²(H_i) x xᵀ], x = (s_−i, 1), computed exactly by enumeration.
        double[] p = ExactEnumeration.Probabilities(model);
        var sigma = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            var fisher = Matrix<double>.Build.Dense(n, n);
            for (int state = 0; state < p.Length; state++)
            {
                var s = new double[n];
                for (int k = 0; k < n; k++) s[k] = (state >> k & 1) == 1 ? -1 : 1;
                double field = model.Fields[i];
                for (int k = 0; k < n; k++) field += model.Couplings[i * n + k] * s[k];
                double weight = p[state] / Math.Pow(Math.Cosh(field), 2);
                var x = s.ToArray(); x[i] = 1;   // slot i carries the field's constant feature
                for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) fisher[a, b] += weight * x[a] * x[b];
            }
            var cov = fisher.Inverse();
            for (int k = 0; k < n; k++) if (k != i) sigma[i * n + k] = Math.Sqrt(cov[k, k] / count);
        }
        return sigma;
    }

    [Fact]
    public void L1GivesExactZerosAndReportsTheirFraction()
    {
        int n = 8, count = 20_000;
        var model = InverseTestModels.Random(n, 0.2, 0.2, 2);
        var samples = InverseTestModels.ExactSamples(model, count, 9);
        var accumulator = new MomentAccumulator(n);
        accumulator.Add(samples, count);
        var target = new FitTarget(accumulator.ToMoments("s").ToMoments(), samples, count, "s");
        var fit = new Pseudolikelihood(new PseudolikelihoodOptions(SinglePrecision: false)).Fit(target, null, new FitOptions(L1: 0.05));
        int zeros = 0;
        for (int i = 0; i < n; i++) for (int k = i + 1; k < n; k++) if (fit.Model.Couplings[i * n + k] == 0) zeros++;
        Assert.True(zeros > 0, "L1 should null some couplings");
        Assert.Equal(2.0 * zeros / (n * (n - 1)), (double)fit.Diagnostics["null_fraction"]!, 12);
    }

    [Fact]
    public void MomentsOnlyTargetIsAOneLineInputError()
    {
        var moments = new Moments([0.1, 0.2], [1, 0.3, 0.3, 1]);
        var e = Assert.Throws<InputException>(() => new Pseudolikelihood().Fit(FitTarget.FromMoments(moments, "mi_data.txt"), null, new FitOptions()));
        Assert.Equal("mi_data.txt: pseudolikelihood needs configurations (an ensemble or spins .npy), not only moments", e.Message);
    }
}
