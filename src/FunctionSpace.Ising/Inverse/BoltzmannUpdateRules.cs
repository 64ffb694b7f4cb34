using System.Runtime.Intrinsics;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inverse;

/// <summary>Settings of the iRprop⁻ rule (<see cref="BoltzmannUpdate.Rprop"/>).</summary>
/// <param name="InitialStep">Initial per-parameter step Δ (same for J and h).</param>
/// <param name="MaxStep">Largest per-parameter step.</param>
/// <param name="MinStep">Smallest per-parameter step; when all steps have shrunk to it the learning stops (stalled).</param>
/// <param name="Increase">Step growth when the gradient keeps its sign (η⁺).</param>
/// <param name="Decrease">Step shrink when the gradient flips sign (η⁻).</param>
public sealed record RpropOptions(double InitialStep = 0.01, double MaxStep = 0.05, double MinStep = 1e-9, double Increase = 1.2, double Decrease = 0.5);

/// <summary>Settings of the gradient rule (<see cref="BoltzmannUpdate.Gradient"/>).</summary>
/// <param name="Rate">Initial learning rate η_J.</param>
/// <param name="MaxRate">Largest learning rate.</param>
/// <param name="FieldRateRatio">η_h / η_J (<see cref="BoltzmannLearningOptions.FieldRateRatio"/>).</param>
/// <param name="Centered">Centre the step on the data magnetisations (<see cref="BoltzmannLearningOptions.CenteredGradient"/>).</param>
public sealed record GradientRuleOptions(double Rate = 0.5, double MaxRate = 64, double FieldRateRatio = 10, bool Centered = true);

/// <summary>
/// One update rule of <see cref="BoltzmannLearning"/>: how a step's moment mismatch becomes a parameter change, with the
/// rule's own step sizes and memory. The learning loop owns the estimates, the best model and the rejection of a step
/// that blew the error up; the rule owns everything else.
/// </summary>
public interface IUpdateRule
{
    /// <summary>The rule's current rate (reported with the progress).</summary>
    double Rate { get; }

    /// <summary>Steps the rule undid by its own acceptance test (a worse step, not a blow-up).</summary>
    int Undone { get; }

    /// <summary>Whether the loop keeps the best model's moments for <see cref="LearningState.BestMoments"/>.</summary>
    bool KeepsBestMoments { get; }

    /// <summary>
    /// A step from the current parameters, whose moments are <paramref name="estimate"/> at RMSE <paramref name="rmse"/>
    /// (at most the blow-up factor × the best): changes <see cref="LearningState.H"/> and <see cref="LearningState.J"/>
    /// (or returns to the best model). Returns why the learning stops, or null to continue.
    /// </summary>
    Stop? Step(LearningState state, Moments estimate, double rmse);

    /// <summary>
    /// The loop rejected the last step (its estimate failed, <paramref name="failed"/>, or blew the error up) and has
    /// returned to the best model. Returns why the learning stops, or null to continue.
    /// </summary>
    Stop? AfterRejection(LearningState state, bool failed);
}

/// <summary>The parameters a <see cref="BoltzmannLearning"/> loop moves, its best model so far, and the data.</summary>
public sealed class LearningState
{
    private readonly LearningEstimates _estimates;

    internal LearningState(Moments data, double[] h, double[] j, double l2, LearningEstimates estimates)
    {
        Data = data;
        H = h;
        J = j;
        L2 = l2;
        BestH = h.ToArray();
        BestJ = j.ToArray();
        _estimates = estimates;
    }

    /// <summary>The target moments.</summary>
    public Moments Data { get; }

    /// <summary>The current fields (changed in place by the rules).</summary>
    public double[] H { get; }

    /// <summary>The current couplings (N×N, symmetric; changed in place by the rules).</summary>
    public double[] J { get; }

    /// <summary>L2 strength on J.</summary>
    public double L2 { get; }

    /// <summary>Fields of the best model.</summary>
    public double[] BestH { get; }

    /// <summary>Couplings of the best model.</summary>
    public double[] BestJ { get; }

    /// <summary>The best (lowest) RMSE so far (+∞ before the first usable estimate).</summary>
    public double BestRmse { get; private set; } = double.PositiveInfinity;

    /// <summary>The step of the best model.</summary>
    public int BestIteration { get; private set; }

