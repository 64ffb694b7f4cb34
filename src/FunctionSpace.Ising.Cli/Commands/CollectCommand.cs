using System.CommandLine;
using System.Globalization;
using FunctionSpace.Ising.Benchmarks;
using FunctionSpace.Ising.Data;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi collect</c>: train mean-field binary networks in batches, sample configurations, keep those that
/// pass the test-accuracy threshold, and stream them into an ensemble file (resumable, shardable).
/// </summary>
internal static class CollectCommand
{
    /// <summary>
    /// A training default as help shows it, read from the scenarios' settings so that it cannot drift from them: the
    /// under-para value, and where another scenario differs, "X for over".
    /// </summary>
    internal static string ScenarioDefault<T>(Func<CollectionSettings, T> pick) where T : IFormattable
    {
        string Text(string scenario) => pick(CollectionSettings.ForScenario(scenario, "")).ToString(null, System.Globalization.CultureInfo.InvariantCulture)
            .Replace("E-0", "e-", StringComparison.Ordinal).Replace("E+0", "e", StringComparison.Ordinal);
        string under = Text("under");
        var others = new[] { "over", "shallow" }.Where(s => Text(s) != under).Select(s => $"{Text(s)} for {s}");
        return string.Join("; ", others.Prepend(under));
    }

