using System.CommandLine;
using FunctionSpace.Ising.Benchmarks;
using FunctionSpace.Ising.Inverse;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary><c>fsi bench fit</c>: the options of <see cref="BenchFit"/>.</summary>
internal static class BenchFitCommand
{
    public static Command Create()
    {
        var defaults = new BenchFitSettings();
        var steps = new Option<int>("--steps") { Description = "Warm-started learning steps timed", DefaultValueFactory = _ => defaults.Steps }.InRange(1, 100000);
        var fitIter = new Option<int>("--fit-max-iterations") { Description = "Step cap of the full BP fit of FULL (0 skips it)", DefaultValueFactory = _ => defaults.FitIterations }.InRange(0, 100000).WithHiddenAlias("--fit-iter");
        var configs = new Option<int>("--configurations") { Description = "Configurations of the PL benchmark (0 skips it)", DefaultValueFactory = _ => defaults.Configurations }.InRange(0, 2_000_000).WithHiddenAlias("--configs");
        var plIter = new Option<int>("--pl-max-iterations") { Description = "L-BFGS iteration cap of the PL fit", DefaultValueFactory = _ => defaults.PlIterations }.InRange(1, 100000).WithHiddenAlias("--pl-iter");
        var bpTol = new Option<double>("--bp-tolerance") { Description = "Tightest BP tolerance (floor of the learning schedule; the final re-estimate)", DefaultValueFactory = _ => defaults.BpTolerance }.InRange(1e-15, 1).WithHiddenAlias("--bp-tol");
        var anderson = new Option<int>("--anderson") { Description = "Anderson acceleration depth of BP inside learning (0 = plain damped BP: cheaper on small warm-started steps; depth 5 pays when BP must travel far, e.g. after a rejected step)", DefaultValueFactory = _ => defaults.Anderson }.InRange(0, 20);
        var fraction = new Option<double>("--tol-fraction") { Description = "BP tolerance inside learning as a fraction of the best RMSE (1e-9 ≈ always the floor)", DefaultValueFactory = _ => defaults.ToleranceFraction }.InRange(1e-12, 1);
        var plTol = new Option<double>("--pl-kappa") { Description = "PL statistical stopping rule: stop when the largest gradient component < κ/√M (0 = only the 1e-5 gradient rule)", DefaultValueFactory = _ => defaults.PlTolerance }.InRange(0, 10);
        var gemmDetail = new Option<bool>("--gemm-detail") { Description = "Only time the PL products: torch also at 1 thread and in other operand layouts, each SingleGemm path per core by block size", Hidden = true };
        var gemm = new Option<bool>("--gemm") { Description = "Time the PL's two matrix products (torch addmm and the SingleGemm paths this CPU runs: AVX-512, AVX2) before the PL fit", DefaultValueFactory = _ => defaults.Gemm };
        var plCompare = new Option<bool>("--pl-compare") { Description = "Also fit PL the previous way (torch products, warm-up stages to 4× their tolerance) and compare the fitted couplings" };
        var plHistory = new Option<int>("--pl-history") { Description = "L-BFGS memory of the PL fit", DefaultValueFactory = _ => new PseudolikelihoodOptions().History, Hidden = true }.InRange(1, 100);
        var plWarmup = new Option<double>("--pl-warmup") { Description = "Tolerance multiple of the PL warm-up stages", DefaultValueFactory = _ => new PseudolikelihoodOptions().WarmupFactor, Hidden = true }.InRange(1, 1000);
        var update = FitCommand.UpdateOption("--update", "gradient");
        var learnable = new Option<bool>("--learnable") { Description = "Also time learning on BP moments of a known dense N = 675 model (a problem BP learning can solve)", DefaultValueFactory = _ => defaults.Learnable };
        var damping = new Option<double>("--bp-damping") { Description = "BP damping inside learning (escalated when BP stalls)", DefaultValueFactory = _ => defaults.Damping }.InRange(0, 0.99);
        var budget = FitCommand.SweepBudgetOption();
        var bpTiming = new Option<bool>("--bp") { Description = "Time BP learning (per step, the full FULL fit) and pseudolikelihood (the fitting targets: ≤ 20 ms per step, ≤ 2 min for pseudolikelihood)", DefaultValueFactory = _ => defaults.Bp };
        var targetParts = new Option<string[]>("--target-parts")
        {
            Description = "scenario:PART,… whose default fit (fsi fit's defaults) is timed to MC-verified RMSE ≤ --target (none: skip)",
            DefaultValueFactory = _ => BenchFitSettings.DefaultTargetParts, AllowMultipleArgumentsPerToken = true,
        };
        var target = new Option<double>("--target") { Description = "The RMSE the default fit is timed to", DefaultValueFactory = _ => defaults.Target }.InRange(1e-6, 1);
        var seed = CommonOptions.Seed();
        var command = new Command("fit", "Time BP Boltzmann learning (per step, full FULL fit) and pseudolikelihood at N = 675; baseline: numpy BP 0.19 s/step")
        {
            steps, fitIter, configs, plIter, bpTol, anderson, fraction, plTol, gemm, plCompare, gemmDetail, plHistory, plWarmup, update, learnable, damping, budget,
            bpTiming, targetParts, target, seed,
        };
        command.SetAction(parse =>
        {
            var settings = new BenchFitSettings(parse.GetValue(steps), parse.GetValue(fitIter), parse.GetValue(configs),
                parse.GetValue(plIter), parse.GetValue(bpTol), parse.GetValue(seed), parse.GetValue(anderson), parse.GetValue(fraction),
                parse.GetValue(plTol), parse.GetValue(gemmDetail), parse.GetValue(gemm), parse.GetValue(plCompare),
                parse.GetValue(plHistory), parse.GetValue(plWarmup), FitCommand.Update(parse.GetValue(update)), parse.GetValue(learnable), parse.GetValue(damping), parse.GetValue(budget),
                parse.GetValue(bpTiming), parse.GetValue(targetParts) ?? [], parse.GetValue(target));
            settings.TargetJobs();   // a malformed --target-parts is refused before anything is timed
            BenchFit.Write(BenchFit.Run(settings), Console.Out);
            return CliApp.ExitOk;
        });
        return command;
    }
}
