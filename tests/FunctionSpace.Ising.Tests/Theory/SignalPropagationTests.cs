using FunctionSpace.Ising.Theory;

namespace FunctionSpace.Ising.Tests.Theory;

public class SignalPropagationTests
{
    [Theory]
    [InlineData(1.0, 0.3)]
    [InlineData(1.2, 0.5)]
    public void ReluFixedPointAndChiMatchClosedForms(double sigmaW, double sigmaB)
    {
        var model = new SignalPropagation(Activation.ReLU, sigmaW, sigmaB);
        var fixedPoint = model.FixedPoint();
        Assert.Equal(SignalFixedPoint.ClosedForm, fixedPoint.Stop);
        Assert.Equal(sigmaB * sigmaB / (1 - sigmaW * sigmaW / 2), fixedPoint.FixedPoint, 10);
        Assert.Equal(sigmaW * sigmaW / 2, fixedPoint.Chi1, 14);
    }

    [Fact]
    public void ReluCriticalLineIsSigmaWRootTwo()
    {
        foreach (double sigmaB in new[] { 0.0, 0.5 })
            Assert.Equal(Math.Sqrt(2), SignalPropagation.CriticalSigmaW(Activation.ReLU, sigmaB), 8);
    }

    [Fact]
    public void TanhWithoutBiasIsCriticalAtSigmaWOne()
    {
        Assert.Equal(0.64, new SignalPropagation(Activation.Tanh, 0.8, 0).FixedPoint().Chi1, 12);
        Assert.Equal(1, SignalPropagation.CriticalSigmaW(Activation.Tanh, 0), 5);
        Assert.True(new SignalPropagation(Activation.Tanh, 1.5, 0).FixedPoint().Chi1 > 1);
    }

    [Theory]
    [InlineData(Activation.Tanh, 1.5, 0.3)]
    [InlineData(Activation.Tanh, 2.5, 1.0)]
    [InlineData(Activation.ReLU, 1.3, 0.4)]
    public void ChiIsTheSlopeOfTheCorrelationMapAtOne(Activation activation, double sigmaW, double sigmaB)
    {
        // Poole et al.: χ₁ = ∂c′/∂c at c = 1. Independent check: one-sided finite difference of the 2-D map
        // (error O(h) plus O(√h) terms for the kinked ReLU, hence the tolerance).
        var model = new SignalPropagation(activation, sigmaW, sigmaB);
        var fixedPoint = model.FixedPoint();
        Assert.Equal(1, model.CorrelationMap(1, fixedPoint.FixedPoint), 8);
        double h = 1e-4;
        double slope = (1 - model.CorrelationMap(1 - h, fixedPoint.FixedPoint)) / h;
        Assert.True(Math.Abs(slope - fixedPoint.Chi1) < 0.02 * fixedPoint.Chi1, $"slope {slope} vs χ₁ {fixedPoint.Chi1}");
        // The fixed point is a fixed point.
        Assert.Equal(fixedPoint.FixedPoint, model.LengthMap(fixedPoint.FixedPoint), 10);
    }

    [Fact]
    public void SignUnitsAreAlwaysChaotic()
    {
        var fixedPoint = new SignalPropagation(Activation.Sign, 1, 0.5).FixedPoint();
        Assert.Equal(1.25, fixedPoint.FixedPoint, 14);
        Assert.True(double.IsPositiveInfinity(fixedPoint.Chi1));
        Assert.True(double.IsNaN(SignalPropagation.CriticalSigmaW(Activation.Sign, 0.5)));
    }
}
