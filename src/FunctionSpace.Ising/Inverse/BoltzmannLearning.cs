using System.Diagnostics;
using System.Runtime.Intrinsics;
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
/// <param name="FieldRateRatio">η_h / η_J of <see cref="BoltzmannUpdate.Gradient"/> (the rule has one rate for each).
/// 1 is the study's single rate; with it the learning stalls on dense N = 675 data (the RMSE, which weighs one field as
/// much as N − 1 couplings, stops falling along the step); 10 reached RMSE 1e-3 on each of four dense N = 675 BP-consistent
/// problems tried (variants of the learnable problem of `fsi bench fit`); 3 stalled on one of them, 30 took 2–3× the steps.</param>
/// <param name="CenteredGradient">Centre <see cref="BoltzmannUpdate.Gradient"/> on the data magnetisations (Montavon &amp;
/// Müller 2012): without it the same dense problems stalled at RMSE 0.002–0.009.</param>
public sealed record BoltzmannLearningOptions(double InitialStep = 0.01, double MaxStep = 0.05, double MinStep = 1e-9,
    double Increase = 1.2, double Decrease = 0.5, double BlowUpFactor = 3, int ProgressEvery = 1,
    BoltzmannUpdate Update = BoltzmannUpdate.MeanFieldNewton, double GradientRate = 0.5, double MaxGradientRate = 64,
    double FieldRateRatio = 10, bool CenteredGradient = true);

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
    /// The gradient step of the issue, J ← J + η_J (C_data − C_model − λ₂J), h ← h + η_h (m_data − m_model), with
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
/// Plain SGD oscillates on dense data (the study's RMSE went 0.039 → 0.26 in 20 steps), so each parameter has
/// its own adaptive step (iRprop⁻, Igel &amp; Hüsken 2000: grow while the gradient keeps its sign, shrink and
/// skip on a sign flip), and a step that blows the RMSE up is undone (back to the best model, all steps
/// halved). Stops when RMSE = sqrt(mean Δm² + mean_{i≠j} ΔC²) &lt; ε or after T steps, returning the best model.
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
        var watch = Stopwatch.StartNew();
        int n = target.Size;
        var data = target.Moments;
        double[] h = initial?.Fields.ToArray() ?? new double[n];
        double[] j = initial?.Couplings.ToArray() ?? new double[n * n];
        if (initial != null && initial.Size != n) throw new InputException($"initial model has {initial.Size} spins, the data {n}");
        int p = n + n * n;
        var step = new double[p];
        Array.Fill(step, Options.InitialStep);
        var previousGradient = new double[p];
        var history = new List<double>();
        double bestRmse = double.PositiveInfinity;
        double[] bestH = h.ToArray(), bestJ = j.ToArray();
        int bestIteration = 0, rejected = 0, failedEstimates = 0;
        var reason = FitStopReason.IterationCap;
        string? lastFailure = null;
        int iteration = 0;
        double eta = 1, lastAcceptedRmse = double.PositiveInfinity;
        (double[] H, double[] J)? targetInverse = null;
        double[]? precond = null;
        double[]? cData = null;
        if (Options.Update == BoltzmannUpdate.LinearResponse)
        {
            cData = data.ConnectedCorrelations();
            precond = PersistentChainLearning.Preconditioner(cData, n, 1e-6);
        }
        bool newton = Options.Update == BoltzmannUpdate.MeanFieldNewton;
        if (newton)
        {
            try { targetInverse = Tap(data); }
            catch (InputException) { targetInverse = null; }   // singular data correlations: fall back to Rprop
        }
        var steered = _estimator as ILearningEstimator;
        // Where the time goes: the estimator (model moments) vs the rest of the loop (model construction, RMSE, update).
        long estimateTicks = 0, loopStart = Stopwatch.GetTimestamp();
        Moments? previousEstimate = null;
        Moments? bestEstimate = null;   // the best model's moments (Gradient rule: a step after an undo starts from them)
        int undone = 0;
        TapScratch? tapScratch = null;
        for (; iteration <= options.MaxIterations; iteration++)
        {
            ct.ThrowIfCancellationRequested();
            // The previous step's estimate is no longer read: its arrays may serve the next estimate.
            if (previousEstimate != null && previousEstimate != bestEstimate) steered?.Recycle(previousEstimate);
            previousEstimate = null;
            var model = new IsingModel(h, j);
            Moments? estimate = null;
            string? failure;
            long estimateStart = Stopwatch.GetTimestamp();
            try
            {
                steered?.SetErrorScale(bestRmse);
                estimate = _estimator.Estimate(model, ct);
                failure = EstimateCheck?.Invoke();
            }
            catch (BpConvergenceException e)
            {
                // BP already escalated its damping; the step that led here is undone below.
                failure = e.Message;
            }
            double rmse = failure == null ? data.Rmse(estimate!) : double.NaN;
            if (rmse < options.RmseTolerance && steered != null)
            {
                // A loose estimate met the stopping RMSE: confirm it at the estimator's best accuracy before stopping (a
                // BP run stopped early on a slowly converging model can look matched when its fixed point is not).
                try
                {
                    if (steered.Confirm(model, ct) is { } confirmed)
                    {
                        steered.Recycle(estimate!);   // the loose estimate is no longer read
                        estimate = confirmed;
                        rmse = data.Rmse(confirmed);
                    }
                }
                catch (BpConvergenceException e) { failure = e.Message; rmse = double.NaN; estimate = null; }
            }
            estimateTicks += Stopwatch.GetTimestamp() - estimateStart;
            previousEstimate = estimate;
            history.Add(rmse);
            if (iteration % Options.ProgressEvery == 0 || rmse < options.RmseTolerance)
                progress?.Report(new ProgressReport(Name, iteration, options.MaxIterations, "steps",
                    $"rmse {rmse:E3} best {Math.Min(bestRmse, double.IsNaN(rmse) ? bestRmse : rmse):E3} rate {eta:G3}"));
            if (double.IsFinite(rmse) && rmse < bestRmse)
            {
                bestRmse = rmse; bestIteration = iteration;
                Array.Copy(h, bestH, n); Array.Copy(j, bestJ, n * n);
                steered?.MarkBest();
                if (Options.Update == BoltzmannUpdate.Gradient)
                {
                    if (bestEstimate != null) steered?.Recycle(bestEstimate);
                    bestEstimate = estimate;
                }
            }
            if (rmse < options.RmseTolerance) { reason = FitStopReason.Converged; break; }
            if (iteration == options.MaxIterations) break;
            if (!double.IsFinite(rmse) || rmse > Options.BlowUpFactor * bestRmse)
            {
                if (failure != null) { failedEstimates++; lastFailure = failure; }
                if (!double.IsFinite(bestRmse)) { reason = FitStopReason.Diverged; lastFailure ??= "the first estimate failed"; break; }
                // Undo: back to the best model, halve every step (and the Newton step size η), forget the sign memory.
                rejected++;
                eta *= 0.5;
                lastAcceptedRmse = double.PositiveInfinity;   // the restored model is re-estimated: accept it as is
                Array.Copy(bestH, h, n); Array.Copy(bestJ, j, n * n);
                steered?.ReturnToBest();
                if (Options.Update == BoltzmannUpdate.Gradient && bestEstimate != null)
                {
                    // Step again at once from the best model's kept moments (its re-estimate would cost a BP run for
                    // nothing). The rule's own stopping test is its rate (the Rprop steps below do not apply to it).
                    if (eta < 1e-6 * Options.GradientRate) { reason = failure != null ? FitStopReason.Diverged : FitStopReason.Stalled; break; }
                    lastAcceptedRmse = bestRmse;
                    GradientStep(h, j, data, bestEstimate, eta, options.L2);
                    continue;
                }
                double largest = 0;
                for (int k = 0; k < p; k++) { step[k] = Math.Max(Options.MinStep, step[k] * 0.5); largest = Math.Max(largest, step[k]); }
                Array.Clear(previousGradient);
                if (largest <= Options.MinStep) { reason = failure != null ? FitStopReason.Diverged : FitStopReason.Stalled; break; }
                continue;
            }
            if (precond != null)
            {
                if (eta < 1e-3) { reason = FitStopReason.Stalled; break; }
                if (rmse <= lastAcceptedRmse) { eta = Math.Min(1, eta * 1.5); lastAcceptedRmse = rmse; }
                else
                {
                    // Worse: undo and halve η. The restored model's re-estimate can differ from its first one by the BP
                    // tolerance, so it is accepted unconditionally (else η would spiral down on round-off).
                    eta *= 0.5; Array.Copy(bestH, h, n); Array.Copy(bestJ, j, n * n);
                    steered?.ReturnToBest();
                    lastAcceptedRmse = double.PositiveInfinity;
                    continue;
                }
                var deltaC = new double[n * n];
                var deltaM = new double[n];
                for (int a = 0; a < n; a++)
                {
                    deltaM[a] = data.Magnetisations[a] - estimate!.Magnetisations[a];
                    for (int b = 0; b < n; b++)
                    {
                        double modelC = (a == b ? 1 : estimate.SecondMoments[a * n + b]) - estimate.Magnetisations[a] * estimate.Magnetisations[b];
                        deltaC[a * n + b] = cData![a * n + b] - modelC - (a == b ? 0 : options.L2 * j[a * n + b]);
                    }
                }
                var (dH, dJ) = PersistentChainLearning.NewtonStep(precond, deltaC, deltaM, data.Magnetisations, n);
                for (int a = 0; a < n; a++) h[a] += eta * dH[a];
                for (int k = 0; k < n * n; k++) j[k] += eta * dJ[k];
                continue;
            }
            if (Options.Update == BoltzmannUpdate.Gradient)
            {
                if (iteration == 0) eta = Options.GradientRate;
                if (eta < 1e-6 * Options.GradientRate) { reason = FitStopReason.Stalled; break; }
                if (rmse <= lastAcceptedRmse)
                {
                    eta = Math.Min(Options.MaxGradientRate, eta * 1.2);
                    lastAcceptedRmse = rmse;
                    GradientStep(h, j, data, estimate!, eta, options.L2);
                }
                else
                {
                    // Worse than the last accepted point: undo (back to the best model), halve η, and step again from the
                    // best model's moments, kept from its estimate (re-estimating them would cost a BP run for nothing).
                    eta *= 0.5;
                    Array.Copy(bestH, h, n); Array.Copy(bestJ, j, n * n);
                    steered?.ReturnToBest();
                    undone++;
                    if (bestEstimate != null) GradientStep(h, j, data, bestEstimate, eta, options.L2);
                    else lastAcceptedRmse = double.PositiveInfinity;   // no kept moments: accept the restored model's re-estimate
                }
                continue;
            }
            if (newton && targetInverse != null && eta < 1e-3)
            {
                reason = FitStopReason.Stalled;   // repeated worsening steps: the estimator's floor is reached
                break;
            }
            if (newton && TryMeanFieldNewton(estimate!, h, j, ref eta, rmse, ref lastAcceptedRmse, bestH, bestJ, targetInverse, options.L2, steered, tapScratch ??= new TapScratch(n)))
                continue;
            // iRprop⁻ update on fields (k < n) and the upper-triangular couplings (mirrored).
            for (int i = 0; i < n; i++)
                h[i] += RpropStep(i, data.Magnetisations[i] - estimate!.Magnetisations[i], step, previousGradient);
            for (int a = 0; a < n; a++)
            {
                int row = a * n;
                for (int b = a + 1; b < n; b++)
                {
                    double g = data.SecondMoments[row + b] - estimate!.SecondMoments[row + b] - options.L2 * j[row + b];
                    double delta = RpropStep(n + row + b, g, step, previousGradient);
                    j[row + b] += delta;
                    j[b * n + a] = j[row + b];
                }
            }
        }
        var loopTime = Stopwatch.GetElapsedTime(loopStart);
        var estimateTime = Stopwatch.GetElapsedTime(0, estimateTicks);
        var result = new IsingModel(bestH, bestJ);
        return new FitResult(result, Name, Math.Min(iteration, options.MaxIterations), reason, history.ToArray(), bestIteration, watch.Elapsed)
        {
            Diagnostics = new Dictionary<string, object?>
            {
                ["best_rmse"] = bestRmse,
                ["estimate_seconds"] = estimateTime.TotalSeconds,
                ["update_seconds"] = (loopTime - estimateTime).TotalSeconds,
                ["rejected_steps"] = rejected,
                ["undone_steps"] = undone,
                ["failed_estimates"] = failedEstimates,
                ["last_failure"] = lastFailure,
                ["update"] = Options.Update.ToString(),
                ["l2"] = options.L2,
                ["initial_step"] = Options.InitialStep,
                ["max_step"] = Options.MaxStep,
            },
        };
    }

    private static (double[] H, double[] J) Tap(Moments moments)
    {
        var (h, j, _) = MeanFieldInversion.Invert(moments.Magnetisations, moments.ConnectedCorrelations(), MeanFieldVariant.Tap);
        return (h, j);
    }

    // The TAP inverse of a step's model moments into the fit's scratch arrays (read within the step only).
    private static (double[] H, double[] J) Tap(Moments moments, TapScratch scratch)
    {
        var (h, j, _) = MeanFieldInversion.Invert(moments.Magnetisations, moments.ConnectedCorrelations(scratch.Connected),
            MeanFieldVariant.Tap, 0, scratch.Inverse, scratch.Couplings);
        return (h, j);
    }

    // N×N arrays reused by every step's TAP inversion (fresh 3.6 MB arrays at N = 675 cost page faults each step).
    private sealed class TapScratch(int n)
    {
        public readonly double[] Connected = new double[n * n];
        public readonly double[] Inverse = new double[n * n];
        public readonly double[] Couplings = new double[n * n];
    }

    // θ ← θ + η [F(data) − F(model)]: returns false when F(model) is unavailable (then Rprop steps instead).
    private static bool TryMeanFieldNewton(Moments estimate, double[] h, double[] j, ref double eta, double rmse,
        ref double lastAcceptedRmse, double[] bestH, double[] bestJ, (double[] H, double[] J)? targetInverse, double l2,
        ILearningEstimator? steered, TapScratch scratch)
    {
        if (targetInverse is not { } target) return false;
        (double[] H, double[] J) model;
        try { model = Tap(estimate, scratch); }
        catch (InputException) { return false; }
        if (rmse <= lastAcceptedRmse) { eta = Math.Min(1, eta * 1.5); lastAcceptedRmse = rmse; }
        else
        {
            // Worse than the last accepted point: undo (back to the best model) and halve η.
            eta *= 0.5;
            Array.Copy(bestH, h, h.Length);
            Array.Copy(bestJ, j, j.Length);
            steered?.ReturnToBest();
            lastAcceptedRmse = double.PositiveInfinity;   // accept the restored model's re-estimate (it differs by round-off)
            return true;
        }
        int n = h.Length;
        for (int i = 0; i < n; i++) h[i] += eta * (target.H[i] - model.H[i]);
        for (int k = 0; k < j.Length; k++) j[k] += eta * (target.J[k] - model.J[k] - l2 * j[k]);
        return true;
    }

    // One step of the gradient rule (see BoltzmannUpdate.Gradient). Centred (the centering trick of Montavon & Müller,
    // Neural Networks: Tricks of the Trade, LNCS 7700, 2012, with offsets μ = m_data): in the parameters (W, b) of E = Σ W_ij (s_i − μ_i)(s_j − μ_j) + Σ b_i (s_i − μ_i) the likelihood gradient is
    //   ∂W_ij = ΔC_ij − μ_i Δm_j − μ_j Δm_i,   ∂b_i = Δm_i    (Δ = data − model; C = ⟨s_i s_j⟩),
    // and J = W, h_i = b_i − Σ_j W_ij μ_j, so a step (δW, δb) is δJ = δW, δh_i = δb_i − Σ_j δW_ij μ_j: the fields follow
    // the coupling change so that the mean fields Σ_j J_ij μ_j + h_i stay put, which is what keeps dense steps from
    // shifting every magnetisation at once. Uncentred (μ = 0) it is the study's rule.
    private void GradientStep(double[] h, double[] j, Moments data, Moments model, double eta, double l2)
    {
        int n = h.Length;
        var target = data.SecondMoments;
        var estimate = model.SecondMoments;
        var dm = new double[n];
        for (int i = 0; i < n; i++) dm[i] = data.Magnetisations[i] - model.Magnetisations[i];
        ReadOnlySpan<double> mu = Options.CenteredGradient ? data.Magnetisations : new double[n];
        double fieldRate = eta * Options.FieldRateRatio;
        for (int a = 0; a < n; a++)
        {
            int row = a * n;
            // The off-diagonal entries of row a: [0, a) and (a, n); the diagonal stays zero.
            double shift = CouplingStep(j.AsSpan(row, a), target.AsSpan(row, a), estimate.AsSpan(row, a), dm.AsSpan(0, a), mu[..a],
                                   eta, mu[a], dm[a], l2)
                           + CouplingStep(j.AsSpan(row + a + 1, n - a - 1), target.AsSpan(row + a + 1, n - a - 1),
                                   estimate.AsSpan(row + a + 1, n - a - 1), dm.AsSpan(a + 1), mu[(a + 1)..], eta, mu[a], dm[a], l2);
            h[a] += fieldRate * dm[a] - shift;
        }
    }

    // δJ_ab = η (ΔC_ab − μ_a Δm_b − μ_b Δm_a − λ₂ J_ab) over one row segment, added to J; returns Σ_b δJ_ab μ_b (the
    // field shift of the centring). 8 lanes then the tail, in a fixed order. The centring term is one sum of two
    // products, μ_a Δm_b + μ_b Δm_a, which is the same double for (a, b) and (b, a): J stays exactly symmetric.
    private static double CouplingStep(Span<double> j, ReadOnlySpan<double> target, ReadOnlySpan<double> estimate,
        ReadOnlySpan<double> dm, ReadOnlySpan<double> mu, double eta, double muA, double dmA, double l2)
    {
        int k = 0, length = j.Length;
        double shift = 0;
        if (VectorMath.IsAccelerated && length >= Vector512<double>.Count)
        {
            var rate = Vector512.Create(eta);
            var decay = Vector512.Create(l2);
            var muRow = Vector512.Create(muA);
            var dmRow = Vector512.Create(dmA);
            var sum = Vector512<double>.Zero;
            for (; k <= length - Vector512<double>.Count; k += Vector512<double>.Count)
            {
                var jv = Vector512.Create(j.Slice(k, Vector512<double>.Count));
                var muv = Vector512.Create(mu.Slice(k, Vector512<double>.Count));
                var gradient = Vector512.Create(target.Slice(k, Vector512<double>.Count)) - Vector512.Create(estimate.Slice(k, Vector512<double>.Count))
                               - (muRow * Vector512.Create(dm.Slice(k, Vector512<double>.Count)) + muv * dmRow) - decay * jv;
                var delta = rate * gradient;
                (jv + delta).CopyTo(j.Slice(k, Vector512<double>.Count));
                sum += delta * muv;
            }
            shift = Vector512.Sum(sum);
        }
        for (; k < length; k++)
        {
            double delta = eta * (target[k] - estimate[k] - (muA * dm[k] + mu[k] * dmA) - l2 * j[k]);
            j[k] += delta;
            shift += delta * mu[k];
        }
        return shift;
    }

    // iRprop⁻: step grows while the gradient keeps its sign, shrinks (and no move) when it flips.
    private double RpropStep(int k, double gradient, double[] step, double[] previous)
    {
        double product = gradient * previous[k];
        if (product > 0) step[k] = Math.Min(step[k] * Options.Increase, Options.MaxStep);
        else if (product < 0)
        {
            step[k] = Math.Max(step[k] * Options.Decrease, Options.MinStep);
            previous[k] = 0;
            return 0;
        }
        previous[k] = gradient;
        return Math.Sign(gradient) * step[k];
    }
}
