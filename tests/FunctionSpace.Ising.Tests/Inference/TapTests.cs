using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;
using Xunit.Abstractions;

namespace FunctionSpace.Ising.Tests.Inference;

public class TapTests(ITestOutputHelper output)
{
    private static IsingModel Model(double scale) => Scale(PlantedModels.Dense(12, 1.0, seed: 31, hMax: 0.4), scale);

    // Couplings times `scale`, fields unchanged: the expansion parameter is J alone.
    private static IsingModel Scale(IsingModel model, double scale) =>
        new(model.Fields, model.Couplings.Select(j => j * scale).ToArray());

    private static double MaxError(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Fact]
    public void TapErrorIsThirdOrderInTheCouplings()
    {
        // TAP is exact through O(J²) (Plefka), so |m_TAP − m_exact| = O(J³): halving J divides the error by ≈ 8,
        // while naive mean field (exact through O(J)) only gains ≈ 4.
        double[] scales = [0.2, 0.1];
        var tapErrors = new double[2];
        var naiveErrors = new double[2];
        for (int k = 0; k < 2; k++)
        {
            var model = Model(scales[k]);
            var exact = ExactEnumeration.Solve(model).Moments.Magnetisations;
            var tap = Tap.Solve(model, new double[model.Size], new TapOptions(Tolerance: 1e-13));
            Assert.True(tap.Converged);
            tapErrors[k] = MaxError(tap.Magnetisations, exact);
            // Naive mean field: the same iteration without the Onsager term (J² → 0).
            var naive = new double[model.Size];
            for (int it = 0; it < 2000; it++)
                naive = Enumerable.Range(0, model.Size).Select(i =>
                    Math.Tanh(model.Fields[i] + Enumerable.Range(0, model.Size).Sum(j => model.Coupling(i, j) * naive[j]))).ToArray();
            naiveErrors[k] = MaxError(naive, exact);
        }
        double tapRatio = tapErrors[0] / tapErrors[1], naiveRatio = naiveErrors[0] / naiveErrors[1];
        output.WriteLine($"TAP errors {tapErrors[0]:G3} → {tapErrors[1]:G3} (ratio {tapRatio:F2}); naive MF {naiveErrors[0]:G3} → {naiveErrors[1]:G3} (ratio {naiveRatio:F2})");
        Assert.InRange(tapRatio, 6.5, 10);   // 2³ up to next-order corrections
        Assert.InRange(naiveRatio, 3, 6);    // 2², clearly below the TAP ratio
        Assert.True(tapErrors[1] < naiveErrors[1] / 10);
    }

    [Fact]
    public void FixedPointIsAStationaryPointOfTheTapFreeEnergyCloseToExact()
    {
        var model = Model(0.15);
        var tap = Tap.Solve(model, Enumerable.Repeat(0.1, model.Size).ToArray(), new TapOptions(Tolerance: 1e-13));
        Assert.True(tap.Converged);
        // ∂F/∂m_i = 0 at the fixed point (central differences, step 1e-5 ⇒ error ~1e-10).
        for (int i = 0; i < model.Size; i++)
        {
            var plus = (double[])tap.Magnetisations.Clone(); plus[i] += 1e-5;
            var minus = (double[])tap.Magnetisations.Clone(); minus[i] -= 1e-5;
            double gradient = (Tap.FreeEnergy(model, plus) - Tap.FreeEnergy(model, minus)) / 2e-5;
            Assert.InRange(gradient, -1e-7, 1e-7);
        }
        // F_TAP = −ln Z + O(J³); with J ~ 0.15/√N per pair the remainder per spin is far below 1e-3.
        double logZ = ExactEnumeration.Solve(model).LogZ;
        Assert.Equal(-logZ, tap.FreeEnergy, 1e-3 * model.Size);
        Assert.Equal(Tap.FreeEnergy(model, tap.Magnetisations), tap.FreeEnergy);
    }

    [Fact]
    public void UncoupledFreeEnergyIsMinusLogZ()
    {
        // J = 0: F = −Σ_i [h_i m_i + S(m_i)] at m = tanh h equals −Σ ln 2cosh h_i.
        var model = new IsingModel([0.3, -1.2, 0], new double[9]);
        var tap = Tap.Solve(model, new double[3], new TapOptions());
        Assert.Equal(-new[] { 0.3, -1.2, 0 }.Sum(h => Math.Log(2 * Math.Cosh(h))), tap.FreeEnergy, 9);
    }

    [Fact]
    public void BatchedSolveAgreesWithSingleSolves()
    {
        var model = PlantedModels.Dense(40, 0.5, seed: 32);
        var rng = new Random(8);
        int count = 6;
        var starts = Enumerable.Range(0, count * 40).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        var options = new TapOptions(Tolerance: 1e-11);
        var batched = Tap.SolveMany(model, starts, count, options);
        for (int s = 0; s < count; s++)
            AssertSameAsSingleSolve(model, starts.AsSpan(s * 40, 40).ToArray(), options, batched[s]);
    }

