using System.CommandLine;
using FunctionSpace.Ising.Data;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Landscape;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary><c>fsi dynamics</c>: Metropolis dynamics on the fitted model from references; energy and test accuracy along the way (Fig. 9).</summary>
internal static class DynamicsCommand
{
    public static Command Create()
    {
        var inputs = new LandscapeOptions();
        var part = new Option<string>("--part") { Description = "Part FULL, LB, ITER or RB whose weights move (the others stay at the reference)" };
        var count = new Option<int>("--count") { Description = "Number of references (around the --reference rank, or consecutive from an index)", DefaultValueFactory = _ => 5 }.InRange(1, 100_000);
        var sweeps = new Option<int>("--sweeps") { Description = "Monte-Carlo sweeps per trajectory", DefaultValueFactory = _ => 200 }.InRange(1, 100_000_000);
        var every = new Option<int>("--record-every") { Description = "Record every this many sweeps", DefaultValueFactory = _ => 2 }.InRange(1, 100_000_000);
        var rule = SampleCommand.RuleOption().WithHiddenFlag("--heat-bath", "heat-bath");
        var dataDir = CommonOptions.DataDir();
        var components = CommonOptions.Components();
        var cacheDir = CommonOptions.CacheDir();
        var seed = CommonOptions.Seed();
        var output = LandscapeOptions.Out("dynamics-out");
        var command = new Command("dynamics", "Metropolis dynamics on the fitted model started at references: energy and test accuracy (mean ± std over references)");
        foreach (var o in inputs.All) command.Options.Add(o);
        foreach (Option o in new Option[] { part, count, sweeps, every, rule, dataDir, components, cacheDir, seed, output }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var settings = new DynamicsSettings(parse.GetValue(sweeps), parse.GetValue(every), parse.GetValue(seed),
                parse.GetValue(rule) == "heat-bath" ? MetropolisRule.HeatBath : MetropolisRule.Metropolis);
            settings.Validate();
            string? partName = parse.GetValue(part);
            var (models, source, scenario) = inputs.Resolve(parse, partName is null ? [] : [partName.ToUpperInvariant()]);
            var model = models[0];
            if (parse.GetValue(components) != model.Architecture.Widths[0])
                throw new InputException($"--components: {parse.GetValue(components)} but the {model.Architecture} network takes {model.Architecture.Widths[0]} inputs");
            var references = source.Select(model, ReferenceChoice.Parse(parse.GetValue(inputs.Reference)!), parse.GetValue(count));
            var data = DatasetLoader.Load(parse.GetValue(dataDir), parse.GetValue(components), parse.GetValue(cacheDir)).Reduced;
            var result = Dynamics.Run(model.Model, model.Part, model.Architecture, references, data.TestInputs, data.TestLabels, settings,
                new ConsoleProgress(parse.InvocationConfiguration.Error, parse.GetValue(CliApp.Quiet)));
            var report = LandscapeReport.WriteDynamics(parse.GetValue(output)!, $"{scenario} {model.Name}", result);
            parse.InvocationConfiguration.Output.Write(report.Summary);
            if (ReferenceAccuracyCheck.Warning(references, result) is { } mismatch)
            {
                parse.InvocationConfiguration.Output.WriteLine($"warning: {mismatch}");
                parse.InvocationConfiguration.Error.WriteLine($"fsi: warning: {mismatch}");
            }
            parse.InvocationConfiguration.Output.WriteLine($"wrote {report.Files.Count} files to {Path.GetFullPath(parse.GetValue(output)!)}");
            return CliApp.ExitOk;
        });
        return command;
    }
}
