using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;
using Xunit.Abstractions;

namespace FunctionSpace.Ising.Tests.Inference;

public class MonteCarloTests(ITestOutputHelper output)
{
    public static TheoryData<string, MetropolisRule> Cases => new()
    {
        { "dense", MetropolisRule.Metropolis }, { "dense", MetropolisRule.HeatBath },
        { "tree", MetropolisRule.Metropolis }, { "tree", MetropolisRule.HeatBath },
    };

    private static IsingModel Model(string name) => name == "dense" ? PlantedModels.Dense(10, 0.8, seed: 21, hMax: 0.5) : PlantedModels.Tree(9, seed: 22);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MomentsAndEnergyAgreeWithExactWithinFourStandardErrors(string name, MetropolisRule rule)
    {
        // 48 independent chains: the spread of the chain means gives standard errors that include the
        // autocorrelation within each chain. Every moment must lie within 4 SE of the exact value (for ~50
        // Gaussian deviations P(max > 4σ) ≈ 0.3 %, and the run is seeded, so the check is deterministic).
        var model = Model(name);
        var exact = ExactEnumeration.Solve(model);
        var run = MonteCarlo.Sample(model, new MonteCarloOptions(Chains: 48, BurnInSweeps: 200, Samples: 1500, Rule: rule, Seed: 7));
        var (seM, seC) = run.StandardErrors();
        int n = model.Size;
        double worst = 0;
        for (int i = 0; i < n; i++)
        {
            worst = Math.Max(worst, Math.Abs(run.Moments.Magnetisations[i] - exact.Moments.Magnetisations[i]) / seM[i]);
            for (int j = i + 1; j < n; j++)
                worst = Math.Max(worst, Math.Abs(run.Moments.SecondMoment(i, j) - exact.Moments.SecondMoment(i, j)) / seC[i * n + j]);
        }
        double energyZ = Math.Abs(run.MeanEnergy - exact.MeanEnergy) / run.EnergyStandardError;
        output.WriteLine($"{name} {rule}: worst moment deviation {worst:F2} SE, energy {energyZ:F2} SE (tau {run.EnergyAutocorrelationTime:F2}), acceptance {run.AcceptanceRate:F3}");
        Assert.InRange(worst, 0, 4);
        Assert.InRange(energyZ, 0, 4);
        Assert.InRange(run.EnergyVariance, 0.8 * exact.EnergyVariance, 1.2 * exact.EnergyVariance);
        for (int s = 0; s < 20; s++)
            Assert.Equal(model.Energy(run.Samples.AsSpan(s * n, n)), run.Energies[s], 10);
    }

    [Fact]
    public void SameSeedGivesTheSameSamplesAndThinningCounts()
    {
        var model = Model("dense");
        var options = new MonteCarloOptions(Chains: 3, BurnInSweeps: 5, Samples: 40, ThinSweeps: 3, Seed: 99);
        var a = MonteCarlo.Sample(model, options);
        var b = MonteCarlo.Sample(model, options);
        Assert.Equal(a.Samples, b.Samples);
        Assert.Equal(120, a.SampleCount);
        Assert.Equal(120 * 10, a.Samples.Length);
        var c = MonteCarlo.Sample(model, options with { Seed = 100 });
        Assert.NotEqual(a.Samples, c.Samples);
    }

    [Fact]
    public void StartsFromTheGivenConfiguration()
    {
        // With no burn-in and an enormous field every flip away from the start is rejected: the first sample is the start.
        var model = new IsingModel([50, -50, 50], new double[9]);
        sbyte[] start = [1, -1, 1];
        var run = MonteCarlo.Sample(model, new MonteCarloOptions(Chains: 2, BurnInSweeps: 0, Samples: 2), start);
        Assert.Equal(start, run.Samples.AsSpan(0, 3).ToArray());
        Assert.Equal(0, run.AcceptanceRate);
    }

