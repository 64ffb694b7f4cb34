using FunctionSpace.Ising.Inference;
using Xunit.Abstractions;

namespace FunctionSpace.Ising.Tests.Inference;

public class BpAccelerationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0.5, 0.0)]
    [InlineData(0.5, 0.5)]
    [InlineData(0.9, 0.0)]
    public void AndersonReachesTheSameFixedPoint(double beta, double damping)
    {
        var model = PlantedModels.Dense(100, beta, seed: 41);
        var plain = BeliefPropagation.Run(model, new BpOptions(Damping: damping, Tolerance: 1e-12));
        var accelerated = BeliefPropagation.Run(model, new BpOptions(Damping: damping, Tolerance: 1e-12) { AndersonDepth = 3 });
        output.WriteLine($"beta {beta} damping {damping}: plain {plain.Describe()}; Anderson {accelerated.Describe()}");
        Assert.True(plain.Converged && accelerated.Converged);
        for (int i = 0; i < 100; i++) Assert.Equal(plain.Magnetisations[i], accelerated.Magnetisations[i], 1e-10);
        Assert.Equal(plain.FreeEnergy, accelerated.FreeEnergy, 1e-9);
    }
}
