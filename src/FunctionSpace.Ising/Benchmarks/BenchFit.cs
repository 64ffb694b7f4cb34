using System.Diagnostics;
using System.Globalization;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Inverse;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Randomness;

namespace FunctionSpace.Ising.Benchmarks;

/// <summary>Settings of the fitting benchmark (<c>fsi bench fit</c>).</summary>
/// <param name="Steps">Warm-started learning steps timed.</param>
/// <param name="FitIterations">Step cap of the full BP fit of FULL (0 skips it).</param>
/// <param name="Configurations">Configurations of the PL benchmark (0 skips it).</param>
/// <param name="PlIterations">L-BFGS iteration cap of the PL fit.</param>
/// <param name="BpTolerance">Tightest BP tolerance (floor of the learning schedule; the final re-estimate).</param>
/// <param name="Seed">Seed of the default fits and of the synthetic PL configurations.</param>
/// <param name="Anderson">Anderson acceleration depth of BP inside learning.</param>
/// <param name="ToleranceFraction">BP tolerance inside learning as a fraction of the best RMSE.</param>
/// <param name="PlTolerance">PL statistical stopping rule κ (largest gradient component &lt; κ/√M).</param>
/// <param name="GemmDetail">Only time the PL products, in more layouts and per core.</param>
/// <param name="Gemm">Time the PL's two matrix products before the PL fit.</param>
/// <param name="PlCompare">Also fit PL the previous way (torch products) and compare.</param>
/// <param name="PlHistory">L-BFGS memory of the PL fit.</param>
/// <param name="PlWarmup">Tolerance multiple of the PL warm-up stages.</param>
/// <param name="Update">Step rule of BP learning.</param>
/// <param name="Learnable">Also time learning on BP moments of a known dense N = 675 model.</param>
/// <param name="Damping">BP damping inside learning.</param>
/// <param name="SweepBudget">BP sweeps allowed to a learning step's estimate (0 = none).</param>
/// <param name="Bp">Time BP learning and pseudolikelihood.</param>
/// <param name="TargetParts">scenario:PART,… whose default fit is timed to the target RMSE (none: skip).</param>
/// <param name="Target">The RMSE the default fit is timed to.</param>
public sealed record BenchFitSettings(int Steps = 20, int FitIterations = 200, int Configurations = 100_000, int PlIterations = 100, double BpTolerance = 1e-8,
    ulong Seed = 1, int Anderson = 0, double ToleranceFraction = 0.1, double PlTolerance = 0.1, bool GemmDetail = false, bool Gemm = true, bool PlCompare = false,
    int? PlHistory = null, double? PlWarmup = null, BoltzmannUpdate Update = BoltzmannUpdate.Gradient, bool Learnable = true, double Damping = 0.5,
    int SweepBudget = FitPipeline.LearningSweepBudget, bool Bp = true, string[]? TargetParts = null, double Target = FitDefaults.TargetRmse)
{
    /// <summary>The published parts timed to the target by default.</summary>
    public static readonly string[] DefaultTargetParts = ["under-para:LB,ITER,RB,FULL", "shallow:FULL"];

    /// <summary>The target parts: <see cref="TargetParts"/>, or <see cref="DefaultTargetParts"/>.</summary>
    public string[] TargetPartsOrDefault => TargetParts ?? DefaultTargetParts;

    /// <summary>The PL options: L-BFGS memory and warm-up factor (the estimator's defaults unless given) and κ.</summary>
    public PseudolikelihoodOptions PlOptions
    {
        get
        {
            var defaults = new PseudolikelihoodOptions();
            return new PseudolikelihoodOptions(History: PlHistory ?? defaults.History) { StatisticalTolerance = PlTolerance, WarmupFactor = PlWarmup ?? defaults.WarmupFactor };
        }
    }

    /// <summary>The (scenario, part) pairs of <see cref="TargetPartsOrDefault"/>; throws an <see cref="InputException"/> on a malformed entry.</summary>
    public IReadOnlyList<(string Scenario, string Part)> TargetJobs()
    {
        var jobs = new List<(string Scenario, string Part)>();
        foreach (string spec in TargetPartsOrDefault)
        {
            // "none" times no default fit (the other benches only).
            if (spec.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)) continue;
            string[] pieces = spec.Split(':', 2);
            if (pieces.Length != 2 || pieces[1].Length == 0) throw new InputException($"--target-parts: '{spec}' is not scenario:PART[,PART…]");
            foreach (string part in pieces[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) jobs.Add((pieces[0], part));
        }
        return jobs;
    }
}

/// <summary>One default fit timed to the target RMSE.</summary>
/// <param name="Scenario">Published scenario.</param>
/// <param name="Part">Part.</param>
/// <param name="Size">Its N.</param>
/// <param name="Steps">Learning steps.</param>
/// <param name="FitSeconds">Time of the learning.</param>
/// <param name="TotalSeconds">Time of the whole fit, verification included.</param>
/// <param name="IndependentRmse">RMSE of the independent-spin model.</param>
/// <param name="McRmse">Monte-Carlo RMSE of the saved model.</param>
/// <param name="CorrectedRmse">Its noise-corrected RMSE.</param>
/// <param name="McNoiseRmse">The Monte-Carlo noise.</param>
public sealed record TargetFitTiming(string Scenario, string Part, int Size, int Steps, double FitSeconds, double TotalSeconds, double IndependentRmse,
    double McRmse, double CorrectedRmse, double McNoiseRmse);