    // The scalar one-start iteration is the reference of the batched kernel: same stop, same iterations, same fixed point.
    private static void AssertSameAsSingleSolve(IsingModel model, double[] start, TapOptions options, TapResult batched)
    {
        var single = Tap.Solve(model, start, options);
        Assert.Equal(single.Converged, batched.Converged);
        Assert.Equal(single.Iterations, batched.Iterations);
        Assert.True(MaxError(single.Magnetisations, batched.Magnetisations) < 1e-10);
        Assert.Equal(single.FreeEnergy, batched.FreeEnergy, 1e-9);
    }

    [Fact]
    public void BatchedSolveOnInterleavedBlocksAgreesWithSingleSolves()
    {
        // Two dense groups of 20 spins coupled only within the group, interleaved (even / odd spins), plus an
        // isolated spin: the batched solver runs the groups as separate blocks and must equal the dense iteration.
        var a = PlantedModels.Dense(20, 0.6, seed: 34);
        var b = PlantedModels.Dense(20, 0.6, seed: 35);
        int n = 41;
        var j = new double[n * n];
        var h = new double[n];
        for (int p = 0; p < 20; p++)
        {
            h[2 * p] = a.Fields[p];
            h[2 * p + 1] = b.Fields[p];
            for (int q = 0; q < 20; q++)
            {
                j[2 * p * n + 2 * q] = a.Couplings[p * 20 + q];
                j[(2 * p + 1) * n + 2 * q + 1] = b.Couplings[p * 20 + q];
            }
        }
        h[40] = 0.3;
        var model = new IsingModel(h, j);
        var (perm, blocks) = Tap.CouplingBlocks(j, n);
        Assert.Equal(2, blocks.Count);
        Assert.Equal(Enumerable.Range(0, n), perm.Order());
        var rng = new Random(9);
        int count = 5;
        var starts = Enumerable.Range(0, count * n).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        var options = new TapOptions(Tolerance: 1e-11);
        var batched = Tap.SolveMany(model, starts, count, options);
        for (int s = 0; s < count; s++)
        {
            Assert.True(batched[s].Converged);
            // Alone, the start goes through the one-start path of the kernel: the result must be bit-identical.
            var alone = Tap.SolveMany(model, starts.AsSpan(s * n, n).ToArray(), 1, options)[0];
            Assert.Equal(batched[s].Magnetisations, alone.Magnetisations);
            Assert.Equal(batched[s].Iterations, alone.Iterations);
            AssertSameAsSingleSolve(model, starts.AsSpan(s * n, n).ToArray(), options, batched[s]);
        }
    }

    [Fact]
    public void AStalledStartIsGivenUpAndAConvergingOneIsNot()
    {
        // Two spins with J = −3, h = 0: the undamped iteration from a symmetric start cycles between two states (the
        // change never falls), so a 50-iteration stall window ends it long before the cap, batched or alone. On a weak
        // model every start converges with the window exactly as without it.
        var cycle = new IsingModel([0.0, 0.0], [0.0, -3.0, -3.0, 0.0]);
        var stalled = new TapOptions(MaxIterations: 10000) { StallIterations = 50 };
        var single = Tap.Solve(cycle, [0.5, 0.5], stalled);
        var batched = Tap.SolveMany(cycle, [0.5, 0.5, 0.3, 0.3], 2, stalled);
        Assert.False(single.Converged);
        Assert.InRange(single.Iterations, 50, 200);
        Assert.All(batched, r => { Assert.False(r.Converged); Assert.InRange(r.Iterations, 50, 200); });
        Assert.Equal(10000, Tap.Solve(cycle, [0.5, 0.5], stalled with { StallIterations = 0 }).Iterations);

        var weak = PlantedModels.Dense(40, 0.5, seed: 32);
        var rng = new Random(8);
        var starts = Enumerable.Range(0, 6 * 40).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        var plain = Tap.SolveMany(weak, starts, 6, new TapOptions(Tolerance: 1e-11));
        var watched = Tap.SolveMany(weak, starts, 6, new TapOptions(Tolerance: 1e-11) { StallIterations = 50 });
        for (int k = 0; k < 6; k++)
        {
            Assert.True(plain[k].Converged);
            Assert.Equal(plain[k].Iterations, watched[k].Iterations);
            Assert.Equal(plain[k].Magnetisations, watched[k].Magnetisations);
        }
        Assert.Equal("tap stall iterations: -1 must be ≥ 0",
            Assert.Throws<InputException>(() => Tap.Solve(weak, new double[40], new TapOptions { StallIterations = -1 })).Message);
    }

    [Fact]
    public void CapAndBadInputAreReported()
    {
        var model = PlantedModels.Dense(20, 0.5, seed: 33);
        var capped = Tap.Solve(model, new double[20], new TapOptions(MaxIterations: 2));
        Assert.False(capped.Converged);
        Assert.Equal(2, capped.Iterations);
        Assert.Equal("tap start: m[1] = 2 is not in [-1, 1]",
            Assert.Throws<InputException>(() => Tap.Solve(model, [0, 2, .. new double[18]], new TapOptions())).Message);
        Assert.Equal("tap start: 3 values, the model has 20 spins",
            Assert.Throws<InputException>(() => Tap.Solve(model, new double[3], new TapOptions())).Message);
        Assert.Equal("tap damping: -0.1 is outside [0, 1)",
            Assert.Throws<InputException>(() => Tap.Solve(model, new double[20], new TapOptions(Damping: -0.1))).Message);
    }
}