    /// <summary>The best model's moments when the rule keeps them (<see cref="IUpdateRule.KeepsBestMoments"/>), else null.</summary>
    public Moments? BestMoments => _estimates.Kept;

    /// <summary>Spins N.</summary>
    public int Size => H.Length;

    /// <summary>Back to the best model (parameters and the estimator's state).</summary>
    public void RestoreBest()
    {
        Array.Copy(BestH, H, H.Length);
        Array.Copy(BestJ, J, J.Length);
        _estimates.ReturnToBest();
    }

    internal void MarkBest(double rmse, int iteration, Moments estimate, bool keepMoments)
    {
        BestRmse = rmse;
        BestIteration = iteration;
        Array.Copy(H, BestH, H.Length);
        Array.Copy(J, BestJ, J.Length);
        _estimates.MarkBest(estimate, keepMoments);
    }
}

/// <summary>
/// The moment estimates of a learning loop: one call per step (<see cref="Next"/>) does the estimator's bookkeeping —
/// the accuracy the step needs, reuse of arrays no longer read, the confirmation of an estimate that meets the stopping
/// RMSE — and <see cref="MarkBest"/> / <see cref="ReturnToBest"/> follow the best model.
/// </summary>
internal sealed class LearningEstimates(IMomentEstimator estimator, Moments data, Func<string?>? check)
{
    private readonly ILearningEstimator? _steered = estimator as ILearningEstimator;
    private Moments? _previous;

    /// <summary>The best model's moments when kept (<see cref="MarkBest"/>).</summary>
    public Moments? Kept { get; private set; }

    /// <summary>Stopwatch ticks spent in the estimator.</summary>
    public long Ticks { get; private set; }

    /// <summary>
    /// The moments of <paramref name="model"/>, their RMSE against the data (NaN when the estimate failed) and the failure.
    /// An estimate that meets <paramref name="tolerance"/> is confirmed at the estimator's best accuracy first (a BP run
    /// stopped early on a slowly converging model can look matched when its fixed point is not).
    /// </summary>
    public (Moments? Estimate, double Rmse, string? Failure) Next(IsingModel model, double bestRmse, double tolerance, CancellationToken ct)
    {
        // The previous step's estimate is no longer read: its arrays may serve this estimate.
        if (_previous != null && _previous != Kept) _steered?.Recycle(_previous);
        _previous = null;
        Moments? estimate = null;
        string? failure;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            _steered?.SetErrorScale(bestRmse);
            estimate = estimator.Estimate(model, ct);
            failure = check?.Invoke();
        }
        catch (BpConvergenceException e)
        {
            // BP already escalated its damping; the loop rejects the step that led here.
            failure = e.Message;
        }
        double rmse = failure == null ? data.Rmse(estimate!) : double.NaN;
        if (rmse < tolerance && _steered != null)
        {
            try
            {
                if (_steered.Confirm(model, ct) is { } confirmed)
                {
                    _steered.Recycle(estimate!);   // the loose estimate is no longer read
                    estimate = confirmed;
                    rmse = data.Rmse(confirmed);
                }
            }
            catch (BpConvergenceException e) { failure = e.Message; rmse = double.NaN; estimate = null; }
        }
        Ticks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
        _previous = estimate;
        return (estimate, rmse, failure);
    }

    /// <summary>The last estimate belongs to the new best model: the estimator keeps its state, and its moments are kept when asked.</summary>
    public void MarkBest(Moments estimate, bool keepMoments)
    {
        _steered?.MarkBest();
        if (!keepMoments) return;
        if (Kept != null) _steered?.Recycle(Kept);
        Kept = estimate;
    }

    /// <summary>The loop returned to the best model: the next estimate starts from the estimator's state of that model.</summary>
    public void ReturnToBest() => _steered?.ReturnToBest();
}

/// <summary>
/// iRprop⁻ (Igel &amp; Hüsken 2000): per-parameter sign steps on the gradient (C_data − C_model − λ₂J, m_data − m_model),
/// growing while the gradient keeps its sign, shrinking (and no move) when it flips; a rejected step halves every step and
/// forgets the signs, and once every step is at its minimum the learning stops.
/// </summary>
internal sealed class RpropRule : IUpdateRule
{
    private readonly RpropOptions _options;
    private readonly double[] _step;
    private readonly double[] _previousGradient;