/// <summary>A full BP fit.</summary>
/// <param name="Seconds">Wall time.</param>
/// <param name="Result">The learning's result.</param>
/// <param name="Sweeps">BP sweeps of each estimate.</param>
/// <param name="Verified">The returned model's RMSE re-estimated at the floor tolerance (or why not).</param>
public sealed record FullFitTiming(double Seconds, FitResult Result, IReadOnlyList<int> Sweeps, string Verified);

/// <summary>The Bethe inversion check: the only model whose BP beliefs equal the data, and its stability.</summary>
/// <param name="Failure">Why the inversion failed, else null.</param>
/// <param name="RmseAtFixedPoint">RMSE at its fixed point.</param>
/// <param name="FixedPoint">How BP at the fixed point ended.</param>
/// <param name="Perturbed">RMSE from the fixed point perturbed by 1e-6 (or why not).</param>
/// <param name="Cold">RMSE from a cold start (or why not).</param>
/// <param name="Unstable">Whether the perturbed run left the matching fixed point (RMSE &gt; 1e-3).</param>
public sealed record BetheCheckResult(string? Failure, double RmseAtFixedPoint, string FixedPoint, string Perturbed, string Cold, bool Unstable);

/// <summary>Warm-started learning steps (and a full fit) on one target.</summary>
/// <param name="Label">Which target.</param>
/// <param name="PerStepSeconds">Mean wall time per timed estimate.</param>
/// <param name="Estimates">Timed estimates.</param>
/// <param name="Sweeps">BP sweeps of each timed estimate.</param>
/// <param name="Diagnostics">The timed learning's counters: rejected, undone and failed steps, best RMSE.</param>
/// <param name="MovingStepSeconds">Wall time of each timed step whose BP needed more than one sweep.</param>
/// <param name="SweepMs">BP sweeps, ms per estimate.</param>
/// <param name="EstimateMs">Whole BP estimate, ms per estimate.</param>
/// <param name="UpdateMs">Learning update, ms per estimate.</param>
/// <param name="AllocatedMb">MB allocated per estimate.</param>
/// <param name="FullGcs">Full garbage collections during the timing.</param>
/// <param name="LoadAverage">Load average after the timing.</param>
/// <param name="FullFit">The full fit, when asked for.</param>
/// <param name="Bethe">The Bethe check, for the data target.</param>
public sealed record LearningTiming(string Label, double PerStepSeconds, int Estimates, int[] Sweeps, IReadOnlyDictionary<string, object?> Diagnostics,
    double[] MovingStepSeconds, double SweepMs, double EstimateMs, double UpdateMs, double AllocatedMb, int FullGcs, string LoadAverage,
    FullFitTiming? FullFit, BetheCheckResult? Bethe);

/// <summary>One line of matrix-product timings: products and their best wall (or CPU) seconds.</summary>
/// <param name="Label">The path timed.</param>
/// <param name="Products">Each product's name and seconds.</param>
public sealed record GemmTiming(string Label, IReadOnlyList<(string Product, double Seconds)> Products);

/// <summary>The PL objective + gradient on all configurations, with the kernel's products and with torch's.</summary>
/// <param name="Products">The kernel's product path.</param>
/// <param name="WallSeconds">Best of 2.</param>
/// <param name="CpuSeconds">CPU seconds per evaluation (mean of 3).</param>
/// <param name="TorchWallSeconds">The torch path, best of 2.</param>
/// <param name="TorchCpuSeconds">The torch path, CPU seconds per evaluation.</param>
/// <param name="LoadAverage">Load average after it.</param>
public sealed record PlEvaluationTiming(string Products, double WallSeconds, double CpuSeconds, double TorchWallSeconds, double TorchCpuSeconds, string LoadAverage);

/// <summary>Throughput of the PL kernel's two products.</summary>
/// <param name="Rows">Torch and SingleGemm timings.</param>
/// <param name="SingleGemmAvailable">Whether this CPU runs a SingleGemm path.</param>
/// <param name="Evaluation">The whole objective + gradient, when SingleGemm runs.</param>
/// <param name="DetailRows">Per-core block-size timings (CPU time), with --gemm-detail.</param>
public sealed record GemmThroughputResult(IReadOnlyList<GemmTiming> Rows, bool SingleGemmAvailable, PlEvaluationTiming? Evaluation, IReadOnlyList<GemmTiming> DetailRows);

/// <summary>The PL fit on the synthetic configurations.</summary>
/// <param name="Options">Its options.</param>
/// <param name="Fit">Its result.</param>
/// <param name="Seconds">Wall time.</param>
/// <param name="LoadAverage">Load average after it.</param>
public sealed record PlTiming(PseudolikelihoodOptions Options, FitResult Fit, double Seconds, string LoadAverage);

