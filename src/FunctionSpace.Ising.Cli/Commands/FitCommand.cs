using System.CommandLine;
using System.Globalization;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Inverse;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary><c>fsi fit</c>: maximum-entropy Ising models per sub-network by BP Boltzmann learning, pseudolikelihood or mean field.</summary>
internal static class FitCommand
{
    /// <summary>The learning step rule as an option (shared with <c>fsi bench fit</c>).</summary>
    internal static Option<string> UpdateOption(string name, string defaultRule = "newton")
    {
        var option = new Option<string>(name) { Description = "Step rule of bp learning: newton (θ += η[F(data) − F(model)], F = TAP inverse: an N³ inversion per step), gradient (J += η(C_data − C_model), h += 10η(m_data − m_model), centred on the data magnetisations, adaptive η: O(N²) per step), rprop (per-parameter sign steps), linear (fixed data preconditioner)", DefaultValueFactory = _ => defaultRule };
        option.AcceptOnlyFromAmong("newton", "gradient", "rprop", "linear");
        return option;
    }

    /// <summary>The sweep budget of a gradient-rule learning step as an option (shared with <c>fsi bench fit</c>).</summary>
    internal static Option<int> SweepBudgetOption() =>
        new Option<int>("--bp-sweep-budget")
        {
            Description = "BP sweeps allowed to a learning step's estimate by the inexact estimator (fsi fit: with --bp-inexact; 0 = none); a step whose BP has not converged within them is undone and the rate halved",
            DefaultValueFactory = _ => FitPipeline.LearningSweepBudget,
        }.InRange(0, 1_000_000);

    internal static BoltzmannUpdate Update(string? name) => name switch
    {
        "gradient" => BoltzmannUpdate.Gradient,
        "rprop" => BoltzmannUpdate.Rprop,
        "linear" => BoltzmannUpdate.LinearResponse,
        _ => BoltzmannUpdate.MeanFieldNewton,
    };

    /// <summary>
    /// The inverse method, one definition for fsi fit and fsi run so that the list of methods and their descriptions
    /// cannot drift apart.
    /// </summary>
    internal static Option<T> MethodOption<T>()
    {
        var method = new Option<T>("--method")
        {
            Description = FitNames.DescribeMethods(),
        };
        method.AcceptOnlyFromAmong([.. FitNames.Methods]);
        return method;
    }

