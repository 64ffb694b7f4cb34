using System.CommandLine;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Landscape;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi landscape</c>: entropy landscape s(d) around a reference per part (BP with a coupling field, swept forward
/// and backward), iso-energy curve, optional heat-capacity (Monte Carlo) entropies, energy-vs-accuracy and parameter
/// histograms. Writes CSV + PNG/SVG + summary.md (the findings table).
/// </summary>
internal static class LandscapeCommand
{
    private sealed record Settings(string Out, ReferenceChoice Reference, LandscapeSettings Sweep, int IsoEnergyPoints,
        int HeatCapacityPoints, int HeatCapacityNodes, MonteCarloOptions MonteCarlo);

    public static Command Create()
    {
        var inputs = new LandscapeOptions();
        var parts = new Option<string[]>("--part") { Description = "Parts FULL, LB, ITER, RB, comma-separated or repeated [default: every part with a model]", AllowMultipleArgumentsPerToken = true };
        var range = new Option<string>("--x-range") { Description = "Coupling-field range XMIN:XMAX", DefaultValueFactory = _ => "-2:2" };
        var points = new Option<int>("--points") { Description = "Coarse grid points (each visited forward and backward; points are added where d(x) moves faster)", DefaultValueFactory = _ => 200 }.InRange(2, 100_000);
        var distanceStep = new Option<double>("--distance-step") { Description = "Largest change of d between neighbouring points before x is refined", DefaultValueFactory = _ => 0.02 }.InRange(1e-6, 0.999);
        var resolution = new Option<double>("--x-resolution") { Description = "Smallest x step of the refinement (jumps are located to within it)", DefaultValueFactory = _ => 0.002 }.InRange(1e-9, 1e6);
        var minimumJump = new Option<double>("--minimum-jump") { Description = "Smallest proven jump in d reported as a first-order transition (smaller ones: small bistabilities)", DefaultValueFactory = _ => 0.05 }.InRange(0, 1);
        var damping = LandscapeOptions.Damping(0);
        var tolerance = LandscapeOptions.Tolerance(1e-9);
        var maxIterations = LandscapeOptions.MaxIterations(5000);
        var iso = new Option<int>("--iso-energy-points") { Description = "Distances on the iso-energy curve (0: skip)", DefaultValueFactory = _ => 15 }.InRange(0, 10_000);
        var hcPoints = new Option<int>("--heat-capacity-points") { Description = "x values (evenly spaced, plus every x where BP failed) with a Monte-Carlo heat-capacity entropy (0: skip)", DefaultValueFactory = _ => 0 }.InRange(0, 1000);
        var hcNodes = new Option<int>("--heat-capacity-nodes") { Description = "Gauss–Legendre β nodes of the heat-capacity integral", DefaultValueFactory = _ => 12 }.InRange(2, 200);
        var mcSweeps = new Option<int>("--mc-samples") { Description = "Monte-Carlo samples per chain per β node", DefaultValueFactory = _ => 2000 }.InRange(10, 10_000_000);
        var mcChains = new Option<int>("--mc-chains") { Description = "Monte-Carlo chains per β node", DefaultValueFactory = _ => 8 }.InRange(2, 1024);
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
            var bp = new BpOptions(parse.GetValue(damping), parse.GetValue(tolerance), parse.GetValue(maxIterations)) { StallSweeps = parse.GetValue(stall) };
            var settings = new Settings(parse.GetValue(output)!, ReferenceChoice.Parse(parse.GetValue(inputs.Reference)!),
                new LandscapeSettings(xmin, xmax, parse.GetValue(points), bp, parse.GetValue(distanceStep), parse.GetValue(resolution), parse.GetValue(minimumJump)), parse.GetValue(iso), parse.GetValue(hcPoints), parse.GetValue(hcNodes),
                new MonteCarloOptions(Chains: parse.GetValue(mcChains), BurnInSweeps: 500, Samples: parse.GetValue(mcSweeps), Seed: parse.GetValue(seed)));
            var (models, references, scenario) = inputs.Resolve(parse, LandscapeOptions.SplitParts(parse.GetValue(parts)));
            return Run(settings, models, references, scenario, parse.InvocationConfiguration.Output, new ConsoleProgress(parse.InvocationConfiguration.Error, parse.GetValue(CliApp.Quiet)));
        });
        return command;
    }

    private static int Run(Settings settings, IReadOnlyList<PartModel> models, ReferenceSource source, string scenario, TextWriter output, IProgress<ProgressReport> progress)
    {
        // One reference for every part: chosen by the first part's ranking (published: the file's energy column).
        var reference = source.Select(models[0], settings.Reference)[0];
        var iso = new Dictionary<string, IReadOnlyList<IsoEnergyPoint>>();
        var heat = new Dictionary<string, IReadOnlyList<HeatCapacityCheck>>();
        var extra = new List<string>();
        // The parts' sweeps run together; the analyses that build on them follow part by part.
        var sweeps = EntropyLandscape.SweepAll(models.Select(p => new EntropyLandscape.SweepJob(p.Name, p.Model, reference.Slice(p.Part.Start, p.Part.Length))).ToArray(),
            settings.Sweep, "landscape", progress);
        foreach (var (part, sweep) in models.Zip(sweeps))
        {
            var sigma = reference.Slice(part.Part.Start, part.Part.Length);
            if (settings.IsoEnergyPoints > 0)
                iso[part.Name] = LandscapeAnalyses.IsoEnergyCurve(part.Model, sigma, sweep, settings.IsoEnergyPoints, new IsoEnergySettings(), progress);
            if (settings.HeatCapacityPoints > 0)
                heat[part.Name] = LandscapeAnalyses.HeatCapacityChecks(part.Model, sigma, sweep, settings.HeatCapacityPoints, settings.HeatCapacityNodes, settings.MonteCarlo, progress);
            var table = EnergyAccuracy.Evaluate(part.Model, part.Part, source.Select(part, new ReferenceChoice(ReferenceRank.Index, 0), int.MaxValue));
            var written = LandscapeReport.WriteEnergyAccuracy(Path.Combine(settings.Out, part.Name), $"{scenario} {part.Name}", table, EnergyAccuracy.Parameters(part.Model));
            extra.Add(written.Summary.TrimEnd());
        }
        var report = LandscapeReport.WriteSweeps(settings.Out, sweeps, $"{scenario}, {reference.Label}", iso, heat);
        output.Write(report.Summary);
        foreach (string line in extra) output.WriteLine(line);
        output.WriteLine($"wrote {report.Files.Count} files to {Path.GetFullPath(settings.Out)} (plus energy/accuracy and parameter histograms per part)");
        return CliApp.ExitOk;
    }
}
