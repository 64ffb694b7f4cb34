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

    public static Command Create()
    {
        var moments = new Option<string?>("--moments") { Description = "Moments saved by fsi moments (stem or .json)" };
        var momentsText = new Option<string?>("--moments-text") { Description = "Folder with the study's mi_data.txt and Ca_data.txt" };
        var ensemble = new Option<string[]>("--ensemble") { Description = "Ensemble file(s) (shards merge exactly)", AllowMultipleArgumentsPerToken = true };
        var spins = new Option<string?>("--spins") { Description = "int8 M×N .npy of ±1 spins" };
        var method = new Option<string>("--method") { Description = "bp (Boltzmann learning with BP), mc (persistent-chain Monte-Carlo Boltzmann learning), pl (pseudolikelihood), mf (= tap), nmf", DefaultValueFactory = _ => "bp" };
        method.AcceptOnlyFromAmong("bp", "mc", "pl", "mf", "tap", "nmf");
        var refine = new Option<string>("--refine") { Description = "Second stage from the method's model: none, or mc (persistent-chain Monte-Carlo Boltzmann learning; BP moments are biased on dense loopy models)", DefaultValueFactory = _ => "none" };
        refine.AcceptOnlyFromAmong("none", "mc");
        var refineIter = new Option<int>("--refine-iter") { Description = "Learning steps of --refine mc (and T of --method mc is --max-iter)", DefaultValueFactory = _ => 400 }.InRange(0, 100_000_000);
        var initModel = new Option<string[]>("--init-model") { Description = "Saved model stems (fsi fit outputs) assembled block-diagonally at their slices as the start, e.g. the LB, ITER, RB fits for FULL", AllowMultipleArgumentsPerToken = true };
        var pcdChains = new Option<int>("--pcd-chains") { Description = "Persistent chains of the MC learning", DefaultValueFactory = _ => 64 };
        var pcdSweeps = new Option<int>("--pcd-sweeps") { Description = "Sweeps per chain per MC learning step", DefaultValueFactory = _ => 2 };
        var pcdStep = new Option<double>("--pcd-step") { Description = "Initial step size of the MC learning (1 = full mean-field Newton step)", DefaultValueFactory = _ => 0.5 };
        var pcdRidge = new Option<double>("--pcd-ridge") { Description = "Ridge (relative) on the data correlation matrix of the MC learning's preconditioner", DefaultValueFactory = _ => 0.05 };
        var parts = new Option<string[]>("--part") { Description = "FULL, LB, ITER, RB or start:end (repeatable)", DefaultValueFactory = _ => ["FULL"], AllowMultipleArgumentsPerToken = true };
        var init = new Option<string>("--init") { Description = "Initial point of bp/pl: tap, nmf, zero", DefaultValueFactory = _ => "tap" };
        init.AcceptOnlyFromAmong("tap", "nmf", "zero");
        var maxIter = new Option<int>("--max-iter") { Description = "Learning steps / quasi-Newton iterations T", DefaultValueFactory = _ => 500 };
        var tolerance = new Option<double>("--tol") { Description = "Stop Boltzmann learning when RMSE < tol", DefaultValueFactory = _ => 1e-3 };
        var l2 = new Option<double>("--l2") { Description = "L2 strength on J", DefaultValueFactory = _ => 0.0 };
        var l1 = new Option<double>("--l1") { Description = "L1 strength on J (pl only; exact zeros)", DefaultValueFactory = _ => 0.0 };
        var bpTol = new Option<double>("--bp-tol") { Description = "BP convergence tolerance", DefaultValueFactory = _ => 1e-8 };
        var bpDamping = new Option<double>("--bp-damping") { Description = "BP damping (escalated on non-convergence)", DefaultValueFactory = _ => 0.5 };
        var bpUpdate = UpdateOption("--bp-update");
        var bpBudget = SweepBudgetOption();
        var bpInexact = new Option<bool>("--bp-inexact")
        {
            Description = "BP inside learning to 0.1 × the best RMSE (floor --bp-tol), warm-started, within --bp-sweep-budget sweeps per step: what `fsi bench fit` times. " +
                          "Fast, but on near-critical data (the published parts) the learning can follow a BP branch that cold-start BP and Monte Carlo do not confirm",
        };
        var mcChains = new Option<int>("--mc-chains") { Description = "Monte-Carlo check: chains", DefaultValueFactory = _ => 16 };
        var mcSamples = new Option<int>("--mc-samples") { Description = "Monte-Carlo check: samples per chain (0 = skip the check)", DefaultValueFactory = _ => 4000 };
        var mcBurnIn = new Option<int>("--mc-burn-in") { Description = "Monte-Carlo check: burn-in sweeps", DefaultValueFactory = _ => 2000 };
        var mcThin = new Option<int>("--mc-thin") { Description = "Monte-Carlo check: sweeps between samples", DefaultValueFactory = _ => 2 };
        var tripletTol = new Option<double>("--triplet-tol") { Description = "Tolerance on connected three-point correlations", DefaultValueFactory = _ => 0.01 };
        var seed = CommonOptions.Seed();
        var output = new Option<string>("--out", "-o") { Description = "Output folder", DefaultValueFactory = _ => "models/fit" };
        var allowMissing = MomentsCommand.AllowMissingShardsOption();

        var command = new Command("fit", "Fit maximum-entropy Ising models per part (FULL/LB/ITER/RB) and check them by BP and Monte Carlo; writes J/h .npy + JSON sidecar, RMSE curve, scatter and histogram figures")
        {
            moments, momentsText, ensemble, spins, method, parts, init, maxIter, tolerance, l2, l1, bpTol, bpDamping, bpUpdate, bpInexact, bpBudget,
            mcChains, mcSamples, mcBurnIn, mcThin, tripletTol, seed, output, refine, refineIter, initModel, pcdChains, pcdSweeps, pcdStep, pcdRidge,
            allowMissing,
        };
        command.SetAction(parse =>
        {
            int iterations = parse.GetValue(maxIter);
            if (iterations < 0) throw new InputException($"--max-iter: {iterations} must be ≥ 0");
            double tol = parse.GetValue(tolerance);
            if (!(tol > 0)) throw new InputException($"--tol: {tol} must be > 0");
            var bp = new BpOptions(Damping: parse.GetValue(bpDamping), Tolerance: parse.GetValue(bpTol));
            bp.Validate();
            var mc = new MonteCarloOptions(Chains: parse.GetValue(mcChains), BurnInSweeps: parse.GetValue(mcBurnIn),
                Samples: Math.Max(1, parse.GetValue(mcSamples)), ThinSweeps: parse.GetValue(mcThin), Seed: parse.GetValue(seed));
            mc.Validate();
            if (parse.GetValue(mcSamples) == 0) mc = mc with { Samples = 0 };
            var settings = new FitSettings(
                new FitInput(parse.GetValue(moments), parse.GetValue(momentsText), parse.GetValue(ensemble), parse.GetValue(spins))
                {
                    AllowMissingShards = parse.GetValue(allowMissing),
                },
                parse.GetValue(parts)!, parse.GetValue(method)!, parse.GetValue(init)!,
                new FitOptions(iterations, tol, parse.GetValue(l2), parse.GetValue(l1)), bp, mc,
                parse.GetValue(tripletTol), parse.GetValue(output))
            {
                Refine = parse.GetValue(refine),
                InitModels = parse.GetValue(initModel),
                RefineIterations = parse.GetValue(refineIter),
                BpUpdate = Update(parse.GetValue(bpUpdate)),
                BpInexact = parse.GetValue(bpInexact),
                BpSweepBudget = parse.GetValue(bpBudget),
                // Learning chains use a seed distinct from the check's, so the check samples are independent.
                Chains = new PersistentChainOptions(Chains: parse.GetValue(pcdChains), SweepsPerStep: parse.GetValue(pcdSweeps),
                    StepSize: parse.GetValue(pcdStep), Ridge: parse.GetValue(pcdRidge), Seed: parse.GetValue(seed) ^ 0x5EED5EED5EEDUL),
            };
            settings.Chains.Validate();
            if (settings.Input.Ensembles is { Count: > 0 } files && settings.Input.MomentsStem == null && settings.Input.MomentsTextDirectory == null && settings.Input.SpinsNpy == null)
                MomentsCommand.WarnIfIncomplete(Ensembles.EnsembleSet.Open(files, settings.Input.AllowMissingShards), parse.InvocationConfiguration.Error);
            var progress = new ConsoleProgress(Console.Error, parse.GetValue(CliApp.Quiet));
            var reports = FitPipeline.Run(settings, progress);
            foreach (var r in reports) Console.Out.WriteLine(Summary(r));
            return CliApp.ExitOk;
        });
        return command;
    }

    internal static string Summary(PartFitReport r)
    {
        var c = CultureInfo.InvariantCulture;
        string triplets = r.TripletCount > 0 ? string.Format(c, "  triplets {0:P1} of {1} within tol", r.TripletFraction, r.TripletCount) : "";
        return string.Format(c, "{0,-5} {1,-4} N={2}  rmse BP {3:F4}  MC {4:F4} (MC noise {5:F4})  iterations {6}  stop {7}  {8:F1} s{9}{10}",
            r.Part.Name, r.Fit.Method, r.Part.Length, r.BpRmse, r.McRmse, r.McNoiseRmse, r.Fit.Iterations, r.Fit.StopReason,
            r.Fit.Elapsed.TotalSeconds, triplets, r.ModelStem != null ? $"  -> {r.ModelStem}.*" : "");
    }
}
