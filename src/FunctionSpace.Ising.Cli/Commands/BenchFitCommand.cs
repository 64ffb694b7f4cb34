using System.CommandLine;
using System.Diagnostics;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Inverse;
using FunctionSpace.Ising.IO;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi bench fit</c>: the fitting targets of the issue at N = 675 on the published under-para FULL data
/// moments — ms per warm-started BP Boltzmann-learning step (baseline: the study's numpy BP, 0.19 s/step;
/// target ≤ 20 ms), a full BP fit of FULL (target &lt; 60 s), and pseudolikelihood on 100,000 configurations
/// × 675 spins (target &lt; 120 s).
/// </summary>
internal static class BenchFitCommand
{
    private const double BaselineStepSeconds = 0.19, TargetStepSeconds = 0.020, TargetFitSeconds = 60, TargetPlSeconds = 120;

    private sealed record Settings(int Steps, int FitIterations, int Configurations, int PlIterations, double BpTolerance, ulong Seed);

    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Warm-started learning steps timed", DefaultValueFactory = _ => 20 }.InRange(1, 100000);
        var fitIter = new Option<int>("--fit-iter") { Description = "Step cap of the full BP fit of FULL (0 skips it)", DefaultValueFactory = _ => 200 }.InRange(0, 100000);
        var configs = new Option<int>("--configs") { Description = "Configurations of the PL benchmark (0 skips it)", DefaultValueFactory = _ => 100_000 }.InRange(0, 2_000_000);
        var plIter = new Option<int>("--pl-iter") { Description = "L-BFGS iteration cap of the PL fit", DefaultValueFactory = _ => 100 }.InRange(1, 100000);
        var bpTol = new Option<double>("--bp-tol") { Description = "BP tolerance inside learning", DefaultValueFactory = _ => 1e-8 }.InRange(1e-15, 1);
        var seed = CommonOptions.Seed();
        var command = new Command("fit", "Time BP Boltzmann learning (per step, full FULL fit) and pseudolikelihood at N = 675; baseline: numpy BP 0.19 s/step")
        {
            steps, fitIter, configs, plIter, bpTol, seed,
        };
        command.SetAction(parse => Run(new Settings(parse.GetValue(steps), parse.GetValue(fitIter), parse.GetValue(configs),
            parse.GetValue(plIter), parse.GetValue(bpTol), parse.GetValue(seed)), Console.Out));
        return command;
    }

    private static int Run(Settings settings, TextWriter output)
    {
        string dir = Path.Combine(SharedData.ReferenceDirectory(), "under-para");
        var data = DataMoments.LoadText(dir);
        var target = FitTarget.FromMoments(data.ToMoments(), dir);
        var initial = new MeanFieldInversion(MeanFieldVariant.Tap).Fit(target, null, new FitOptions()).Model;
        var bp = new BpOptions(Tolerance: settings.BpTolerance);
        output.WriteLine($"fit bench on {dir} FULL (N = {data.Size}), TAP start, BP tolerance {bp.Tolerance:G2}, {Environment.ProcessorCount} cores, " +
                         $"load average {LoadAverage()}, seed {settings.Seed}");

        // Warm-started steps: the first step (cold BP) is excluded; the rest reuse the previous messages.
        var estimator = new BpMomentEstimator(bp);
        var learning = new BoltzmannLearning(estimator);
        var warmup = learning.Fit(target, initial, new FitOptions(MaxIterations: 1, RmseTolerance: 1e-12));
        var timer = Stopwatch.StartNew();
        var timed = learning.Fit(target, warmup.Model, new FitOptions(MaxIterations: settings.Steps, RmseTolerance: 1e-12));
        double perStep = timer.Elapsed.TotalSeconds / (timed.Iterations + 1);
        output.WriteLine($"  BP learning step (warm-started)  {perStep * 1000,9:F1} ms/step over {timed.Iterations + 1} estimates " +
                         $"(last BP: {estimator.LastResult?.Describe()}); baseline {BaselineStepSeconds * 1000:F0} ms ⇒ " +
                         $"{BaselineStepSeconds / perStep:F1}x faster; target ≤ {TargetStepSeconds * 1000:F0} ms: {(perStep <= TargetStepSeconds ? "met" : "NOT met")}");

        if (settings.FitIterations > 0)
        {
            timer.Restart();
            var fit = new BoltzmannLearning(new BpMomentEstimator(bp)).Fit(target, initial,
                new FitOptions(MaxIterations: settings.FitIterations, RmseTolerance: 1e-3));
            double seconds = timer.Elapsed.TotalSeconds;
            output.WriteLine($"  full BP fit of FULL              {seconds,9:F1} s ({fit.Iterations} steps, stop {fit.StopReason}, best BP RMSE " +
                             $"{fit.Diagnostics["best_rmse"]:F4} at step {fit.BestIteration}); target < {TargetFitSeconds:F0} s: " +
                             (fit.StopReason != FitStopReason.Converged ? "not shown (no convergence within --fit-iter)" : seconds < TargetFitSeconds ? "met" : "NOT met"));
        }

        if (settings.Configurations > 0)
        {
            // Synthetic configurations: independent spins with the data magnetisations (a PL timing, not a physics test).
            int n = data.Size, m = settings.Configurations;
            var spins = new sbyte[(long)m * n];
            var rng = new Random((int)(settings.Seed & 0x7fffffff));
            for (long k = 0; k < spins.LongLength; k++)
                spins[k] = rng.NextDouble() < 0.5 * (1 + data.Magnetisations[(int)(k % n)]) ? (sbyte)1 : (sbyte)-1;
            var plTarget = new FitTarget(data.ToMoments(), spins, m, "synthetic");
            timer.Restart();
            var pl = new Pseudolikelihood().Fit(plTarget, null, new FitOptions(MaxIterations: settings.PlIterations, L2: 1e-4));
            double seconds = timer.Elapsed.TotalSeconds;
            output.WriteLine($"  PL fit {m:N0} × {n}            {seconds,9:F1} s ({pl.Iterations} L-BFGS iterations, stop {pl.StopReason}, " +
                             $"{seconds / Math.Max(1, pl.Iterations):F2} s/iteration); target < {TargetPlSeconds:F0} s: " +
                             (pl.StopReason != FitStopReason.Converged ? "not shown (the fit was capped before converging; raise --pl-iter)"
                                 : seconds < TargetPlSeconds ? "met" : "NOT met"));
        }
        return CliApp.ExitOk;
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    }
}
