using System.Diagnostics;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inverse;

/// <summary>Settings of <see cref="BoltzmannLearning"/> beyond <see cref="FitOptions"/>.</summary>
/// <param name="InitialStep">Initial per-parameter step Δ (same for J and h).</param>
/// <param name="MaxStep">Largest per-parameter step.</param>
/// <param name="MinStep">Smallest per-parameter step; when all steps have shrunk to it the fit stops (stalled).</param>
/// <param name="Increase">Step growth when the gradient keeps its sign (Rprop η⁺).</param>
/// <param name="Decrease">Step shrink when the gradient flips sign (Rprop η⁻).</param>
/// <param name="BlowUpFactor">A step whose RMSE exceeds this × the best RMSE is rejected: the parameters return
/// to the best model and every step is halved (backtracking).</param>
/// <param name="ProgressEvery">Report progress every this many steps.</param>
/// <param name="Update">How the moment mismatch becomes a parameter step.</param>
/// <param name="GradientRate">Initial learning rate η of <see cref="BoltzmannUpdate.Gradient"/>.</param>
/// <param name="MaxGradientRate">Largest learning rate η of <see cref="BoltzmannUpdate.Gradient"/>.</param>
/// <param name="FieldRateRatio">η_h / η_J of <see cref="BoltzmannUpdate.Gradient"/> (one rate for each).
/// 1 is the study's single rate; with it the learning stalls on dense N = 675 data (the RMSE, which weighs one field as
/// much as N − 1 couplings, stops falling along the step); 10 reached RMSE 1e-3 on each of four dense N = 675 BP-consistent
/// problems tried (variants of the learnable problem of `fsi bench fit`); 3 stalled on one of them, 30 took 2–3× the steps.</param>
/// <param name="CenteredGradient">Centre <see cref="BoltzmannUpdate.Gradient"/> on the data magnetisations (Montavon &amp;
/// Müller 2012): without it the same dense problems stalled at RMSE 0.002–0.009.</param>
public sealed record BoltzmannLearningOptions(double InitialStep = 0.01, double MaxStep = 0.05, double MinStep = 1e-9,
    double Increase = 1.2, double Decrease = 0.5, double BlowUpFactor = 3, int ProgressEvery = 1,
    BoltzmannUpdate Update = BoltzmannUpdate.MeanFieldNewton, double GradientRate = 0.5, double MaxGradientRate = 64,
    double FieldRateRatio = 10, bool CenteredGradient = true)
{
    /// <summary>The options of the iRprop⁻ rule (and of the fallback and step budget of the Newton-like rules).</summary>
    public RpropOptions Rprop => new(InitialStep, MaxStep, MinStep, Increase, Decrease);

    /// <summary>The options of the gradient rule.</summary>
    public GradientRuleOptions GradientRule => new(GradientRate, MaxGradientRate, FieldRateRatio, CenteredGradient);
}

/// <summary>Update rules of <see cref="BoltzmannLearning"/>.</summary>
public enum BoltzmannUpdate
{
    /// <summary>
    /// Sign-based per-parameter steps on the gradient (C_data − C_model, m_data − m_model) (iRprop⁻).
    /// </summary>
    Rprop,
    /// <summary>
    /// Gradient preconditioned by the TAP inverse: θ ← θ + η [F(data) − F(model moments)], F = TAP inversion
    /// (C ↦ J, h). F approximates the inverse of the moment map, so this is a quasi-Newton step whose fixed
    /// point is exact moment matching (F is injective); η adapts: ×1.5 (≤ 1) after an improving step,
    /// ×0.5 with the step undone after a worsening one.
    /// </summary>
    MeanFieldNewton,
    /// <summary>
    /// Linear-response (mean-field Newton) step with the preconditioner fixed at the data: A = (c_data + εI)⁻¹,
    /// δJ = η offdiag(A Δc A), δh = η (A Δm − δJ m_data) (see <see cref="PersistentChainLearning"/>); linear in the
    /// moment mismatch, so it needs no inversion of the model's moments; η adapts as for <see cref="MeanFieldNewton"/>.
    /// </summary>
    LinearResponse,
    /// <summary>
    /// The gradient step J ← J + η_J (C_data − C_model − λ₂J), h ← h + η_h (m_data − m_model), with
    /// η_h = <see cref="BoltzmannLearningOptions.FieldRateRatio"/> × η_J, centred on the data magnetisations
    /// (<see cref="BoltzmannLearningOptions.CenteredGradient"/>; ratio 1 uncentred is the study's rule), and one
    /// adaptive learning rate (the "bold driver", Vogl et al., Biol. Cybern. 59, 257 (1988); Battiti 1989): η grows ×1.2
    /// (up to <see cref="BoltzmannLearningOptions.MaxGradientRate"/>) after a step that lowered the RMSE, and a step that
    /// raised it is undone with η halved, which is what keeps the study's fixed-η SGD from oscillating. O(N²) per step:
    /// no inversion.
    /// </summary>
    Gradient,
}

/// <summary>
/// Boltzmann learning (Ackley, Hinton &amp; Sejnowski 1985; Zou &amp; Huang App. C): gradient ascent of the
/// log-likelihood, whose gradient is the moment mismatch, ∂ℒ/∂J_ij = ⟨s_i s_j⟩_data − ⟨s_i s_j⟩_model − λ₂J_ij,
/// ∂ℒ/∂h_i = m_i^data − m_i^model, with model moments from a pluggable <see cref="IMomentEstimator"/>
/// (belief propagation, warm-started from the previous step's messages; exact enumeration; Monte Carlo).
/// Plain SGD oscillates on dense data (the study's RMSE went 0.039 → 0.26 in 20 steps), so the step comes from an
/// adaptive update rule (<see cref="IUpdateRule"/>, one per <see cref="BoltzmannUpdate"/>, each with its own step sizes),
/// and a step that blows the RMSE up is rejected: back to the best model, and the rule shrinks its steps. Stops when
/// RMSE = sqrt(mean Δm² + mean_{i≠j} ΔC²) &lt; ε, after T steps, or when the rule's steps are exhausted, returning the
/// best model.
/// </summary>
public sealed class BoltzmannLearning : IInverseSolver
{
    private readonly IMomentEstimator _estimator;

