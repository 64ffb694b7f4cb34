using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Landscape;

/// <summary>Settings of the iso-energy root finder.</summary>
/// <param name="Bp">BP options of every evaluation.</param>
/// <param name="Tolerance">Convergence: |d − d_target| and |e − e_target| both below this.</param>
/// <param name="MaxIterations">Newton iterations per target distance.</param>
/// <param name="RelativeStep">Finite-difference step of the Jacobian, relative to max(1, |β|) and max(1, |x|).</param>
public sealed record IsoEnergySettings(BpOptions? Bp = null, double Tolerance = 1e-7, int MaxIterations = 25, double RelativeStep = 1e-5);

/// <summary>One point of the iso-energy curve: the (β, x) whose tilted ensemble has distance d and the reference's energy.</summary>
/// <param name="TargetDistance">The distance asked for.</param>
/// <param name="Beta">Inverse temperature found.</param>
/// <param name="X">Coupling field found.</param>
/// <param name="Distance">Distance reached.</param>
/// <param name="Energy">Model energy density reached.</param>
/// <param name="Entropy">Entropy density S/N of the (β, x) ensemble: the entropy at fixed d and e (Eq. 20).</param>
/// <param name="Stop">Why the solve ended: converged (both conditions within the tolerance), the Newton iteration cap,
/// failed (BP did not converge at some (β, x) on the way) or stalled (no step along the Newton direction reduced the
/// residual: a singular Jacobian or no root nearby).</param>
/// <param name="Iterations">Newton iterations.</param>
public sealed record IsoEnergyPoint(double TargetDistance, double Beta, double X, double Distance, double Energy, double Entropy,
    Stop Stop, int Iterations)
{
    /// <summary>True when the root was found.</summary>
    public bool Converged => Stop.Reason == StopReason.Converged;
}

/// <summary>
/// The iso-energy entropy curve (Zou &amp; Huang Eq. 20; Huang &amp; Kabashima 2014): for each distance d, the pair
/// (β, x) of P(s) ∝ exp(−βE(s) + x Σ σ*_i s_i) with ⟨d⟩ = d and ⟨E⟩/N = e*, found by a damped Newton method on
/// the two Legendre conditions with a finite-difference Jacobian; each evaluation is BP warm-started from the last.
/// </summary>
public static class IsoEnergy
{
    /// <summary>
    /// BP options of the root finder unless given: moderate damping, no escalation and a modest cap, so a (β, x) where
    /// BP has no fixed point fails fast and the distance is reported as not solved.
    /// </summary>
    public static BpOptions DefaultBp { get; } = new(Damping: 0.3, Tolerance: 1e-10, MaxIterations: 1500, EscalateDamping: false);

    /// <summary>One evaluation of the (β, x) ensemble.</summary>
    public sealed record Evaluation(double Beta, double X, double Distance, double Energy, double Entropy, BpResult Result);

    /// <summary>Solves the (β, x) ensemble by BP.</summary>
    /// <remarks>Fields βh_i + xσ*_i, couplings βJ; e = (⟨βE − xQ⟩ + x⟨Q⟩)/(βN), S = ⟨E_βx⟩ − F_βx.</remarks>
    public static Evaluation Evaluate(IsingModel model, ReadOnlySpan<sbyte> reference, double beta, double x, BpOptions options,
        BpMessages? warmStart, CancellationToken ct = default)
    {
        int n = model.Size;
        var scaled = model.Scaled(beta);
        var fields = new double[n];
        for (int i = 0; i < n; i++) fields[i] = scaled.Fields[i] + x * reference[i];
        var result = BeliefPropagation.Run(scaled.WithFields(fields), options, warmStart, ct);
        double q = 0;
        for (int i = 0; i < n; i++) q += reference[i] * result.Magnetisations[i];
        q /= n;
        double energy = (result.Energy + x * n * q) / (beta * n);
        return new Evaluation(beta, x, 0.5 * (1 - q), energy, result.Entropy / n, result);
    }

