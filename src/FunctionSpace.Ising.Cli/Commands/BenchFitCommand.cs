using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Inverse;
using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi bench fit</c>: the fitting targets of the issue at N = 675 on the published under-para FULL data
/// moments — ms per warm-started BP Boltzmann-learning step (baseline: the study's numpy BP, 0.19 s/step;
/// target ≤ 20 ms), a full BP fit of FULL (target &lt; 60 s), and pseudolikelihood on 100,000 configurations
/// × 675 spins (target &lt; 120 s).
/// </summary>
/// <remarks>
/// Learning uses <see cref="InexactBpMomentEstimator"/>: BP warm-started from the previous step's messages (Anderson
/// acceleration optional, off by default), and a tolerance of a fraction of the current RMSE (floor: --bp-tolerance); the fitted model's RMSE is
/// re-estimated at the floor tolerance. The full fit also checks the Bethe inversion (<see cref="BetheInversion"/>):
/// the only parameters whose BP beliefs equal the data, and whether that BP fixed point is stable.
/// </remarks>
internal static class BenchFitCommand
{
    private const int WarmupSteps = 40;
    private const double BaselineStepSeconds = 0.19, TargetStepSeconds = 0.020, TargetFitSeconds = 60, TargetPlSeconds = 120,
        BaselinePlSeconds = 170.7;   // torch products, 68 L-BFGS iterations, idle machine (issue #4 state before SingleGemm)

