using System.CommandLine;
using System.Globalization;
using FunctionSpace.Ising.Pipeline;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi run</c>: the main job end to end (collect → moments → fits → landscapes → TAP/dynamics → report).
/// Values come from the preset, then the --config file, then explicit options (last wins); the resolved
/// configuration is written to config.json and manifest.json.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset")
        {
            Description = "standard (the sized default: fits at the data's noise floor, halves that agree), quick (a smoke test of every stage) or paper (the study's scale: one network per published configuration)",
            DefaultValueFactory = _ => RunConfig.KnownPresets[0],
        };
        preset.AcceptOnlyFromAmong(RunConfig.KnownPresets);
        var scenario = new Option<string?>("--scenario") { Description = "under, over, shallow, a comma list, or all [default: under,shallow]" };
        var config = new Option<string?>("--config") { Description = "A run configuration (JSON, e.g. a previous run's config.json); options given here override it" };
        var name = new Option<string?>("--name") { Description = "Run name: the directory under --runs-dir [default: the preset name]" };
        var runsDir = new Option<string?>("--runs-dir") { Description = "Where run directories go [default: models/runs in the repository, or in the current directory]" };
        var seed = new Option<ulong?>("--seed") { Description = "Master seed of every random draw [default: from --preset]" };
        var dataDir = CommonOptions.DataDir();
        var components = new Option<int?>("--components", "-k") { Description = "PCA components (the network input width) [default: from --preset]" };
        var cacheDir = CommonOptions.CacheDir();
        var networks = new Option<int?>("--networks") { Description = "Networks trained per scenario [default: from --preset]" };
        var samples = new Option<int?>("--samples") { Description = "Configurations sampled from each network [default: from --preset]" };
        var threshold = new Option<double?>("--threshold") { Description = "Minimal test accuracy of a kept configuration [default: from --preset]" };
        var epochs = new Option<int?>("--epochs") { Description = "Training epochs [default: from --preset]" };
        var method = FitCommand.MethodOption<string?>();
        method.Description += " [default: from --preset]";
        var fitSteps = new Option<int?>("--fit-max-iterations") { Description = "Cap on learning steps per part [default: from --preset]" }.WithHiddenAlias("--fit-steps");
        var points = new Option<int?>("--points") { Description = "Points per landscape sweep direction [default: from --preset]" };
        var xRange = new Option<string?>("--x-range") { Description = "Coupling-field range of the sweeps, MIN:MAX [default: from --preset]" };
        var tapStarts = new Option<int?>("--tap-starts") { Description = "Random starts of the TAP census (0: skip) [default: from --preset]" };
        var dynamicsSweeps = new Option<int?>("--dynamics-sweeps") { Description = "Metropolis sweeps of the dynamics (0: skip) [default: from --preset]" };
        var fromEnsembles = new Option<string[]>("--from-ensembles")
        {
            Description = "Start from these ensemble files (e.g. the shards of `fsi collect --shard i/n`) instead of collecting; they are merged exactly",
            AllowMultipleArgumentsPerToken = true,
        };
        var threads = CollectCommand.ThreadsOption();
        var allowMissing = MomentsCommand.AllowMissingShardsOption();
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Print the resolved configuration (as config.json would hold it) and every stage, cached or to run; compute and write nothing",
        };

        var command = new Command("run", "The main job: collect weight samples, fit effective models per sub-network, entropy landscapes, TAP, dynamics, report.md")
        {
            preset, scenario, config, name, runsDir, seed, dataDir, components, cacheDir, networks, samples, threshold, epochs,
            method, fitSteps, points, xRange, tapStarts, dynamicsSweeps, fromEnsembles, threads, allowMissing, dryRun,
        };
        command.SetAction(parse =>
        {
            string? configPath = parse.GetValue(config);
            RunConfig resolved = configPath != null
                ? RunConfig.Load(configPath)
                : RunConfig.FromPreset(parse.GetValue(preset)!, RunConfig.ParseScenarios(parse.GetValue(scenario) ?? "under,shallow"));
            if (configPath != null && parse.GetValue(scenario) is { } s) resolved = resolved with { Scenarios = RunConfig.ParseScenarios(s) };
            var (xMin, xMax) = ParseRange(parse.GetValue(xRange), resolved.Landscape.XMin, resolved.Landscape.XMax);
            string[]? shards = parse.GetValue(fromEnsembles) is { Length: > 0 } f ? f.Select(Path.GetFullPath).ToArray() : resolved.FromEnsembles;
            resolved = resolved with
            {
                Name = parse.GetValue(name) ?? resolved.Name,
                Seed = parse.GetValue(seed) ?? resolved.Seed,
                DataDir = parse.GetValue(dataDir) is { } d ? Path.GetFullPath(d) : resolved.DataDir,
                Components = parse.GetValue(components) ?? resolved.Components,
                FromEnsembles = shards,
                AllowMissingShards = parse.GetValue(allowMissing) || resolved.AllowMissingShards,
                Collect = resolved.Collect with
                {
                    Networks = parse.GetValue(networks) ?? resolved.Collect.Networks,
                    Samples = parse.GetValue(samples) ?? resolved.Collect.Samples,
                    Threshold = parse.GetValue(threshold) ?? resolved.Collect.Threshold,
                    Epochs = parse.GetValue(epochs) ?? resolved.Collect.Epochs,
                },
                Fit = resolved.Fit with
                {
                    Method = parse.GetValue(method) ?? resolved.Fit.Method,
                    MaxIterations = parse.GetValue(fitSteps) ?? resolved.Fit.MaxIterations,
                },
                Landscape = resolved.Landscape with
                {
                    Points = parse.GetValue(points) ?? resolved.Landscape.Points,
                    XMin = xMin,
                    XMax = xMax,
                    TapStarts = parse.GetValue(tapStarts) ?? resolved.Landscape.TapStarts,
                    DynamicsSweeps = parse.GetValue(dynamicsSweeps) ?? resolved.Landscape.DynamicsSweeps,
                },
            };
            resolved = RunInputs.WithEnsembleScenarios(resolved,
                parse.GetValue(scenario) is { } named ? RunConfig.ParseScenarios(named) : null, parse.InvocationConfiguration.Error);
            resolved.Validate();
            string root = parse.GetValue(runsDir) ?? DefaultRunsDirectory();
            string directory = Path.Combine(root, resolved.Name);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(dryRun))
            {
                PrintPlan(output, resolved, Path.GetFullPath(directory), RunPipeline.Plan(resolved, directory, parse.GetValue(cacheDir)));
                return CliApp.ExitOk;
            }
            CollectCommand.ApplyThreads(parse.GetValue(threads));
            output.WriteLine($"fsi run: preset {resolved.Preset}, scenarios {string.Join(",", RunPipeline.Scenarios(resolved))}, seed {resolved.Seed} → {Path.GetFullPath(directory)}");
            var progress = new ConsoleProgress(Console.Error, parse.GetValue(CliApp.Quiet));
            var result = RunPipeline.Run(resolved, directory, parse.GetValue(cacheDir), output, progress);
            progress.Finish();
            int ran = result.Stages.Count(s => s.Outcome == StageOutcome.Ran);
            output.WriteLine($"{ran} of {result.Stages.Count} stages ran ({result.Stages.Count - ran} unchanged); report: {result.ReportPath}");
            return CliApp.ExitOk;
        });
        return command;
    }

    // The configuration JSON first (it can be saved and passed back with --config), then one line per stage.
    private static void PrintPlan(TextWriter output, RunConfig config, string directory, IReadOnlyList<PlannedStage> plan)
    {
        output.WriteLine(config.ToJson().TrimEnd());
        output.WriteLine($"stages in {directory}:");
        int width = plan.Max(p => p.Name.Length);
        foreach (var stage in plan) output.WriteLine($"  {stage.Name.PadRight(width)}  {(stage.Cached ? "cached" : "would run")}");
        output.WriteLine($"{plan.Count(p => !p.Cached)} of {plan.Count} stages would run; nothing was written (dry run)");
    }

    private static (double Min, double Max) ParseRange(string? text, double min, double max)
    {
        if (text is null) return (min, max);
        var parts = text.Split(':');
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double a)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double b) && a < b)
            return (a, b);
        throw new InputException($"--x-range: '{text}' is not MIN:MAX with MIN < MAX");
    }

    // models/runs of the repository the command runs in (found by its solution file), else of the current directory.
    private static string DefaultRunsDirectory()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FunctionSpace.Ising.sln")))
                return Path.Combine(dir.FullName, "models", "runs");
        return Path.Combine("models", "runs");
    }
}