    /// <summary>
    /// Finds the iso-energy point at each target distance, in ascending order of distance, continuing from the
    /// previous solution. The first target starts from (β = 1, <paramref name="initialX"/>).
    /// </summary>
    public static IReadOnlyList<IsoEnergyPoint> Solve(IsingModel model, sbyte[] reference, double targetEnergy,
        IReadOnlyList<double> targetDistances, double initialX, IsoEnergySettings settings,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        var options = settings.Bp ?? DefaultBp;
        var order = Enumerable.Range(0, targetDistances.Count).OrderBy(k => targetDistances[k]).ToArray();
        var results = new IsoEnergyPoint[targetDistances.Count];
        double beta = 1, x = initialX;
        BpMessages? messages = null;
        int done = 0;
        foreach (int k in order)
        {
            ct.ThrowIfCancellationRequested();
            var point = SolveOne(model, reference, targetEnergy, targetDistances[k], ref beta, ref x, ref messages, options, settings, ct);
            results[k] = point;
            if (!point.Converged) { beta = 1; x = initialX; messages = null; }
            progress?.Report(new ProgressReport("iso-energy", ++done, targetDistances.Count, "distances",
                $"d={point.TargetDistance:F3} β={point.Beta:F3} x={point.X:F3} {point.Stop}"));
        }
        return results;
    }

    private static IsoEnergyPoint SolveOne(IsingModel model, sbyte[] reference, double targetEnergy, double targetDistance,
        ref double beta, ref double x, ref BpMessages? messages, BpOptions options, IsoEnergySettings settings, CancellationToken ct)
    {
        var current = Evaluate(model, reference, beta, x, options, messages, ct);
        if (!current.Result.Converged) return Fail(IsoEnergyFailures.BpFailed, 0);
        messages = current.Result.Messages;
        for (int iteration = 0; iteration <= settings.MaxIterations; iteration++)
        {
            double r1 = current.Distance - targetDistance, r2 = current.Energy - targetEnergy;
            double norm = Math.Max(Math.Abs(r1), Math.Abs(r2));
            if (norm < settings.Tolerance)
                return new IsoEnergyPoint(targetDistance, beta, x, current.Distance, current.Energy, current.Entropy, new Stop(StopReason.Converged), iteration);
            if (iteration == settings.MaxIterations) break;
            // Finite-difference Jacobian of (d, e) in (β, x), warm-started from the current messages.
            double hb = settings.RelativeStep * Math.Max(1, Math.Abs(beta)), hx = settings.RelativeStep * Math.Max(1, Math.Abs(x));
            var atBeta = Evaluate(model, reference, beta + hb, x, options, messages, ct);
            var atX = Evaluate(model, reference, beta, x + hx, options, messages, ct);
            if (!atBeta.Result.Converged || !atX.Result.Converged) return Fail(IsoEnergyFailures.BpFailed, iteration);
            double a = (atBeta.Distance - current.Distance) / hb, b = (atX.Distance - current.Distance) / hx;
            double c = (atBeta.Energy - current.Energy) / hb, d = (atX.Energy - current.Energy) / hx;
            double det = a * d - b * c;
            if (!double.IsFinite(det) || det == 0) return Fail(IsoEnergyFailures.StepCollapsed, iteration);
            double stepBeta = -(d * r1 - b * r2) / det, stepX = -(-c * r1 + a * r2) / det;
            // Keep β positive and the step moderate; backtrack while the residual does not decrease.
            double scale = Math.Min(1, Math.Min(0.5 * beta / Math.Max(1e-300, Math.Abs(stepBeta)), 2.0 / Math.Max(1e-300, Math.Abs(stepX))));
            bool accepted = false;
            for (int halving = 0; halving < 6 && !accepted; halving++, scale *= 0.5)
            {
                double nb = beta + scale * stepBeta, nx = x + scale * stepX;
                var trial = Evaluate(model, reference, nb, nx, options, messages, ct);
                if (!trial.Result.Converged) continue;
                double trialNorm = Math.Max(Math.Abs(trial.Distance - targetDistance), Math.Abs(trial.Energy - targetEnergy));
                if (trialNorm < norm)
                {
                    beta = nb; x = nx; current = trial; messages = trial.Result.Messages; accepted = true;
                }
            }
            if (!accepted) return Fail(IsoEnergyFailures.StepCollapsed, iteration);
        }
        return new IsoEnergyPoint(targetDistance, beta, x, current.Distance, current.Energy, current.Entropy, new Stop(StopReason.IterationCap), settings.MaxIterations);

        IsoEnergyPoint Fail(Stop stop, int iterations) =>
            new(targetDistance, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, stop, iterations);
    }
}

// The iso-energy solve's ways to fail, in the shared stop vocabulary.
internal static class IsoEnergyFailures
{
    public static readonly Stop BpFailed = new(StopReason.Failed, "BP did not converge");
    public static readonly Stop StepCollapsed = new(StopReason.Stalled, "step collapsed");
}