    public static Command Create()
    {
        var defaults = new PersistentChainOptions();
        var moments = new Option<string?>("--moments") { Description = "Moments saved by fsi moments (stem or .json)" };
        var momentsText = new Option<string?>("--moments-text") { Description = "Folder with the study's mi_data.txt and Ca_data.txt" };
        var ensemble = new Option<string[]>("--ensemble") { Description = "Ensemble file(s) (shards merge exactly)", AllowMultipleArgumentsPerToken = true };
        var spins = new Option<string?>("--spins") { Description = "int8 M×N .npy of ±1 spins" };
        var method = MethodOption<string>();
        method.DefaultValueFactory = _ => FitDefaults.Method;
        var refine = new Option<string>("--refine") { Description = "Second stage from the method's model: none, or mc (Monte-Carlo learning; BP moments are biased on dense loopy models)", DefaultValueFactory = _ => "none" };
        refine.AcceptOnlyFromAmong("none", "mc");
        var refineIter = new Option<int>("--refine-max-iterations") { Description = "Cap on learning steps of --refine mc", DefaultValueFactory = _ => FitDefaults.MaxIterations }.InRange(0, 100_000_000).WithHiddenAlias("--refine-iter");
        var initModel = new Option<string[]>("--init-model") { Description = "Saved model stems (fsi fit outputs) assembled block-diagonally at their slices as the start, e.g. the LB, ITER, RB fits for FULL", AllowMultipleArgumentsPerToken = true };
        var pcdChains = new Option<int>("--pcd-chains") { Description = "Persistent chains of the MC learning (0 = by size: the power of two nearest 400,000/N within 256..2048)", DefaultValueFactory = _ => defaults.Chains }.InRange(0, 1 << 20);
        var pcdSweeps = new Option<int>("--pcd-sweeps") { Description = "Sweeps per chain per MC learning step", DefaultValueFactory = _ => defaults.SweepsPerStep }.InRange(1, 1_000_000);
        var pcdStep = new Option<double>("--pcd-step") { Description = "Learning rate of the MC learning (gradient rule: η_J; η_h = 30 η_J)", DefaultValueFactory = _ => defaults.StepSize }.InRange(1e-9, 1);
        var pcdRule = new Option<string>("--pcd-rule") { Description = "Step rule of the MC learning: gradient (the study's two-rate gradient) or newton (data-fixed mean-field preconditioner)", DefaultValueFactory = _ => "gradient" };
        pcdRule.AcceptOnlyFromAmong("gradient", "newton");
        var pcdRidge = new Option<double>("--pcd-ridge") { Description = "Ridge (relative) on the data correlation matrix of the newton rule's preconditioner", DefaultValueFactory = _ => defaults.Ridge }.InRange(0, 1e6);
        var checkEvery = new Option<int>("--check-every") { Description = "MC learning steps between checks of the averaged model", DefaultValueFactory = _ => defaults.CheckEvery }.InRange(1, 1_000_000);
        var patience = new Option<int>("--patience") { Description = "Checks in a row without a new best before the MC learning stops", DefaultValueFactory = _ => defaults.Patience }.InRange(1, 1000);
        var noMirror = new Option<bool>("--no-mirror-moves") { Description = "MC learning and verification without the mirror move s → −s (chains then cannot cross between the two states of a collective mode)" };
        var parts = new Option<string[]>("--part") { Description = "FULL, LB, ITER, RB or start:end (repeatable)", DefaultValueFactory = _ => ["FULL"], AllowMultipleArgumentsPerToken = true };
        var init = new Option<string>("--init") { Description = "Start of the learning: zero (h = J = 0, the study's start), independent, best (the best cheap estimate), tap, nmf. The best cheap estimate is always the model to beat", DefaultValueFactory = _ => FitDefaults.Init };
        init.AcceptOnlyFromAmong([.. FitNames.Inits]);
        var maxIter = new Option<int>("--max-iterations") { Description = "Cap on learning steps / quasi-Newton iterations T", DefaultValueFactory = _ => FitDefaults.MaxIterations }.InRange(0, 10_000_000).WithHiddenAlias("--max-iter");
        var tolerance = new Option<double>("--tolerance") { Description = "Stop learning when its verified (noise-corrected) RMSE is at or below this, or below the data's noise floor", DefaultValueFactory = _ => FitDefaults.RmseTolerance }.InRange(1e-12, 10).WithHiddenAlias("--tol");
        var targetRmse = new Option<double>("--target") { Description = "RMSE at or below which a fit reproduces the data (raised to the noise floor when that is larger)", DefaultValueFactory = _ => FitDefaults.TargetRmse }.InRange(1e-12, 10);
        var l2 = new Option<double>("--l2") { Description = "L2 strength on J", DefaultValueFactory = _ => 0.0 }.InRange(0, 1e6);
        var l1 = new Option<double>("--l1") { Description = "L1 strength on J (mc: OWL-QN pseudo-gradient; pl: exact zeros)", DefaultValueFactory = _ => 0.0 }.InRange(0, 1e6);
        var penalty = new Option<string>("--penalty") { Description = "Choose the penalty on J by held-out networks: none, l2 (λ₂ = c/M), l1 (λ₁ = c/√M); needs --ensemble", DefaultValueFactory = _ => "none" };
        penalty.AcceptOnlyFromAmong("none", "l2", "l1");
        var folds = new Option<int>("--folds") { Description = "Groups of networks (by network id) for --penalty: each is held out once", DefaultValueFactory = _ => FitDefaults.Folds }.InRange(2, 100);
        var scales = new Option<double[]>("--penalty-scales") { Description = "Prior scales c tried by --penalty [default: l2 0 10 30 100 300 1000; l1 0 0.25 0.5 1 2]", AllowMultipleArgumentsPerToken = true };
        var noiseFloor = new Option<double?>("--noise-floor") { Description = "The data's noise floor (RMSE a perfect model would show against these data, e.g. from a bootstrap over networks) [default: the sampling noise of the configurations as independent samples]" };
        var sampleCount = new Option<double?>("--sample-count") { Description = "Independent samples behind the data (networks), for the noise floor and the penalty strength" };
        var bpTol = new Option<double>("--bp-tolerance") { Description = "BP convergence tolerance (of the bp and study learning and of the BP check of the fitted model)", DefaultValueFactory = _ => FitDefaults.Bp.Tolerance }.WithHiddenAlias("--bp-tol");
        var bpDamping = new Option<double>("--bp-damping") { Description = "BP damping (escalated on non-convergence)", DefaultValueFactory = _ => FitDefaults.Bp.Damping };
        var bpUpdate = UpdateOption("--bp-update");
        var bpBudget = SweepBudgetOption();
        var bpInexact = new Option<bool>("--bp-inexact")
        {
            Description = "BP inside learning to 0.1 × the best RMSE (floor --bp-tolerance), warm-started, within --bp-sweep-budget sweeps per step: what `fsi bench fit` times. " +
                          "Fast, but on near-critical data (the published parts) the learning can follow a BP branch that cold-start BP and Monte Carlo do not confirm",
        };
        var noBpCheck = new Option<bool>("--no-bp-check") { Description = "Skip the BP moments of the fitted model (reported beside the Monte-Carlo ones)" };
        var mcChains = new Option<int>("--mc-chains") { Description = "Final Monte-Carlo verification: chains (fresh, random starts)", DefaultValueFactory = _ => FitDefaults.VerificationChains }.InRange(2, 1 << 20);
        var mcSamples = new Option<int>("--mc-samples") { Description = "Final Monte-Carlo verification: samples per chain (0 = skip it)", DefaultValueFactory = _ => FitDefaults.VerificationSamples }.InRange(0, int.MaxValue);
        var mcBurnIn = new Option<int>("--mc-burn-in") { Description = "Final Monte-Carlo verification: burn-in sweeps", DefaultValueFactory = _ => FitDefaults.VerificationBurnIn }.InRange(0, int.MaxValue);
        var mcThin = new Option<int>("--mc-thin") { Description = "Final Monte-Carlo verification: sweeps between samples", DefaultValueFactory = _ => FitDefaults.VerificationThin }.InRange(1, int.MaxValue);
        var tripletTol = new Option<double>("--triplet-tolerance") { Description = "Tolerance on connected three-point correlations", DefaultValueFactory = _ => FitDefaults.TripletTolerance }.WithHiddenAlias("--triplet-tol");
        var seed = CommonOptions.Seed();
        var output = new Option<string>("--out", "-o") { Description = "Output folder (J/h .npy, JSON sidecars, figures)", DefaultValueFactory = _ => "models/fit" };
        var allowMissing = MomentsCommand.AllowMissingShardsOption();

        var command = new Command("fit", "Fit maximum-entropy Ising models per part (FULL/LB/ITER/RB), never worse than the independent-site model, verify them by Monte Carlo (and BP) and judge them against the target and the data's noise floor; writes J/h .npy + JSON sidecar, RMSE curve, scatter and histogram figures")
        {
            moments, momentsText, ensemble, spins, method, parts, init, maxIter, tolerance, targetRmse, l2, l1, penalty, folds, scales, noiseFloor, sampleCount,
            bpTol, bpDamping, bpUpdate, bpInexact, bpBudget, noBpCheck, mcChains, mcSamples, mcBurnIn, mcThin, tripletTol, seed, output, refine, refineIter,
            initModel, pcdChains, pcdSweeps, pcdStep, pcdRule, pcdRidge, checkEvery, patience, noMirror, allowMissing,
        };
        command.SetAction(parse =>
        {
            var bp = new BpOptions(Damping: parse.GetValue(bpDamping), Tolerance: parse.GetValue(bpTol));
            bp.Validate();
            ulong seedValue = parse.GetValue(seed);
            bool mirror = !parse.GetValue(noMirror);
            int samples = parse.GetValue(mcSamples);
            var mc = FitDefaults.Verification(seedValue) with
            {
                Chains = parse.GetValue(mcChains), BurnInSweeps = parse.GetValue(mcBurnIn), Samples = Math.Max(1, samples),
                ThinSweeps = parse.GetValue(mcThin), MirrorMoves = mirror,
            };
            mc.Validate();
            if (samples == 0) mc = mc with { Samples = 0 };
            var chains = defaults with
            {
                Chains = parse.GetValue(pcdChains), SweepsPerStep = parse.GetValue(pcdSweeps), StepSize = parse.GetValue(pcdStep),
                Rule = parse.GetValue(pcdRule) == "newton" ? ChainLearningRule.Newton : ChainLearningRule.Gradient,
                Ridge = parse.GetValue(pcdRidge), CheckEvery = parse.GetValue(checkEvery), Patience = parse.GetValue(patience), MirrorMoves = mirror,
            };
            chains.Validate();
            var settings = new FitSettings(
                new FitInput(parse.GetValue(moments), parse.GetValue(momentsText), parse.GetValue(ensemble), parse.GetValue(spins))
                {
                    AllowMissingShards = parse.GetValue(allowMissing),
                },
                parse.GetValue(parts)!)
            {
                Method = FitNames.ParseMethod(parse.GetValue(method), "--method"),
                Init = FitNames.ParseInit(parse.GetValue(init), "--init"),
                Fit = new FitOptions(parse.GetValue(maxIter), parse.GetValue(tolerance), parse.GetValue(l2), parse.GetValue(l1)),
                TargetRmse = parse.GetValue(targetRmse),
                Bp = bp,
                BpCheck = !parse.GetValue(noBpCheck),
                MonteCarlo = mc,
                TripletTolerance = parse.GetValue(tripletTol),
                Seed = seedValue,
                Refine = parse.GetValue(refine),
                InitModels = parse.GetValue(initModel),
                RefineIterations = parse.GetValue(refineIter),
                BpUpdate = Update(parse.GetValue(bpUpdate)),
                BpInexact = parse.GetValue(bpInexact),
                BpSweepBudget = parse.GetValue(bpBudget),
                Chains = chains,
                Penalty = parse.GetValue(penalty) switch { "l2" => PenaltyKind.L2, "l1" => PenaltyKind.L1, _ => null },
                FoldCount = parse.GetValue(folds),
                PenaltyScales = parse.GetValue(scales) is { Length: > 0 } given ? given : null,
                NoiseFloor = parse.GetValue(noiseFloor),
                SampleCount = parse.GetValue(sampleCount),
            };
            settings.Chains.Validate();
            if (settings.Input.Ensembles is { Count: > 0 } files && settings.Input.MomentsStem == null && settings.Input.MomentsTextDirectory == null && settings.Input.SpinsNpy == null)
                MomentsCommand.WarnIfIncomplete(Ensembles.EnsembleSet.Open(files, settings.Input.AllowMissingShards), parse.InvocationConfiguration.Error);
            if (settings.NoiseFloor is < 0) throw new InputException($"--noise-floor: {settings.NoiseFloor} must not be negative");
            if (settings.SampleCount is <= 0) throw new InputException($"--sample-count: {settings.SampleCount} must be positive");
            if (settings.PenaltyScales?.Any(c => !(c >= 0)) == true) throw new InputException("--penalty-scales: every scale must be ≥ 0");
            var progress = new ConsoleProgress(Console.Error, parse.GetValue(CliApp.Quiet));
            string outputDirectory = parse.GetValue(output)!;
            var result = FitPipeline.Run(settings, progress);
            FitPipeline.Write(result, outputDirectory);
            foreach (string line in Table(result, outputDirectory)) Console.Out.WriteLine(line);
            return CliApp.ExitOk;
        });
        return command;
    }

