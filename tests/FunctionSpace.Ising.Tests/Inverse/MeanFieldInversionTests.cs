using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Inverse;

namespace FunctionSpace.Ising.Tests.Inverse;

public class MeanFieldInversionTests
{
    // Forward mean-field linear response gives closed-form correlations; inverting them must return the model.
    // nMF: m = tanh(h + Jm), C⁻¹ = diag(1/(1−m²)) − J.
    // TAP: m = tanh(h + Jm − m Σ J²(1−m²)), (C⁻¹)_ij = −J_ij − 2J_ij² m_i m_j,
    //      (C⁻¹)_ii = 1/(1−m_i²) + Σ_k J_ik²(1−m_k²).
    [Theory]
    [InlineData(MeanFieldVariant.Naive, 12, 0.15)]
    [InlineData(MeanFieldVariant.Tap, 12, 0.15)]
    [InlineData(MeanFieldVariant.Naive, 45, 0.06)]   // several 32 × 32 tiles and full SIMD rows with tails
    [InlineData(MeanFieldVariant.Tap, 45, 0.06)]
    public void InversionOfMeanFieldLinearResponseRecoversTheModelExactly(MeanFieldVariant variant, int n, double scale)
    {
        var model = InverseTestModels.Random(n, scale, 0.4, 7);
        double[] m = new double[n];
        for (int sweep = 0; sweep < 5000; sweep++)
        {
            var next = new double[n];
            for (int i = 0; i < n; i++)
            {
                double field = model.Fields[i], onsager = 0;
                for (int k = 0; k < n; k++) { field += model.Couplings[i * n + k] * m[k]; onsager += Math.Pow(model.Couplings[i * n + k], 2) * (1 - m[k] * m[k]); }
                if (variant == MeanFieldVariant.Tap) field -= m[i] * onsager;
                next[i] = Math.Tanh(field);
            }
            m = next;
        }
        var cinv = new MathNet.Numerics.LinearAlgebra.Double.DenseMatrix(n, n);
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
            {
                double jik = model.Couplings[i * n + k];
                if (i != k) cinv[i, k] = variant == MeanFieldVariant.Naive ? -jik : -jik - 2 * jik * jik * m[i] * m[k];
                else
                {
                    cinv[i, i] = 1 / (1 - m[i] * m[i]);
                    if (variant == MeanFieldVariant.Tap)
                        for (int q = 0; q < n; q++) cinv[i, i] += Math.Pow(model.Couplings[i * n + q], 2) * (1 - m[q] * m[q]);
                }
            }
        var c = cinv.Inverse();
        var connected = new double[n * n];
        for (int i = 0; i < n; i++) for (int k = 0; k < n; k++) connected[i * n + k] = c[i, k];
        var (h, j, clamped) = MeanFieldInversion.Invert(m, connected, variant);
        Assert.Equal(0, clamped);
        for (int k = 0; k < n * n; k++) Assert.Equal(model.Couplings[k], j[k], 1e-9);
        for (int i = 0; i < n; i++) Assert.Equal(model.Fields[i], h[i], 1e-9);
    }

    [Fact]
    public void TapIsMoreAccurateThanNaiveMeanFieldOnExactMomentsOfAWeakModel()
    {
        var model = InverseTestModels.Random(10, 0.05, 1.0, 3);
        var exact = ExactEnumeration.Solve(model).Moments;
        var target = FitTarget.FromMoments(exact, "exact");
        double Error(MeanFieldVariant v)
        {
            var fit = new MeanFieldInversion(v).Fit(target, null, new FitOptions());
            Assert.Equal(StopReason.NotNeeded, fit.Stop.Reason);
            return Math.Sqrt(model.Couplings.Zip(fit.Model.Couplings, (a, b) => (a - b) * (a - b)).Average());
        }
        double naive = Error(MeanFieldVariant.Naive), tap = Error(MeanFieldVariant.Tap);
        // nMF errs at O(J²), TAP at O(J³): with |J| ≤ 0.05 and |m| up to ~0.7 both are small and TAP clearly smaller.
        Assert.True(naive < 0.02, $"nMF error {naive}");
        Assert.True(tap < naive / 2, $"TAP error {tap} vs nMF {naive}");
    }

    [Fact]
    public void SingularCorrelationsAreAOneLineNumericalError()
    {
        var m = new double[] { 0, 0 };
        var second = new double[] { 1, 1, 1, 1 };   // two identical spins
        var e = Assert.Throws<NumericalException>(() => new MeanFieldInversion(MeanFieldVariant.Naive).Fit(
            FitTarget.FromMoments(new Moments(m, second), "x"), null, new FitOptions()));
        // The library names no command-line option (fsi fit has no ridge for mean-field inversion).
        Assert.Equal("connected correlation matrix (2x2) is not positive definite (frozen or duplicated spins?): mean-field inversion needs it invertible; " +
                     "a ridge on its diagonal (the inversion's ridge setting), or a method that does not invert it (mc, bp, pl), avoids that", e.Message);
    }
}