/// <summary>The previous PL path (torch products, warm-up stages to 4× their tolerance) against the current one.</summary>
/// <param name="Fit">Its result.</param>
/// <param name="Seconds">Wall time.</param>
/// <param name="LoadAverage">Load average after it.</param>
/// <param name="MaxCouplingDifference">Largest |ΔJ|.</param>
/// <param name="MaxCouplingRatio">Largest |ΔJ| / SE.</param>
/// <param name="MaxFieldDifference">Largest |Δh|.</param>
/// <param name="MaxFieldRatio">Largest |Δh| / SE.</param>
public sealed record PlComparison(FitResult Fit, double Seconds, string LoadAverage, double MaxCouplingDifference, double MaxCouplingRatio,
    double MaxFieldDifference, double MaxFieldRatio);

/// <summary>Result of the fitting benchmark; each part is null when skipped.</summary>
/// <param name="Settings">The settings.</param>
/// <param name="TargetLoadAverage">Load average before the default fits.</param>
/// <param name="TargetFits">The default fits timed to the target.</param>
/// <param name="Size">N of the data moments.</param>
/// <param name="LearningBp">BP options inside learning.</param>
/// <param name="BpLoadAverage">Load average before the BP timings.</param>
/// <param name="Learning">The learnable target, then the data target.</param>
/// <param name="Gemm">The products' throughput.</param>
/// <param name="Pl">The PL fit.</param>
/// <param name="PlPrevious">The previous PL path.</param>
public sealed record BenchFitResult(BenchFitSettings Settings, string TargetLoadAverage, IReadOnlyList<TargetFitTiming> TargetFits, int Size, BpOptions? LearningBp,
    string BpLoadAverage, IReadOnlyList<LearningTiming> Learning, GemmThroughputResult? Gemm, PlTiming? Pl, PlComparison? PlPrevious);

/// <summary>
/// The fitting targets at N = 675 on the published under-para FULL data moments: ms per warm-started BP Boltzmann-learning
/// step (baseline: the study's numpy BP, 0.19 s/step; target ≤ 20 ms), a full BP fit of FULL (target &lt; 60 s), and
/// pseudolikelihood on 100,000 configurations × 675 spins (target &lt; 120 s); and the default fit of published parts
/// timed to the target RMSE.
/// </summary>
/// <remarks>
/// Learning uses <see cref="InexactBpMomentEstimator"/>: BP warm-started from the previous step's messages, and a
/// tolerance of a fraction of the current RMSE (floor: the BP tolerance); the fitted model's RMSE is re-estimated at the
/// floor tolerance. The full fit also checks the Bethe inversion (<see cref="BetheInversion"/>): the only parameters whose
/// BP beliefs equal the data, and whether that BP fixed point is stable.
/// </remarks>
public static class BenchFit
{
    private const int WarmupSteps = 40;

    // The stream of the bench's seed tree from which the synthetic PL configurations are drawn.
    private const int SyntheticSpinsStream = 0;

    /// <summary>Baselines and targets: numpy BP per step, step target, full-fit target, PL target, PL with torch products (68 L-BFGS iterations, idle machine).</summary>
    public const double BaselineStepSeconds = 0.19, TargetStepSeconds = 0.020, TargetFitSeconds = 60, TargetPlSeconds = 120, BaselinePlSeconds = 170.7;

    /// <summary>Runs the timings the settings ask for.</summary>
    public static BenchFitResult Run(BenchFitSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var jobs = settings.TargetJobs();
        string targetLoad = MachineState.LoadAverage();
        var targets = jobs.Select(j => TimeToTarget(j.Scenario, j.Part, settings)).ToList();
        if (!settings.Bp) return new BenchFitResult(settings, targetLoad, targets, 0, null, "", [], null, null, null);

        string dir = Path.Combine(SharedData.ReferenceDirectory(), "under-para");
        var data = DataMoments.LoadText(dir);
        var target = FitTarget.FromMoments(data.ToMoments(), dir);
        var bp = new BpOptions(Damping: settings.Damping, Tolerance: settings.BpTolerance) { AndersonDepth = settings.Anderson, StallSweeps = FitPipeline.LearningStallSweeps };
        string bpLoad = MachineState.LoadAverage();
        var learning = new List<LearningTiming>();
        if (settings.Learnable)
        {
            // A problem BP learning can solve at the same size and density: data moments that are BP moments of a known dense
            // model (the published LB ⊕ ITER ⊕ RB with weak couplings between the parts, as in the landscape benchmark), so
            // the moment-matching model exists and is a stable BP fixed point; the step time is then that of learning that
            // progresses, not of BP near its instability.
            var scenario = PublishedScenario.Open(dir);
            var known = BenchModels.WithWeakCrossCouplings(
                BenchModels.BlockDiagonal(PartModels.FromPublished(scenario, ["LB", "ITER", "RB"]), scenario.Architecture.WeightCount),
                BenchLandscapeSettings.CrossCouplingScale, BenchLandscapeSettings.CrossCouplingSeed);
            var exact = BeliefPropagation.Run(known, new BpOptions(Tolerance: 1e-12, Damping: 0));
            if (!exact.Converged) throw new InvalidOperationException($"BP of the learnable bench model did not converge: {exact.Describe()}");
            var learnable = FitTarget.FromMoments(BeliefPropagation.Moments(known, exact), "BP moments of published LB ⊕ ITER ⊕ RB + N(0, 0.004²) cross couplings");
            learning.Add(TimeLearning("learnable N = 675 (BP moments of a known dense model)", learnable, bp, settings, bethe: false));
        }
        learning.Add(TimeLearning($"{dir} FULL data moments", target, bp, settings, bethe: true));

        GemmThroughputResult? gemm = null;
        PlTiming? pl = null;
        PlComparison? previous = null;
        if (settings.Configurations > 0)
        {
            // Synthetic configurations: independent spins with the data magnetisations (a PL timing, not a physics test).
            int n = data.Size, m = settings.Configurations;
            var spins = new sbyte[(long)m * n];
            var rng = new SeedTree(settings.Seed).Child(SyntheticSpinsStream).Generator();
            for (long k = 0; k < spins.LongLength; k++)
                spins[k] = rng.NextDouble() < 0.5 * (1 + data.Magnetisations[(int)(k % n)]) ? (sbyte)1 : (sbyte)-1;
            if (settings.Gemm || settings.GemmDetail) gemm = GemmThroughput(spins, m, n, settings.GemmDetail);
            if (!settings.GemmDetail)
            {
                var plTarget = new FitTarget(data.ToMoments(), spins, m, "synthetic");
                var plOptions = settings.PlOptions;
                var plFit = new FitOptions(MaxIterations: settings.PlIterations, L2: 1e-4);
                var timer = Stopwatch.StartNew();
                var fit = new Pseudolikelihood(plOptions).Fit(plTarget, null, plFit);
                pl = new PlTiming(plOptions, fit, timer.Elapsed.TotalSeconds, MachineState.LoadAverage());
                if (settings.PlCompare) previous = ComparePl(plTarget, plOptions, plFit, fit, data.Magnetisations, m);
            }
        }
        return new BenchFitResult(settings, targetLoad, targets, data.Size, bp, bpLoad, learning, gemm, pl, previous);
    }