    public static Command Create()
    {
        var dataDir = CommonOptions.DataDir();
        var components = CommonOptions.Components();
        var cacheDir = CommonOptions.CacheDir();
        var seed = CommonOptions.Seed();
        var scenario = new Option<string>("--scenario") { Description = "under (60k images, 20-15-15-10), over (first 500 images, batch 100), shallow (60k, 20-10)", DefaultValueFactory = _ => "under" };
        scenario.AcceptOnlyFromAmong("under", "over", "shallow");
        var output = new Option<string>("--out", "-o") { Description = "Output file: the ensemble (.fsie)", Required = true };
        var defaults = CollectionSettings.ForScenario("under", "");
        var networks = new Option<int>("--networks") { Description = "Networks to train (all shards together)", DefaultValueFactory = _ => defaults.Networks };
        var samples = new Option<int>("--samples") { Description = "Configurations sampled from each trained network", DefaultValueFactory = _ => defaults.Samples };
        var threshold = new Option<double>("--threshold") { Description = "Minimal test accuracy of a kept configuration", DefaultValueFactory = _ => defaults.Threshold };
        var selection = new Option<string>("--select") { Description = "all: every sample above threshold; best: each network's best sample", DefaultValueFactory = _ => "all" };
        selection.AcceptOnlyFromAmong("all", "best");
        var block = new Option<int>("--block") { Description = "Networks trained together as one batch (one chunk, the unit of resume and sharding)", DefaultValueFactory = _ => defaults.BlockSize };
        var epochs = new Option<int?>("--epochs") { Description = $"Training epochs [default: {ScenarioDefault(c => c.Training.Epochs)}]" };
        var learningRate = new Option<double?>("--learning-rate") { Description = $"Adam learning rate [default: {ScenarioDefault(c => c.Training.LearningRate)}]" };
        var batchSize = new Option<int?>("--batch-size") { Description = $"Mini-batch size [default: {ScenarioDefault(c => c.Training.BatchSize)}]" };
        var l2 = new Option<double?>("--l2") { Description = $"L2 coefficient γ added as γθ to the gradient [default: {ScenarioDefault(c => c.Training.L2)}]" };
        var initStd = new Option<double?>("--init-std") { Description = $"Standard deviation of the θ initialisation [default: {ScenarioDefault(c => c.Training.InitStd)}]" };
        var trainCount = new Option<int?>("--train-count") { Description = $"Training images used, the first ones [default: {ScenarioDefault(c => c.TrainCount)}]" };
        var freeze = new Option<bool>("--freeze-interior") { Description = "Freeze hidden-to-hidden weights at random ±1 (θ = ±10), untrained (study Sec. IV.6)" };
        var canonical = new Option<bool>("--canonicalize") { Description = "Order hidden nodes by descending mean pre-activation on one digit's test images (Appendix J)" };
        var canonicalDigit = new Option<int>("--canonical-digit") { Description = "Digit whose test images define the node order", DefaultValueFactory = _ => 0 };
        var symmetric = new Option<double>("--symmetric-fraction") { Description = "Fraction of the ensemble made of random hidden-node permutations of kept configurations", DefaultValueFactory = _ => 0.0 };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted --out file (keeps its whole chunks, reruns the rest)" };
        var shard = new Option<string>("--shard") { Description = "i/n: collect only blocks b with b mod n = i (merge the shards with fsi ensemble merge)", DefaultValueFactory = _ => "0/1" };
        var summaryDir = new Option<string?>("--summary-dir")
        {
            Description = "Also write collect.json (sizes, effective sample size, overlaps, accuracies) and the accuracy histogram there, as fsi run's collect stage does",
        };
        var created = new Option<string?>("--created") { Description = "Creation time recorded in the header (ISO 8601, or unix seconds) [default: $SOURCE_DATE_EPOCH, else now]" };

        var threads = ThreadsOption();
        var command = new Command("collect", "Train mean-field binary networks in batches, sample and select weight configurations, write an ensemble file")
        {
            dataDir, components, cacheDir, seed, scenario, output, networks, samples, threshold, selection, block, epochs, learningRate,
            batchSize, l2, initStd, trainCount, freeze, canonical, canonicalDigit, symmetric, resume, shard, created, summaryDir, threads,
        };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(scenario)!;
            var scenarioDefaults = CollectionSettings.ForScenario(name, parse.GetValue(output)!, parse.GetValue(components));
            var t = scenarioDefaults.Training;
            var training = t with
            {
                Epochs = parse.GetValue(epochs) ?? t.Epochs,
                LearningRate = parse.GetValue(learningRate) ?? t.LearningRate,
                BatchSize = parse.GetValue(batchSize) ?? t.BatchSize,
                L2 = parse.GetValue(l2) ?? t.L2,
                InitStd = parse.GetValue(initStd) ?? t.InitStd,
                FreezeInterior = parse.GetValue(freeze),
            };
            var (shardIndex, shardCount) = ParseShard(parse.GetValue(shard)!);
            var settings = scenarioDefaults with
            {
                Training = training,
                TrainCount = parse.GetValue(trainCount) ?? scenarioDefaults.TrainCount,
                Networks = parse.GetValue(networks),
                Samples = parse.GetValue(samples),
                Threshold = parse.GetValue(threshold),
                Selection = parse.GetValue(selection) == "best" ? SelectionMode.Best : SelectionMode.All,
                Seed = parse.GetValue(seed),
                BlockSize = parse.GetValue(block),
                CreatedUtc = CreationTime(parse.GetValue(created)),
                Resume = parse.GetValue(resume),
                ShardIndex = shardIndex,
                ShardCount = shardCount,
                Canonicalize = parse.GetValue(canonical),
                CanonicalDigit = parse.GetValue(canonicalDigit),
                SymmetricFraction = parse.GetValue(symmetric),
            };
            settings.ValidateSizes();   // before the data are loaded, and long before the file is created
            IO.OutputTarget.Resolve(settings.OutputPath);
            string? summaryDirectory = parse.GetValue(summaryDir);
            if (summaryDirectory != null && File.Exists(summaryDirectory)) throw new InputException($"--summary-dir: {summaryDirectory} is a file, not a directory");
            ApplyThreads(parse.GetValue(threads));
            var data = DatasetLoader.Load(parse.GetValue(dataDir), settings.Architecture.Widths[0], parse.GetValue(cacheDir)).Reduced;
            var progress = new ConsoleProgress(Console.Error, parse.GetValue(CliApp.Quiet));
            var result = EnsembleCollection.Run(settings, data, progress, CancellationToken.None);
            progress.Finish();
            if (summaryDirectory != null) CollectionReports.Write(CollectionReports.Of(settings, result), summaryDirectory);
            WriteSummary(parse.InvocationConfiguration.Output, settings, result);
            return CliApp.ExitOk;
        });
        return command;
    }

    internal static Option<int?> ThreadsOption() => new Option<int?>("--threads")
    {
        Description = "Torch intra-op threads; 1 is faster when the cores are shared with other work [default: torch's choice, one per core]",
    }.InRange(1, 1024);

    internal static void ApplyThreads(int? threads)
    {
        if (threads is int t) TorchSharp.torch.set_num_threads(t);
    }

    internal static (int Index, int Count) ParseShard(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int i) && int.TryParse(parts[1], out int n) && n >= 1 && i >= 0 && i < n)
            return (i, n);
        throw new InputException($"--shard: '{text}' is not i/n with 0 <= i < n");
    }

    internal static DateTime CreationTime(string? text)
    {
        text ??= Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        if (text == null) return new DateTime(DateTime.UtcNow.Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
            return DateTime.UnixEpoch.AddSeconds(seconds);
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time))
            return DateTime.SpecifyKind(time, DateTimeKind.Utc);
        throw new InputException($"--created: '{text}' is neither unix seconds nor an ISO 8601 time");
    }

    internal static void WriteSummary(TextWriter output, CollectionSettings settings, CollectionResult result)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine($"ensemble: {Path.GetFullPath(settings.OutputPath)}");
        output.WriteLine($"  scenario {settings.Scenario}, network {settings.Architecture}, {settings.TrainCount} training images, " +
                         $"{settings.Training.Epochs} epochs, lr {settings.Training.LearningRate.ToString(c)}, batch {settings.Training.BatchSize}" +
                         (settings.Training.FreezeInterior ? ", interior frozen" : ""));
        output.WriteLine($"  shard {settings.ShardIndex}/{settings.ShardCount}: {result.BlocksRun} blocks trained ({result.NetworksTrained} networks), {result.BlocksResumed} blocks already in the file");
        if (result.DivergedNetworks > 0) output.WriteLine($"  warning: {result.DivergedNetworks} networks diverged (non-finite loss)");
        output.WriteLine($"  configurations: {result.ConfigurationsEvaluated} evaluated this run, {result.ConfigurationsKept} in the file " +
                         $"(threshold {settings.Threshold.ToString(c)}, select {settings.Selection.ToString().ToLowerInvariant()}" +
                         (settings.Canonicalize ? $", canonical by digit {settings.CanonicalDigit}" : "") +
                         (settings.SymmetricFraction > 0 ? $", symmetric fraction {settings.SymmetricFraction.ToString(c)}" : "") + ")");
        if (result.BestPerNetwork.Length > 0)
            output.WriteLine($"  best sampled accuracy per network: {CollectionReports.Describe(result.BestPerNetwork)}");
        if (result.KeptAccuracies.Length > 0)
            output.WriteLine($"  kept accuracies: {CollectionReports.Describe(result.KeptAccuracies)}");
        if (result.NetworksTrained > 0)
            output.WriteLine($"  throughput: training {result.TrainSeconds / result.NetworksTrained:F3} s/network ({result.NetworksTrained / result.TrainSeconds:F2} networks/s), " +
                             $"sampling+evaluation {result.ConfigurationsEvaluated / result.EvaluateSeconds:F0} configs/s");
        output.WriteLine($"  peak resident memory: {MachineState.PeakResidentMemory()}");
    }
}
