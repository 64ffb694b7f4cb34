using System.Diagnostics;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inverse;

/// <summary>
/// A moment estimator that a learning loop steers: it is told how accurate the next estimate must be, and keeps
/// the state (warm start) of the best model so a return to that model restarts from it.
/// </summary>
public interface ILearningEstimator : IMomentEstimator
{
    /// <summary>Called before each estimate with the best moment RMSE reached so far (+∞ before the first).</summary>
    void SetErrorScale(double bestRmse);

    /// <summary>The last estimate belongs to the new best model: keep its state.</summary>
    void MarkBest();

    /// <summary>The learning returned to the best model: the next estimate starts from the state kept by <see cref="MarkBest"/>.</summary>
    void ReturnToBest();

    /// <summary>
    /// The learning no longer reads <paramref name="moments"/> (an estimate this estimator returned): the estimator may
    /// reuse its arrays for a later estimate. The default keeps nothing.
    /// </summary>
    void Recycle(Moments moments) { }

    /// <summary>
    /// The last estimate met the learning's stopping RMSE: re-estimate <paramref name="model"/> (the last estimated model)
    /// as accurately as this estimator can, so that convergence is not declared on a loose estimate; null when the last
    /// estimate already was that accurate. The default: null.
    /// </summary>
    Moments? Confirm(IsingModel model, CancellationToken ct = default) => null;
}

/// <summary>
/// BP moments for Boltzmann learning with a tolerance tied to the current moment error (an inexact-Newton
/// schedule): tolerance = clamp(<see cref="Fraction"/> × best RMSE, floor, <see cref="Ceiling"/>), the floor being
/// the tolerance of the given <see cref="BpOptions"/>. Warm-starts from the last converged messages, and from the
/// best model's messages after a rejected step (BP can have several fixed points on these near-critical models;
/// the learning must stay on the branch it follows). Non-convergence throws <see cref="BpConvergenceException"/>.
/// </summary>
/// <remarks>
/// Why the tolerance may follow the error: a learning step corrects the mismatch Δ = data − model moments, whose
/// size is the RMSE. BP's moments are tanh/edge-belief functions of the cavity fields with slopes ≤ 1, so a fixed
/// point reached to a largest cavity-field change τ has moments off by O(τ) (measured on the under-para FULL model:
/// moment RMSE error 0.1–1.1 τ for τ = 1e-3…1e-6); with τ ≤ 0.1·RMSE the estimated mismatch, hence the step, is
/// within ~10 % of the exact one, which the adaptive step size absorbs (Dembo, Eisenstat &amp; Steihaug, SIAM J.
/// Numer. Anal. 19, 400 (1982): inexact Newton keeps its convergence when the inner residual is a fraction of the
/// outer one). The reported fit is re-estimated at the floor tolerance.
/// </remarks>
public sealed class InexactBpMomentEstimator : ILearningEstimator
{
    private BpMessages? _warm, _best;
    // Message arrays this estimator created (at most a few: the warm start, the best, the last run's) and one spare
    // pair-moment array handed back by Recycle: an N×N array reused instead of allocated skips the page faults of
    // fresh memory (3.6 MB at N = 675, measured 3–10 ms per array on the shared 2-core machine, 0.1–0.3 ms reused).
    private readonly List<double[]> _ownedMessages = [];
    private double[]? _sparePairs;
    private double _scale = double.PositiveInfinity;
    private readonly List<int> _sweeps = [];