    public RpropRule(RpropOptions options, int n)
    {
        _options = options;
        _step = new double[n + n * n];
        Array.Fill(_step, options.InitialStep);
        _previousGradient = new double[n + n * n];
    }

    public double Rate { get; private set; } = 1;

    public int Undone => 0;

    public bool KeepsBestMoments => false;

    public Stop? Step(LearningState state, Moments estimate, double rmse)
    {
        int n = state.Size;
        double[] h = state.H, j = state.J;
        var data = state.Data;
        // Fields (k < n) and the upper-triangular couplings (mirrored).
        for (int i = 0; i < n; i++)
            h[i] += RpropStep(i, data.Magnetisations[i] - estimate.Magnetisations[i]);
        for (int a = 0; a < n; a++)
        {
            int row = a * n;
            for (int b = a + 1; b < n; b++)
            {
                double g = data.SecondMoments[row + b] - estimate.SecondMoments[row + b] - state.L2 * j[row + b];
                double delta = RpropStep(n + row + b, g);
                j[row + b] += delta;
                j[b * n + a] = j[row + b];
            }
        }
        return null;
    }

    public Stop? AfterRejection(LearningState state, bool failed)
    {
        Rate *= 0.5;
        double largest = 0;
        for (int k = 0; k < _step.Length; k++) { _step[k] = Math.Max(_options.MinStep, _step[k] * 0.5); largest = Math.Max(largest, _step[k]); }
        Array.Clear(_previousGradient);
        return largest <= _options.MinStep ? StepsExhausted(failed) : null;
    }

    // A rule whose steps have shrunk to nothing stops: diverged when estimates kept failing, else stalled.
    internal static Stop StepsExhausted(bool failed) =>
        failed ? new Stop(StopReason.Diverged, "estimates failed") : new Stop(StopReason.Stalled, "step size exhausted");

    // iRprop⁻: step grows while the gradient keeps its sign, shrinks (and no move) when it flips.
    private double RpropStep(int k, double gradient)
    {
        double product = gradient * _previousGradient[k];
        if (product > 0) _step[k] = Math.Min(_step[k] * _options.Increase, _options.MaxStep);
        else if (product < 0)
        {
            _step[k] = Math.Max(_step[k] * _options.Decrease, _options.MinStep);
            _previousGradient[k] = 0;
            return 0;
        }
        _previousGradient[k] = gradient;
        return Math.Sign(gradient) * _step[k];
    }
}

/// <summary>
/// A rate η that adapts to the accepted RMSE: ×1.5 (at most 1) after a step that did not raise it; a step that raised it is
/// undone (back to the best model) with η halved, and the restored model's re-estimate is accepted as it is (it can differ
/// from its first estimate by the estimator's tolerance, on which η would otherwise spiral down).
/// </summary>
internal sealed class AdaptiveRate
{
    public double Eta { get; private set; } = 1;

    public double LastAccepted { get; private set; } = double.PositiveInfinity;

    public int Undone { get; private set; }

    /// <summary>True to step at the current η; false when the step was undone.</summary>
    public bool Accept(LearningState state, double rmse)
    {
        if (rmse <= LastAccepted) { Eta = Math.Min(1, Eta * 1.5); LastAccepted = rmse; return true; }
        Eta *= 0.5;
        state.RestoreBest();
        LastAccepted = double.PositiveInfinity;
        Undone++;
        return false;
    }

    /// <summary>After a rejected step: η halves and the restored model's re-estimate is accepted as it is.</summary>
    public void Rejected()
    {
        Eta *= 0.5;
        LastAccepted = double.PositiveInfinity;
    }
}

/// <summary>
/// The mean-field Newton rule (<see cref="BoltzmannUpdate.MeanFieldNewton"/>): θ ← θ + η [F(data) − F(model)], F the TAP
/// inversion, with an <see cref="AdaptiveRate"/>; where F cannot be taken (singular correlations of the data, or of a
/// step's model) the step is an iRprop⁻ step instead, whose steps also set when rejections end the learning.
/// </summary>
internal sealed class MeanFieldNewtonRule : IUpdateRule
{
    private readonly (double[] H, double[] J)? _targetInverse;
    private readonly RpropRule _fallback;
    private readonly AdaptiveRate _rate = new();
    private readonly TapScratch _scratch;

