using System.CommandLine;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Landscape;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi landscape</c>: entropy landscape s(d) around a reference per part (BP with a coupling field, swept forward
/// and backward), iso-energy curve, optional heat-capacity (Monte Carlo) entropies, energy-vs-accuracy and parameter
/// histograms: <see cref="LandscapeJob"/>, the analysis of the run's landscape stage, with the options' values. Writes CSV +
/// PNG/SVG + summary.md (the findings table) and landscape.json.
/// </summary>
internal static class LandscapeCommand
{
    public static Command Create()
    {
        var inputs = new LandscapeOptions();
        var parts = new Option<string[]>("--part") { Description = "Parts FULL, LB, ITER, RB, comma-separated or repeated [default: every part with a model]", AllowMultipleArgumentsPerToken = true };
        var range = new Option<string>("--x-range") { Description = "Coupling-field range XMIN:XMAX", DefaultValueFactory = _ => FormattableString.Invariant($"{LandscapeSettings.DefaultXMin}:{LandscapeSettings.DefaultXMax}") };
        var points = new Option<int>("--points") { Description = "Coarse grid points (each visited forward and backward; points are added where d(x) moves faster)", DefaultValueFactory = _ => LandscapeSettings.DefaultPoints }.InRange(2, 100_000);
        var distanceStep = new Option<double>("--distance-step") { Description = "Largest change of d between neighbouring points before x is refined", DefaultValueFactory = _ => LandscapeSettings.DefaultDistanceStep }.InRange(1e-6, 0.999);
        var resolution = new Option<double>("--x-resolution") { Description = "Smallest x step of the refinement (jumps are located to within it)", DefaultValueFactory = _ => LandscapeSettings.DefaultXResolution }.InRange(1e-9, 1e6);
        var minimumJump = new Option<double>("--minimum-jump") { Description = "Smallest proven jump in d reported as a first-order transition (smaller ones: small bistabilities)", DefaultValueFactory = _ => LandscapeSettings.DefaultMinimumJump }.InRange(0, 1);
        var damping = LandscapeOptions.Damping(LandscapeSettings.DefaultBp.Damping);
        var tolerance = LandscapeOptions.Tolerance(LandscapeSettings.DefaultBp.Tolerance);
        var maxIterations = LandscapeOptions.MaxIterations(LandscapeSettings.DefaultBp.MaxIterations);
        var iso = new Option<int>("--iso-energy-points") { Description = "Distances on the iso-energy curve (0: skip)", DefaultValueFactory = _ => LandscapeJobSettings.DefaultIsoEnergyPoints }.InRange(0, 10_000);
        var hcPoints = new Option<int>("--heat-capacity-points") { Description = "x values (evenly spaced, plus every x where BP failed) with a Monte-Carlo heat-capacity entropy (0: skip)", DefaultValueFactory = _ => 0 }.InRange(0, 1000);
        var hcNodes = new Option<int>("--heat-capacity-nodes") { Description = "Gauss–Legendre β nodes of the heat-capacity integral", DefaultValueFactory = _ => LandscapeJobSettings.DefaultHeatCapacityNodes }.InRange(2, 200);
        var mcSweeps = new Option<int>("--mc-samples") { Description = "Monte-Carlo samples per chain per β node", DefaultValueFactory = _ => LandscapeJobSettings.DefaultMonteCarlo.Samples }.InRange(10, 10_000_000);
        var mcChains = new Option<int>("--mc-chains") { Description = "Monte-Carlo chains per β node", DefaultValueFactory = _ => LandscapeJobSettings.DefaultMonteCarlo.Chains }.InRange(2, 1024);
        var stall = new Option<int>("--stall-iterations") { Description = "Give up a damping attempt (and escalate) after this many BP sweeps (its iterations) without a new low of the largest change (0 = run to the cap)", DefaultValueFactory = _ => LandscapeSettings.DefaultStallSweeps }.InRange(0, 10_000_000).WithHiddenAlias("--stall-sweeps");
        var seed = CommonOptions.Seed();
        var output = LandscapeOptions.Out("landscape-out");
        var command = new Command("landscape", "Entropy landscape around a reference: s(d) per part with the bound s_max(d), d(x) forward/backward (jumps, hysteresis), iso-energy curve");
        foreach (var o in inputs.All) command.Options.Add(o);
        foreach (Option o in new Option[] { parts, range, points, distanceStep, resolution, minimumJump, damping, tolerance, maxIterations, stall, iso, hcPoints, hcNodes, mcSweeps, mcChains, seed, output })
            command.Options.Add(o);
        command.SetAction(parse =>
        {
            var (xmin, xmax) = LandscapeOptions.ParseRange(parse.GetValue(range)!, "--x-range");
            var bp = LandscapeSettings.DefaultBp with { Damping = parse.GetValue(damping), Tolerance = parse.GetValue(tolerance), MaxIterations = parse.GetValue(maxIterations), StallSweeps = parse.GetValue(stall) };
            var references = parse.GetValue(inputs.Reference)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(r => ReferenceChoice.Parse(r)).ToArray();
            var settings = new LandscapeJobSettings(
                new LandscapeSettings(xmin, xmax, parse.GetValue(points), bp, parse.GetValue(distanceStep), parse.GetValue(resolution), parse.GetValue(minimumJump)),
                references, parse.GetValue(iso), parse.GetValue(hcPoints), parse.GetValue(hcNodes),
                LandscapeJobSettings.DefaultMonteCarlo with { Chains = parse.GetValue(mcChains), Samples = parse.GetValue(mcSweeps), Seed = parse.GetValue(seed) },
                EnergyAccuracy: true);
            settings.Validate();
            var (models, source, scenario) = inputs.Resolve(parse, LandscapeOptions.SplitParts(parse.GetValue(parts)));
            string outDir = parse.GetValue(output)!;
            var result = LandscapeJob.Run(models, source, scenario, settings, new ConsoleProgress(parse.InvocationConfiguration.Error, parse.GetValue(CliApp.Quiet)));
            var summaries = LandscapeJob.Write(result, outDir, referenceFolders: references.Length > 1);
            var stdout = parse.InvocationConfiguration.Output;
            foreach (string summary in summaries) stdout.WriteLine(summary.TrimEnd());
            stdout.WriteLine($"wrote the landscapes to {Path.GetFullPath(outDir)}{(references.Length > 1 ? " (one folder per reference)" : "")}, with energy/accuracy and parameter histograms per part");
            return CliApp.ExitOk;
        });
        return command;
    }
}
