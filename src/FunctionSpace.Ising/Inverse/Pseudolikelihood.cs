using System.Diagnostics;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inverse;

/// <summary>Settings of <see cref="Pseudolikelihood"/> beyond <see cref="FitOptions"/>.</summary>
/// <param name="SinglePrecision">float32 matrix products (the loss and the reductions across blocks in float64): on a CPU with
/// AVX-512 or AVX2 + FMA3 our fused <see cref="SingleGemm"/> kernels: one evaluation on the 100,000 × 675 bench takes 5.5×
/// (AVX-512) and 3.2–3.4× (AVX2, the same Zen 5 cores with AVX-512 switched off) less CPU time than with libtorch's float32
/// products; float64 runs on libtorch.</param>
/// <param name="GradientTolerance">Stop when the largest |pseudo-gradient| component is below this.</param>
/// <param name="History">L-BFGS memory.</param>
/// <param name="CoarseToFine">Warm-start through subsets of M/8, M/4, M/2 configurations before the full data
/// (only when M ≥ 16·N); most quasi-Newton iterations then run on the cheap subsets.</param>
public sealed record PseudolikelihoodOptions(bool SinglePrecision = true, double GradientTolerance = 1e-5,
    int History = 10, bool CoarseToFine = true)
{
    /// <summary>
    /// κ of the statistical stopping rule: stop also when the largest gradient component is below κ/√M (M the
    /// configurations of the stage); 0 disables it. The mean gradient over M samples fluctuates by σ_g/√M around
    /// its expectation, σ_g ≤ 2 being the spread of one sample's term −2 s_i s_j σ(−2 s_i H_i); the estimator's own
    /// statistical error is this noise mapped through the inverse Hessian (its standard error ~1/√M). A remaining
    /// gradient below κ/√M, κ = 0.1, is an order of magnitude below that noise, so the optimisation error it leaves
    /// is a small fraction of the statistical error (checked in the tests against a fit converged to 1e-9).
    /// </summary>
    public double StatisticalTolerance { get; init; } = 0.1;

    /// <summary>
    /// Run the float32 products on libtorch even where a <see cref="SingleGemm"/> path (AVX-512 or AVX2) is available: the
    /// same objective and gradient up to float32 rounding (tested), several times slower; for comparisons.
    /// </summary>
    public bool TorchProducts { get; init; }

    /// <summary>
    /// The coarse-to-fine warm-up stages stop at this multiple of their own <see cref="ToleranceFor"/>; the default 10 = 1/κ
    /// puts their tolerance at 1/√M_s, the order of the stage's own sampling noise σ_g/√M_s (σ_g ≤ 2). A warm-up stage
    /// only provides the next stage's start, and the next stage's data move the gradient by that noise anyway
    /// (the full-data gradient at the exact optimum of a subset of M_s is a mean over the other configurations, of
    /// size ~σ_g √(1/M_s − 1/M)), so iterating a warm-up stage below it is wasted. The final stage keeps κ/√M.
    /// On the 100,000 × 675 bench data: 34 instead of 68 L-BFGS iterations, 28 instead of 39 full-data-equivalent
    /// evaluations, with the final stage's 18 iterations unchanged (the previous factor, 4, was not derived).
    /// </summary>
    public double WarmupFactor { get; init; } = 10;

    /// <summary>The gradient tolerance of a stage of <paramref name="configurations"/> samples.</summary>
    public double ToleranceFor(int configurations) =>
        StatisticalTolerance > 0 ? Math.Max(GradientTolerance, StatisticalTolerance / Math.Sqrt(configurations)) : GradientTolerance;
}

/// <summary>
/// Pseudolikelihood maximisation (Aurell &amp; Ekeberg, PRL 108, 090201 (2012)): all N conditional
/// log-likelihoods log P(s_i | s_−i) = −log(1 + exp(−2 s_i (h_i + Σ_j J_ij s_j))) maximised together by
/// L-BFGS on batched matrix products (<see cref="PseudolikelihoodKernel"/>), with L2 on J, or L1 by OWL-QN
/// (exact zeros), then symmetrised J = (J_ij + J_ji)/2. Needs the configurations, not only moments.
/// </summary>
public sealed class Pseudolikelihood : IInverseSolver
{
    /// <summary>Creates the solver.</summary>
    public Pseudolikelihood(PseudolikelihoodOptions? options = null) => Options = options ?? new PseudolikelihoodOptions();

    /// <summary>Solver settings.</summary>
    public PseudolikelihoodOptions Options { get; }

    /// <inheritdoc />
    public string Name => "pl";

