using System.CommandLine;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Landscape;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary><c>fsi tap</c>: TAP fixed points from many random starts (damped where the plain iteration fails); histogram of their free energies and its peak count.</summary>
internal static class TapCommand
{
    public static Command Create()
    {
        var inputs = new LandscapeOptions();
        var part = new Option<string>("--part") { Description = "Part FULL, LB, ITER or RB [default: the first part with a model]" };
        var starts = new Option<int>("--starts") { Description = "Random initial magnetisation vectors", DefaultValueFactory = _ => 1000 }.InRange(1, 10_000_000);
        var bins = new Option<int>("--bins") { Description = "Histogram bins", DefaultValueFactory = _ => 40 }.InRange(1, 100_000);
        var damping = LandscapeOptions.Damping(0);
        var tolerance = LandscapeOptions.Tolerance(1e-9);
        var maxIterations = LandscapeOptions.MaxIterations(10000);
        var stall = new Option<int>("--stall-iterations") { Description = "First pass: hand a start to the next damping after this many iterations without a new low of its change (scaled by 1/(1 − damping) in later passes; 0 = run to the cap)", DefaultValueFactory = _ => TapCensusSettings.DefaultStallIterations }.InRange(0, 10_000_000);
        var fallback = new Option<string>("--fallback-dampings") { Description = "Dampings tried in turn on the starts not yet converged (comma-separated, or none)", DefaultValueFactory = _ => "0.5,0.8,0.95" };
        var seed = CommonOptions.Seed();
        var output = LandscapeOptions.Out("tap-out");
        var command = new Command("tap", "TAP free-energy census: TAP iterations from random starts, histogram of the converged free energies, number of peaks");
        foreach (var o in inputs.All.Where(o => o != inputs.Reference)) command.Options.Add(o);
        foreach (Option o in new Option[] { part, starts, bins, damping, tolerance, maxIterations, stall, fallback, seed, output }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var settings = new TapCensusSettings(parse.GetValue(starts), parse.GetValue(seed),
                new TapOptions(parse.GetValue(damping), parse.GetValue(tolerance), parse.GetValue(maxIterations)) { StallIterations = parse.GetValue(stall) }, parse.GetValue(bins))
            {
                FallbackDampings = ParseDampings(parse.GetValue(fallback)!),
            };
            string? partName = parse.GetValue(part);
            var (models, _, scenario) = inputs.Resolve(parse, partName is null ? [] : [partName.ToUpperInvariant()]);
            var model = models[0];
            var census = TapLandscape.Run(model.Model, settings, new ConsoleProgress(parse.InvocationConfiguration.Error, parse.GetValue(CliApp.Quiet)));
            var report = LandscapeReport.WriteTap(parse.GetValue(output)!, $"{scenario} {model.Name}", census);
            parse.InvocationConfiguration.Output.Write(report.Summary);
            parse.InvocationConfiguration.Output.WriteLine($"wrote {report.Files.Count} files to {Path.GetFullPath(parse.GetValue(output)!)}");
            return CliApp.ExitOk;
        });
        return command;
    }

    private static double[] ParseDampings(string text)
    {
        if (text.Trim() == "none") return [];
        var values = new List<double>();
        foreach (string field in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!double.TryParse(field, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d) || !(d >= 0 && d < 1))
                throw new InputException($"--fallback-dampings: '{field}' is not a damping in [0, 1) (e.g. 0.5,0.8,0.95 or none)");
            values.Add(d);
        }
        return values.ToArray();
    }
}