    /// <summary>The fit table: per part the independent-site baseline, the verified RMSE (measured, its Monte-Carlo noise, corrected),
    /// BP's, the data's noise floor, and the verdict; then each part's advice and model files.</summary>
    internal static IReadOnlyList<string> Table(FitRunResult result, string outputDirectory)
    {
        var reports = result.Parts;
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Format(c, "{0,-5} {1,5} {2,-6} {3,-11} {4,6} {5,-12} {6,9} {7,9} {8,8} {9,9} {10,9} {11,8}  {12}",
                "part", "N", "method", "saved", "steps", "stop", "indep.", "MC rmse", "MC noise", "corrected", "BP rmse", "floor", "verdict"),
        };
        foreach (var r in reports)
            lines.Add(string.Format(c, "{0,-5} {1,5} {2,-6} {3,-11} {4,6} {5,-12} {6,9:F4} {7,9:F4} {8,8:F4} {9,9:F4} {10,9:F4} {11,8:F4}  {12}",
                r.Part.Name, r.Part.Length, r.Fit.Method, r.Saved == "independent" ? "independent" : r.Fit.BestIteration >= 0 ? $"step {r.Fit.BestIteration}" : "start",
                r.Fit.Iterations, r.Fit.Stop.Reason, r.IndependentRmse, r.McRmse, r.McNoiseRmse, r.CorrectedRmse, r.BpRmse, r.NoiseFloor, r.Verdict.Text));
        foreach (var r in reports)
        {
            if (r.Penalty is { } p)
                lines.Add(string.Format(c, "{0}: {1} penalty chosen on held-out networks: scale {2:G3} (λ₂ = {3:G3}, λ₁ = {4:G3}); held-out RMSE by scale: {5}",
                    r.Part.Name, p.Kind, p.Scale, r.Strengths.L2, r.Strengths.L1,
                    string.Join(", ", p.Scores.Select(s => string.Format(c, "{0:G3}: {1:F4}", s.Scale, s.Mean)))));
            if (r.Verdict.Advice != null) lines.Add($"{r.Part.Name}: {r.Verdict.Advice}");
            lines.Add($"{r.Part.Name}: -> {Path.Combine(outputDirectory, r.ModelName)}.*");
        }
        return lines;
    }
}
