using FunctionSpace.Ising.Theory;

namespace FunctionSpace.Ising.Tests.Theory;

public class MaxEntropyTests
{
    private static readonly LayerMap Sign = new(double.PositiveInfinity);

    // Brute force over a grid of p_1..p_{L−1} (p_L then follows from q^L = 1 − 2ε), independent of the
    // solver's overlap parametrisation: the chain is evaluated with DenseOverlap.Overlaps.
    private static (double Entropy, double[] Profile) BruteForceBinary(int layers, double error, int steps)
    {
        double target = 1 - 2 * error, cTarget = DenseOverlap.InverseArcsineLaw(target);
        double best = double.NegativeInfinity; double[] arg = [];
        var free = new double[layers - 1];
        void Recurse(int depth)
        {
            if (depth == layers - 1)
            {
                double q = DenseOverlap.Overlaps(PerturbationKind.Binary, free, double.PositiveInfinity)[^1];
                if (cTarget > q) return;
                double pLast = 0.5 * (1 - cTarget / q);
                double s = (free.Sum(DenseOverlap.BinaryEntropy) + DenseOverlap.BinaryEntropy(pLast)) / layers;
                if (s > best) { best = s; arg = [.. free, pLast]; }
                return;
            }
            for (int i = 0; i <= steps; i++) { free[depth] = 0.5 * i / steps; Recurse(depth + 1); }
        }
        Recurse(0);
        return (best, arg);
    }

    [Theory]
    [InlineData(2, 0.05)]
    [InlineData(2, 0.3)]
    [InlineData(2, 0.45)]
    [InlineData(3, 0.1)]
    [InlineData(3, 0.38)]
    [InlineData(3, 0.47)]
    public void BinaryProfileIsTheGlobalOptimum(int layers, double error)
    {
        var solver = new MaxEntropySolver(new MaxEntropySettings(PerturbationKind.Binary, layers), Sign);
        var result = solver.Solve(error);
        var (brute, profile) = BruteForceBinary(layers, error, layers == 2 ? 20000 : 600);
        // Never worse than any grid point (global), and the grid optimum approaches it from below.
        Assert.True(result.Entropy >= brute - 1e-12, $"solver {result.Entropy} < brute force {brute}");
        Assert.True(result.Entropy - brute < 2e-3, $"solver {result.Entropy} vs brute force {brute}");
        for (int l = 0; l < layers; l++)
            Assert.True(Math.Abs(result.Strengths[l] - profile[l]) < 0.01, $"layer {l + 1}: p = {result.Strengths[l]} vs brute force {profile[l]}");
        // The profile meets the constraint.
        double q = DenseOverlap.Overlaps(PerturbationKind.Binary, result.Strengths, double.PositiveInfinity)[^1];
        Assert.Equal(1 - 2 * error, q, 9);
    }

    [Theory]
    [InlineData(2, 0.2)]
    [InlineData(3, 0.3)]
    [InlineData(3, 0.45)]
    public void ContinuousProfileIsAtLeastAsGoodAsBruteForce(int layers, double error)
    {
        var solver = new MaxEntropySolver(new MaxEntropySettings(PerturbationKind.Continuous, layers), Sign);
        var result = solver.Solve(error);
        double target = 1 - 2 * error, cTarget = DenseOverlap.InverseArcsineLaw(target);
        double best = double.NegativeInfinity;
        int steps = layers == 2 ? 20000 : 600;
        var free = new double[layers - 1];
        void Recurse(int depth)
        {
            if (depth == layers - 1)
            {
                double qPrev = DenseOverlap.Overlaps(PerturbationKind.Continuous, free, double.PositiveInfinity)[^1];
                if (cTarget >= qPrev) return;
                double rho = cTarget / qPrev;
                double s = (free.Sum(Math.Log) + 0.5 * Math.Log(1 - rho * rho)) / layers;
                best = Math.Max(best, s);
                return;
            }
            for (int i = 1; i <= steps; i++) { free[depth] = (double)i / steps; Recurse(depth + 1); }
        }
        Recurse(0);
        Assert.True(result.Entropy >= best - 1e-12, $"solver {result.Entropy} < brute force {best}");
        Assert.True(result.Entropy - best < 1e-2, $"solver {result.Entropy} vs brute force {best}");
        Assert.Equal(target, DenseOverlap.Overlaps(PerturbationKind.Continuous, result.Strengths, double.PositiveInfinity)[^1], 9);
    }

    [Fact]
    public void BinaryOptimumAlignsTheFirstLayersFirstAsTheErrorDecreases()
    {
        // Li & Saad: at small ε the early layers are copied exactly (p = 0) and the perturbation sits in
        // the last layers; near ε = 1/2 every layer is perturbed.
        var solver = new MaxEntropySolver(new MaxEntropySettings(PerturbationKind.Binary, 4), Sign);
        var small = solver.Solve(0.05);
        Assert.Equal([0.0, 0.0, 0.0], small.Strengths[..3]);
        Assert.True(small.Strengths[3] > 0);
        var large = solver.Solve(0.49);
        Assert.All(large.Strengths, p => Assert.True(p > 0.1));
        // The number of exactly aligned leading layers never increases with ε.
        int Aligned(MaxEntropyProfile r) => r.Strengths.TakeWhile(p => p == 0).Count();
        int previous = int.MaxValue;
        foreach (double e in new[] { 0.01, 0.1, 0.3, 0.4, 0.45, 0.49 })
        {
            int aligned = Aligned(solver.Solve(e));
            Assert.True(aligned <= previous, $"ε = {e}: {aligned} aligned layers after {previous}");
            previous = aligned;
        }
    }

    [Fact]
    public void ContinuousOptimalErrorFallsLikeOneOverAlpha()
    {
        var solver = new MaxEntropySolver(new MaxEntropySettings(PerturbationKind.Continuous, 4, StateGrid: 401), Sign);
        double[] errors = Enumerable.Range(0, 61).Select(i => Math.Pow(10, -5 + 4.5 * i / 60)).ToArray();
        double[] entropies = solver.SolveAll(errors).Select(r => r.Entropy).ToArray();
        double e1 = AnnealedGeneralisation.OptimalError(errors, entropies, 300);
        double e2 = AnnealedGeneralisation.OptimalError(errors, entropies, 3000);
        double slope = Math.Log(e2 / e1) / Math.Log(10);
        Assert.True(Math.Abs(slope + 1) < 0.05, $"d ln ε*/d ln α = {slope}");
    }

    [Fact]
    public void FiniteBetaCannotReachZeroError()
    {
        // β = 4: F(1) = E tanh²(4z) < 1, so q^L ≤ F(F(1)) < 1; the tabulated map is interpolated, so the
        // constraint holds to the table's accuracy (~1e-5), checked against the direct quadrature.
        var map = new LayerMap(4.0, 129);
        var solver = new MaxEntropySolver(new MaxEntropySettings(PerturbationKind.Binary, 2), map);
        Assert.False(solver.Solve(0.0).Feasible);
        var result = solver.Solve(0.35);
        Assert.True(result.Feasible);
        Assert.Equal(0.3, DenseOverlap.Overlaps(PerturbationKind.Binary, result.Strengths, 4.0)[^1], 4);
    }
}