    [Fact]
    public void BadInputGivesOneLineMessages()
    {
        var model = Model("tree");
        Assert.Equal("chains: 0 must be at least 1", Assert.Throws<InputException>(() => MonteCarlo.Sample(model, new MonteCarloOptions(Chains: 0))).Message);
        Assert.Equal("thin: 0 must be at least 1", Assert.Throws<InputException>(() => MonteCarlo.Sample(model, new MonteCarloOptions(ThinSweeps: 0))).Message);
        Assert.Equal("initial configuration: s[2] = 3 (spins must be +1 or -1)",
            Assert.Throws<InputException>(() => MonteCarlo.Sample(model, new MonteCarloOptions(), [1, 1, 3, 1, 1, 1, 1, 1, 1])).Message);
    }

    [Fact]
    public void EstimatorReturnsTheRunsMoments()
    {
        var estimator = new MonteCarloMomentEstimator(new MonteCarloOptions(Chains: 4, BurnInSweeps: 10, Samples: 50));
        var moments = estimator.Estimate(Model("tree"));
        Assert.Same(estimator.LastRun!.Moments, moments);
    }
}

public class SampleStatisticsTests
{
    [Fact]
    public void ThreePointIsTheThirdCentralMoment()
    {
        // The connected three-point function of ±1 variables equals E[(s_i−m_i)(s_j−m_j)(s_k−m_k)].
        var rng = new Random(3);
        int n = 5, count = 400;
        var samples = new sbyte[count * n];
        for (int r = 0; r < count; r++)
        {
            // Correlated draws: spin 0 biased, spins 1, 2 copy it with noise, the rest random.
            int s0 = rng.NextDouble() < 0.7 ? 1 : -1;
            samples[r * n] = (sbyte)s0;
            for (int i = 1; i < n; i++) samples[r * n + i] = (sbyte)(i < 3 && rng.NextDouble() < 0.8 ? s0 : (rng.NextDouble() < 0.5 ? 1 : -1));
        }
        var triplets = new List<(int, int, int)> { (0, 1, 2), (1, 2, 3), (0, 0, 1), (2, 3, 4) };
        var connected = SampleStatistics.ConnectedThreePoint(samples, count, n, triplets);
        var m = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, count).Average(r => (double)samples[r * n + i])).ToArray();
        for (int t = 0; t < triplets.Count; t++)
        {
            var (i, j, k) = triplets[t];
            double central = Enumerable.Range(0, count).Average(r => (samples[r * n + i] - m[i]) * (samples[r * n + j] - m[j]) * (samples[r * n + k] - m[k]));
            Assert.Equal(central, connected[t], 12);
        }
        Assert.True(Math.Abs(connected[0]) > 0.05);   // the planted structure is visible
        Assert.Equal("triplet 0: (0, 1, 9) is outside the 5 spins",
            Assert.Throws<InputException>(() => SampleStatistics.ConnectedThreePoint(samples, count, n, [(0, 1, 9)])).Message);
    }

    [Fact]
    public void TorchAndDirectSecondMomentsAgreeExactly()
    {
        var rng = new Random(4);
        int n = 13, count = 301;
        var samples = Enumerable.Range(0, n * count).Select(_ => rng.Next(2) == 0 ? (sbyte)1 : (sbyte)-1).ToArray();
        var direct = new double[n * n];
        var viaTorch = new double[n * n];
        SampleStatistics.SecondMomentsDirect(samples, count, n, direct);
        SampleStatistics.SecondMomentsTorch(samples, count, n, viaTorch);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (i != j) Assert.Equal(direct[i * n + j], viaTorch[i * n + j]);
    }

    [Fact]
    public void AutocorrelationTimeOfIndependentDrawsIsAHalf()
    {
        var rng = new Random(5);
        var series = Enumerable.Range(0, 8000).Select(_ => rng.NextDouble()).ToArray();
        Assert.InRange(SampleStatistics.IntegratedAutocorrelationTime(series, 4), 0.4, 0.6);
        // AR(1) with φ = 0.8: τ_int = ½ (1+φ)/(1−φ) = 4.5.
        var ar = new double[20000];
        for (int t = 1; t < ar.Length; t++) ar[t] = 0.8 * ar[t - 1] + PlantedModels.Gaussian(rng);
        Assert.InRange(SampleStatistics.IntegratedAutocorrelationTime(ar, 1), 3.8, 5.2);
    }
}
