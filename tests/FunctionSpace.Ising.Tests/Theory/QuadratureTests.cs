using FunctionSpace.Ising.Theory;

namespace FunctionSpace.Ising.Tests.Theory;

public class QuadratureTests
{
    // E z^{2m} = (2m − 1)!! under the standard normal; odd moments vanish.
    private static double NormalMoment(int degree)
    {
        if (degree % 2 == 1) return 0;
        double value = 1;
        for (int j = degree - 1; j > 0; j -= 2) value *= j;
        return value;
    }

    [Theory]
    [InlineData(5)]
    [InlineData(20)]
    [InlineData(60)]
    public void GaussHermiteIsExactForPolynomialsUpToDegree2nMinus1(int n)
    {
        var rule = GaussianQuadrature.Hermite(n);
        Assert.Equal(1.0, rule.Weights.Sum(), 13);
        int maxDegree = Math.Min(2 * n - 1, 30);  // beyond ~30 the moments themselves exceed double precision's relative grip
        for (int d = 0; d <= maxDegree; d++)
        {
            double exact = NormalMoment(d);
            double got = rule.Integrate(z => Math.Pow(z, d));
            // Rounding is relative to the size of the terms, E|z|^d ≤ E z^{d+1} for odd d.
            double scale = NormalMoment(d + d % 2);
            Assert.True(Math.Abs(got - exact) <= 1e-12 * Math.Max(1, scale), $"n={n} degree {d}: {got} vs {exact}");
        }
    }

    [Fact]
    public void GaussHermiteIsNotExactBeyondItsDegree()
    {
        var rule = GaussianQuadrature.Hermite(3);
        // E z^6 = 15; a 3-point rule integrates degree ≤ 5 exactly only.
        Assert.True(Math.Abs(rule.Integrate(z => Math.Pow(z, 6)) - 15) > 1);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(10)]
    [InlineData(40)]
    public void GaussLegendreIsExactForPolynomials(int n)
    {
        var rule = GaussianQuadrature.Legendre(n);
        for (int d = 0; d <= 2 * n - 1; d++)
        {
            double exact = d % 2 == 1 ? 0 : 2.0 / (d + 1);
            Assert.Equal(exact, rule.Integrate(x => Math.Pow(x, d)), 13);
        }
    }

    [Fact]
    public void AdaptiveQuadratureResolvesASharpBoundaryLayer()
    {
        // ∫_{-1}^{1} tanh(1000 x)² dx = 2 − 2 tanh(1000)/1000 (d/dx tanh = 1 − tanh²).
        var result = AdaptiveQuadrature.Integrate(x => Math.Pow(Math.Tanh(1000 * x), 2), -1, 1, 1e-12);
        Assert.True(result.Converged);
        Assert.Equal(2 - 2 * Math.Tanh(1000) / 1000, result.Value, 11);
    }
}
