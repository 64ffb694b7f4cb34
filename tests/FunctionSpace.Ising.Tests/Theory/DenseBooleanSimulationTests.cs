using FunctionSpace.Ising.Theory;

namespace FunctionSpace.Ising.Tests.Theory;

public class DenseBooleanSimulationTests
{
    // Compares class probabilities (sums of P(f) over a symmetry class: FALSE/TRUE, the 8 one-or-three-true
    // functions, the 4 dictators, XOR/XNOR), which the finite-N ensemble shares with the theory exactly by
    // symmetry, within 3 standard errors over independent networks.
    private static void AssertMatchesTheory(DenseBooleanSetting setting, WeightDistribution weights, int width, int[] depths, ulong seed)
    {
        int layers = depths.Max();
        var theory = DenseBooleanFunctions.Layers(setting, layers);
        var simulated = DenseBooleanSimulation.Run(new DenseBooleanSimulationSettings(setting, weights, width, layers, 150, false, seed));
        var classes = DenseBooleanFunctions.FunctionClasses(setting.Inputs);
        foreach (int depth in depths)
        {
            var (z, at) = DenseBooleanStudy.WorstClass(classes, theory[depth - 1], simulated, depth);
            Assert.True(z < 3, $"{setting.Label}, N = {width}, L = {depth}: class {DenseBooleanFunctions.Name(2, classes[at][0])} is {z:F2} s.e. from theory");
        }
    }

    [Theory]
    [InlineData(129)]
    [InlineData(257)]
    public void SignNetworksWithConstantsMatchTheTheoryAtTwoDepths(int width) =>
        AssertMatchesTheory(new DenseBooleanSetting(Activation.Sign, 2, true), WeightDistribution.Gaussian, width, [2, 3], seed: 3);

    [Theory]
    [InlineData(129)]
    [InlineData(257)]
    public void ReLUNetworksMatchTheTheoryAtTwoDepths(int width) =>
        AssertMatchesTheory(new DenseBooleanSetting(Activation.ReLU, 2, false), WeightDistribution.Binary, width, [2, 3], seed: 4);

    [Fact]
    public void RecurrentAndLayeredNetworksComputeTheSameDistribution()
    {
        var setting = new DenseBooleanSetting(Activation.Sign, 2, true);
        var layered = DenseBooleanSimulation.Run(new DenseBooleanSimulationSettings(setting, WeightDistribution.Gaussian, 129, 3, 150, false, 5));
        var recurrent = DenseBooleanSimulation.Run(new DenseBooleanSimulationSettings(setting, WeightDistribution.Gaussian, 129, 3, 150, true, 6));
        var theory = DenseBooleanFunctions.Layers(setting, 3);
        var classes = DenseBooleanFunctions.FunctionClasses(2);
        for (int l = 1; l < 3; l++)
        {
            Assert.True(DenseBooleanStudy.WorstClassDifference(layered.Layers[l], recurrent.Layers[l]).Z < 3, $"L = {l + 1}");
            Assert.True(DenseBooleanStudy.WorstClass(classes, theory[l], recurrent, l + 1).Z < 3, $"recurrent vs theory, L = {l + 1}");
        }
        // Layer 1 is the same map in both, so the deeper layers are where reuse could have shown.
        Assert.NotEqual(layered.Layers[2].Probabilities, recurrent.Layers[2].Probabilities);
    }

    [Fact]
    public void SameSeedGivesTheSameTables()
    {
        var settings = new DenseBooleanSimulationSettings(new DenseBooleanSetting(Activation.ReLU, 2, true), WeightDistribution.Gaussian, 31, 2, 4, false, 9);
        var a = DenseBooleanSimulation.Run(settings);
        var b = DenseBooleanSimulation.Run(settings);
        for (int l = 0; l < 2; l++) Assert.Equal(a.Layers[l].Probabilities, b.Layers[l].Probabilities);
        Assert.Equal(1, a.Layers[1].Probabilities.Sum(), 12);
    }

    [Fact]
    public void BinaryWeightsNeedAnOddWidth()
    {
        var error = Assert.Throws<InputException>(() => DenseBooleanSimulation.Run(
            new DenseBooleanSimulationSettings(new DenseBooleanSetting(Activation.Sign, 2, false), WeightDistribution.Binary, 64, 2, 4, false, 1)));
        Assert.Equal("--width: 64 must be odd with binary weights (an even number of ±1 terms can sum to zero)", error.Message);
    }
}
