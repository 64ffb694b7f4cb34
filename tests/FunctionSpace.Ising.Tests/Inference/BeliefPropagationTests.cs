using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Models;
using Xunit.Abstractions;

namespace FunctionSpace.Ising.Tests.Inference;

public class BeliefPropagationTests(ITestOutputHelper output)
{
    private static readonly BpOptions Tight = new(Damping: 0.3, Tolerance: 1e-13, MaxIterations: 2000);

    public static TheoryData<string> Trees => new() { "tree12", "tree16", "chain", "pair" };

    private static IsingModel TreeModel(string name) => name switch
    {
        "tree12" => PlantedModels.Tree(12, seed: 1),
        "tree16" => PlantedModels.Tree(16, seed: 2),
        "chain" => PlantedModels.Chain([0.9, -1.3, 0.4, 1.1, -0.2, 0.7, 0.5], [0.3, -0.1, 0.6, 0, -0.4, 0.2, 0.1, -0.5]),
        _ => PlantedModels.Pair(1.2, 0.3, -0.7),
    };

    [Theory]
    [MemberData(nameof(Trees))]
    public void BpIsExactOnTrees(string name)
    {
        // On a tree the Bethe approximation is exact: magnetisations, edge moments, ln Z, ⟨E⟩ and S agree with
        // enumeration to round-off (1e-10). Non-adjacent pairs are not edges, so their BP moment is m_i m_j by
        // construction and is not compared.
        var model = TreeModel(name);
        var exact = ExactEnumeration.Solve(model);
        var result = BeliefPropagation.Run(model, Tight);
        Assert.Equal(StopReason.Converged, result.StopReason);
        var bp = BeliefPropagation.Moments(model, result);
        int n = model.Size;
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(exact.Moments.Magnetisations[i], bp.Magnetisations[i], 1e-10);
            for (int j = 0; j < n; j++)
                if (model.Coupling(i, j) != 0)
                    Assert.Equal(exact.Moments.SecondMoment(i, j), bp.SecondMoment(i, j), 1e-10);
        }
        Assert.Equal(-exact.LogZ, result.FreeEnergy, 1e-10);
        Assert.Equal(exact.MeanEnergy, result.Energy, 1e-10);
        Assert.Equal(exact.Entropy, result.Entropy, 1e-10);
    }

    [Theory]
    [InlineData(10, 0.2, 11)]
    [InlineData(14, 0.2, 12)]
    [InlineData(12, 0.4, 13)]
    public void BpIsCloseToExactOnWeakDenseModels(int n, double beta, int seed)
    {
        // Couplings J ~ β/√N. On a dense graph every pair is an edge, and BP misses loop corrections:
        // - magnetisations and F, S per spin: the leading missed terms are short loops through a spin, O(J³) each
        //   with random signs, so the error is ~ β³/√N; tolerance 2·β³/√N + 1e-4;
        // - pair moments: the edge belief misses the two-step paths i–k–j (triangles on the edge), Σ_k J_ik J_kj,
        //   a sum of N terms of size β²/N with random signs ⇒ ~ β²/√N per pair; tolerance 4·β²/√N (≈4σ over
        //   ~100 pairs).
        var model = PlantedModels.Dense(n, beta, seed);
        var exact = ExactEnumeration.Solve(model);
        var result = BeliefPropagation.Run(model, new BpOptions());
        Assert.True(result.Converged, result.Describe());
        var bp = BeliefPropagation.Moments(model, result);
        double tolerance = 2 * Math.Pow(beta, 3) / Math.Sqrt(n) + 1e-4;
        double pairTolerance = 4 * beta * beta / Math.Sqrt(n);
        double worstM = exact.Moments.Magnetisations.Zip(bp.Magnetisations, (a, b) => Math.Abs(a - b)).Max();
        double worstC = exact.Moments.SecondMoments.Zip(bp.SecondMoments, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"N={n} beta={beta}: max|dm|={worstM:G3} max|dC|={worstC:G3} dF/N={Math.Abs(result.FreeEnergy + exact.LogZ) / n:G3} tolerances {tolerance:G3}, {pairTolerance:G3}");
        Assert.InRange(worstM, 0, tolerance);
        Assert.InRange(worstC, 0, pairTolerance);
        Assert.InRange(Math.Abs(result.FreeEnergy + exact.LogZ) / n, 0, tolerance);
        Assert.InRange(Math.Abs(result.Entropy - exact.Entropy) / n, 0, tolerance);
    }

    [Theory]
    [InlineData(130, 0.5, false)]   // above the parallel threshold (96), N not a multiple of any block size
    [InlineData(130, 0.5, true)]    // block-sparse: two blocks, zero couplings between them
    [InlineData(37, 0.8, false)]    // serial path, row tails shorter than a SIMD vector
    public void FinalPassMatchesTheDirectFormulas(int n, double beta, bool blocks)
    {
        // The final pass (strip-transposed, SIMD, partial sums in fixed order) against the formulas evaluated one
        // edge at a time from the returned messages: H_i = h_i + Σ_k atanh(t_ki m_{k→i}), m_i = tanh H_i,
        // ⟨s_i s_j⟩ = (t + ab)/(1 + t ab), −F = Σ ln 2cosh H_i + Σ_{i<j} ½ ln[(1−t²a²)(1−t²b²)/((1−t²)(1+t ab)²)],
        // E = −Σ h_i m_i − Σ_{i<j} J_ij ⟨s_i s_j⟩. Only the summation order differs: agreement to 1e-12 (N² terms of
        // size ≤ 1 summed with rounding 1e-16 each).
        var dense = PlantedModels.Dense(n, beta, seed: 21);
        var j = dense.Couplings.ToArray();
        if (blocks)
            for (int a = 0; a < n; a++)
                for (int b = 0; b < n; b++)
                    if ((a < n / 3) != (b < n / 3)) j[a * n + b] = 0;
        var model = new IsingModel(dense.Fields, j);
        var (result, moments) = BeliefPropagation.RunWithMoments(model, new BpOptions(Tolerance: 1e-12));
        Assert.True(result.Converged, result.Describe());
        var fromMessages = BeliefPropagation.Moments(model, result);
        // The run's final pass takes m_{i→j} and H_i from the exponential iteration's state (m = (1 − Y)/(1 + Y)),
        // Moments recomputes them from g = −½ ln Y (tanh g): the same numbers up to a few roundings (≲ 1e-15).
        AssertClose(fromMessages.SecondMoments, moments.SecondMoments, 1e-14);
        AssertClose(fromMessages.Magnetisations, moments.Magnetisations, 1e-14);
        Assert.NotSame(moments.SecondMoments, fromMessages.SecondMoments);
        // Recycling the arrays of dead results (here a throw-away run and fromMessages) gives the same numbers in them.
        var throwAway = BeliefPropagation.Run(model, new BpOptions(Tolerance: 1e-12));
        var (again, againMoments) = BeliefPropagation.RunWithMoments(model, new BpOptions(Tolerance: 1e-12), null, throwAway.Messages, fromMessages);
        Assert.Same(fromMessages.SecondMoments, againMoments.SecondMoments);
        Assert.Equal(moments.SecondMoments, againMoments.SecondMoments);
        Assert.Equal(result.FreeEnergy, again.FreeEnergy);

        double logZ = 0, energy = 0;
        for (int i = 0; i < n; i++)
        {
            double cavitySum = model.Fields[i];
            for (int k = 0; k < n; k++)
                if (k != i) cavitySum += Math.Atanh(Math.Tanh(model.Coupling(k, i)) * result.Messages.CavityMagnetisation(k, i));
            double m = Math.Tanh(cavitySum);
            Assert.Equal(m, result.Magnetisations[i], 1e-12);
            logZ += Math.Log(2 * Math.Cosh(cavitySum));
            energy -= model.Fields[i] * m;
            Assert.Equal(1.0, moments.SecondMoment(i, i));
            for (int k = i + 1; k < n; k++)
            {
                double t = Math.Tanh(model.Coupling(i, k));
                double a = result.Messages.CavityMagnetisation(i, k), b = result.Messages.CavityMagnetisation(k, i);
                double pair = (t + a * b) / (1 + t * a * b);
                Assert.Equal(pair, moments.SecondMoment(i, k), 1e-12);
                Assert.Equal(moments.SecondMoment(i, k), moments.SecondMoment(k, i));   // mirrored exactly
                logZ += 0.5 * Math.Log((1 - t * t * a * a) * (1 - t * t * b * b) / ((1 - t * t) * Math.Pow(1 + t * a * b, 2)));
                energy -= model.Coupling(i, k) * pair;
            }
        }
        Assert.Equal(-logZ, result.FreeEnergy, 1e-12 * n);
        Assert.Equal(energy, result.Energy, 1e-12 * n);
        Assert.True(result.SweepTime > TimeSpan.Zero);
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], actual[k], tolerance);
    }

    [Fact]
    public void WarmStartFromAFixedPointConvergesAtOnce()
    {
        var model = PlantedModels.Dense(120, 0.5, seed: 4);
        var cold = BeliefPropagation.Run(model, new BpOptions());
        Assert.True(cold.Converged, cold.Describe());
        var warm = BeliefPropagation.Run(model, new BpOptions(), cold.Messages);
        Assert.True(warm.Converged);
        Assert.Equal(1, warm.Iterations);
        Assert.Equal(cold.FreeEnergy, warm.FreeEnergy, 1e-9);

        // The estimator reuses its own messages: a slightly changed model converges in fewer sweeps.
        var estimator = new BpMomentEstimator(new BpOptions());
        estimator.Estimate(model);
        int coldSweeps = estimator.LastResult!.Iterations;
        var nudged = model.WithFields(model.Fields.Select(h => h + 1e-3).ToArray());
        estimator.Estimate(nudged);
        output.WriteLine($"cold {cold.Describe()}; estimator cold {coldSweeps} sweeps, warm after a field change of 1e-3: {estimator.LastResult!.Iterations}");
        Assert.True(estimator.LastResult!.Iterations < coldSweeps, $"{estimator.LastResult.Iterations} vs {coldSweeps}");
    }

    [Fact]
    public void NonConvergenceEscalatesDampingAndIsReported()
    {
        // A strong spin glass with a 3-sweep cap cannot converge: every damping is tried, then the failure is reported.
        var model = PlantedModels.Dense(30, 3.0, seed: 6, hMax: 0.0);
        var result = BeliefPropagation.Run(model, new BpOptions(MaxIterations: 3), BpMessages.Random(30, seed: 1));
        Assert.Equal(StopReason.IterationCap, result.StopReason);
        Assert.Equal(0.95, result.DampingUsed);
        Assert.Equal(9, result.Iterations);
        var estimator = new BpMomentEstimator(new BpOptions(MaxIterations: 3));
        var e = Assert.Throws<BpConvergenceException>(() => estimator.Estimate(model.WithFields(Enumerable.Repeat(0.01, 30).ToArray())));
        Assert.StartsWith("belief propagation did not converge: BP iterationcap after 9 sweeps (damping 0.95", e.Message);
    }

    [Fact]
    public void StalledAttemptsEscalateEarlyAndConvergentOnesAreUntouched()
    {
        // Spin glass at β = 3 from random messages: no damping converges. With the stall rule each attempt ends once the
        // change has set no new low for 50 sweeps, long before the cap, and the failure is reported as a stall.
        var glass = PlantedModels.Dense(30, 3.0, seed: 6, hMax: 0.0);
        var start = BpMessages.Random(30, seed: 1);
        var stalled = BeliefPropagation.Run(glass, new BpOptions(MaxIterations: 5000) { StallSweeps = 50 }, start);
        output.WriteLine(stalled.Describe());
        Assert.Equal(StopReason.Stalled, stalled.StopReason);
        Assert.Equal(0.95, stalled.DampingUsed);
        Assert.InRange(stalled.Iterations, 3 * 50, 3 * 5000 - 1);

        // A convergent iteration sets a new low nearly every sweep: the rule never fires, with or without damping.
        var model = PlantedModels.Dense(100, 0.9, seed: 41);
        foreach (double damping in new[] { 0.0, 0.5 })
        {
            var plain = BeliefPropagation.Run(model, new BpOptions(Damping: damping, Tolerance: 1e-12, EscalateDamping: false));
            var watched = BeliefPropagation.Run(model, new BpOptions(Damping: damping, Tolerance: 1e-12, EscalateDamping: false) { StallSweeps = 20 });
            Assert.True(plain.Converged && watched.Converged, watched.Describe());
            Assert.Equal(plain.Iterations, watched.Iterations);
            Assert.Equal(plain.Magnetisations, watched.Magnetisations);
        }
        Assert.Equal("bp stall sweeps: -1 must be ≥ 0",
            Assert.Throws<InputException>(() => BeliefPropagation.Run(model, new BpOptions { StallSweeps = -1 })).Message);
    }

    [Fact]
    public void BadOptionsGiveOneLineMessages()
    {
        var model = PlantedModels.Pair(0.1, 0, 0);
        Assert.Equal("bp damping: 1 is outside [0, 1)", Assert.Throws<InputException>(() => BeliefPropagation.Run(model, new BpOptions(Damping: 1))).Message);
        Assert.Equal("bp tolerance: 0 must be positive", Assert.Throws<InputException>(() => BeliefPropagation.Run(model, new BpOptions(Tolerance: 0))).Message);
    }

    [Fact]
    public void LearningRunsComputeMomentsOnlyForAConvergedRun()
    {
        var model = PlantedModels.Dense(12, 0.5, seed: 4);
        var pairs = new double[12 * 12];
        Array.Fill(pairs, 7.0);
        // One sweep cannot reach 1e-12 from the uncoupled start: the failed run gets no moments, its buffer is untouched.
        var (failed, none) = BeliefPropagation.RunWithMomentsInto(model, new BpOptions(Tolerance: 1e-12, MaxIterations: 1) { EscalateDamping = false },
            null, null, pairs, CancellationToken.None, thermodynamics: false, onlyIfConverged: true);
        Assert.False(failed.Converged);
        Assert.Null(none);
        Assert.All(pairs, v => Assert.Equal(7.0, v));
        // A converged run fills the buffer with the moments the plain call gives (same iteration, same final pass).
        var (converged, moments) = BeliefPropagation.RunWithMomentsInto(model, new BpOptions(Tolerance: 1e-12), null, null, pairs,
            CancellationToken.None, thermodynamics: false, onlyIfConverged: true);
        Assert.True(converged.Converged, converged.Describe());
        Assert.Same(pairs, moments!.SecondMoments);
        var (_, plain) = BeliefPropagation.RunWithMoments(model, new BpOptions(Tolerance: 1e-12));
        Assert.Equal(plain.SecondMoments, moments.SecondMoments);
        Assert.Equal(plain.Magnetisations, moments.Magnetisations);
    }

    [Fact]
    public void PublishedIterModelReproducesItsDataMoments()
    {
        // Zou & Huang fitted J_ITER/h_ITER (spins 300..524 of the under-para network) by Boltzmann learning with
        // BP; their BP moments must reproduce the ensemble's moments on that slice to the fit's accuracy (≈0.0025).
        string dir = Path.Combine(SharedData.ReferenceDirectory(), "under-para");
        var model = ModelFile.LoadText(Path.Combine(dir, "J_ITER.txt"), Path.Combine(dir, "h_ITER.txt"));
        var (c, rows, _) = TextMatrix.Read(Path.Combine(dir, "Ca_data.txt"));
        var data = new Moments(TextMatrix.ReadVector(Path.Combine(dir, "mi_data.txt")), c).Slice(300, 225);
        Assert.Equal(675, rows);
        var result = BeliefPropagation.Run(model, new BpOptions());
        Assert.True(result.Converged, result.Describe());
        double rmse = BeliefPropagation.Moments(model, result).Rmse(data);
        output.WriteLine($"published under-para ITER: BP moments vs data RMSE = {rmse:F5} ({result.Describe()})");
        Assert.InRange(rmse, 0, 0.005);
    }
}