    private sealed record Settings(int Steps, int FitIterations, int Configurations, int PlIterations, double BpTolerance, ulong Seed,
        int Anderson, double ToleranceFraction, double PlTolerance, bool GemmDetail, bool Gemm, bool PlCompare, int PlHistory, double PlWarmup,
        BoltzmannUpdate Update, bool Learnable, double Damping, int SweepBudget, bool Bp, string[] TargetParts, double Target);

    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Warm-started learning steps timed", DefaultValueFactory = _ => 20 }.InRange(1, 100000);
        var fitIter = new Option<int>("--fit-max-iterations") { Description = "Step cap of the full BP fit of FULL (0 skips it)", DefaultValueFactory = _ => 200 }.InRange(0, 100000).WithHiddenAlias("--fit-iter");
        var configs = new Option<int>("--configurations") { Description = "Configurations of the PL benchmark (0 skips it)", DefaultValueFactory = _ => 100_000 }.InRange(0, 2_000_000).WithHiddenAlias("--configs");
        var plIter = new Option<int>("--pl-max-iterations") { Description = "L-BFGS iteration cap of the PL fit", DefaultValueFactory = _ => 100 }.InRange(1, 100000).WithHiddenAlias("--pl-iter");
        var bpTol = new Option<double>("--bp-tolerance") { Description = "Tightest BP tolerance (floor of the learning schedule; the final re-estimate)", DefaultValueFactory = _ => 1e-8 }.InRange(1e-15, 1).WithHiddenAlias("--bp-tol");
        var anderson = new Option<int>("--anderson") { Description = "Anderson acceleration depth of BP inside learning (0 = plain damped BP: cheaper on small warm-started steps; depth 5 pays when BP must travel far, e.g. after a rejected step)", DefaultValueFactory = _ => 0 }.InRange(0, 20);
        var fraction = new Option<double>("--tol-fraction") { Description = "BP tolerance inside learning as a fraction of the best RMSE (1e-9 ≈ always the floor)", DefaultValueFactory = _ => 0.1 }.InRange(1e-12, 1);
        var plTol = new Option<double>("--pl-kappa") { Description = "PL statistical stopping rule: stop when the largest gradient component < κ/√M (0 = only the 1e-5 gradient rule)", DefaultValueFactory = _ => 0.1 }.InRange(0, 10);
        var gemmDetail = new Option<bool>("--gemm-detail") { Description = "Only time the PL products: torch also at 1 thread and in other operand layouts, each SingleGemm path per core by block size", Hidden = true };
        var gemm = new Option<bool>("--gemm") { Description = "Time the PL's two matrix products (torch addmm and the SingleGemm paths this CPU runs: AVX-512, AVX2) before the PL fit", DefaultValueFactory = _ => true };
        var plCompare = new Option<bool>("--pl-compare") { Description = "Also fit PL the previous way (torch products, warm-up stages to 4× their tolerance) and compare the fitted couplings" };
        var plHistory = new Option<int>("--pl-history") { Description = "L-BFGS memory of the PL fit", DefaultValueFactory = _ => new PseudolikelihoodOptions().History, Hidden = true }.InRange(1, 100);
        var plWarmup = new Option<double>("--pl-warmup") { Description = "Tolerance multiple of the PL warm-up stages", DefaultValueFactory = _ => new PseudolikelihoodOptions().WarmupFactor, Hidden = true }.InRange(1, 1000);
        var update = FitCommand.UpdateOption("--update", "gradient");
        var learnable = new Option<bool>("--learnable") { Description = "Also time learning on BP moments of a known dense N = 675 model (a problem BP learning can solve)", DefaultValueFactory = _ => true };
        var damping = new Option<double>("--bp-damping") { Description = "BP damping inside learning (escalated when BP stalls)", DefaultValueFactory = _ => 0.5 }.InRange(0, 0.99);
        var budget = FitCommand.SweepBudgetOption();
        var bpTiming = new Option<bool>("--bp") { Description = "Time BP learning (per step, the full FULL fit) and pseudolikelihood (the issue-4 targets)", DefaultValueFactory = _ => true };
        var targetParts = new Option<string[]>("--target-parts")
        {
            Description = "scenario:PART,… whose default fit (fsi fit's defaults) is timed to MC-verified RMSE ≤ --target (none: skip)",
            DefaultValueFactory = _ => ["under-para:LB,ITER,RB,FULL", "shallow:FULL"], AllowMultipleArgumentsPerToken = true,
        };
        var target = new Option<double>("--target") { Description = "The RMSE the default fit is timed to", DefaultValueFactory = _ => FitDefaults.TargetRmse }.InRange(1e-6, 1);
        var seed = CommonOptions.Seed();
        var command = new Command("fit", "Time BP Boltzmann learning (per step, full FULL fit) and pseudolikelihood at N = 675; baseline: numpy BP 0.19 s/step")
        {
            steps, fitIter, configs, plIter, bpTol, anderson, fraction, plTol, gemm, plCompare, gemmDetail, plHistory, plWarmup, update, learnable, damping, budget,
            bpTiming, targetParts, target, seed,
        };
        command.SetAction(parse => Run(new Settings(parse.GetValue(steps), parse.GetValue(fitIter), parse.GetValue(configs),
            parse.GetValue(plIter), parse.GetValue(bpTol), parse.GetValue(seed), parse.GetValue(anderson), parse.GetValue(fraction),
            parse.GetValue(plTol), parse.GetValue(gemmDetail), parse.GetValue(gemm), parse.GetValue(plCompare),
            parse.GetValue(plHistory), parse.GetValue(plWarmup), FitCommand.Update(parse.GetValue(update)), parse.GetValue(learnable), parse.GetValue(damping), parse.GetValue(budget),
            parse.GetValue(bpTiming), parse.GetValue(targetParts) ?? [], parse.GetValue(target)), Console.Out));
        return command;
    }

    // Records the wall time at each learning step's progress report (one per estimate).
    private sealed class StepClock(Stopwatch watch) : IProgress<ProgressReport>
    {
        public List<double> Times { get; } = [];
        public void Report(ProgressReport value) => Times.Add(watch.Elapsed.TotalSeconds);
    }

    private static int Run(Settings settings, TextWriter output)
    {
        if (settings.TargetParts.Length > 0) TimeToTarget(settings, output);
        return settings.Bp ? RunBp(settings, output) : CliApp.ExitOk;
    }

    // The default fit (fsi fit's settings, stopping at the target instead of the default tolerance) per published part: the
    // time until a check's noise-corrected RMSE reaches the target, then the final verification of the saved model.
    private static void TimeToTarget(Settings settings, TextWriter output)
    {
        var jobs = new List<(string Scenario, string Part)>();
        foreach (string spec in settings.TargetParts)
        {
            string[] pieces = spec.Split(':', 2);
            if (pieces.Length != 2 || pieces[1].Length == 0) throw new InputException($"--target-parts: '{spec}' is not scenario:PART[,PART…]");
            foreach (string part in pieces[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) jobs.Add((pieces[0], part));
        }
        output.WriteLine($"default fit to MC-verified RMSE ≤ {settings.Target:G3} ({Environment.ProcessorCount} cores, load average {MachineState.LoadAverage()}, seed {settings.Seed}); " +
                         "the time is the learning's (cheap-estimate checks included) until a check's noise-corrected RMSE reaches the target; " +
                         "the verification is the final one on fresh chains (fsi fit's), of the saved model");
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0,-11} {1,-5} {2,5} {3,6} {4,10} {5,10} {6,9} {7,9} {8,9} {9,8}  {10}",
            "scenario", "part", "N", "steps", "fit s", "verify s", "indep.", "MC rmse", "corrected", "noise", "target"));
        foreach (var (scenario, partName) in jobs)
        {
            string dir = Path.Combine(SharedData.ReferenceDirectory(), scenario);
            var fitSettings = new FitSettings(new FitInput(MomentsTextDirectory: dir), [partName])
            {
                Fit = new FitOptions(MaxIterations: FitDefaults.MaxIterations, RmseTolerance: settings.Target),
                Seed = settings.Seed,
                BpCheck = false,
            };
            var watch = Stopwatch.StartNew();
            var report = FitPipeline.Run(fitSettings).Parts[0];
            double total = watch.Elapsed.TotalSeconds, fitSeconds = report.Fit.Elapsed.TotalSeconds;
            bool met = report.CorrectedRmse <= settings.Target;
            output.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0,-11} {1,-5} {2,5} {3,6} {4,10:F1} {5,10:F1} {6,9:F4} {7,9:F4} {8,9:F4} {9,8:F4}  {10}",
                scenario, report.Part.Name, report.Part.Length, report.Fit.Iterations, fitSeconds, total - fitSeconds, report.IndependentRmse,
                report.McRmse, report.CorrectedRmse, report.McNoiseRmse,
                (met ? "met" : "NOT met") + (fitSeconds <= TargetFitSeconds ? "" : $"; over {TargetFitSeconds:F0} s")));
        }
    }

    private static int RunBp(Settings settings, TextWriter output)
    {
        string dir = Path.Combine(SharedData.ReferenceDirectory(), "under-para");
        var data = DataMoments.LoadText(dir);
        var target = FitTarget.FromMoments(data.ToMoments(), dir);
        var bp = new BpOptions(Damping: settings.Damping, Tolerance: settings.BpTolerance) { AndersonDepth = settings.Anderson, StallSweeps = FitPipeline.LearningStallSweeps };
        output.WriteLine($"fit bench at N = {data.Size}, TAP start, {Environment.ProcessorCount} cores, load average {MachineState.LoadAverage()}, seed {settings.Seed}");
        output.WriteLine($"  BP inside learning: warm start from the previous step, damping {bp.Damping} (escalating after {bp.StallSweeps} sweeps without a new low of the change), Anderson depth {bp.AndersonDepth}, " +
                         $"tolerance = clamp({settings.ToleranceFraction:G2} × best RMSE, {bp.Tolerance:G2}, 1e-3) on the largest cavity-field change " +
                         "(moment error ≈ 0.1–1 × tolerance, so ≤ 10 % of the mismatch a step corrects); final RMSE re-estimated at the floor; " +
                         $"at most {settings.SweepBudget} sweeps per step's estimate (0 = no budget; a step over it is undone); update rule {settings.Update}; " +
                         "as `fsi fit --method bp --bp-inexact`");

        if (settings.Learnable)
        {
            // A problem BP learning can solve at the same size and density: data moments that are BP moments of a known dense
            // model (the published LB ⊕ ITER ⊕ RB with weak couplings between the parts, as in `fsi bench landscape`), so
            // the moment-matching model exists and is a stable BP fixed point; the step time is then that of learning that
            // progresses, not of BP near its instability.
            var scenario = PublishedScenario.Open(dir);
            var known = BenchLandscapeCommand.WithWeakCrossCouplings(
                BenchLandscapeCommand.BlockDiagonal(PartModels.FromPublished(scenario, ["LB", "ITER", "RB"]), scenario.Architecture.WeightCount), 0.004, 1);
            var exact = BeliefPropagation.Run(known, new BpOptions(Tolerance: 1e-12, Damping: 0));
            if (!exact.Converged) throw new InvalidOperationException($"BP of the learnable bench model did not converge: {exact.Describe()}");
            var learnable = FitTarget.FromMoments(BeliefPropagation.Moments(known, exact), "BP moments of published LB ⊕ ITER ⊕ RB + N(0, 0.004²) cross couplings");
            TimeLearning("learnable N = 675 (BP moments of a known dense model)", learnable, bp, settings, output, bethe: false);
        }
        TimeLearning($"{dir} FULL data moments", target, bp, settings, output, bethe: true);

        if (settings.Configurations > 0)
        {
            // Synthetic configurations: independent spins with the data magnetisations (a PL timing, not a physics test).
            int n = data.Size, m = settings.Configurations;
            var spins = new sbyte[(long)m * n];
            var rng = new Random((int)(settings.Seed & 0x7fffffff));
            for (long k = 0; k < spins.LongLength; k++)
                spins[k] = rng.NextDouble() < 0.5 * (1 + data.Magnetisations[(int)(k % n)]) ? (sbyte)1 : (sbyte)-1;
            if (settings.Gemm || settings.GemmDetail) GemmThroughput(spins, m, n, settings.GemmDetail, output);
            if (settings.GemmDetail) return CliApp.ExitOk;
            var plTarget = new FitTarget(data.ToMoments(), spins, m, "synthetic");
            var plOptions = new PseudolikelihoodOptions(History: settings.PlHistory) { StatisticalTolerance = settings.PlTolerance, WarmupFactor = settings.PlWarmup };
            var plFit = new FitOptions(MaxIterations: settings.PlIterations, L2: 1e-4);
            var timer = Stopwatch.StartNew();
            var pl = new Pseudolikelihood(plOptions).Fit(plTarget, null, plFit);
            double seconds = timer.Elapsed.TotalSeconds;
            output.WriteLine($"  PL stopping rule: largest gradient component < max({plOptions.GradientTolerance:G2}, κ/√M) = {plOptions.ToleranceFor(m):G3} (κ = {settings.PlTolerance:G2}; " +
                             "the mean gradient's sampling noise is ~1/√M, so the optimisation error left is a fraction κ of the statistical error); " +
                             $"stages {System.Text.Json.JsonSerializer.Serialize(pl.Diagnostics["stages"])}");
            output.WriteLine($"  PL fit {m:N0} × {n}            {seconds,9:F1} s ({pl.Iterations} L-BFGS iterations, stop {pl.Stop}, " +
                             $"{seconds / Math.Max(1, pl.Iterations):F2} s/iteration, {FullDataEvaluations(pl, m):F1} full-data-equivalent evaluations, " +
                             $"{seconds / FullDataEvaluations(pl, m):F2} s per full-data evaluation, L-BFGS memory {plOptions.History}, warm-up stages to {plOptions.WarmupFactor:G3}× their tolerance, " +
                             $"products {pl.Diagnostics["products"]}, load average {MachineState.LoadAverage()}); baseline (torch products, idle machine) {BaselinePlSeconds} s; " +
                             $"target < {TargetPlSeconds:F0} s: " +
                             (pl.Stop.Reason != StopReason.Converged ? "not shown (the fit was capped before converging; raise --pl-max-iterations)"
                                 : seconds < TargetPlSeconds ? "met" : "NOT met"));
            if (settings.PlCompare)
            {
                timer.Restart();
                // The path before SingleGemm: torch products and warm-up stages converged to 4× their tolerance.
                var torch = new Pseudolikelihood(plOptions with { TorchProducts = true, WarmupFactor = 4 }).Fit(plTarget, null, plFit);
                double torchSeconds = timer.Elapsed.TotalSeconds;
                // Yardstick: the asymptotic standard errors of this estimator on these data, exact for independent spins with
                // magnetisations m_i (J = 0). Conditional i regresses s_i on x = (s_−i, 1) with Fisher information
                // M(1 − m_i²) E[x xᵀ]; the spins' covariance is diagonal, so Var(W_ij) = 1/(M(1 − m_i²)(1 − m_j²)), and the
                // Schur complement (Sherman–Morrison) gives Var(h_i) = (1 + a_i)/(M(1 − m_i²)), a_i = Σ_{j≠i} m_j²/(1 − m_j²).
                // J_ij = (W_ij + W_ji)/2: SE(W_ij)/√2, treating the two conditionals' estimates as uncorrelated.
                var variance = new double[n];
                double a = 0;
                for (int i = 0; i < n; i++)
                {
                    variance[i] = 1 - data.Magnetisations[i] * data.Magnetisations[i];
                    a += data.Magnetisations[i] * data.Magnetisations[i] / variance[i];
                }
                double maxCoupling = 0, maxField = 0, couplingRatio = 0, fieldRatio = 0;
                for (int i = 0; i < n; i++)
                {
                    double dh = Math.Abs(pl.Model.Fields[i] - torch.Model.Fields[i]);
                    double ai = a - data.Magnetisations[i] * data.Magnetisations[i] / variance[i];
                    maxField = Math.Max(maxField, dh);
                    fieldRatio = Math.Max(fieldRatio, dh / Math.Sqrt((1 + ai) / (m * variance[i])));
                    for (int k = i + 1; k < n; k++)
                    {
                        double dj = Math.Abs(pl.Model.Couplings[i * n + k] - torch.Model.Couplings[i * n + k]);
                        maxCoupling = Math.Max(maxCoupling, dj);
                        couplingRatio = Math.Max(couplingRatio, dj / Math.Sqrt(1 / (2.0 * m * variance[i] * variance[k])));
                    }
                }
                output.WriteLine($"  PL, previous path (torch products, warm-up stages to 4× their tolerance) {torchSeconds,9:F1} s ({torch.Iterations} L-BFGS iterations, stop {torch.Stop}, " +
                                 $"{torchSeconds / Math.Max(1, torch.Iterations):F2} s/iteration, {FullDataEvaluations(torch, m):F1} full-data-equivalent evaluations, " +
                                 $"{torchSeconds / FullDataEvaluations(torch, m):F2} s per full-data evaluation, " +
                                 $"load average {MachineState.LoadAverage()}); objective {torch.Diagnostics["objective"]:F9} vs {pl.Diagnostics["objective"]:F9}; " +
                                 $"max |ΔJ| {maxCoupling:E2}, max |ΔJ|/SE {couplingRatio:F3}; max |Δh| {maxField:E2}, max |Δh|/SE {fieldRatio:F3} " +
                                 "(SE: asymptotic standard errors for these independent-spin data); " +
                                 $"speed-up {torchSeconds / seconds:F2}×");
            }
        }
        return CliApp.ExitOk;
    }

    // Warm-started learning steps and a full BP fit on one target, from its TAP inversion.
    private static void TimeLearning(string label, FitTarget target, BpOptions bp, Settings settings, TextWriter output, bool bethe)
    {
        output.WriteLine($"{label}:");
        var initial = new MeanFieldInversion(MeanFieldVariant.Tap).Fit(target, null, new FitOptions()).Model;
        // Warm-started steps: the first step (cold BP) is excluded; the rest reuse the previous messages.
        var estimator = new InexactBpMomentEstimator(bp, settings.ToleranceFraction) { SweepBudget = settings.SweepBudget };
        var learningOptions = new BoltzmannLearningOptions(Update: settings.Update);
        var learning = new BoltzmannLearning(estimator, learningOptions);
        // Warm-up (not timed): 40 steps take every method of the loop past the JIT's tiering (re-compiled optimised after
        // 30 calls), so the timed steps are those of a long fit; the last estimate, of the start model, leaves its fixed
        // point as the timed fit's warm start.
        learning.Fit(target, initial, new FitOptions(MaxIterations: WarmupSteps, RmseTolerance: 1e-12));
        learning.Fit(target, initial, new FitOptions(MaxIterations: 0, RmseTolerance: 1e-12));
        int before = estimator.Sweeps.Count;
        TimeSpan sweepsBefore = estimator.SweepTime, estimatesBefore = estimator.EstimateTime;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        int gen2Before = GC.CollectionCount(2);
        var timer = Stopwatch.StartNew();
        var stepClock = new StepClock(timer);
        var timed = learning.Fit(target, initial, new FitOptions(MaxIterations: settings.Steps - 1, RmseTolerance: 1e-12), stepClock);
        double perStep = timer.Elapsed.TotalSeconds / (timed.Iterations + 1);
        double allocatedMb = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1048576.0 / (timed.Iterations + 1);
        int gen2 = GC.CollectionCount(2) - gen2Before;
        var sweeps = estimator.Sweeps.Skip(before).ToArray();
        // Steps whose BP needed more than one sweep (a one-sweep estimate is a step too small to move BP's fixed point,
        // as when the rate has halved to its stall): their mean wall time, the update before each estimate included.
        var moving = Enumerable.Range(1, Math.Min(sweeps.Length, stepClock.Times.Count) - 1).Where(k => sweeps[k] > 1)
            .Select(k => stepClock.Times[k] - stepClock.Times[k - 1]).ToArray();
        output.WriteLine($"  BP learning step (warm-started)  {perStep * 1000,9:F1} ms/step over {timed.Iterations + 1} estimates; sweeps per step " +
                         $"mean {sweeps.Average():F1}, max {sweeps.Max()} [{string.Join(" ", sweeps)}]; rejected steps {timed.Diagnostics["rejected_steps"]}, undone {timed.Diagnostics["undone_steps"]}, " +
                         $"BP failures {timed.Diagnostics["failed_estimates"]}{(moving.Length > 0 ? $"; the {moving.Length} steps of more than one sweep {moving.Average() * 1000:F1} ms each" : "")}; best BP RMSE {timed.Diagnostics["best_rmse"]:F4}; baseline {BaselineStepSeconds * 1000:F0} ms ⇒ " +
                         $"{BaselineStepSeconds / perStep:F1}x faster; target ≤ {TargetStepSeconds * 1000:F0} ms: {StepVerdict(perStep, moving)}");
        // Where a step's time goes: BP sweeps, the BP work around them (tanh J, start copy, final pass with the pair
        // moments), and the learning update (model check, RMSE, TAP inversion of the model moments, parameter step).
        int estimates = timed.Iterations + 1;
        double sweepMs = (estimator.SweepTime - sweepsBefore).TotalMilliseconds / estimates;
        double estimateMs = (estimator.EstimateTime - estimatesBefore).TotalMilliseconds / estimates;
        double updateMs = (double)timed.Diagnostics["update_seconds"]! * 1000 / estimates;
        double setupMs = perStep * 1000 - estimateMs - updateMs;
        output.WriteLine($"    per step: BP sweeps {sweepMs:F1} ms ({sweepMs / Math.Max(1, sweeps.Average()):F2} ms/sweep), BP outside the sweeps " +
                         $"{estimateMs - sweepMs:F1} ms (tanh J, start copy, final pass: m and pair moments), learning update " +
                         $"{updateMs:F1} ms (model check, RMSE, {learning.Options.Update} step{(learning.Options.Update == BoltzmannUpdate.MeanFieldNewton ? " incl. the TAP inverse of the model moments" : "")}) = " +
                         $"{estimateMs + updateMs:F1} ms per step in the loop; plus the fit's one-time setup (TAP inverse of the data, copies) " +
                         $"{setupMs * estimates:F0} ms = {setupMs:F1} ms per step over {estimates}; allocated {allocatedMb:F1} MB per step, {gen2} full GCs; load average {MachineState.LoadAverage()}");

        if (settings.FitIterations > 0)
        {
            timer.Restart();
            var fitEstimator = new InexactBpMomentEstimator(bp, settings.ToleranceFraction) { SweepBudget = settings.SweepBudget };
            var clock = new StepClock(timer);
            var fit = new BoltzmannLearning(fitEstimator, learningOptions).Fit(target, initial,
                new FitOptions(MaxIterations: settings.FitIterations, RmseTolerance: 1e-3), clock);
            double seconds = timer.Elapsed.TotalSeconds;
            // Verification: the returned model's BP moments at the floor tolerance, from the learning's best messages.
            var check = BeliefPropagation.Run(fit.Model, bp, fitEstimator.BestMessages);
            string verified = check.Converged
                ? $"{target.Moments.Rmse(BeliefPropagation.Moments(fit.Model, check)):F4} at BP tolerance {bp.Tolerance:G2}"
                : $"n/a ({check.Describe()})";
            var fitSweeps = fitEstimator.Sweeps;
            // The sweeps of the estimates that lowered the best RMSE (the steps the fit kept) against all others: what a
            // sweep budget would cut.
            var (kept, others) = KeptSweeps(fit.RmseHistory, fitSweeps);
            output.WriteLine($"  full BP fit                      {seconds,9:F1} s ({fit.Iterations} steps, {seconds / Math.Max(1, fitSweeps.Count) * 1000:F0} ms/step, " +
                             $"{fitSweeps.Sum()} sweeps, steps that lowered the best RMSE {kept.Count} (sweeps max {(kept.Count > 0 ? kept.Max() : 0)}), others {others.Count} (sweeps max {(others.Count > 0 ? others.Max() : 0)}), {fit.Diagnostics["undone_steps"]} undone, stop {fit.Stop}, best BP RMSE {fit.Diagnostics["best_rmse"]:F4} at step {fit.BestIteration}, " +
                             $"re-estimated {verified}); target < {TargetFitSeconds:F0} s to RMSE 1e-3: " +
                             (fit.Stop.Reason != StopReason.Converged ? $"not reached (stop {fit.Stop})" : seconds < TargetFitSeconds ? "met" : "NOT met"));
            if (bethe) BetheCheck(target.Moments, bp, output);
        }
    }

    // The 20 ms target on the mean step and on the steps that move BP (more than one sweep): a mean pulled down by
    // one-sweep steps of a collapsing rate does not count as met.
    private static string StepVerdict(double perStep, double[] moving)
    {
        bool mean = perStep <= TargetStepSeconds;
        bool movingMet = moving.Length == 0 || moving.Average() <= TargetStepSeconds;
        return mean && movingMet ? "met" : mean ? "met on the mean, NOT met on the steps of more than one sweep" : "NOT met";
    }

    // Sweeps of the steps' estimates that set a new best RMSE, and of the rest (History and Sweeps hold one entry per
    // estimate; the first, of the start model from a cold start, is neither).
    private static (List<int> Kept, List<int> Others) KeptSweeps(IReadOnlyList<double> history, IReadOnlyList<int> sweeps)
    {
        var kept = new List<int>();
        var others = new List<int>();
        double best = history.Count > 0 ? history[0] : double.PositiveInfinity;
        for (int k = 1; k < Math.Min(history.Count, sweeps.Count); k++)
        {
            if (history[k] < best) { best = history[k]; kept.Add(sweeps[k]); }
            else others.Add(sweeps[k]);
        }
        return (kept, others);
    }

    // Objective evaluations of all stages weighted by their share of the data (the work in full-data evaluations).
    private static double FullDataEvaluations(FitResult pl, int m)
    {
        double fullEquivalents = 0;
        foreach (var stage in (System.Collections.IEnumerable)pl.Diagnostics["stages"]!)
        {
            var json = System.Text.Json.JsonSerializer.SerializeToElement(stage);
            fullEquivalents += json.GetProperty("evaluations").GetInt32() * json.GetProperty("configurations").GetDouble() / m;
        }
        return Math.Max(1e-9, fullEquivalents);
    }

    // GFLOPS of the PL kernel's two products on the bench data (H = h + X Wᵀ and Gᵀ X; 2·M·N² flops each): libtorch's
    // addmm as the kernel used it, and each SingleGemm path this CPU runs (AVX-512, AVX2). A random W and G: the timing does
    // not depend on values.
    private static void GemmThroughput(sbyte[] spins, int m, int n, bool detail, TextWriter output)
    {
        double flops = 2.0 * m * n * n;
        var rng = new Random(7);
        var w = new float[n * n];
        for (int k = 0; k < w.Length; k++) w[k] = (float)(rng.NextDouble() - 0.5) * 0.02f;
        var g = new float[m * n];
        for (int k = 0; k < g.Length; k++) g[k] = (float)(rng.NextDouble() - 0.5) * 1e-5f;
        string Rate(double seconds) => $"{flops / seconds / 1e9,6:F0} GFLOPS ({seconds:F2} s)";
        static double Best(int repeats, Action action)
        {
            action();   // warm-up
            double best = double.MaxValue;
            for (int r = 0; r < repeats; r++)
            {
                var t = Stopwatch.StartNew();
                action();
                best = Math.Min(best, t.Elapsed.TotalSeconds);
            }
            return best;
        }
        int torchThreads = TorchSharp.torch.get_num_threads();
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            const int chunkRows = 16384;
            var xs = new List<TorchSharp.torch.Tensor>();
            var gs = new List<TorchSharp.torch.Tensor>();
            var floats = new float[m * n];
            for (int k = 0; k < floats.Length; k++) floats[k] = spins[k];
            for (int start = 0; start < m; start += chunkRows)
            {
                int rows = Math.Min(chunkRows, m - start);
                xs.Add(TorchSharp.torch.tensor(floats.AsSpan(start * n, rows * n).ToArray(), [rows, n]));
                gs.Add(TorchSharp.torch.tensor(g.AsSpan(start * n, rows * n).ToArray(), [rows, n]));
            }
            var wt = TorchSharp.torch.tensor(w, [n, n]);
            var h = TorchSharp.torch.zeros(n);
            var gradW = TorchSharp.torch.zeros(n, n);
            void Forward() { foreach (var x in xs) TorchSharp.torch.addmm(h.unsqueeze(0), x, wt.t(), 1, 1).Dispose(); }
            void Backward() { gradW.zero_(); for (int c = 0; c < xs.Count; c++) gradW.addmm_(gs[c].t(), xs[c], 1, 1); }
            var threadCounts = detail ? new[] { 1, torchThreads } : [torchThreads];
            foreach (int threads in threadCounts.Distinct())
            {
                TorchSharp.torch.set_num_threads(threads);
                output.WriteLine($"  torch addmm, {threads} thread(s), chunks of {chunkRows} rows: H = h + X Wᵀ {Rate(Best(2, Forward))}; " +
                                 $"Gᵀ X {Rate(Best(2, Backward))}");
            }
            TorchSharp.torch.set_num_threads(torchThreads);
            if (detail)
            {
                var wc = wt.t().contiguous();
                var xAll = TorchSharp.torch.cat(xs, 0);
                var gAll = TorchSharp.torch.cat(gs, 0);
                var gT = gAll.t().contiguous();
                output.WriteLine($"  torch variants, {torchThreads} threads: mm(X, Wᵀ contiguous) {Rate(Best(2, () => { foreach (var x in xs) TorchSharp.torch.mm(x, wc).Dispose(); }))}; " +
                                 $"one addmm over all rows {Rate(Best(2, () => TorchSharp.torch.addmm(h.unsqueeze(0), xAll, wt.t(), 1, 1).Dispose()))}; " +
                                 $"Gᵀ X with Gᵀ contiguous, all rows {Rate(Best(2, () => TorchSharp.torch.mm(gT, xAll).Dispose()))}; " +
                                 $"Xᵀ G (transposed result) {Rate(Best(2, () => TorchSharp.torch.mm(xAll.t(), gAll).Dispose()))}");
            }
        }
        if (SingleGemm.Fastest == null)
        {
            output.WriteLine("  SingleGemm: neither AVX-512 nor AVX2 + FMA3 on this CPU (the PL kernel uses torch)");
            return;
        }
        int width = SingleGemm.PaddedWidth(n);
        var b = new float[n * width];
        for (int i = 0; i < n; i++) for (int k = 0; k < n; k++) b[k * width + i] = w[i * n + k];
        var bias = new float[width];
        var c = new float[m * width];
        var gp = new float[m * width];
        for (int r = 0; r < m; r++) g.AsSpan(r * n, n).CopyTo(gp.AsSpan(r * width));
        foreach (var gemm in SingleGemm.Supported)
            output.WriteLine($"  SingleGemm {gemm.Name} ({gemm.PanelRows}-row panels), {Environment.ProcessorCount} threads, packing blocks of 192 rows included: " +
                             $"H = h + X Wᵀ {Rate(Best(2, () => gemm.MultiplyAddParallel(spins, m, n, b, width, bias, c)))}; " +
                             $"Gᵀ X (float64 sum of fixed segments) {Rate(Best(2, () => gemm.TransposeMultiplyParallel(spins, m, n, gp, width)))}");
        {
            var x = new double[n * n + n];
            for (int i = 0; i < n; i++) for (int k = 0; k < n; k++) x[i * n + k] = i == k ? 0 : w[i * n + k];
            var gradient = new double[x.Length];
            using var vector = new PseudolikelihoodKernel(spins, m, n, 1e-4, true);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            double wall = Best(2, () => vector.Evaluate(x, gradient));
            double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / 3;
            output.WriteLine($"  PL objective + gradient on all {m:N0} configurations ({vector.Products}): {wall:F3} s (best of 2), {cpuSeconds:F3} CPU-s per evaluation (mean of 3)");
            using var torchKernel = new PseudolikelihoodKernel(spins, m, n, 1e-4, true, torchProducts: true);
            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            double torchWall = Best(2, () => torchKernel.Evaluate(x, gradient));
            double torchCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / 3;
            output.WriteLine($"  PL objective + gradient on all {m:N0} configurations (torch, the previous path): {torchWall:F3} s (best of 2), " +
                             $"{torchCpu:F3} CPU-s per evaluation (mean of 3); ratio {torchWall / wall:F2}× wall, {torchCpu / cpuSeconds:F2}× CPU; load average {MachineState.LoadAverage()}");
        }
        if (detail)
        {
            var one = new ParallelOptions { MaxDegreeOfParallelism = 1 };
            // On one thread the process CPU time is the kernel's own time even when other jobs share the cores.
            static double Cpu(int repeats, Action action)
            {
                action();
                double best = double.MaxValue;
                for (int r = 0; r < repeats; r++)
                {
                    var t = Process.GetCurrentProcess().TotalProcessorTime;
                    action();
                    best = Math.Min(best, (Process.GetCurrentProcess().TotalProcessorTime - t).TotalSeconds);
                }
                return best;
            }
            foreach (var gemm in SingleGemm.Supported)
                foreach (int block in new[] { 96, 192, 384 })
                    output.WriteLine($"  SingleGemm {gemm.Name}, 1 thread, blocks of {block} rows, CPU time: H = h + X Wᵀ " +
                                     $"{Rate(Cpu(3, () => gemm.MultiplyAddParallel(spins, m, n, b, width, bias, c, block, one)))}; " +
                                     $"Gᵀ X {Rate(Cpu(3, () => gemm.TransposeMultiplyParallel(spins, m, n, gp, width, block, 16, one)))}");
        }
    }

    // The unique parameters whose BP beliefs equal the data (Bethe inversion) and the stability of that fixed point:
    // it answers whether BP learning can reach a small RMSE at all on these data.
    private static void BetheCheck(Moments data, BpOptions bp, TextWriter output)
    {
        IsingModel model;
        BpMessages messages;
        try { model = BetheInversion.Model(data); messages = BetheInversion.Messages(data); }
        catch (InputException e) { output.WriteLine($"  Bethe inversion: {e.Message}"); return; }
        var exact = BeliefPropagation.Run(model, bp with { Tolerance = 1e-10, EscalateDamping = false }, messages);
        double atFixedPoint = exact.Converged ? data.Rmse(BeliefPropagation.Moments(model, exact)) : double.NaN;
        // Perturb every cavity field by ±1e-6 (seeded) and iterate: a stable fixed point returns, an unstable one is left.
        var perturbed = BetheInversion.Messages(data, 1e-6, new Random(1));
        var moved = BeliefPropagation.Run(model, bp with { Tolerance = 1e-10 }, perturbed);
        var cold = BeliefPropagation.Run(model, bp with { Tolerance = 1e-10 });
        string Rmse(BpResult r) => r.Converged ? data.Rmse(BeliefPropagation.Moments(model, r)).ToString("F4") : "n/a (" + r.Describe() + ")";
        output.WriteLine($"  Bethe inversion (the only model whose BP beliefs equal the data): RMSE {atFixedPoint:E1} at its fixed point ({exact.Describe()}); " +
                         $"from that fixed point perturbed by 1e-6: RMSE {Rmse(moved)}; from a cold start: RMSE {Rmse(cold)}" +
                         (exact.Converged && moved.Converged && data.Rmse(BeliefPropagation.Moments(model, moved)) > 1e-3
                             ? " ⇒ the matching fixed point is unstable: BP learning cannot reach RMSE 1e-3 on these data" : ""));
    }
}