    public MeanFieldNewtonRule(Moments data, RpropOptions rprop)
    {
        int n = data.Size;
        _fallback = new RpropRule(rprop, n);
        _scratch = new TapScratch(n);
        try
        {
            var (h, j, _) = MeanFieldInversion.Invert(data.Magnetisations, data.ConnectedCorrelations(), MeanFieldVariant.Tap);
            _targetInverse = (h, j);
        }
        catch (NumericalException) { _targetInverse = null; }   // singular data correlations: iRprop⁻ throughout
    }

    public double Rate => _rate.Eta;

    public int Undone => _rate.Undone;

    public bool KeepsBestMoments => false;

    public Stop? Step(LearningState state, Moments estimate, double rmse)
    {
        if (_targetInverse is not { } target) return _fallback.Step(state, estimate, rmse);
        // Repeated worsening steps: the estimator's floor is reached.
        if (_rate.Eta < 1e-3) return new Stop(StopReason.Stalled, "step size exhausted");
        (double[] H, double[] J) model;
        try
        {
            var (h, j, _) = MeanFieldInversion.Invert(estimate.Magnetisations, estimate.ConnectedCorrelations(_scratch.Connected),
                MeanFieldVariant.Tap, 0, _scratch.Inverse, _scratch.Couplings);
            model = (h, j);
        }
        catch (NumericalException) { return _fallback.Step(state, estimate, rmse); }
        if (!_rate.Accept(state, rmse)) return null;
        double eta = _rate.Eta, l2 = state.L2;
        double[] hs = state.H, js = state.J;
        for (int i = 0; i < hs.Length; i++) hs[i] += eta * (target.H[i] - model.H[i]);
        for (int k = 0; k < js.Length; k++) js[k] += eta * (target.J[k] - model.J[k] - l2 * js[k]);
        return null;
    }

    public Stop? AfterRejection(LearningState state, bool failed)
    {
        _rate.Rejected();
        return _fallback.AfterRejection(state, failed);
    }

    // N×N arrays reused by every step's TAP inversion (fresh 3.6 MB arrays at N = 675 cost page faults each step).
    private sealed class TapScratch(int n)
    {
        public readonly double[] Connected = new double[n * n];
        public readonly double[] Inverse = new double[n * n];
        public readonly double[] Couplings = new double[n * n];
    }
}

/// <summary>
/// The linear-response rule (<see cref="BoltzmannUpdate.LinearResponse"/>): the mean-field Newton step with the
/// preconditioner fixed at the data, A = (c_data + εI)⁻¹ (<see cref="PersistentChainLearning.NewtonStep"/>), with an
/// <see cref="AdaptiveRate"/>. Rejections halve a step budget from the iRprop⁻ initial step towards its minimum (as many
/// rejections as halve 0.01 to 1e-9 with the defaults: 23); once it is spent the learning stops.
/// </summary>
internal sealed class LinearResponseRule : IUpdateRule
{
    private readonly double[] _cData;
    private readonly double[] _preconditioner;
    private readonly AdaptiveRate _rate = new();
    private readonly double _minStep;
    private double _budget;

    public LinearResponseRule(Moments data, RpropOptions rprop)
    {
        _cData = data.ConnectedCorrelations();
        _preconditioner = PersistentChainLearning.Preconditioner(_cData, data.Size, 1e-6);
        _budget = rprop.InitialStep;
        _minStep = rprop.MinStep;
    }

    public double Rate => _rate.Eta;

    public int Undone => _rate.Undone;

    public bool KeepsBestMoments => false;

    public Stop? Step(LearningState state, Moments estimate, double rmse)
    {
        if (_rate.Eta < 1e-3) return new Stop(StopReason.Stalled, "step size exhausted");
        if (!_rate.Accept(state, rmse)) return null;
        int n = state.Size;
        var data = state.Data;
        var deltaC = new double[n * n];
        var deltaM = new double[n];
        for (int a = 0; a < n; a++)
        {
            deltaM[a] = data.Magnetisations[a] - estimate.Magnetisations[a];
            for (int b = 0; b < n; b++)
            {
                double modelC = (a == b ? 1 : estimate.SecondMoments[a * n + b]) - estimate.Magnetisations[a] * estimate.Magnetisations[b];
                deltaC[a * n + b] = _cData[a * n + b] - modelC - (a == b ? 0 : state.L2 * state.J[a * n + b]);
            }
        }
        var (dH, dJ) = PersistentChainLearning.NewtonStep(_preconditioner, deltaC, deltaM, data.Magnetisations, n);
        double eta = _rate.Eta;
        for (int a = 0; a < n; a++) state.H[a] += eta * dH[a];
        for (int k = 0; k < n * n; k++) state.J[k] += eta * dJ[k];
        return null;
    }