    /// <inheritdoc />
    public FitResult Fit(FitTarget target, IsingModel? initial, FitOptions options,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        FitTarget.CheckArguments(target, initial, options);
        if (target.Samples == null || target.SampleCount == 0)
            throw new InputException($"{target.Source}: pseudolikelihood needs configurations (an ensemble or spins .npy), not only moments");
        if (options.L1 < 0 || options.L2 < 0) throw new InputException($"pseudolikelihood: the L1 and L2 strengths ({options.L1}, {options.L2}) must be ≥ 0");
        var watch = Stopwatch.StartNew();
        int n = target.Size, mTotal = target.SampleCount;
        var x = new double[n * n + n];
        if (initial != null)
        {
            Array.Copy(initial.Couplings, x, n * n);
            Array.Copy(initial.Fields, 0, x, n * n, n);
        }
        else
        {
            // Independent-spin start: h_i = atanh m_i, J = 0.
            for (int i = 0; i < n; i++) x[n * n + i] = Math.Atanh(Math.Clamp(target.Moments.Magnetisations[i], -0.999999, 0.999999));
        }
        double[]? l1 = null;
        if (options.L1 > 0)
        {
            l1 = new double[x.Length];
            for (int i = 0; i < n; i++)
                for (int k = 0; k < n; k++)
                    if (i != k) l1[i * n + k] = options.L1;
        }
        var sizes = new List<int>();
        if (Options.CoarseToFine && mTotal >= 16 * n)
            for (int div = 8; div >= 2; div /= 2) sizes.Add(mTotal / div);
        sizes.Add(mTotal);
        var history = new List<double>();
        var stages = new List<object>();
        int totalIterations = 0;
        LbfgsResult? last = null;
        string products = "";
        for (int stage = 0; stage < sizes.Count; stage++)
        {
            int rows = sizes[stage];
            bool final = stage == sizes.Count - 1;
            using var kernel = new PseudolikelihoodKernel(target.Samples.AsSpan(0, rows * n), rows, n, options.L2, Options.SinglePrecision,
                torchProducts: Options.TorchProducts);
            products = kernel.Products;
            var lbfgs = new LbfgsOptions(History: Options.History, MaxIterations: options.MaxIterations,
                GradientTolerance: final ? Options.ToleranceFor(rows) : Options.ToleranceFor(rows) * Options.WarmupFactor,
                RelativeTolerance: final ? 1e-10 : 1e-7);
            string stageName = $"pl {rows}";
            last = Lbfgs.Minimize(kernel.Evaluate, x, lbfgs, l1, (it, f, g) =>
            {
                history.Add(f);
                progress?.Report(new ProgressReport(stageName, it, options.MaxIterations, "iterations", $"objective {f:F6} |grad| {g:E2}"));
            }, ct);
            x = last.Point;
            totalIterations += last.Iterations;
            stages.Add(new { configurations = rows, iterations = last.Iterations, evaluations = last.Evaluations, stop = last.Stop.ToString(), objective = last.Objective });
        }
        var (h, j, asymmetricZeros, symmetricZeros) = Symmetrise(x, n);
        var reason = last!.Stop;
        int pairs = n * (n - 1);
        return new FitResult(new IsingModel(h, j), Name, totalIterations, reason, history.ToArray(), totalIterations, watch.Elapsed)
        {
            Diagnostics = new Dictionary<string, object?>
            {
                ["objective"] = last.Objective,
                ["gradient_max"] = last.GradientNorm,
                ["optimizer_stop"] = last.Stop.ToString(),
                ["stages"] = stages,
                ["null_fraction_asymmetric"] = pairs == 0 ? 0 : (double)asymmetricZeros / pairs,
                ["null_fraction"] = pairs == 0 ? 0 : 2.0 * symmetricZeros / pairs,
                ["precision"] = Options.SinglePrecision ? "float32" : "float64",
                ["products"] = products,
                ["gradient_tolerance"] = Options.ToleranceFor(mTotal),
            },
        };
    }

    /// <summary>J = (W + Wᵀ)/2 and h from the packed parameters; counts exact zeros of W (i≠j) and of J (i&lt;j).</summary>
    internal static (double[] H, double[] J, int AsymmetricZeros, int SymmetricZeros) Symmetrise(double[] x, int n)
    {
        var j = new double[n * n];
        int asym = 0, sym = 0;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
            {
                if (a == b) continue;
                if (x[a * n + b] == 0) asym++;
                if (b > a)
                {
                    double v = 0.5 * (x[a * n + b] + x[b * n + a]);
                    j[a * n + b] = j[b * n + a] = v;
                    if (v == 0) sym++;
                }
            }
        return (x.AsSpan(n * n, n).ToArray(), j, asym, sym);
    }
}
