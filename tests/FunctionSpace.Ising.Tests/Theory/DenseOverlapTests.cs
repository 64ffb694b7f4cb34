using FunctionSpace.Ising.Theory;

namespace FunctionSpace.Ising.Tests.Theory;

public class DenseOverlapTests
{
    [Theory]
    [InlineData(0.3)]
    [InlineData(0.8)]
    [InlineData(0.99)]
    public void QuadratureTendsToTheArcsineLawAsBetaGrows(double c)
    {
        double exact = DenseOverlap.ArcsineLaw(c);
        double previous = double.PositiveInfinity;
        foreach (double beta in new[] { 10.0, 100, 1000, 10000 })
        {
            double gap = Math.Abs(DenseOverlap.OverlapMap(beta, c) - exact);
            Assert.True(gap < previous, $"β={beta}: gap {gap} did not shrink");
            previous = gap;
        }
        Assert.True(previous < 1e-3, $"gap at β = 1e4 is {previous}");
        Assert.Equal(exact, DenseOverlap.OverlapMap(double.PositiveInfinity, c), 15);
    }

    [Theory]
    [InlineData(0.5, 0.7)]
    [InlineData(1.0, 0.4)]
    [InlineData(1.5, 0.95)]
    public void AdaptiveQuadratureAgreesWithGaussHermiteAtModerateBeta(double beta, double c)
    {
        // Independent methods: nested adaptive Gauss–Legendre vs a 2-D Gauss–Hermite product rule.
        double adaptive = DenseOverlap.OverlapMap(beta, c);
        double hermite = DenseOverlap.OverlapMapGaussHermite(beta, c, 200);
        Assert.True(Math.Abs(adaptive - hermite) < 1e-8, $"{adaptive} vs {hermite}");
    }

    [Fact]
    public void IdenticalFieldsGiveTheMeanSquaredTanh()
    {
        // c = 1: q = E tanh²(βz), a 1-D integral.
        double beta = 2;
        double expected = AdaptiveQuadrature.Integrate(z => Math.Exp(-z * z / 2) / Math.Sqrt(2 * Math.PI) * Math.Pow(Math.Tanh(beta * z), 2), -10, 10, 1e-14).Value;
        Assert.Equal(expected, DenseOverlap.OverlapMap(beta, 1), 10);
        Assert.Equal(0, DenseOverlap.OverlapMap(beta, 0), 12);
    }

    [Fact]
    public void OverlapChainUsesRhoOfEachPerturbation()
    {
        var q = DenseOverlap.Overlaps(PerturbationKind.Binary, [0.1, 0.25], double.PositiveInfinity);
        double q1 = 2 / Math.PI * Math.Asin(0.8);
        Assert.Equal(q1, q[1], 14);
        Assert.Equal(2 / Math.PI * Math.Asin(0.5 * q1), q[2], 14);
        var qc = DenseOverlap.Overlaps(PerturbationKind.Continuous, [0.6], double.PositiveInfinity);
        Assert.Equal(2 / Math.PI * Math.Asin(0.8), qc[1], 14);
    }
}