    public Stop? AfterRejection(LearningState state, bool failed)
    {
        _rate.Rejected();
        _budget = Math.Max(_minStep, _budget * 0.5);
        return _budget <= _minStep ? RpropRule.StepsExhausted(failed) : null;
    }
}

/// <summary>
/// The gradient rule (<see cref="BoltzmannUpdate.Gradient"/>) with the "bold driver" rate: η grows ×1.2 (up to its maximum)
/// after a step that did not raise the RMSE; a step that raised it is undone with η halved, and the next step is taken at
/// once from the best model's kept moments (re-estimating them would cost a BP run for nothing). It stops once η has
/// fallen below 1e-6 × its initial value.
/// </summary>
internal sealed class GradientRule(GradientRuleOptions options) : IUpdateRule
{
    private double _lastAccepted = double.PositiveInfinity;

    public double Rate { get; private set; } = options.Rate;

    public int Undone { get; private set; }

    public bool KeepsBestMoments => true;

    public Stop? Step(LearningState state, Moments estimate, double rmse)
    {
        if (Rate < 1e-6 * options.Rate) return new Stop(StopReason.Stalled, "step size exhausted");
        if (rmse <= _lastAccepted)
        {
            Rate = Math.Min(options.MaxRate, Rate * 1.2);
            _lastAccepted = rmse;
            GradientStep(state, estimate);
            return null;
        }
        // Worse than the last accepted point: undo (back to the best model), halve η, and step again from the best model's
        // moments.
        Rate *= 0.5;
        state.RestoreBest();
        Undone++;
        if (state.BestMoments is { } best) GradientStep(state, best);
        else _lastAccepted = double.PositiveInfinity;   // no kept moments: accept the restored model's re-estimate
        return null;
    }

    public Stop? AfterRejection(LearningState state, bool failed)
    {
        Rate *= 0.5;
        _lastAccepted = double.PositiveInfinity;
        // Every step after the first usable estimate has the best model's moments; without them the restored model is
        // re-estimated.
        if (state.BestMoments is not { } best) return null;
        if (Rate < 1e-6 * options.Rate) return RpropRule.StepsExhausted(failed);
        _lastAccepted = state.BestRmse;
        GradientStep(state, best);
        return null;
    }

    // One step of the gradient rule. Centred (the centering trick of Montavon & Müller, Neural Networks: Tricks of the
    // Trade, LNCS 7700, 2012, with offsets μ = m_data): in the parameters (W, b) of E = Σ W_ij (s_i − μ_i)(s_j − μ_j) + Σ b_i (s_i − μ_i) the likelihood gradient is
    //   ∂W_ij = ΔC_ij − μ_i Δm_j − μ_j Δm_i,   ∂b_i = Δm_i    (Δ = data − model; C = ⟨s_i s_j⟩),
    // and J = W, h_i = b_i − Σ_j W_ij μ_j, so a step (δW, δb) is δJ = δW, δh_i = δb_i − Σ_j δW_ij μ_j: the fields follow
    // the coupling change so that the mean fields Σ_j J_ij μ_j + h_i stay put, which is what keeps dense steps from
    // shifting every magnetisation at once. Uncentred (μ = 0) it is the study's rule.
    private void GradientStep(LearningState state, Moments model)
    {
        double[] h = state.H, j = state.J;
        var data = state.Data;
        int n = h.Length;
        double eta = Rate, l2 = state.L2;
        var target = data.SecondMoments;
        var estimate = model.SecondMoments;
        var dm = new double[n];
        for (int i = 0; i < n; i++) dm[i] = data.Magnetisations[i] - model.Magnetisations[i];
        ReadOnlySpan<double> mu = options.Centered ? data.Magnetisations : new double[n];
        double fieldRate = eta * options.FieldRateRatio;
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
}
