using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Theory;
using FunctionSpace.Ising.Training;
using MathNet.Numerics;

namespace FunctionSpace.Ising.Tests.Theory;

public class OrthantProbabilityTests
{
    private static double[,] Equicorrelated(int d, double rho)
    {
        var m = new double[d, d];
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) m[i, j] = i == j ? 1 : rho;
        return m;
    }

    // A random correlation matrix: normalised Gram matrix of d random vectors in `rank` dimensions.
    private static double[,] RandomCorrelation(int d, int rank, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var v = new double[d, rank];
        for (int i = 0; i < d; i++) for (int k = 0; k < rank; k++) v[i, k] = rng.NextGaussian();
        var c = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double s = 0;
                for (int k = 0; k < rank; k++) s += v[i, k] * v[j, k];
                c[i, j] = s;
            }
        return c;
    }

    // Brute force: sample h = V z with C = V Vᵀ (the Gram construction above gives V directly) and count sign patterns.
    private static double[] MonteCarlo(double[,] covariance, int samples, ulong seed)
    {
        int d = covariance.GetLength(0);
        var chol = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(covariance).Cholesky().Factor;
        var rng = new SplitMix64(seed);
        var counts = new double[1 << d];
        var z = new double[d];
        for (int s = 0; s < samples; s++)
        {
            for (int k = 0; k < d; k++) z[k] = rng.NextGaussian();
            int pattern = 0;
            for (int i = 0; i < d; i++)
            {
                double h = 0;
                for (int k = 0; k <= i; k++) h += chol[i, k] * z[k];
                if (h > 0) pattern |= 1 << i;
            }
            counts[pattern]++;
        }
        return counts.Select(c => c / samples).ToArray();
    }

    [Fact]
    public void TwoAndThreeDimensionsMatchSheppardsFormulas()
    {
        var c2 = RandomCorrelation(2, 3, 1);
        double r = c2[0, 1] / Math.Sqrt(c2[0, 0] * c2[1, 1]);
        var p2 = OrthantProbabilities.All(c2);
        Assert.Equal(OrthantMethod.ClosedForm, p2.Method);
        Assert.Equal(OrthantProbabilities.Quadrant(r), p2.Probabilities[0b11], 15);
        Assert.Equal(OrthantProbabilities.Quadrant(-r), p2.Probabilities[0b01], 15);
        var c3 = RandomCorrelation(3, 4, 2);
        double R(int i, int j) => c3[i, j] / Math.Sqrt(c3[i, i] * c3[j, j]);
        var p3 = OrthantProbabilities.All(c3);
        Assert.Equal(OrthantProbabilities.Octant(R(0, 1), R(0, 2), R(1, 2)), p3.Probabilities[0b111], 15);
        // Pattern (+, −, +): flip the sign of coordinate 1.
        Assert.Equal(OrthantProbabilities.Octant(-R(0, 1), R(0, 2), -R(1, 2)), p3.Probabilities[0b101], 15);
        Assert.Equal(1, p3.Probabilities.Sum(), 14);
    }

    [Fact]
    public void ClosedFormsAndThePathIntegralMatchBruteForceMonteCarlo()
    {
        // 200 000 samples: each pattern's frequency has standard error √(p(1−p)/200 000) ≤ 1.1e−3; 4.5 s.e.
        // over the 4 + 8 + 16 patterns keeps a chance failure below 2e−4.
        const int samples = 200_000;
        foreach (int d in new[] { 2, 3, 4 })
        {
            var c = RandomCorrelation(d, d + 1, (ulong)(10 + d));
            var exact = OrthantProbabilities.All(c).Probabilities;
            var sampled = MonteCarlo(c, samples, (ulong)(20 + d));
            for (int f = 0; f < exact.Length; f++)
            {
                double se = Math.Sqrt(exact[f] * (1 - exact[f]) / samples);
                Assert.True(Math.Abs(sampled[f] - exact[f]) < 4.5 * se, $"d = {d}, pattern {f}: MC {sampled[f]:F5} vs {exact[f]:F5} (s.e. {se:E1})");
            }
        }
    }

    [Fact]
    public void FourDimensionalPathIntegralIsExactOnKnownCases()
    {
        // Equicorrelated ρ = ½: every orthant of d dimensions has probability 1/(d + 1).
        var equi = OrthantProbabilities.All(Equicorrelated(4, 0.5));
        Assert.Equal(OrthantMethod.PathIntegral, equi.Method);
        Assert.Equal(0.2, equi.Probabilities[15], 13);
        Assert.Equal(1, equi.Probabilities.Sum(), 14);
        // Two independent pairs: the orthant factorises into two quadrants.
        var blocks = new double[,] { { 1, 0.7, 0, 0 }, { 0.7, 1, 0, 0 }, { 0, 0, 1, -0.4 }, { 0, 0, -0.4, 1 } };
        var p = OrthantProbabilities.All(blocks).Probabilities;
        Assert.Equal(OrthantProbabilities.Quadrant(0.7) * OrthantProbabilities.Quadrant(-0.4), p[0b1111], 13);
        Assert.Equal(OrthantProbabilities.Quadrant(-0.7) * OrthantProbabilities.Quadrant(0.4), p[0b0110], 13);
    }

    [Fact]
    public void QuasiMonteCarloAgreesWithTheExactLowerDimensionalValues()
    {
        // A 4-D matrix plus an independent fifth coordinate: P₅(f) = P₄(f without bit 4) / 2, so the 5-D lattice
        // rule is checked against the 4-D path integral; 4 quoted errors, plus the path integral's own 1e−12.
        var c4 = RandomCorrelation(4, 5, 7);
        var c5 = new double[5, 5];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) c5[i, j] = c4[i, j];
        c5[4, 4] = 1;
        var exact = OrthantProbabilities.All(c4).Probabilities;
        var qmc = OrthantProbabilities.All(c5, new OrthantSettings(PointsPerShift: 512));
        Assert.Equal(OrthantMethod.QuasiMonteCarlo, qmc.Method);
        for (int f = 0; f < 32; f++)
            Assert.True(Math.Abs(qmc.Probabilities[f] - exact[f & 15] / 2) <= 4 * qmc.Errors[f] + 1e-12, $"pattern {f}: {qmc.Probabilities[f]:R} ± {qmc.Errors[f]:E1} vs {exact[f & 15] / 2:R}");
        // Eight equicorrelated (ρ = ½) coordinates: 1/9; the patterns' orbits under coordinate permutations are shared.
        int[] cycle = [1, 2, 3, 4, 5, 6, 7, 0], swap = [1, 0, 2, 3, 4, 5, 6, 7];
        var eight = OrthantProbabilities.All(Equicorrelated(8, 0.5), new OrthantSettings(PointsPerShift: 1024), [cycle, swap]);
        Assert.Equal(2, eight.SymmetriesUsed);
        Assert.True(Math.Abs(eight.Probabilities[255] - 1.0 / 9) <= 4 * eight.Errors[255], $"{eight.Probabilities[255]:R} ± {eight.Errors[255]:E1}");
        Assert.True(eight.Errors[255] < 1e-4);
    }

    [Fact]
    public void RankDeficientAndPerfectlyCorrelatedMatricesAreHandledExactly()
    {
        // h = (a₀ + a₁s₁ + a₂s₂) over the four rows s ∈ {±1}²: rank 3, so the non-separable XOR/XNOR are impossible.
        var linear = DenseBooleanFunctions.InputCorrelation(2, constants: true);
        var p = OrthantProbabilities.All(linear).Probabilities;
        Assert.Equal(0, p[0b0110], 12);
        Assert.Equal(0, p[0b1001], 12);
        Assert.Equal(1, p.Sum(), 13);
        // h₂ = −h₀ and h₃ = h₁: reduces to the quadrant of (h₀, h₁); patterns breaking the relations get 0.
        var merged = new double[,] { { 1, 0.3, -1, 0.3 }, { 0.3, 1, -0.3, 1 }, { -1, -0.3, 1, -0.3 }, { 0.3, 1, -0.3, 1 } };
        var q = OrthantProbabilities.All(merged);
        Assert.Equal(2, q.Dimension);
        Assert.Equal(OrthantMethod.ClosedForm, q.Method);
        Assert.Equal(OrthantProbabilities.Quadrant(0.3), q.Probabilities[0b1011], 15);  // h0 > 0, h1 > 0, h2 < 0, h3 > 0
        Assert.Equal(0, q.Probabilities[0b1111]);
    }

    [Fact]
    public void FastNormalFunctionsMatchMathNet()
    {
        double worstCdf = 0, worstQuantile = 0;
        for (double x = -37; x < 0; x += 0.0371)
        {
            double exact = 0.5 * SpecialFunctions.Erfc(-x / Math.Sqrt(2));
            worstCdf = Math.Max(worstCdf, Math.Abs(StandardNormal.Cdf(x) - exact) / exact);
        }
        for (double logP = -300; logP < -0.31; logP += 0.173)
        {
            double p = Math.Pow(10, logP), exact = -Math.Sqrt(2) * SpecialFunctions.ErfcInv(2 * p);
            worstQuantile = Math.Max(worstQuantile, Math.Abs(StandardNormal.Quantile(p) - exact) / Math.Abs(exact));
        }
        Assert.True(worstCdf < 1e-12, $"Φ relative error {worstCdf:E2}");
        Assert.True(worstQuantile < 3e-10, $"Φ⁻¹ relative error {worstQuantile:E2}");
        Assert.Equal(0.975, StandardNormal.Cdf(1.959963984540054), 14);
    }
}
