using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Inverse;
using FunctionSpace.Ising.Models;
using MathNet.Numerics.LinearAlgebra;
using System.Runtime.Intrinsics;

namespace FunctionSpace.Ising.Tests.Inverse;

public class PseudolikelihoodTests
{
    [Fact]
    public void RecoversCouplingsFromExactSamplesWithinTheAsymptoticStandardError()
    {
        int n = 10, count = 100_000;
        var model = InverseTestModels.Random(n, 0.3, 0.3, 11);
        var target = ExactSampleTarget(model, count, 5);
        var fit = new Pseudolikelihood(new PseudolikelihoodOptions(SinglePrecision: false, GradientTolerance: 1e-9) { StatisticalTolerance = 0 })
            .Fit(target, null, new FitOptions(MaxIterations: 500));
        Assert.Equal(StopReason.Converged, fit.Stop.Reason);
        var sigma = StandardErrors(model, count);
        for (int i = 0; i < n; i++)
            for (int k = i + 1; k < n; k++)
            {
                double error = Math.Abs(fit.Model.Couplings[i * n + k] - model.Couplings[i * n + k]);
                double bound = 4 * 0.5 * (sigma[i * n + k] + sigma[k * n + i]);   // 4σ of the symmetrised estimate
                Assert.True(error < bound, $"J[{i},{k}]: error {error:E3} > 4σ = {bound:E3}");
            }
        // Fields: same standard errors from the constant feature (slot i of row i).
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(fit.Model.Fields[i] - model.Fields[i]) < 0.05, $"h[{i}] = {fit.Model.Fields[i]} vs {model.Fields[i]}");
    }

    [Fact]
    public void StatisticalStoppingRuleLeavesAnOptimisationErrorFarBelowTheStatisticalError()
    {
        // The default rule stops at a largest gradient component of 0.1/√M instead of 1e-9: the estimate must stay
        // within a small fraction of its standard error of the fully converged one (float32 products, as by default).
        int n = 10, count = 100_000;
        var model = InverseTestModels.Random(n, 0.3, 0.3, 11);
        var target = ExactSampleTarget(model, count, 5);
        var tight = new Pseudolikelihood(new PseudolikelihoodOptions(SinglePrecision: false, GradientTolerance: 1e-9) { StatisticalTolerance = 0 })
            .Fit(target, null, new FitOptions(MaxIterations: 500));
        var fast = new Pseudolikelihood().Fit(target, null, new FitOptions(MaxIterations: 500));
        Assert.Equal(StopReason.Converged, fast.Stop.Reason);
        Assert.Equal(0.1 / Math.Sqrt(count), (double)fast.Diagnostics["gradient_tolerance"]!, 15);
        AssertCouplingsWithinQuarterSigma(fast.Model, tight.Model, StandardErrors(model, count), "optimisation error ");
    }

    // A target of `count` exact samples of `model` (seeded): their moments and the configurations.
    private static FitTarget ExactSampleTarget(IsingModel model, int count, int seed, string label = "exact samples")
    {
        var samples = InverseTestModels.ExactSamples(model, count, seed);
        var accumulator = new MomentAccumulator(model.Size);
        accumulator.Add(samples, count);
        return new FitTarget(accumulator.ToMoments(label).ToMoments(), samples, count, label);
    }

    // Every coupling of `a` within a quarter of its standard error (of the symmetrised estimate) of `b`'s.
    private static void AssertCouplingsWithinQuarterSigma(IsingModel a, IsingModel b,
        double[] sigma, string what)
    {
        int n = a.Size;
        for (int i = 0; i < n; i++)
            for (int k = i + 1; k < n; k++)
            {
                double gap = Math.Abs(a.Couplings[i * n + k] - b.Couplings[i * n + k]);
                double se = 0.5 * (sigma[i * n + k] + sigma[k * n + i]);
                Assert.True(gap < 0.25 * se, $"J[{i},{k}]: {what}{gap:E3} ≥ 0.25σ = {0.25 * se:E3}");
            }
    }

    // Standard error of the row-i conditional maximum likelihood of coupling (i, k), N×N.
    private static double[] StandardErrors(IsingModel model, int count)
    {
        int n = model.Size;
        // Standard error of the row-i conditional maximum likelihood: Cov = I_i⁻¹ / M with the Fisher matrix
        // I_i = E[sech²(H_i) x xᵀ], x = (s_−i, 1), computed exactly by enumeration.
        double[] p = ExactEnumeration.Probabilities(model);
        var sigma = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            var fisher = Matrix<double>.Build.Dense(n, n);
            for (int state = 0; state < p.Length; state++)
            {
                var s = new double[n];
                for (int k = 0; k < n; k++) s[k] = (state >> k & 1) == 1 ? -1 : 1;
                double field = model.Fields[i];
                for (int k = 0; k < n; k++) field += model.Couplings[i * n + k] * s[k];
                double weight = p[state] / Math.Pow(Math.Cosh(field), 2);
                var x = s.ToArray(); x[i] = 1;   // slot i carries the field's constant feature
                for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) fisher[a, b] += weight * x[a] * x[b];
            }
            var cov = fisher.Inverse();
            for (int k = 0; k < n; k++) if (k != i) sigma[i * n + k] = Math.Sqrt(cov[k, k] / count);
        }
        return sigma;
    }

    // L(W, h) and ∂L in float64 straight from the definition (the reference of the kernel tests).
    private static double ReferenceObjective(sbyte[] spins, int count, int n, double[] x, double l2, double[]? gradient)
    {
        if (gradient != null) Array.Clear(gradient);
        double loss = 0;
        for (int mu = 0; mu < count; mu++)
            for (int i = 0; i < n; i++)
            {
                double field = x[n * n + i];
                for (int k = 0; k < n; k++) if (k != i) field += x[i * n + k] * spins[mu * n + k];
                double z = -2.0 * spins[mu * n + i] * field;
                loss += Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z)));
                if (gradient == null) continue;
                double g = -2.0 * spins[mu * n + i] / (1 + Math.Exp(-z)) / count;
                for (int k = 0; k < n; k++) if (k != i) gradient[i * n + k] += g * spins[mu * n + k];
                gradient[n * n + i] += g;
            }
        loss /= count;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
            {
                if (k == i) continue;
                loss += 0.5 * l2 * x[i * n + k] * x[i * n + k];
                if (gradient != null) gradient[i * n + k] += l2 * x[i * n + k];
            }
        return loss;
    }

    private static (sbyte[] Spins, double[] X) KernelProblem(int n, int count, int seed)
    {
        var rng = new Random(seed);
        var spins = new sbyte[count * n];
        for (int k = 0; k < spins.Length; k++) spins[k] = rng.NextDouble() < 0.5 + 0.3 * Math.Sin(k % n) ? (sbyte)1 : (sbyte)-1;
        var x = new double[n * n + n];
        for (int k = 0; k < n * n; k++) x[k] = 0.2 * (rng.NextDouble() - 0.5);   // diagonal too: the kernels must ignore it
        for (int i = 0; i < n; i++) x[n * n + i] = 0.6 * (rng.NextDouble() - 0.5);
        return (spins, x);
    }

    [Fact]
    public void ReferenceGradientMatchesFiniteDifferencesAndTheFloat64TorchKernel()
    {
        int n = 9, count = 500;
        double l2 = 0.03;
        var (spins, x) = KernelProblem(n, count, 3);
        var reference = new double[x.Length];
        double f = ReferenceObjective(spins, count, n, x, l2, reference);
        const double step = 1e-5;
        foreach (int index in new[] { 1, 2 * n + 5, n * n - 2, n * n, n * n + n - 1 })
        {
            var plus = (double[])x.Clone();
            var minus = (double[])x.Clone();
            plus[index] += step;
            minus[index] -= step;
            double numeric = (ReferenceObjective(spins, count, n, plus, l2, null) - ReferenceObjective(spins, count, n, minus, l2, null)) / (2 * step);
            Assert.True(Math.Abs(numeric - reference[index]) < 1e-8, $"∂L/∂x[{index}]: finite difference {numeric} vs {reference[index]}");
        }
        using var torch64 = new PseudolikelihoodKernel(spins, count, n, l2, singlePrecision: false);
        var gradient = new double[x.Length];
        Assert.Equal(f, torch64.Evaluate(x, gradient), 1e-12);
        for (int k = 0; k < x.Length; k++) Assert.True(Math.Abs(gradient[k] - reference[k]) < 1e-13, $"torch float64 ∂L/∂x[{k}]");
    }

    [Fact]
    public void EachSingleGemmKernelAgreesWithTheReferenceWithinFloat32RoundingAndWithTheTorchFloat32Kernel()
    {
        // Every kernel this CPU runs: AVX-512 and AVX2 on Zen 5; AVX2 alone on Zen 3 or with DOTNET_EnableAVX512=0 (.NET 10's
        // knob; EnableAVX512F no longer exists). With neither, float32 runs on torch, which the other tests cover.
        // 7,001 configurations: three segments of 16 blocks of 192, a last block short of a 6- or 12-row panel; N = 37 is no
        // multiple of 6, 12 or 16 (padding in both products).
        int n = 37, count = 7001;
        double l2 = 0.01;
        var (spins, x) = KernelProblem(n, count, 8);
        var reference = new double[x.Length];
        double f = ReferenceObjective(spins, count, n, x, l2, reference);
        using var torch = new PseudolikelihoodKernel(spins, count, n, l2, singlePrecision: true, torchProducts: true);
        Assert.Equal("torch", torch.Products);
        var gt = new double[x.Length];
        double ft = torch.Evaluate(x, gt);
        // Float32 error bounds. Fields: H_i = h_i + Σ_k W_ik s_k by n FMAs, |ΔH_i| ≤ γ_{n+1}(|h_i| + Σ_k |W_ik|), so
        // |Δz_i| ≤ 2|ΔH_i|. softplus' ≤ 1 and σ' ≤ 1/4; exp, log and the divide add a few ulp (8u of the term,
        // |softplus(z)| ≤ |z| + ln 2). Gradient sums: ≤ 192 + 16 + 1 float32 roundings on Σ|G s| ≤ 2 (|G| ≤ 2/M).
        double unit = 1.0 / (1 << 24), lossBound = 0;
        var fieldError = new double[n];
        for (int i = 0; i < n; i++)
        {
            double magnitude = Math.Abs(x[n * n + i]);
            for (int k = 0; k < n; k++) if (k != i) magnitude += Math.Abs(x[i * n + k]);
            fieldError[i] = 2 * (n + 1) * unit * magnitude;
            lossBound += fieldError[i] + 8 * unit * (2 * magnitude + 1);
        }
        int sums = PseudolikelihoodVectorKernel.BlockRows + PseudolikelihoodVectorKernel.SegmentBlocks + 1;
        var results = new List<(SingleGemm Gemm, double Loss, double[] Gradient)>();
        foreach (var gemm in SingleGemm.Supported)
        {
            using var vector = new PseudolikelihoodKernel(spins, count, n, l2, gemm);
            Assert.Equal(gemm.Name, vector.Products);
            var gv = new double[x.Length];
            double fv = vector.Evaluate(x, gv);
            Assert.True(Math.Abs(fv - f) <= lossBound, $"{gemm} objective {fv} vs float64 {f} (bound {lossBound:E2})");
            Assert.True(Math.Abs(fv - ft) <= 2 * lossBound, $"{gemm} objective {fv} vs torch float32 {ft}");
            for (int k = 0; k < x.Length; k++)
            {
                int i = k < n * n ? k / n : k - n * n;
                double bound = 2 * (0.25 * fieldError[i] + 8 * unit) + sums * unit * 2;
                Assert.True(Math.Abs(gv[k] - reference[k]) <= bound, $"∂L/∂x[{k}]: {gemm} {gv[k]} vs float64 {reference[k]} (bound {bound:E2})");
                Assert.True(Math.Abs(gv[k] - gt[k]) <= 2 * bound + 16384 * unit * 2, $"∂L/∂x[{k}]: {gemm} {gv[k]} vs torch float32 {gt[k]}");
            }
            // Same input ⇒ bitwise the same output, on any number of threads (fixed segments and reduction order).
            var again = new double[x.Length];
            Assert.Equal(fv, vector.Evaluate(x, again));
            Assert.Equal(gv, again);
            foreach (int threads in new[] { 1, 3 })
            {
                using var spread = new PseudolikelihoodKernel(spins, count, n, l2, gemm, new ParallelOptions { MaxDegreeOfParallelism = threads });
                Assert.Equal(fv, spread.Evaluate(x, again));
                Assert.Equal(gv, again);
            }
            results.Add((gemm, fv, gv));
        }
        if (results.Count < 2) return;
        // The two kernels do the same float32 operations on every entry of H and G (the products are bitwise equal,
        // SingleGemmTests; .NET's Exp and Log are one lane-wise algorithm at either width), so the gradient is bitwise
        // equal; the loss is summed in float64 over 16 or 8 lanes, a different order: equal to float64 rounding.
        var (wide, narrow) = (results[0], results[1]);
        Assert.Equal(wide.Gradient, narrow.Gradient);
        Assert.Equal(wide.Loss, narrow.Loss, 1e-12);
    }

    [Fact]
    public void FitWithSingleGemmProductsMatchesTheTorchProductsWithinAFractionOfTheStandardError()
    {
        if (SingleGemm.Fastest is not { } gemm) return;   // float32 runs on torch there
        int n = 10, count = 100_000;
        var model = InverseTestModels.Random(n, 0.3, 0.3, 11);
        var target = ExactSampleTarget(model, count, 5);
        var vector = new Pseudolikelihood().Fit(target, null, new FitOptions(MaxIterations: 500));
        var torch = new Pseudolikelihood(new PseudolikelihoodOptions { TorchProducts = true }).Fit(target, null, new FitOptions(MaxIterations: 500));
        Assert.Equal(gemm.Name, vector.Diagnostics["products"]);
        Assert.Equal("torch", torch.Diagnostics["products"]);
        Assert.Equal(StopReason.Converged, vector.Stop.Reason);
        Assert.Equal(StopReason.Converged, torch.Stop.Reason);
        AssertCouplingsWithinQuarterSigma(vector.Model, torch.Model, StandardErrors(model, count), $"{gemm} vs torch ");
    }

    [Fact]
    public void L1GivesExactZerosAndReportsTheirFraction()
    {
        int n = 8, count = 20_000;
        var model = InverseTestModels.Random(n, 0.2, 0.2, 2);
        var target = ExactSampleTarget(model, count, 9, "s");
        var fit = new Pseudolikelihood(new PseudolikelihoodOptions(SinglePrecision: false)).Fit(target, null, new FitOptions(L1: 0.05));
        int zeros = 0;
        for (int i = 0; i < n; i++) for (int k = i + 1; k < n; k++) if (fit.Model.Couplings[i * n + k] == 0) zeros++;
        Assert.True(zeros > 0, "L1 should null some couplings");
        Assert.Equal(2.0 * zeros / (n * (n - 1)), (double)fit.Diagnostics["null_fraction"]!, 12);
    }

    [Fact]
    public void MomentsOnlyTargetIsAOneLineInputError()
    {
        var moments = new Moments([0.1, 0.2], [1, 0.3, 0.3, 1]);
        var e = Assert.Throws<InputException>(() => new Pseudolikelihood().Fit(FitTarget.FromMoments(moments, "mi_data.txt"), null, new FitOptions()));
        Assert.Equal("mi_data.txt: pseudolikelihood needs configurations (an ensemble or spins .npy), not only moments", e.Message);
    }

    [Fact]
    public void TheLossPassGivesTheSameGradientBitsAtBothWidthsAndTheFloat64DefinitionWithinFloat32Rounding()
    {
        // The one loss pass over Lanes<TV> at each width this CPU runs (16 and 8 lanes on AVX-512, 8 on AVX2), on fields
        // from −30 to 30 (both tails of softplus and σ) with exact zeros, N = 37 in rows of 48 (padding columns s = 0).
        const int n = 37, width = 48, rows = 9, count = 1000;
        var random = new Randomness.SplitMix64(31);
        var spins = new sbyte[rows * width];
        var fields = new float[rows * width];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < width; i++)
            {
                spins[r * width + i] = i >= n ? (sbyte)0 : random.NextDouble() < 0.5 ? (sbyte)-1 : (sbyte)1;
                fields[r * width + i] = (r * width + i) % 11 == 0 ? 0f : (float)(60 * random.NextDouble() - 30);
            }
        // Float64 definition: z = −2 s H, softplus(z) = max(z, 0) + log(1 + e^−|z|), G = −2 s σ(z)/M. Float32 bounds, u = 2⁻²⁴:
        // z = −2 s H is exact; e = exp(−|z|) is within 2.5u (LanesTests), and 1 + e, 1/(1 + e), σ's product, −2/M and the
        // product with it each round once: ≤ 7.5u relative on G, bound 10u. softplus: ln(1 + e) ≤ ln 2 within 3.2u, max(z, 0)
        // and the correction term exact or one rounding of |z|: 10u(|z| + 1). The field block adds ≤ rows float32 sums.
        double unit = 1.0 / (1 << 24), loss = 0, lossBound = 1e-12;
        var gradient = new double[rows * width];
        var field = new double[width];
        var fieldBound = new double[width];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < width; i++)
            {
                int k = r * width + i;
                double s = spins[k], z = -2 * s * fields[k], e = Math.Exp(-Math.Abs(z));
                loss += s * s * (Math.Max(z, 0) + Math.Log(1 + e));
                lossBound += s * s * 10 * unit * (Math.Abs(z) + 1);
                gradient[k] = -2 * s * (z >= 0 ? 1 : e) / (1 + e) / count;
                field[i] += gradient[k];
                fieldBound[i] += (10 + rows) * unit * Math.Abs(gradient[k]);
            }
        var results = new List<(int Lanes, double Loss, float[] Gradient, float[] Field)>();
        void Run<TV>() where TV : struct
        {
            var g = (float[])fields.Clone();
            var block = new float[width];
            double value = PseudolikelihoodVectorKernel.LossAndFieldGradient<TV>(spins, width, g, block, count);
            results.Add((FunctionSpace.Ising.Simd.Lanes<TV>.Count, value, g, block));
        }
        if (SingleGemm.Avx512.IsSupported) Run<Vector512<float>>();
        if (SingleGemm.Avx2.IsSupported) Run<Vector256<float>>();
        foreach (var (lanes, value, g, block) in results)
        {
            Assert.True(Math.Abs(value - loss) <= lossBound, $"{lanes} lanes: loss {value:R} vs {loss:R} (bound {lossBound:E2})");
            for (int k = 0; k < g.Length; k++)
                Assert.True(Math.Abs(g[k] - gradient[k]) <= 10 * unit * Math.Abs(gradient[k]), $"{lanes} lanes: G[{k}] = {g[k]:R} vs {gradient[k]:R}");
            for (int i = 0; i < width; i++)
                Assert.True(Math.Abs(block[i] - field[i]) <= fieldBound[i], $"{lanes} lanes: field block [{i}] = {block[i]:R} vs {field[i]:R}");
        }
        // Each entry of G and of the field block is the same float32 operations at both widths: equal bit for bit. The loss
        // is summed over 8 or 4 float64 lanes, a different order: equal to float64 rounding of its Σ|terms|.
        if (results.Count < 2) return;
        Assert.Equal(results[0].Gradient, results[1].Gradient);
        Assert.Equal(results[0].Field, results[1].Field);
        Assert.Equal(results[0].Loss, results[1].Loss, 1e-12 * Math.Abs(loss));
    }
}