    // The default fit (fsi fit's settings, stopping at the target instead of the default tolerance) of one published part:
    // the time until a check's noise-corrected RMSE reaches the target, then the final verification of the saved model.
    private static TargetFitTiming TimeToTarget(string scenario, string partName, BenchFitSettings settings)
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
        double total = watch.Elapsed.TotalSeconds;
        return new TargetFitTiming(scenario, report.Part.Name, report.Part.Length, report.Fit.Iterations, report.Fit.Elapsed.TotalSeconds, total,
            report.IndependentRmse, report.McRmse, report.CorrectedRmse, report.McNoiseRmse);
    }

    // Records the wall time at each learning step's progress report (one per estimate).
    private sealed class StepClock(Stopwatch watch) : IProgress<ProgressReport>
    {
        public List<double> Times { get; } = [];
        public void Report(ProgressReport value) => Times.Add(watch.Elapsed.TotalSeconds);
    }

    // Warm-started learning steps and a full BP fit on one target, from its TAP inversion.
    private static LearningTiming TimeLearning(string label, FitTarget target, BpOptions bp, BenchFitSettings settings, bool bethe)
    {
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
        int estimates = timed.Iterations + 1;
        double perStep = timer.Elapsed.TotalSeconds / estimates;
        double allocatedMb = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1048576.0 / estimates;
        int gen2 = GC.CollectionCount(2) - gen2Before;
        var sweeps = estimator.Sweeps.Skip(before).ToArray();
        // Steps whose BP needed more than one sweep (a one-sweep estimate is a step too small to move BP's fixed point,
        // as when the rate has halved to its stall): their wall times, the update before each estimate included.
        var moving = Enumerable.Range(1, Math.Min(sweeps.Length, stepClock.Times.Count) - 1).Where(k => sweeps[k] > 1)
            .Select(k => stepClock.Times[k] - stepClock.Times[k - 1]).ToArray();
        // Where a step's time goes: BP sweeps, the BP work around them (tanh J, start copy, final pass with the pair
        // moments), and the learning update (model check, RMSE, TAP inversion of the model moments, parameter step).
        double sweepMs = (estimator.SweepTime - sweepsBefore).TotalMilliseconds / estimates;
        double estimateMs = (estimator.EstimateTime - estimatesBefore).TotalMilliseconds / estimates;
        double updateMs = (double)timed.Diagnostics["update_seconds"]! * 1000 / estimates;
        string load = MachineState.LoadAverage();

        FullFitTiming? full = null;
        BetheCheckResult? betheCheck = null;
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
            full = new FullFitTiming(seconds, fit, fitEstimator.Sweeps.ToArray(), verified);
            if (bethe) betheCheck = BetheCheck(target.Moments, bp);
        }
        return new LearningTiming(label, perStep, estimates, sweeps, new Dictionary<string, object?>(timed.Diagnostics), moving, sweepMs, estimateMs, updateMs,
            allocatedMb, gen2, load, full, betheCheck);
    }

    // The unique parameters whose BP beliefs equal the data (Bethe inversion) and the stability of that fixed point:
    // it answers whether BP learning can reach a small RMSE at all on these data.
    private static BetheCheckResult BetheCheck(Moments data, BpOptions bp)
    {
        IsingModel model;
        BpMessages messages;
        try { model = BetheInversion.Model(data); messages = BetheInversion.Messages(data); }
        catch (InputException e) { return new BetheCheckResult(e.Message, double.NaN, "", "", "", false); }
        var exact = BeliefPropagation.Run(model, bp with { Tolerance = 1e-10, EscalateDamping = false }, messages);
        double atFixedPoint = exact.Converged ? data.Rmse(BeliefPropagation.Moments(model, exact)) : double.NaN;
        // Perturb every cavity field by ±1e-6 (seeded) and iterate: a stable fixed point returns, an unstable one is left.
        var perturbed = BetheInversion.Messages(data, 1e-6, seed: 1);
        var moved = BeliefPropagation.Run(model, bp with { Tolerance = 1e-10 }, perturbed);
        var cold = BeliefPropagation.Run(model, bp with { Tolerance = 1e-10 });
        string Rmse(BpResult r) => r.Converged ? data.Rmse(BeliefPropagation.Moments(model, r)).ToString("F4") : "n/a (" + r.Describe() + ")";
        bool unstable = exact.Converged && moved.Converged && data.Rmse(BeliefPropagation.Moments(model, moved)) > 1e-3;
        return new BetheCheckResult(null, atFixedPoint, exact.Describe(), Rmse(moved), Rmse(cold), unstable);
    }

    // The previous PL path (torch products, warm-up stages converged to 4× their tolerance) on the same data, and the
    // largest differences of its parameters from the current path's in units of their asymptotic standard errors.
    private static PlComparison ComparePl(FitTarget plTarget, PseudolikelihoodOptions plOptions, FitOptions plFit, FitResult pl, double[] magnetisations, int m)
    {
        var timer = Stopwatch.StartNew();
        var torch = new Pseudolikelihood(plOptions with { TorchProducts = true, WarmupFactor = 4 }).Fit(plTarget, null, plFit);
        double torchSeconds = timer.Elapsed.TotalSeconds;
        // Yardstick: the asymptotic standard errors of this estimator on these data, exact for independent spins with
        // magnetisations m_i (J = 0). Conditional i regresses s_i on x = (s_−i, 1) with Fisher information
        // M(1 − m_i²) E[x xᵀ]; the spins' covariance is diagonal, so Var(W_ij) = 1/(M(1 − m_i²)(1 − m_j²)), and the
        // Schur complement (Sherman–Morrison) gives Var(h_i) = (1 + a_i)/(M(1 − m_i²)), a_i = Σ_{j≠i} m_j²/(1 − m_j²).
        // J_ij = (W_ij + W_ji)/2: SE(W_ij)/√2, treating the two conditionals' estimates as uncorrelated.
        int n = magnetisations.Length;
        var variance = new double[n];
        double a = 0;
        for (int i = 0; i < n; i++)
        {
            variance[i] = 1 - magnetisations[i] * magnetisations[i];
            a += magnetisations[i] * magnetisations[i] / variance[i];
        }
        double maxCoupling = 0, maxField = 0, couplingRatio = 0, fieldRatio = 0;
        for (int i = 0; i < n; i++)
        {
            double dh = Math.Abs(pl.Model.Fields[i] - torch.Model.Fields[i]);
            double ai = a - magnetisations[i] * magnetisations[i] / variance[i];
            maxField = Math.Max(maxField, dh);
            fieldRatio = Math.Max(fieldRatio, dh / Math.Sqrt((1 + ai) / (m * variance[i])));
            for (int k = i + 1; k < n; k++)
            {
                double dj = Math.Abs(pl.Model.Couplings[i * n + k] - torch.Model.Couplings[i * n + k]);
                maxCoupling = Math.Max(maxCoupling, dj);
                couplingRatio = Math.Max(couplingRatio, dj / Math.Sqrt(1 / (2.0 * m * variance[i] * variance[k])));
            }
        }
        return new PlComparison(torch, torchSeconds, MachineState.LoadAverage(), maxCoupling, couplingRatio, maxField, fieldRatio);
    }

    // Best wall time of `repeats` runs after a warm-up.
    private static double Best(int repeats, Action action)
    {
        action();
        double best = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            var t = Stopwatch.StartNew();
            action();
            best = Math.Min(best, t.Elapsed.TotalSeconds);
        }
        return best;
    }

    // Least process CPU time of `repeats` runs after a warm-up: on one thread the kernel's own time even when other jobs share the cores.
    private static double Cpu(int repeats, Action action)
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

    // The PL kernel's two products on the bench data (H = h + X Wᵀ and Gᵀ X; 2·M·N² flops each): libtorch's addmm as the
    // kernel used it, and each SingleGemm path this CPU runs (AVX-512, AVX2). A random W and G: the timing does not depend on values.
    private static GemmThroughputResult GemmThroughput(sbyte[] spins, int m, int n, bool detail)
    {
        var rng = new SplitMix64(7);
        var w = new float[n * n];
        for (int k = 0; k < w.Length; k++) w[k] = (float)(rng.NextDouble() - 0.5) * 0.02f;
        var g = new float[m * n];
        for (int k = 0; k < g.Length; k++) g[k] = (float)(rng.NextDouble() - 0.5) * 1e-5f;
        var rows = new List<GemmTiming>();
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
                int count = Math.Min(chunkRows, m - start);
                xs.Add(TorchSharp.torch.tensor(floats.AsSpan(start * n, count * n).ToArray(), [count, n]));
                gs.Add(TorchSharp.torch.tensor(g.AsSpan(start * n, count * n).ToArray(), [count, n]));
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
                rows.Add(new GemmTiming($"torch addmm, {threads} thread(s), chunks of {chunkRows} rows", [("H = h + X Wᵀ", Best(2, Forward)), ("Gᵀ X", Best(2, Backward))]));
            }
            TorchSharp.torch.set_num_threads(torchThreads);
            if (detail)
            {
                var wc = wt.t().contiguous();
                var xAll = TorchSharp.torch.cat(xs, 0);
                var gAll = TorchSharp.torch.cat(gs, 0);
                var gT = gAll.t().contiguous();
                rows.Add(new GemmTiming($"torch variants, {torchThreads} threads",
                [
                    ("mm(X, Wᵀ contiguous)", Best(2, () => { foreach (var x in xs) TorchSharp.torch.mm(x, wc).Dispose(); })),
                    ("one addmm over all rows", Best(2, () => TorchSharp.torch.addmm(h.unsqueeze(0), xAll, wt.t(), 1, 1).Dispose())),
                    ("Gᵀ X with Gᵀ contiguous, all rows", Best(2, () => TorchSharp.torch.mm(gT, xAll).Dispose())),
                    ("Xᵀ G (transposed result)", Best(2, () => TorchSharp.torch.mm(xAll.t(), gAll).Dispose())),
                ]));
            }
        }
        if (SingleGemm.Fastest == null) return new GemmThroughputResult(rows, false, null, []);
        int width = SingleGemm.PaddedWidth(n);
        var b = new float[n * width];
        for (int i = 0; i < n; i++) for (int k = 0; k < n; k++) b[k * width + i] = w[i * n + k];
        var bias = new float[width];
        var c = new float[m * width];
        var gp = new float[m * width];
        for (int r = 0; r < m; r++) g.AsSpan(r * n, n).CopyTo(gp.AsSpan(r * width));
        foreach (var gemm in SingleGemm.Supported)
            rows.Add(new GemmTiming($"SingleGemm {gemm.Name} ({gemm.PanelRows}-row panels), {Environment.ProcessorCount} threads, packing blocks of 192 rows included",
            [
                ("H = h + X Wᵀ", Best(2, () => gemm.MultiplyAddParallel(spins, m, n, b, width, bias, c))),
                ("Gᵀ X (float64 sum of fixed segments)", Best(2, () => gemm.TransposeMultiplyParallel(spins, m, n, gp, width))),
            ]));
        PlEvaluationTiming evaluation;
        {
            var x = new double[n * n + n];
            for (int i = 0; i < n; i++) for (int k = 0; k < n; k++) x[i * n + k] = i == k ? 0 : w[i * n + k];
            var gradient = new double[x.Length];
            using var vector = new PseudolikelihoodKernel(spins, m, n, 1e-4, true);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            double wall = Best(2, () => vector.Evaluate(x, gradient));
            double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / 3;
            using var torchKernel = new PseudolikelihoodKernel(spins, m, n, 1e-4, true, torchProducts: true);
            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            double torchWall = Best(2, () => torchKernel.Evaluate(x, gradient));
            double torchCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / 3;
            evaluation = new PlEvaluationTiming($"{vector.Products}", wall, cpuSeconds, torchWall, torchCpu, MachineState.LoadAverage());
        }
        var detailRows = new List<GemmTiming>();
        if (detail)
        {
            var one = new ParallelOptions { MaxDegreeOfParallelism = 1 };
            foreach (var gemm in SingleGemm.Supported)
                foreach (int block in new[] { 96, 192, 384 })
                    detailRows.Add(new GemmTiming($"SingleGemm {gemm.Name}, 1 thread, blocks of {block} rows, CPU time",
                    [
                        ("H = h + X Wᵀ", Cpu(3, () => gemm.MultiplyAddParallel(spins, m, n, b, width, bias, c, block, one))),
                        ("Gᵀ X", Cpu(3, () => gemm.TransposeMultiplyParallel(spins, m, n, gp, width, block, 16, one))),
                    ]));
        }
        return new GemmThroughputResult(rows, true, evaluation, detailRows);
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

    /// <summary>Prints the result as <c>fsi bench fit</c> does.</summary>
    public static void Write(BenchFitResult result, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(output);
        var settings = result.Settings;
        if (settings.TargetPartsOrDefault.Length > 0) WriteTargets(result, output);
        if (!settings.Bp || result.LearningBp is not { } bp) return;
        output.WriteLine($"fit bench at N = {result.Size}, TAP start, {Environment.ProcessorCount} cores, load average {result.BpLoadAverage}, seed {settings.Seed}");
        output.WriteLine($"  BP inside learning: warm start from the previous step, damping {bp.Damping} (escalating after {bp.StallSweeps} sweeps without a new low of the change), Anderson depth {bp.AndersonDepth}, " +
                         $"tolerance = clamp({settings.ToleranceFraction:G2} × best RMSE, {bp.Tolerance:G2}, 1e-3) on the largest cavity-field change " +
                         "(moment error ≈ 0.1–1 × tolerance, so ≤ 10 % of the mismatch a step corrects); final RMSE re-estimated at the floor; " +
                         $"at most {settings.SweepBudget} sweeps per step's estimate (0 = no budget; a step over it is undone); update rule {settings.Update}; " +
                         "as `fsi fit --method bp --bp-inexact`");
        foreach (var learning in result.Learning) WriteLearning(learning, bp, settings, output);
        if (result.Gemm is { } gemm) WriteGemm(gemm, settings.Configurations, result.Size, output);
        if (result.Pl is { } pl) WritePl(pl, result.PlPrevious, settings.Configurations, result.Size, output);
    }

    private static void WriteTargets(BenchFitResult result, TextWriter output)
    {
        var settings = result.Settings;
        output.WriteLine($"default fit to MC-verified RMSE ≤ {settings.Target:G3} ({Environment.ProcessorCount} cores, load average {result.TargetLoadAverage}, seed {settings.Seed}); " +
                         "the time is the learning's (cheap-estimate checks included) until a check's noise-corrected RMSE reaches the target; " +
                         "the verification is the final one on fresh chains (fsi fit's), of the saved model");
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0,-11} {1,-5} {2,5} {3,6} {4,10} {5,10} {6,9} {7,9} {8,9} {9,8}  {10}",
            "scenario", "part", "N", "steps", "fit s", "verify s", "indep.", "MC rmse", "corrected", "noise", "target"));
        foreach (var r in result.TargetFits)
        {
            bool met = r.CorrectedRmse <= settings.Target;
            output.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0,-11} {1,-5} {2,5} {3,6} {4,10:F1} {5,10:F1} {6,9:F4} {7,9:F4} {8,9:F4} {9,8:F4}  {10}",
                r.Scenario, r.Part, r.Size, r.Steps, r.FitSeconds, r.TotalSeconds - r.FitSeconds, r.IndependentRmse,
                r.McRmse, r.CorrectedRmse, r.McNoiseRmse,
                (met ? "met" : "NOT met") + (r.FitSeconds <= TargetFitSeconds ? "" : $"; over {TargetFitSeconds:F0} s")));
        }
    }

    private static void WriteLearning(LearningTiming t, BpOptions bp, BenchFitSettings settings, TextWriter output)
    {
        output.WriteLine($"{t.Label}:");
        var d = t.Diagnostics;
        var sweeps = t.Sweeps;
        var moving = t.MovingStepSeconds;
        double perStep = t.PerStepSeconds;
        output.WriteLine($"  BP learning step (warm-started)  {perStep * 1000,9:F1} ms/step over {t.Estimates} estimates; sweeps per step " +
                         $"mean {sweeps.Average():F1}, max {sweeps.Max()} [{string.Join(" ", sweeps)}]; rejected steps {d["rejected_steps"]}, undone {d["undone_steps"]}, " +
                         $"BP failures {d["failed_estimates"]}{(moving.Length > 0 ? $"; the {moving.Length} steps of more than one sweep {moving.Average() * 1000:F1} ms each" : "")}; best BP RMSE {d["best_rmse"]:F4}; baseline {BaselineStepSeconds * 1000:F0} ms ⇒ " +
                         $"{BaselineStepSeconds / perStep:F1}x faster; target ≤ {TargetStepSeconds * 1000:F0} ms: {StepVerdict(perStep, moving)}");
        double setupMs = perStep * 1000 - t.EstimateMs - t.UpdateMs;
        output.WriteLine($"    per step: BP sweeps {t.SweepMs:F1} ms ({t.SweepMs / Math.Max(1, sweeps.Average()):F2} ms/sweep), BP outside the sweeps " +
                         $"{t.EstimateMs - t.SweepMs:F1} ms (tanh J, start copy, final pass: m and pair moments), learning update " +
                         $"{t.UpdateMs:F1} ms (model check, RMSE, {settings.Update} step{(settings.Update == BoltzmannUpdate.MeanFieldNewton ? " incl. the TAP inverse of the model moments" : "")}) = " +
                         $"{t.EstimateMs + t.UpdateMs:F1} ms per step in the loop; plus the fit's one-time setup (TAP inverse of the data, copies) " +
                         $"{setupMs * t.Estimates:F0} ms = {setupMs:F1} ms per step over {t.Estimates}; allocated {t.AllocatedMb:F1} MB per step, {t.FullGcs} full GCs; load average {t.LoadAverage}");
        if (t.FullFit is { } full)
        {
            var fit = full.Result;
            var fitSweeps = full.Sweeps;
            double seconds = full.Seconds;
            // The sweeps of the estimates that lowered the best RMSE (the steps the fit kept) against all others: what a
            // sweep budget would cut.
            var (kept, others) = KeptSweeps(fit.RmseHistory, fitSweeps);
            output.WriteLine($"  full BP fit                      {seconds,9:F1} s ({fit.Iterations} steps, {seconds / Math.Max(1, fitSweeps.Count) * 1000:F0} ms/step, " +
                             $"{fitSweeps.Sum()} sweeps, steps that lowered the best RMSE {kept.Count} (sweeps max {(kept.Count > 0 ? kept.Max() : 0)}), others {others.Count} (sweeps max {(others.Count > 0 ? others.Max() : 0)}), {fit.Diagnostics["undone_steps"]} undone, stop {fit.Stop}, best BP RMSE {fit.Diagnostics["best_rmse"]:F4} at step {fit.BestIteration}, " +
                             $"re-estimated {full.Verified}); target < {TargetFitSeconds:F0} s to RMSE 1e-3: " +
                             (fit.Stop.Reason != StopReason.Converged ? $"not reached (stop {fit.Stop})" : seconds < TargetFitSeconds ? "met" : "NOT met"));
        }
        if (t.Bethe is { } b)
        {
            if (b.Failure != null) output.WriteLine($"  Bethe inversion: {b.Failure}");
            else
                output.WriteLine($"  Bethe inversion (the only model whose BP beliefs equal the data): RMSE {b.RmseAtFixedPoint:E1} at its fixed point ({b.FixedPoint}); " +
                                 $"from that fixed point perturbed by 1e-6: RMSE {b.Perturbed}; from a cold start: RMSE {b.Cold}" +
                                 (b.Unstable ? " ⇒ the matching fixed point is unstable: BP learning cannot reach RMSE 1e-3 on these data" : ""));
        }
    }

    private static void WriteGemm(GemmThroughputResult gemm, int m, int n, TextWriter output)
    {
        double flops = 2.0 * m * n * n;
        string Rate(double seconds) => $"{flops / seconds / 1e9,6:F0} GFLOPS ({seconds:F2} s)";
        string Line(GemmTiming row) => $"  {row.Label}: {string.Join("; ", row.Products.Select(p => $"{p.Product} {Rate(p.Seconds)}"))}";
        foreach (var row in gemm.Rows.Where(r => !r.Label.StartsWith("SingleGemm", StringComparison.Ordinal))) output.WriteLine(Line(row));
        if (!gemm.SingleGemmAvailable)
        {
            output.WriteLine("  SingleGemm: neither AVX-512 nor AVX2 + FMA3 on this CPU (the PL kernel uses torch)");
            return;
        }
        foreach (var row in gemm.Rows.Where(r => r.Label.StartsWith("SingleGemm", StringComparison.Ordinal))) output.WriteLine(Line(row));
        if (gemm.Evaluation is { } e)
        {
            output.WriteLine($"  PL objective + gradient on all {m:N0} configurations ({e.Products}): {e.WallSeconds:F3} s (best of 2), {e.CpuSeconds:F3} CPU-s per evaluation (mean of 3)");
            output.WriteLine($"  PL objective + gradient on all {m:N0} configurations (torch, the previous path): {e.TorchWallSeconds:F3} s (best of 2), " +
                             $"{e.TorchCpuSeconds:F3} CPU-s per evaluation (mean of 3); ratio {e.TorchWallSeconds / e.WallSeconds:F2}× wall, {e.TorchCpuSeconds / e.CpuSeconds:F2}× CPU; load average {e.LoadAverage}");
        }
        foreach (var row in gemm.DetailRows) output.WriteLine(Line(row));
    }

    private static void WritePl(PlTiming timing, PlComparison? previous, int m, int n, TextWriter output)
    {
        var pl = timing.Fit;
        var plOptions = timing.Options;
        double seconds = timing.Seconds;
        output.WriteLine($"  PL stopping rule: largest gradient component < max({plOptions.GradientTolerance:G2}, κ/√M) = {plOptions.ToleranceFor(m):G3} (κ = {plOptions.StatisticalTolerance:G2}; " +
                         "the mean gradient's sampling noise is ~1/√M, so the optimisation error left is a fraction κ of the statistical error); " +
                         $"stages {System.Text.Json.JsonSerializer.Serialize(pl.Diagnostics["stages"])}");
        output.WriteLine($"  PL fit {m:N0} × {n}            {seconds,9:F1} s ({pl.Iterations} L-BFGS iterations, stop {pl.Stop}, " +
                         $"{seconds / Math.Max(1, pl.Iterations):F2} s/iteration, {FullDataEvaluations(pl, m):F1} full-data-equivalent evaluations, " +
                         $"{seconds / FullDataEvaluations(pl, m):F2} s per full-data evaluation, L-BFGS memory {plOptions.History}, warm-up stages to {plOptions.WarmupFactor:G3}× their tolerance, " +
                         $"products {pl.Diagnostics["products"]}, load average {timing.LoadAverage}); baseline (torch products, idle machine) {BaselinePlSeconds} s; " +
                         $"target < {TargetPlSeconds:F0} s: " +
                         (pl.Stop.Reason != StopReason.Converged ? "not shown (the fit was capped before converging; raise --pl-max-iterations)"
                             : seconds < TargetPlSeconds ? "met" : "NOT met"));
        if (previous is { } p)
        {
            var torch = p.Fit;
            output.WriteLine($"  PL, previous path (torch products, warm-up stages to 4× their tolerance) {p.Seconds,9:F1} s ({torch.Iterations} L-BFGS iterations, stop {torch.Stop}, " +
                             $"{p.Seconds / Math.Max(1, torch.Iterations):F2} s/iteration, {FullDataEvaluations(torch, m):F1} full-data-equivalent evaluations, " +
                             $"{p.Seconds / FullDataEvaluations(torch, m):F2} s per full-data evaluation, " +
                             $"load average {p.LoadAverage}); objective {torch.Diagnostics["objective"]:F9} vs {pl.Diagnostics["objective"]:F9}; " +
                             $"max |ΔJ| {p.MaxCouplingDifference:E2}, max |ΔJ|/SE {p.MaxCouplingRatio:F3}; max |Δh| {p.MaxFieldDifference:E2}, max |Δh|/SE {p.MaxFieldRatio:F3} " +
                             "(SE: asymptotic standard errors for these independent-spin data); " +
                             $"speed-up {p.Seconds / seconds:F2}×");
        }
    }
}