    /// <summary>Creates the estimator; <paramref name="options"/>.Tolerance is the floor (the tightest tolerance used).</summary>
    public InexactBpMomentEstimator(BpOptions options, double fraction = 0.1, double ceiling = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!(fraction > 0 && fraction <= 1)) throw new InputException($"bp tolerance fraction: {fraction} is outside (0, 1]");
        if (!(ceiling >= options.Tolerance)) throw new InputException($"bp tolerance ceiling: {ceiling} is below the floor {options.Tolerance}");
        Options = options;
        Fraction = fraction;
        Ceiling = ceiling;
    }

    /// <summary>BP settings; their tolerance is the floor.</summary>
    public BpOptions Options { get; }

    /// <summary>Tolerance as a fraction of the best RMSE.</summary>
    public double Fraction { get; }

    /// <summary>Loosest tolerance.</summary>
    public double Ceiling { get; }

    /// <summary>
    /// Sweeps allowed to an estimate once a best model is kept (0 = no budget): a run that has not converged within them
    /// fails at once, without escalating the damping, and the learning undoes its step.
    /// </summary>
    public int SweepBudget { get; init; }

    /// <summary>
    /// The last run, or null before the first call. Its messages are reused by a later call unless they are the warm
    /// start or the best messages: clone them to keep them.
    /// </summary>
    public BpResult? LastResult { get; private set; }

    /// <summary>Tolerance of the last run.</summary>
    public double LastTolerance { get; private set; } = double.NaN;

    /// <summary>Sweeps of every run so far (all damping attempts).</summary>
    public IReadOnlyList<int> Sweeps => _sweeps;

    /// <summary>Wall time of all estimates so far (BP and the moments).</summary>
    public TimeSpan EstimateTime { get; private set; }

    /// <summary>Wall time of the message sweeps within <see cref="EstimateTime"/>; the rest is the work around them.</summary>
    public TimeSpan SweepTime { get; private set; }

    /// <summary>The converged messages of the last run (a warm start for a tight re-estimate), or null; valid until a later
    /// call replaces them (clone them to keep them).</summary>
    public BpMessages? Messages => _warm;

    /// <summary>The messages kept by the last <see cref="MarkBest"/> (the best model's fixed point), or null; valid while
    /// they are the best (clone them to keep them beyond).</summary>
    public BpMessages? BestMessages => _best;

    /// <inheritdoc />
    public void SetErrorScale(double bestRmse) => _scale = bestRmse;

    /// <inheritdoc />
    public void Recycle(Moments moments)
    {
        ArgumentNullException.ThrowIfNull(moments);
        _sparePairs = moments.SecondMoments;
    }

    // An array of messages neither kept as the warm start nor as the best (e.g. the previous run's, whose LastResult is
    // about to be replaced), or null. Three arrays cover the rotation (warm start, best, new run); a fourth is let go.
    private double[]? SpareMessages(int size)
    {
        double[]? spare = null;
        for (int k = _ownedMessages.Count - 1; k >= 0; k--)
        {
            var array = _ownedMessages[k];
            if (array.Length != size) { _ownedMessages.RemoveAt(k); continue; }
            if (array == _warm?.CavityFields || array == _best?.CavityFields) continue;
            if (spare == null) spare = array;
            else if (_ownedMessages.Count > 3) _ownedMessages.RemoveAt(k);
        }
        return spare;
    }

    /// <inheritdoc />
    public void MarkBest() => _best = _warm;

    /// <inheritdoc />
    public void ReturnToBest() => _warm = _best ?? _warm;

    /// <summary>The tolerance the next call will use.</summary>
    /// <remarks>Before the first RMSE is known (the start model, from a cold start) it is the floor, since the schedule's
    /// tolerance for it is not known yet: at the 1e-3 ceiling the TAP starts of the published parts had moments off by
    /// 1.0e-3 (ITER), 3.0e-3 (LB), 1.6e-4 (RB) and 2.1e-3 (FULL) from their values at 1e-8, i.e. 26 % of ITER's start
    /// mismatch (RMSE 0.0039) where the schedule allows 10 %; every later step is warm-started from this estimate.</remarks>
    public double NextTolerance => double.IsFinite(_scale) ? Math.Clamp(Fraction * _scale, Options.Tolerance, Ceiling) : Options.Tolerance;

    /// <inheritdoc />
    /// <remarks>At the floor tolerance, from the last run's messages, without the sweep budget (its damping escalates as
    /// usual); a failure throws <see cref="BpConvergenceException"/>.</remarks>
    public Moments? Confirm(IsingModel model, CancellationToken ct = default)
    {
        if (!(LastTolerance > Options.Tolerance)) return null;
        return Run(model, Options, ct);
    }

    /// <inheritdoc />
    public Moments Estimate(IsingModel model, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var options = Options with { Tolerance = NextTolerance };
        if (SweepBudget > 0 && double.IsFinite(_scale)) options = options with { MaxIterations = SweepBudget, EscalateDamping = false };
        return Run(model, options, ct);
    }

    private Moments Run(IsingModel model, BpOptions options, CancellationToken ct)
    {
        var warm = _warm is { } w && w.Size == model.Size ? w : null;
        long start = Stopwatch.GetTimestamp();
        var pairBuffer = Interlocked.Exchange(ref _sparePairs, null);
        var (result, moments) = BeliefPropagation.RunWithMomentsInto(model, options, warm,
            SpareMessages(model.Size * model.Size), pairBuffer, ct, thermodynamics: false, onlyIfConverged: true);
        if (!_ownedMessages.Contains(result.Messages.CavityFields)) _ownedMessages.Add(result.Messages.CavityFields);
        EstimateTime += Stopwatch.GetElapsedTime(start);
        SweepTime += result.SweepTime;
        LastResult = result;
        LastTolerance = options.Tolerance;
        _sweeps.Add(result.Iterations);
        if (!result.Converged)
        {
            // A failed run computes no moments, so the pair array it was given is still free for the next estimate (its
            // messages' array is owned, and neither the warm start nor the best, so it is reused too). Dropped, each
            // failure cost the next estimate a fresh N×N array: 2.8 ms of page faults per step at N = 675 on FULL.
            _sparePairs = pairBuffer;
            throw new BpConvergenceException(result);
        }
        _warm = result.Messages;
        return moments!;
    }
}