    /// <summary>Creates the solver around a model-moment estimator.</summary>
    public BoltzmannLearning(IMomentEstimator estimator, BoltzmannLearningOptions? options = null, string name = "bp")
    {
        _estimator = estimator;
        Options = options ?? new BoltzmannLearningOptions();
        Name = name;
    }

    /// <summary>Learning settings.</summary>
    public BoltzmannLearningOptions Options { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>
    /// Optional check run after each estimate: returns null when the estimate is usable, or a reason why
    /// not (e.g. BP did not converge). A failed estimate is treated like a blow-up: back to the best model.
    /// </summary>
    public Func<string?>? EstimateCheck { get; init; }

    /// <inheritdoc />
    public FitResult Fit(FitTarget target, IsingModel? initial, FitOptions options,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        FitTarget.CheckArguments(target, initial, options);
        var watch = Stopwatch.StartNew();
        int n = target.Size;
        var data = target.Moments;
        var estimates = new LearningEstimates(_estimator, data, EstimateCheck);
        var state = new LearningState(data, initial?.Fields.ToArray() ?? new double[n], initial?.Couplings.ToArray() ?? new double[n * n], options.L2, estimates);
        var rule = CreateRule(data);
        var history = new List<double>();
        int rejected = 0, failedEstimates = 0;
        var stop = new Stop(StopReason.IterationCap);
        string? lastFailure = null;
        int iteration = 0;
        // Where the time goes: the estimator (model moments) vs the rest of the loop (model construction, RMSE, update).
        long loopStart = Stopwatch.GetTimestamp();
        for (; iteration <= options.MaxIterations; iteration++)
        {
            ct.ThrowIfCancellationRequested();
            var (estimate, rmse, failure) = estimates.Next(new IsingModel(state.H, state.J), state.BestRmse, options.RmseTolerance, ct);
            history.Add(rmse);
            if (iteration % Options.ProgressEvery == 0 || rmse < options.RmseTolerance)
                progress?.Report(new ProgressReport(Name, iteration, options.MaxIterations, "steps",
                    $"rmse {rmse:E3} best {Math.Min(state.BestRmse, double.IsNaN(rmse) ? state.BestRmse : rmse):E3} rate {rule.Rate:G3}"));
            if (double.IsFinite(rmse) && rmse < state.BestRmse) state.MarkBest(rmse, iteration, estimate!, rule.KeepsBestMoments);
            if (rmse < options.RmseTolerance) { stop = new Stop(StopReason.Converged, "RMSE below the tolerance"); break; }
            if (iteration == options.MaxIterations) break;
            if (!double.IsFinite(rmse) || rmse > Options.BlowUpFactor * state.BestRmse)
            {
                // A failed estimate or a step that blew the error up: back to the best model, and the rule reacts.
                if (failure != null) { failedEstimates++; lastFailure = failure; }
                if (!double.IsFinite(state.BestRmse)) { stop = new Stop(StopReason.Diverged, "the first estimate failed"); lastFailure ??= stop.Detail; break; }
                rejected++;
                state.RestoreBest();
                if (rule.AfterRejection(state, failure != null) is { } rejectionStop) { stop = rejectionStop; break; }
                continue;
            }
            if (rule.Step(state, estimate!, rmse) is { } ruleStop) { stop = ruleStop; break; }
        }
        var loopTime = Stopwatch.GetElapsedTime(loopStart);
        var estimateTime = Stopwatch.GetElapsedTime(0, estimates.Ticks);
        var result = new IsingModel(state.BestH, state.BestJ);
        return new FitResult(result, Name, Math.Min(iteration, options.MaxIterations), stop, history.ToArray(), state.BestIteration, watch.Elapsed)
        {
            Diagnostics = new Dictionary<string, object?>
            {
                ["best_rmse"] = state.BestRmse,
                ["estimate_seconds"] = estimateTime.TotalSeconds,
                ["update_seconds"] = (loopTime - estimateTime).TotalSeconds,
                ["rejected_steps"] = rejected,
                ["undone_steps"] = rule.Undone,
                ["failed_estimates"] = failedEstimates,
                ["last_failure"] = lastFailure,
                ["update"] = Options.Update.ToString(),
                ["l2"] = options.L2,
                ["initial_step"] = Options.InitialStep,
                ["max_step"] = Options.MaxStep,
            },
        };
    }

    /// <summary>The update rule of <see cref="BoltzmannLearningOptions.Update"/> for data <paramref name="data"/>, with its options.</summary>
    public IUpdateRule CreateRule(Moments data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Options.Update switch
        {
            BoltzmannUpdate.Rprop => new RpropRule(Options.Rprop, data.Size),
            BoltzmannUpdate.MeanFieldNewton => new MeanFieldNewtonRule(data, Options.Rprop),
            BoltzmannUpdate.LinearResponse => new LinearResponseRule(data, Options.Rprop),
            BoltzmannUpdate.Gradient => new GradientRule(Options.GradientRule),
            _ => throw new ArgumentOutOfRangeException(nameof(data), Options.Update, "not an update rule"),
        };
    }
}
