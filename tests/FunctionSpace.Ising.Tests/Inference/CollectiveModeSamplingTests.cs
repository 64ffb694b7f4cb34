using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;
using Xunit.Abstractions;

namespace FunctionSpace.Ising.Tests.Inference;

/// <summary>
/// Sampling a model with a collective (Mattis) mode: the mirror move, Rao-Blackwellised moments and the mixing check, against
/// the exact moments of the Mattis model (a Curie–Weiss model in the gauge s_i → ξ_i s_i), computable for any N.
/// </summary>
public class CollectiveModeSamplingTests(ITestOutputHelper output)
{
    /// <summary>
    /// J_ij = (J₀/N) ξ_i ξ_j, h_i = h ξ_i. With M = Σ ξ_i s_i, E = −(J₀/2N)(M² − N) − h M, so P(M) ∝ C(N, (N+M)/2) e^{J₀M²/2N + hM}
    /// and ⟨s_i⟩ = ξ_i ⟨M⟩/N, ⟨s_i s_j⟩ = ξ_i ξ_j (⟨M²⟩ − N)/(N(N − 1)) exactly.
    /// </summary>
    internal static (IsingModel Model, Moments Exact) Mattis(int n, double j0, double h, int seed)
    {
        var rng = new Random(seed);
        var xi = Enumerable.Range(0, n).Select(_ => rng.Next(2) == 0 ? -1.0 : 1.0).ToArray();
        var j = new double[n * n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                if (a != b) j[a * n + b] = j0 / n * xi[a] * xi[b];
        var fields = xi.Select(x => h * x).ToArray();
        // log weights of M = 2k − N, normalised in log space.
        var logW = new double[n + 1];
        double logBinomial = 0;
        for (int k = 0; k <= n; k++)
        {
            if (k > 0) logBinomial += Math.Log(n - k + 1) - Math.Log(k);
            double m = 2 * k - n;
            logW[k] = logBinomial + j0 * m * m / (2.0 * n) + h * m;
        }
        double max = logW.Max(), z = 0, first = 0, second = 0;
        for (int k = 0; k <= n; k++)
        {
            double w = Math.Exp(logW[k] - max), m = 2 * k - n;
            z += w; first += w * m; second += w * m * m;
        }
        first /= z; second /= z;
        var mag = xi.Select(x => x * first / n).ToArray();
        var c = new double[n * n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                c[a * n + b] = a == b ? 1 : xi[a] * xi[b] * (second - n) / (n * (n - 1.0));
        return (new IsingModel(fields, j), new Moments(mag, c));
    }

    [Fact]
    public void MirrorMovesWeighTheTwoStatesOfAMattisModeByTheirOddsAndTheMixingCheckSeesTheDifference()
    {
        // J₀ = 2 orders the mode (overlap q ≈ 0.96); h = 0.01 makes the state along +ξ e^{2hNq} ≈ 3.2 times as likely as its
        // mirror at N = 60. The barrier between them is ≈ N × 0.2 in free energy (e^12 sweeps): heat-bath chains from random
        // starts stay in the state they fall into, about half of them in each, while the exact mean magnetisation along ξ is
        // q (3.2 − 1)/(3.2 + 1) ≈ 0.5.
        var (model, exact) = Mattis(60, 2.0, 0.01, seed: 3);
        int n = model.Size;
        var options = new MonteCarloOptions(Chains: 32, BurnInSweeps: 200, Samples: 400, ThinSweeps: 2, Rule: MetropolisRule.HeatBath, Seed: 5);
        var trapped = MonteCarlo.Sample(model, options);
        var mixed = MonteCarlo.Sample(model, options with { MirrorMoves = true });

        double Along(Moments m) => Enumerable.Range(0, n).Average(i => m.Magnetisations[i] * Math.Sign(exact.Magnetisations[i]));
        var (rb, seM, _) = SampleStatistics.RaoBlackwellMoments(model, mixed.Samples, mixed.SampleCount, mixed.Chains);
        double exactAlong = Along(exact), mixedAlong = Along(rb), trappedAlong = Along(trapped.Moments);
        // The error of the ξ-projected mean magnetisation: the chains are independent, so the spread of their projected means.
        double se = ChainSpread(mixed, exact, n);
        var checkTrapped = ChainMixing.Check(trapped.Samples, trapped.SampleCount, n, trapped.Chains);
        var checkMixed = ChainMixing.Check(mixed.Samples, mixed.SampleCount, n, mixed.Chains);
        output.WriteLine($"exact {exactAlong:F4}, mirror moves {mixedAlong:F4} ± {se:F4} (acceptance {mixed.MirrorAcceptance:F4}), none {trappedAlong:F4}");
        output.WriteLine($"without mirror moves: {checkTrapped.Describe()}; with: {checkMixed.Describe()}");

        Assert.InRange(mixedAlong, exactAlong - 4 * se, exactAlong + 4 * se);
        // Every entry of the Rao-Blackwellised magnetisations within 4 of its standard errors (60 deviations: P(max > 4σ) ≈ 0.4 %).
        for (int i = 0; i < n; i++) Assert.InRange(Math.Abs(rb.Magnetisations[i] - exact.Magnetisations[i]) / seM[i], 0, 4);
        // Without mirror moves both states hold chains at the end (a quarter to three quarters of them in the mirror state), and
        // the mixing check says so.
        int inMirror = Enumerable.Range(0, trapped.Chains).Count(c =>
            Enumerable.Range(0, n).Sum(i => trapped.Samples[((c + 1) * trapped.SamplesPerChain - 1) * n + i] * Math.Sign(exact.Magnetisations[i])) < 0);
        output.WriteLine($"chains ending in the mirror state without mirror moves: {inMirror} of {trapped.Chains}");
        Assert.InRange(inMirror, trapped.Chains / 4, 3 * trapped.Chains / 4);
        Assert.False(checkTrapped.Mixed);
        Assert.True(checkMixed.Mixed);
    }

    private static double ChainSpread(MonteCarloRun run, Moments exact, int n)
    {
        int per = run.SamplesPerChain;
        var means = new double[run.Chains];
        for (int c = 0; c < run.Chains; c++)
        {
            double sum = 0;
            for (int r = 0; r < per; r++)
                for (int i = 0; i < n; i++) sum += run.Samples[((c * per) + r) * n + i] * Math.Sign(exact.Magnetisations[i]);
            means[c] = sum / (per * (double)n);
        }
        double mean = means.Average();
        return Math.Sqrt(means.Sum(m => (m - mean) * (m - mean)) / (run.Chains - 1) / run.Chains);
    }

    [Fact]
    public void RaoBlackwellisedMomentsAgreeWithExactAndAreNoNoisierThanPlainOnes()
    {
        // E[tanh L_i] = ⟨s_i⟩ and ½E[s_j tanh L_i + s_i tanh L_j] = ⟨s_i s_j⟩; the conditional expectations have no larger variance.
        var model = PlantedModels.Dense(10, 0.8, seed: 21, hMax: 0.5);
        var exact = ExactEnumeration.Solve(model).Moments;
        var run = MonteCarlo.Sample(model, new MonteCarloOptions(Chains: 32, BurnInSweeps: 100, Samples: 500, Rule: MetropolisRule.HeatBath, Seed: 9));
        var (rb, seM, seC) = SampleStatistics.RaoBlackwellMoments(model, run.Samples, run.SampleCount, run.Chains);
        var (plainM, plainC) = run.StandardErrors();
        int n = model.Size;
        for (int i = 0; i < n; i++)
        {
            Assert.InRange(Math.Abs(rb.Magnetisations[i] - exact.Magnetisations[i]) / seM[i], 0, 4);
            for (int j = i + 1; j < n; j++) Assert.InRange(Math.Abs(rb.SecondMoment(i, j) - exact.SecondMoment(i, j)) / seC[i * n + j], 0, 4);
        }
        // Summed over entries, so the comparison is not at the mercy of one entry's estimated error.
        Assert.True(seM.Sum() < plainM.Sum(), $"Rao-Blackwellised magnetisation errors {seM.Sum():F4} vs plain {plainM.Sum():F4}");
        Assert.True(seC.Sum() < plainC.Sum(), $"Rao-Blackwellised pair errors {seC.Sum():F4} vs plain {plainC.Sum():F4}");
    }

    [Fact]
    public void TheMixingCheckPassesIndependentDrawsAndFailsChainsInOppositeStates()
    {
        int n = 50, chains = 8, per = 40;
        var rng = new Random(4);
        var independent = new sbyte[chains * per * n];
        for (int k = 0; k < independent.Length; k++) independent[k] = rng.Next(2) == 0 ? (sbyte)-1 : (sbyte)1;
        Assert.True(ChainMixing.Check(independent, chains * per, n, chains).Mixed);
        // Half the chains near +1, half near −1 (each spin flipped with probability 0.1): intra ≈ 0.64, inter ≈ 0.
        var split = new sbyte[chains * per * n];
        for (int c = 0; c < chains; c++)
            for (int k = 0; k < per * n; k++)
                split[c * per * n + k] = (sbyte)((c % 2 == 0 ? 1 : -1) * (rng.NextDouble() < 0.1 ? -1 : 1));
        var check = ChainMixing.Check(split, chains * per, n, chains);
        Assert.False(check.Mixed);
        Assert.InRange(check.IntraOverlap, 0.55, 0.72);
        Assert.InRange(check.InterOverlap, -0.72, -0.55);   // neighbours c, c + 1 are always in opposite states here
    }
}
