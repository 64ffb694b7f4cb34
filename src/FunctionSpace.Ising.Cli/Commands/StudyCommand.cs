using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Studies;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi study width|double-descent|projection|frozen</c>: the training-side studies, each with a
/// quick preset (minutes here) and the full protocol; CSV + PNG into --out, a summary on stdout.
/// </summary>
internal static class StudyCommand
{
    private sealed record Common(StudyPreset Preset, string? Out, ulong Seed, string? DataDir, string? CacheDir, int? Seeds, int? TrainCount, int? Epochs);

    private sealed class CommonOptionSet
    {
        public readonly Option<string> Preset = new("--preset") { Description = "quick (minutes on two cores) or paper (the study's protocol)", DefaultValueFactory = _ => "quick", HelpName = "quick|paper" };
        public readonly Option<string?> Out = new("--out", "-o") { Description = "Output folder [default: models/studies/<study>]" };
        public readonly Option<ulong> Seed = CommonOptions.Seed();
        public readonly Option<string?> DataDir = CommonOptions.DataDir();
        public readonly Option<string?> CacheDir = CommonOptions.CacheDir();
        public readonly Option<int?> Seeds = new Option<int?>("--networks") { Description = "Networks trained per point (each from its own seed) [default: from the preset]" }.WithHiddenAlias("--seeds");
        public readonly Option<int?> TrainCount = new("--train-count") { Description = "Training examples (0 = all) [default: from the preset]" };
        public readonly Option<int?> Epochs = new Option<int?>("--epochs") { Description = "Training epochs (mean-field) [default: from the preset]" }
            .InRange(1, Training.MeanFieldOptions.MaxEpochs);

