using FunctionSpace.Ising.Theory;

namespace FunctionSpace.Ising.Tests.Theory;

public class SparseMajorityTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.02)]
    [InlineData(0.08)]
    [InlineData(0.14)]
    public void Maj3StationaryMagnetisationMatchesTheClosedForm(double p)
    {
        var sparse = new SparseMajority(3, p);
        double exact = SparseMajority.Maj3StationaryMagnetisation(p);
        Assert.Equal(exact, sparse.StationaryMagnetisation(), 12);
        // The joint recursion from a biased input reaches the same state, with q^∞ = m^∞ (m̂^∞ = 1).
        var stationary = sparse.Stationary(0.3);
        Assert.Equal(SparseStationary.Stationary, stationary.Stop);
        Assert.Equal(exact, stationary.State.Magnetisation, 10);
        Assert.Equal(1, stationary.State.ReferenceMagnetisation, 10);
        Assert.Equal(exact, stationary.State.Overlap, 10);
    }

    [Theory]
    [InlineData(0.17)]
    [InlineData(0.25)]
    [InlineData(0.4)]
    public void Maj3MagnetisationVanishesAboveOneSixth(double p)
    {
        var sparse = new SparseMajority(3, p);
        Assert.Equal(0, sparse.StationaryMagnetisation());
        Assert.Equal(0, SparseMajority.Maj3StationaryMagnetisation(p));
        var stationary = sparse.Stationary(0.5);
        Assert.True(Math.Abs(stationary.State.Magnetisation) < 1e-9);
    }

    [Fact]
    public void CriticalFlipProbabilityOfMaj3IsOneSixth()
    {
        Assert.Equal(1.0 / 6, SparseMajority.CriticalFlipProbability(3), 15);
        // MAJ-5: slope f'(0) = 5·C(4,2)/16 = 15/8 → p_c = (1 − 8/15)/2 = 7/30.
        Assert.Equal(7.0 / 30, SparseMajority.CriticalFlipProbability(5), 15);
        // Just below p_c the magnetised branch exists, just above it does not.
        Assert.True(new SparseMajority(5, 7.0 / 30 - 1e-3).StationaryMagnetisation() > 0);
        Assert.Equal(0, new SparseMajority(5, 7.0 / 30 + 1e-3).StationaryMagnetisation());
    }

    [Theory]
    [InlineData(3, 0.1, 0.4)]
    [InlineData(5, 0.05, -0.3)]
    [InlineData(7, 0.2, 0.9)]
    public void SingleNetworkRecursionIsTheMarginalOfTheJointOne(int k, double p, double m)
    {
        var sparse = new SparseMajority(k, p);
        var next = sparse.Next(new SparseState(0.2, m, 0.5));
        Assert.Equal(sparse.NextMagnetisation(m), next.Magnetisation, 13);
        Assert.Equal(new SparseMajority(k, 0).NextMagnetisation(0.2), next.ReferenceMagnetisation, 13);
    }

    [Fact]
    public void Maj3OverlapAtZeroBiasFollowsItsFourierExpansion()
    {
        // MAJ3 = (x1 + x2 + x3)/2 − x1x2x3/2: for unbiased pairs with correlation c, q′ = ¾ c + ¼ c³.
        var sparse = new SparseMajority(3, 0.1);
        double q = 0.7, c = 0.8 * q;
        var next = sparse.Next(new SparseState(0, 0, q));
        Assert.Equal(0.75 * c + 0.25 * c * c * c, next.Overlap, 14);
        // MAJ3 magnetisation: m′ = (3a − a³)/2 with a = (1 − 2p) m.
        double a = 0.8 * 0.3;
        Assert.Equal(1.5 * a - 0.5 * a * a * a, sparse.NextMagnetisation(0.3), 14);
    }

    [Fact]
    public void InternalErrorRisesThenFallsBelowTheTransition()
    {
        var states = new SparseMajority(3, 0.05).Layers(40, 0.1);
        double[] delta = states.Select(s => s.InternalError).ToArray();
        int peak = Array.IndexOf(delta, delta.Max());
        Assert.InRange(peak, 1, 39);
        Assert.True(delta[peak] > delta[^1] + 0.05, "no fall after the peak");
        Assert.Equal(0.5 * (1 - SparseMajority.Maj3StationaryMagnetisation(0.05)), delta[^1], 6);
        // Above p_c the error only rises (towards 1/2).
        var above = new SparseMajority(3, 0.25).Layers(40, 0.1).Select(s => s.InternalError).ToArray();
        for (int l = 1; l < above.Length; l++) Assert.True(above[l] >= above[l - 1] - 1e-12);
    }

    [Fact]
    public void RejectsEvenFanIn()
    {
        var error = Assert.Throws<InputException>(() => new SparseMajority(4, 0.1));
        Assert.Equal("--k: 4 must be odd and in 3..51", error.Message);
    }
}
