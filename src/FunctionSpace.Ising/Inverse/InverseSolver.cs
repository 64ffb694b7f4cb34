using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inverse;

/// <summary>
/// What an inverse solver fits: the target moments and, for methods that need whole configurations
/// (pseudolikelihood), the ±1 samples themselves.
/// </summary>
/// <param name="Moments">Target ⟨s_i⟩, ⟨s_i s_j⟩.</param>
/// <param name="Samples">Configurations (SampleCount × N, row-major) or null when only moments are known.</param>
/// <param name="SampleCount">Rows of <paramref name="Samples"/> (0 when none).</param>
/// <param name="Source">Description of the data, recorded in model sidecars.</param>
public sealed record FitTarget(Moments Moments, sbyte[]? Samples, int SampleCount, string Source)
{
    /// <summary>Number of spins N.</summary>
    public int Size => Moments.Size;

    /// <summary>A target of moments only.</summary>
    public static FitTarget FromMoments(Moments moments, string source) => new(moments, null, 0, source);

    /// <summary>
    /// The argument check every solver starts with: the target and the options given, and a start model, when given,
    /// of the data's size (a one-line <see cref="InputException"/> otherwise).
    /// </summary>
    public static void CheckArguments(FitTarget target, IsingModel? initial, FitOptions options)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        if (initial != null && initial.Size != target.Size) throw new InputException($"initial model has {initial.Size} spins, the data {target.Size}");
    }
}

/// <summary>Settings shared by all inverse solvers.</summary>
/// <param name="MaxIterations">Iteration cap T (learning steps, quasi-Newton iterations).</param>
/// <param name="RmseTolerance">Boltzmann learning stops when the moment RMSE falls below ε.</param>
/// <param name="L2">L2 strength λ₂ on J (penalty λ₂/2 Σ J², per sample for pseudolikelihood).</param>
/// <param name="L1">L1 strength λ₁ on J (pseudolikelihood only; gives exact zeros).</param>
public sealed record FitOptions(int MaxIterations = 1000, double RmseTolerance = 1e-3, double L2 = 0, double L1 = 0);

/// <summary>Outcome of a fit.</summary>
/// <param name="Model">The fitted (best) model.</param>
/// <param name="Method">Method name (bp, pl, nmf, tap, …).</param>
/// <param name="Iterations">Iterations run.</param>
/// <param name="Stop">Why it stopped: converged (RMSE &lt; ε, or the optimiser's gradient/objective test), the iteration
/// cap, diverged or stalled (the best model so far is returned), or not needed (a closed form).</param>
/// <param name="RmseHistory">Per-iteration moment RMSE by the method's own estimator (Boltzmann learning),
/// or the objective per iteration (pseudolikelihood); empty for closed forms.</param>
/// <param name="BestIteration">Iteration whose model is returned (0 = initial).</param>
/// <param name="Elapsed">Wall-clock time of the fit.</param>
public sealed record FitResult(IsingModel Model, string Method, int Iterations, Stop Stop,
    double[] RmseHistory, int BestIteration, TimeSpan Elapsed)
{
    /// <summary>Method-specific figures (e.g. fraction of null couplings, BP failures), recorded in the sidecar.</summary>
    public IReadOnlyDictionary<string, object?> Diagnostics { get; init; } = new Dictionary<string, object?>();
}

/// <summary>One family of inverse-Ising solvers: data moments (and samples) in, an Ising model out.</summary>
public interface IInverseSolver
{
    /// <summary>Short method name recorded in outputs.</summary>
    string Name { get; }

    /// <summary>
    /// Fits a model to <paramref name="target"/>, starting from <paramref name="initial"/> (null = the
    /// method's own default start), reporting progress and honouring cancellation.
    /// </summary>
    FitResult Fit(FitTarget target, IsingModel? initial, FitOptions options,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default);
}
