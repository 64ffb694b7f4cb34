using FunctionSpace.Ising.Inverse;

namespace FunctionSpace.Ising.Tests.Inverse;

public class LbfgsTests
{
    // f(x) = ½ Σ a_k (x_k − c_k)²: minimiser c; with L1 weight λ the minimiser is soft-thresholding
    // x_k = sign(c_k) max(|c_k| − λ/a_k, 0), so coordinates with |c_k| a_k ≤ λ are exactly zero.
    private static readonly double[] A = [1, 2, 5, 0.5, 3, 1.5];
    private static readonly double[] C = [1.0, -0.3, 0.05, 2.0, -0.01, 0.4];

    private static double Quadratic(double[] x, double[] g)
    {
        double f = 0;
        for (int k = 0; k < x.Length; k++) { f += 0.5 * A[k] * (x[k] - C[k]) * (x[k] - C[k]); g[k] = A[k] * (x[k] - C[k]); }
        return f;
    }

    [Fact]
    public void MinimisesAQuadratic()
    {
        var result = Lbfgs.Minimize(Quadratic, new double[6], new LbfgsOptions(GradientTolerance: 1e-12, RelativeTolerance: 0));
        Assert.Equal(LbfgsResult.GradientConverged, result.Stop);
        for (int k = 0; k < 6; k++) Assert.Equal(C[k], result.Point[k], 1e-10);
    }

    [Fact]
    public void OrthantWiseL1GivesTheSoftThresholdWithExactZeros()
    {
        double lambda = 0.2;
        var l1 = Enumerable.Repeat(lambda, 6).ToArray();
        var result = Lbfgs.Minimize(Quadratic, new double[6], new LbfgsOptions(GradientTolerance: 1e-12, RelativeTolerance: 0, MaxIterations: 200), l1);
        for (int k = 0; k < 6; k++)
        {
            double expected = Math.Sign(C[k]) * Math.Max(Math.Abs(C[k]) - lambda / A[k], 0);
            if (expected == 0) Assert.Equal(0.0, result.Point[k]);   // exact zero, not merely small
            else Assert.Equal(expected, result.Point[k], 1e-9);
        }
        Assert.Contains(result.Point, v => v == 0);
    }
}
