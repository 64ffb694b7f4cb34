using System.Diagnostics;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inverse;

/// <summary>Settings of <see cref="StudyLearning"/>: the values of the study's own fits (its bethe_reconstruct script).</summary>
/// <param name="CouplingRate">η_J of the plain gradient step on J.</param>
/// <param name="FieldRate">η_h of the plain gradient step on h.</param>
/// <param name="KeepBestFrom">Only models after this step replace the start as the best one (by the estimator's RMSE; the
/// study's trials_cutoff).</param>
public sealed record StudyLearningOptions(double CouplingRate = 0.01, double FieldRate = 0.3, int KeepBestFrom = 50)
{
    /// <summary>The study's number of learning steps (its trials).</summary>
    public const int Steps = 100;

    /// <summary>The study's L2 strength on J (its gamma).</summary>
    public const double L2 = 1e-4;
}

/// <summary>
/// The study's Boltzmann learning rule (Zou &amp; Huang, App. C and its published bethe_reconstruct script), for
/// comparison: from h = 0, J = 0, plain gradient steps J ← J + η_J (⟨s_i s_j⟩_data − ⟨s_i s_j⟩_model − λ₂ J),
/// h ← h + η_h (m_data − m_model) with fixed rates (0.01, 0.3), λ₂ = <see cref="FitOptions.L2"/> (the study: 10⁻⁴), model
/// moments from a pluggable estimator (BP in the study), for <see cref="FitOptions.MaxIterations"/> steps (the study: 100),
/// returning the model of lowest estimated RMSE after step <see cref="StudyLearningOptions.KeepBestFrom"/> (or the start).
/// </summary>
/// <remarks>
/// The study initialised J with products of N(0, 1/N²) draws, i.e. entries of order 1/N² that the first step outweighs
/// by orders of magnitude; J = 0 keeps the rule deterministic. No step is undone and the rates never adapt: that is the
/// rule whose RMSE the study reports, including its oscillations. Its RMSE is the estimator's (BP), which on these dense
/// models differs from the Monte-Carlo one (docs/fit.md), so the caller verifies the result by Monte Carlo.
/// </remarks>
public sealed class StudyLearning(IMomentEstimator estimator, StudyLearningOptions? options = null, string name = "study") : IInverseSolver
{
    /// <summary>The rates and the cutoff.</summary>
    public StudyLearningOptions Options { get; } = options ?? new StudyLearningOptions();

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public FitResult Fit(FitTarget target, IsingModel? initial, FitOptions options,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        FitTarget.CheckArguments(target, initial, options);
        var watch = Stopwatch.StartNew();
        int n = target.Size;
        var data = target.Moments;
        double[] h = initial?.Fields.ToArray() ?? new double[n];
        double[] j = initial?.Couplings.ToArray() ?? new double[n * n];
        double[] bestH = h.ToArray(), bestJ = j.ToArray();
        double bestRmse = double.PositiveInfinity;
        int bestStep = 0, failures = 0;
        string? lastFailure = null;
        var history = new List<double>();
        for (int step = 0; step < options.MaxIterations; step++)
        {
            ct.ThrowIfCancellationRequested();
            Moments model;
            try { model = estimator.Estimate(new IsingModel(h, j), ct); }
            catch (BpConvergenceException e)
            {
                // The study's BP returns its last messages after 1000 sweeps; ours escalates damping first and then gives up:
                // the step is recorded as failed and the learning stops (the parameters cannot be updated without moments).
                failures++; lastFailure = e.Message; history.Add(double.NaN);
                break;
            }
            double rmse = data.Rmse(model);
            history.Add(rmse);
            if (step == 0 || (step > Options.KeepBestFrom && rmse < bestRmse))
            {
                bestRmse = rmse; bestStep = step;
                Array.Copy(h, bestH, n); Array.Copy(j, bestJ, n * n);
            }
            progress?.Report(new ProgressReport(Name, step + 1, options.MaxIterations, "steps", $"rmse {rmse:E3} (estimator) best {bestRmse:E3} at step {bestStep}"));
            for (int a = 0; a < n; a++)
            {
                h[a] += Options.FieldRate * (data.Magnetisations[a] - model.Magnetisations[a]);
                for (int b = 0; b < n; b++)
                    if (a != b) j[a * n + b] += Options.CouplingRate * (data.SecondMoments[a * n + b] - model.SecondMoments[a * n + b] - options.L2 * j[a * n + b]);
            }
        }
        return new FitResult(new IsingModel(bestH, bestJ), Name, history.Count, failures > 0 ? new Stop(StopReason.Diverged, "BP did not converge") : new Stop(StopReason.IterationCap),
            history.ToArray(), bestStep, watch.Elapsed)
        {
            Diagnostics = new Dictionary<string, object?>
            {
                ["coupling_rate"] = Options.CouplingRate,
                ["field_rate"] = Options.FieldRate,
                ["keep_best_from"] = Options.KeepBestFrom,
                ["l2"] = options.L2,
                ["best_rmse"] = bestRmse,
                ["failed_estimates"] = failures,
                ["last_failure"] = lastFailure,
                ["note"] = "rmse history = the estimator's (BP) RMSE, as in the study",
            },
        };
    }
}