        // "full" is accepted as another name of paper, so existing scripts keep working; help offers quick and paper.
        public CommonOptionSet() => Preset.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.Tokens[^1].Value is not ("quick" or "paper" or "full"))
                result.AddError($"--preset: '{result.Tokens[^1].Value}' is not quick or paper");
        });

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[] { Preset, Out, Seed, DataDir, CacheDir, Seeds, TrainCount, Epochs }) command.Options.Add(option);
        }

        public Common Read(ParseResult parse) => new(parse.GetValue(Preset) is "paper" or "full" ? StudyPreset.Paper : StudyPreset.Quick, parse.GetValue(Out), parse.GetValue(Seed), parse.GetValue(DataDir),
            parse.GetValue(CacheDir), parse.GetValue(Seeds), parse.GetValue(TrainCount), parse.GetValue(Epochs));
    }

    public static Command Create()
    {
        var command = new Command("study", "Training-side studies: deep vs shallow vs width, double descent (real vs binary weights), weight-space projection, frozen interior");
        command.Subcommands.Add(Width());
        command.Subcommands.Add(DoubleDescent());
        command.Subcommands.Add(Projection());
        command.Subcommands.Add(Frozen());
        return command;
    }

    private static Option<string?> WidthsOption() => new("--widths") { Description = "Comma-separated hidden widths H [default: from the preset]" };

    private static Command Width()
    {
        var common = new CommonOptionSet();
        var widths = WidthsOption();
        var samples = new Option<int?>("--samples") { Description = "Binary configurations sampled per trained network [default: from the preset]" };
        var command = new Command("width", "Deep 20-H-H-10 vs shallow 20-10 vs H, mean-field training (Appendix G): width.csv, width.png");
        common.AddTo(command);
        command.Options.Add(widths);
        command.Options.Add(samples);
        command.SetAction(parse =>
        {
            var c = common.Read(parse);
            var s = WidthStudySettings.For(c.Preset, c.Seed);
            s = s with
            {
                HiddenWidths = ParseWidths(parse.GetValue(widths)) ?? s.HiddenWidths,
                Seeds = c.Seeds ?? s.Seeds,
                TrainCount = c.TrainCount ?? s.TrainCount,
                SamplesPerNetwork = parse.GetValue(samples) ?? s.SamplesPerNetwork,
                Training = s.Training with { Epochs = c.Epochs ?? s.Training.Epochs },
            };
            return Execute(parse, c, s.Validate, "width", "width study", s.Dimension, s.TrainCount, s.TestCount,
                (data, progress) => WidthStudy.Run(data, s, progress), WidthStudy.Write, WidthStudy.Summary);
        });
        return command;
    }

    private static Command DoubleDescent()
    {
        var common = new CommonOptionSet();
        var widths = WidthsOption();
        var dimension = new Option<int?>("--components", "-k") { Description = "Input width: principal components kept, or 784 for the raw pixels [default: from the preset]" }.WithHiddenAlias("--dimension", "-D");
        var tasks = new Option<string?>("--tasks") { Description = "Comma-separated: ten-class, parity [default: from the preset]" };
        var realEpochs = new Option<int?>("--real-epochs") { Description = "Epoch cap of real-valued training [default: from the preset]" };
        var realLr = new Option<double?>("--real-lr") { Description = "Learning rate of real-valued training [default: from the preset]" };
        var optimizer = new Option<string?>("--real-optimizer") { Description = "adam or sgd [default: from the preset, adam]" };
        optimizer.AcceptOnlyFromAmong("adam", "sgd");
        var realOnly = new Option<bool>("--real-only") { Description = "Skip the binary (mean-field) networks" };
        var command = new Command("double-descent", "Train/test error vs parameters/examples for D-H-H-C, real vs binary weights, ten-class and parity (Appendix F): double_descent.csv, double_descent_<task>.png");
        common.AddTo(command);
        foreach (Option o in new Option[] { widths, dimension, tasks, realEpochs, realLr, optimizer, realOnly }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var c = common.Read(parse);
            var s = DoubleDescentSettings.For(c.Preset, c.Seed);
            var real = s.Real with
            {
                MaxEpochs = parse.GetValue(realEpochs) ?? s.Real.MaxEpochs,
                LearningRate = parse.GetValue(realLr) ?? s.Real.LearningRate,
                Optimizer = parse.GetValue(optimizer) switch { "sgd" => RealOptimizer.Sgd, "adam" => RealOptimizer.Adam, _ => s.Real.Optimizer },
            };
            s = s with
            {
                HiddenWidths = ParseWidths(parse.GetValue(widths)) ?? s.HiddenWidths,
                Dimension = parse.GetValue(dimension) ?? s.Dimension,
                Tasks = ParseTasks(parse.GetValue(tasks)) ?? s.Tasks,
                Seeds = c.Seeds ?? s.Seeds,
                TrainCount = c.TrainCount ?? s.TrainCount,
                Real = real,
                Binary = s.Binary with { Epochs = c.Epochs ?? s.Binary.Epochs },
                IncludeBinary = !parse.GetValue(realOnly),
            };
            return Execute(parse, c, s.Validate, "double-descent", "double descent", s.Dimension, s.TrainCount, s.TestCount,
                (data, progress) => DoubleDescentStudy.Run(data, s, progress), DoubleDescentStudy.Write, DoubleDescentStudy.Summary);
        });
        return command;
    }

    private static Command Projection()
    {
        var common = new CommonOptionSet();
        var networks = new Option<int?>("--networks") { Description = "Networks trained from random initial configurations [default: from the preset]" };
        var samples = new Option<int?>("--samples") { Description = "Trained configurations sampled per network [default: from the preset]" };
        var ensemble = new Option<string?>("--ensemble") { Description = "Also embed the configurations of this ensemble file (from fsi collect)" };
        var limit = new Option<int?>("--ensemble-limit") { Description = "At most this many ensemble configurations [default: from the preset]" };
        var command = new Command("projection", "2-D PCA embedding of trained ±1 configurations with the random initial ones (Fig. 2b): projection.csv, projection.png");
        common.AddTo(command);
        foreach (Option o in new Option[] { networks, samples, ensemble, limit }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var c = common.Read(parse);
            var s = ProjectionSettings.For(c.Preset, c.Seed);
            s = s with
            {
                Networks = parse.GetValue(networks) ?? c.Seeds ?? s.Networks,
                SamplesPerNetwork = parse.GetValue(samples) ?? s.SamplesPerNetwork,
                TrainCount = c.TrainCount ?? s.TrainCount,
                Training = s.Training with { Epochs = c.Epochs ?? s.Training.Epochs },
                EnsemblePath = parse.GetValue(ensemble),
                EnsembleLimit = parse.GetValue(limit) ?? s.EnsembleLimit,
            };
            return Execute(parse, c, s.Validate, "projection", "projection", s.Architecture.Widths[0], s.TrainCount, s.TestCount,
                (data, progress) => ProjectionStudy.Run(data, s, progress), ProjectionStudy.Write, ProjectionStudy.Summary);
        });
        return command;
    }

    private static Command Frozen()
    {
        var common = new CommonOptionSet();
        var checkpoints = new Option<string?>("--checkpoints") { Description = "Comma-separated checkpoint epochs (ascending; --epochs N means 1..N) [default: from the preset]" };
        var arch = new Option<string?>("--architecture") { Description = "Architecture with at least two hidden layers [default: from the preset, 20-15-15-10]" }.WithHiddenAlias("--arch");
        var command = new Command("frozen", "Accuracy vs epoch and training time: normal training vs hidden-to-hidden weights frozen at random ±1: frozen.csv, frozen.png");
        common.AddTo(command);
        command.Options.Add(checkpoints);
        command.Options.Add(arch);
        command.SetAction(parse =>
        {
            var c = common.Read(parse);
            var s = FrozenStudySettings.For(c.Preset, c.Seed);
            int[]? epochs = ParseWidths(parse.GetValue(checkpoints), "--checkpoints") ?? (c.Epochs is { } e ? Enumerable.Range(1, Math.Max(e, 1)).ToArray() : null);
            s = s with
            {
                Architecture = parse.GetValue(arch) is { } a ? Architecture.Parse(a) : s.Architecture,
                Epochs = epochs ?? s.Epochs,
                Seeds = c.Seeds ?? s.Seeds,
                TrainCount = c.TrainCount ?? s.TrainCount,
            };
            return Execute(parse, c, s.Validate, "frozen", "frozen interior", s.Architecture.Widths[0], s.TrainCount, s.TestCount,
                (data, progress) => FrozenInteriorStudy.Run(data, s, progress), FrozenInteriorStudy.Write, FrozenInteriorStudy.Summary);
        });
        return command;
    }

    private static string OutDir(Common c, string name) => c.Out ?? Path.Combine("models", "studies", name);

    // Loads the data, runs the study, writes its files and prints its summary: the one path every study takes.
    private static int Execute<TResult>(ParseResult parse, Common c, Action validate, string name, string title, int dimension, int trainCount, int testCount,
        Func<StudyData, IProgress<ProgressReport>, TResult> run, Action<TResult, string> write, Func<TResult, StudySummary> summary)
    {
        validate();  // before the data load, which takes a while
        var output = parse.InvocationConfiguration.Output;
        var clock = Stopwatch.StartNew();
        var data = StudyData.Load(c.DataDir, c.CacheDir, dimension, trainCount, testCount, c.Seed);
        var result = run(data, Progress(parse));
        string dir = OutDir(c, name);
        write(result, dir);
        var report = summary(result);
        output.WriteLine($"{title} ({c.Preset.ToString().ToLowerInvariant()}), seed {c.Seed}: {data.Source}; {report.Details}");
        foreach (string line in report.Lines) output.WriteLine(line);
        output.WriteLine($"  wrote {Path.Combine(dir, report.Files[0])}, {string.Join(", ", report.Files.Skip(1))}  ({clock.Elapsed.TotalSeconds:F0} s)");
        return CliApp.ExitOk;
    }

    private static ConsoleProgress Progress(ParseResult parse) =>
        new(parse.InvocationConfiguration.Error, parse.GetValue(CliApp.Quiet));

    private static int[]? ParseWidths(string? text, string option = "--widths")
    {
        if (text is null) return null;
        var values = new List<int>();
        foreach (string field in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(field, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < 1)
                throw new InputException($"{option}: '{field}' is not a positive integer");
            values.Add(v);
        }
        if (values.Count == 0) throw new InputException($"{option}: empty list");
        return values.ToArray();
    }

    private static StudyTask[]? ParseTasks(string? text)
    {
        if (text is null) return null;
        var tasks = new List<StudyTask>();
        foreach (string field in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            tasks.Add(field switch
            {
                "ten-class" => StudyTask.TenClass,
                "parity" => StudyTask.Parity,
                _ => throw new InputException($"--tasks: '{field}' is not one of ten-class, parity"),
            });
        if (tasks.Count == 0) throw new InputException("--tasks: empty list");
        return tasks.Distinct().ToArray();
    }
}
