using FunctionSpace.Ising.Theory;

namespace FunctionSpace.Ising.Tests.Theory;

public class FiniteSizeSimulationTests
{
    private static void AssertWithinThreeStandardErrors(LayerEstimate measured, IReadOnlyList<double> theory, string what)
    {
        for (int l = 1; l < theory.Count; l++)
        {
            double z = Math.Abs(measured.Mean[l] - theory[l]) / measured.StandardError[l];
            Assert.True(z < 3, $"{what} layer {l}: {measured.Mean[l]:F4} ± {measured.StandardError[l]:F4} vs theory {theory[l]:F4} ({z:F1} s.e.)");
        }
    }

    [Fact]
    public void DenseBinaryNetworksFollowTheArcsineRecursion()
    {
        var result = FiniteSizeSimulation.RunDense(new DenseSimulationSettings(501, PerturbationKind.Binary, [0.05, 0.1, 0.1], double.PositiveInfinity, 16, 10, Seed: 11));
        AssertWithinThreeStandardErrors(result.Overlap, result.Theory, "q");
    }

    [Fact]
    public void DenseGaussianStochasticNetworksFollowTheQuadrature()
    {
        var result = FiniteSizeSimulation.RunDense(new DenseSimulationSettings(500, PerturbationKind.Continuous, [0.3, 0.5], 2.0, 16, 10, Seed: 5));
        AssertWithinThreeStandardErrors(result.Overlap, result.Theory, "q");
        // Inputs are unbiased, so the magnetisation stays at zero.
        AssertWithinThreeStandardErrors(result.Magnetisation, new double[3], "m");
    }

    [Fact]
    public void SparseMajorityNetworksFollowTheJointRecursion()
    {
        var result = FiniteSizeSimulation.RunSparse(new SparseSimulationSettings(4000, 3, 6, 0.05, 0.2, 4, 12, Seed: 3));
        AssertWithinThreeStandardErrors(result.Overlap, result.Theory.Select(s => s.Overlap).ToArray(), "q");
        AssertWithinThreeStandardErrors(result.Magnetisation, result.Theory.Select(s => s.Magnetisation).ToArray(), "m");
        AssertWithinThreeStandardErrors(result.ReferenceMagnetisation, result.Theory.Select(s => s.ReferenceMagnetisation).ToArray(), "m̂");
    }

    [Fact]
    public void SameSeedGivesTheSameMeasurement()
    {
        var settings = new SparseSimulationSettings(300, 3, 3, 0.1, 0, 2, 3, Seed: 9);
        Assert.Equal(FiniteSizeSimulation.RunSparse(settings).Overlap.Mean, FiniteSizeSimulation.RunSparse(settings).Overlap.Mean);
    }

    [Fact]
    public void RejectsTooFewRepeats()
    {
        var error = Assert.Throws<InputException>(() => FiniteSizeSimulation.RunDense(new DenseSimulationSettings(50, PerturbationKind.Binary, [0.1], double.PositiveInfinity, 2, 1, 1)));
        Assert.Equal("--repeats: 1 must be at least 2 (the error bars come from the spread)", error.Message);
    }
}
