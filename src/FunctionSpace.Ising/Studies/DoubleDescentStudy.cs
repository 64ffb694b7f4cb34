using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Reporting;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Studies;

/// <summary>Settings of the double-descent study (the study's Appendix F).</summary>
/// <param name="Dimension">Input dimension D: PCA components, or 784 for raw pixels.</param>
/// <param name="TrainCount">Training examples n (the denominator of parameters/examples).</param>
/// <param name="TestCount">Test examples (0 = all).</param>
/// <param name="HiddenWidths">Widths H of D-H-H-C.</param>
/// <param name="Tasks">Ten-class and/or parity.</param>
/// <param name="Seeds">Networks per width, task and weight type.</param>
/// <param name="Real">Real-valued training (Adam or SGD, no regularisation).</param>
/// <param name="Binary">Mean-field training of the binary networks.</param>
/// <param name="SamplesPerNetwork">Binary configurations sampled per trained binary network.</param>
/// <param name="IncludeBinary">Whether to train the binary networks too.</param>
/// <param name="Seed">Master seed.</param>
public sealed record DoubleDescentSettings(int Dimension, int TrainCount, int TestCount, int[] HiddenWidths, StudyTask[] Tasks, int Seeds,
    RealTrainingOptions Real, MeanFieldOptions Binary, int SamplesPerNetwork, bool IncludeBinary, ulong Seed)
{
    /// <summary>Minutes on two cores: D = 20, n = 400, H from 1 to 32 (parameters/examples 0.08–5), 2 seeds, both tasks; binary 40 epochs.</summary>
    public static DoubleDescentSettings Quick(ulong seed) =>
        new(20, 400, 2000, [1, 2, 3, 4, 6, 8, 12, 16, 24, 32], [StudyTask.TenClass, StudyTask.Parity], 2,
            new RealTrainingOptions(LearningRate: 0.02, BatchSize: 0, MaxEpochs: 800, CheckEvery: 20),
            new MeanFieldOptions(BatchSize: 100, Epochs: 40), 10, true, seed);

    /// <summary>Raw pixels (D = 784), n = 4000, H from 1 to 256, 5 seeds, both tasks.</summary>
    public static DoubleDescentSettings Full(ulong seed) =>
        new(784, 4000, 0, [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 64, 128, 256], [StudyTask.TenClass, StudyTask.Parity], 5,
            new RealTrainingOptions(LearningRate: 0.003, BatchSize: 0, MaxEpochs: 20000, CheckEvery: 50),
            new MeanFieldOptions(Epochs: 200), 50, true, seed);

    /// <summary>The settings of <paramref name="preset"/>: <see cref="Quick"/> or <see cref="Full"/>.</summary>
    public static DoubleDescentSettings For(StudyPreset preset, ulong seed) => preset == StudyPreset.Paper ? Full(seed) : Quick(seed);

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        if (HiddenWidths.Length == 0 || HiddenWidths.Any(h => h < 1)) throw new InputException($"--widths: '{string.Join(",", HiddenWidths)}' must be positive integers");
        if (Tasks.Length == 0) throw new InputException("--tasks: give at least one of ten-class, parity");
        if (Seeds is < 1 or > MeanFieldEvaluation.MaxNetworks) throw new InputException($"--networks: {Seeds} is outside 1..{MeanFieldEvaluation.MaxNetworks}");
        if (TrainCount < 1) throw new InputException($"--train-count: {TrainCount} must be at least 1 (double descent needs a fixed n)");
        if (SamplesPerNetwork < 1) throw new InputException($"--samples: {SamplesPerNetwork} must be at least 1");
    }

    /// <summary>Output units: 10 for ten classes; parity: 1 (hinge) for real weights, 2 (softmax) for binary weights.</summary>
    public static int Outputs(StudyTask task, bool binary) => task == StudyTask.TenClass ? 10 : binary ? 2 : 1;
}

/// <summary>One trained network of the double-descent study.</summary>
/// <param name="Task">ten-class or parity.</param>
/// <param name="Weights">"real" or "binary".</param>
/// <param name="Architecture">D-H-H-C.</param>
/// <param name="Hidden">H.</param>
/// <param name="Parameters">Number of weights.</param>
/// <param name="ParametersPerExample">Parameters / training examples.</param>
/// <param name="SeedIndex">Which seed.</param>
/// <param name="TrainError">Training error (binary: mean over sampled configurations).</param>
/// <param name="TestError">Test error (binary: mean over sampled configurations).</param>
/// <param name="MeanFieldTrainError">Binary only: training error of the mean-field prediction (NaN for real).</param>
/// <param name="MeanFieldTestError">Binary only: test error of the mean-field prediction (NaN for real).</param>
/// <param name="EpochsRun">Epochs trained.</param>
/// <param name="Stop">Why training stopped.</param>
public sealed record DoubleDescentRow(string Task, string Weights, string Architecture, int Hidden, int Parameters, double ParametersPerExample,
    int SeedIndex, double TrainError, double TestError, double MeanFieldTrainError, double MeanFieldTestError, int EpochsRun, string Stop);

/// <summary>Result of the double-descent study.</summary>
/// <param name="Rows">One row per trained network.</param>
/// <param name="Source">The data used.</param>
/// <param name="Settings">The settings.</param>
public sealed record DoubleDescentResult(IReadOnlyList<DoubleDescentRow> Rows, string Source, DoubleDescentSettings Settings)
{
    /// <summary>Rows of one task and weight type grouped by H, in increasing H: (H, parameters/example, train error, test error).</summary>
    public IReadOnlyList<(int Hidden, double Ratio, MeanSpread Train, MeanSpread Test)> Curve(string task, string weights) =>
        Rows.Where(r => r.Task == task && r.Weights == weights).GroupBy(r => r.Hidden).OrderBy(g => g.Key)
            .Select(g => (g.Key, g.First().ParametersPerExample, MeanSpread.Of(g.Select(r => r.TrainError)), MeanSpread.Of(g.Select(r => r.TestError))))
            .ToArray();

    /// <summary>
    /// Landmarks of a curve: the smallest H whose mean training error is zero (the interpolation threshold;
    /// null if never reached), and the largest rise of the mean test error above its running minimum over
    /// smaller H — the height of a double-descent bump (0 when the test error only falls) — with the H
    /// where that rise peaks.
    /// </summary>
    public (int? InterpolationHidden, int BumpHidden, double BumpHeight) Landmarks(string task, string weights)
    {
        var curve = Curve(task, weights);
        if (curve.Count == 0) return (null, 0, 0);
        int? interpolation = curve.Where(c => c.Train.Mean == 0).Select(c => (int?)c.Hidden).FirstOrDefault();
        double runningMin = double.PositiveInfinity, bump = 0;
        int bumpHidden = curve[0].Hidden;
        foreach (var point in curve)
        {
            if (point.Test.Mean - runningMin > bump) { bump = point.Test.Mean - runningMin; bumpHidden = point.Hidden; }
            runningMin = Math.Min(runningMin, point.Test.Mean);
        }
        return (interpolation, bumpHidden, bump);
    }
}

/// <summary>
/// Double descent (Zou &amp; Huang 2021, Appendix F; Belkin et al. 2019): D-H-H-C with H swept to vary the
/// parameters per training example; real weights trained by gradient descent to interpolation vs binary
/// weights trained by the mean-field rule; ten-class cross-entropy and parity (real: single-output hinge
/// loss; binary: two-class softmax, the mean-field trainer having no hinge loss).
/// </summary>
public static class DoubleDescentStudy
{
    /// <summary>Runs every task × weight type × width; progress in (task, type, width) units.</summary>
    public static DoubleDescentResult Run(StudyData data, DoubleDescentSettings settings, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        settings.Validate();
        var widths = settings.HiddenWidths.Distinct().Order().ToArray();
        int total = settings.Tasks.Length * (settings.IncludeBinary ? 2 : 1) * widths.Length, done = 0;
        var rows = new List<DoubleDescentRow>();
        foreach (var task in settings.Tasks)
        {
            string taskName = TaskName(task);
            var seeds = new SeedTree(settings.Seed).Child("double-descent").Child(taskName);
            byte[] binaryTrainLabels = task == StudyTask.Parity ? ParityTask.ClassLabels(data.TrainLabels) : data.TrainLabels;
            byte[] binaryTestLabels = task == StudyTask.Parity ? ParityTask.ClassLabels(data.TestLabels) : data.TestLabels;
            // Real weights: widths of similar size (max ≤ 8·min) and all their seeds in one batched, masked run each.
            foreach (var group in WidthGroups(widths))
            {
                ct.ThrowIfCancellationRequested();
                var real = seeds.Child("real");
                var archs = new List<Architecture>();
                var networkSeeds = new List<ulong>();
                foreach (int h in group)
                    for (int s = 0; s < settings.Seeds; s++)
                    {
                        archs.Add(new Architecture([data.Dimension, h, h, DoubleDescentSettings.Outputs(task, false)]));
                        networkSeeds.Add(real.Child("networks").Child(h).Child(s).Seed);
                    }
                int doneBefore = done;
                string label = $"{taskName} real H={string.Join(",", group)}";
                var inner = progress is null ? null : new RelabelledProgress(progress, v =>
                    new ProgressReport("double-descent", doneBefore, total, "runs", $"{label}: epoch {v.Done}/{v.Total}, {v.Detail}"));
                var trained = RealNetworkTrainer.TrainMany(archs, data.TrainInputs, data.TrainLabels, task, networkSeeds,
                    real.Child("training").Child(group[0]).Seed, settings.Real, inner, ct);
                for (int i = 0; i < archs.Count; i++)
                {
                    var arch = archs[i];
                    double test = RealNetworkTrainer.ErrorRates(arch, trained.Weights[i], 1, data.TestInputs, data.TestLabels, task)[0];
                    int epochs = trained.InterpolationEpochs[i] >= 0 ? trained.InterpolationEpochs[i] : trained.EpochsRun;
                    // Each network's own stop: the run goes on after a network has interpolated.
                    var stop = trained.InterpolationEpochs[i] >= 0 ? RealTrainingStops.ZeroTrainingError
                        : trained.Stop == RealTrainingStops.Diverged ? RealTrainingStops.Diverged : RealTrainingStops.EpochCap;
                    rows.Add(new DoubleDescentRow(taskName, "real", arch.ToString(), arch.Widths[1], arch.WeightCount,
                        (double)arch.WeightCount / data.TrainCount, i % settings.Seeds, trained.TrainErrors[i], test, double.NaN, double.NaN, epochs, stop.ToString()));
                }
                done += group.Length;
                progress?.Report(new ProgressReport("double-descent", done, total, "runs", $"{label}: {trained.InterpolationEpochs.Count(e => e >= 0)}/{archs.Count} interpolated"));
            }
            if (!settings.IncludeBinary) continue;
            foreach (int h in widths)
            {
                ct.ThrowIfCancellationRequested();
                var arch = new Architecture([data.Dimension, h, h, DoubleDescentSettings.Outputs(task, true)]);
                double ratio = (double)arch.WeightCount / data.TrainCount;
                var binary = seeds.Child("binary");
                var networkSeeds = Enumerable.Range(0, settings.Seeds).Select(s => binary.Child("networks").Child(h).Child(s).Seed).ToArray();
                var options = settings.Binary with { BatchSize = Math.Min(settings.Binary.BatchSize, data.TrainCount) };
                var trained = MeanFieldTrainer.Train(arch, data.TrainInputs, binaryTrainLabels, networkSeeds,
                    binary.Child("training").Child(h).Seed, options, null, ct);
                var scores = MeanFieldEvaluation.Score(arch, trained.Theta, networkSeeds.Length, data.TrainInputs, binaryTrainLabels,
                    data.TestInputs, binaryTestLabels, settings.SamplesPerNetwork, binary.Child("sampling").Child(h).Seed);
                for (int s = 0; s < networkSeeds.Length; s++)
                    rows.Add(new DoubleDescentRow(taskName, "binary", arch.ToString(), h, arch.WeightCount, ratio, s,
                        1 - scores[s].SampledTrainAccuracy, 1 - scores[s].SampledTestAccuracy,
                        1 - scores[s].MeanFieldTrainAccuracy, 1 - scores[s].MeanFieldTestAccuracy, trained.EpochsRun, trained.Stop.ToString()));
                string detail = $"{taskName} binary H={h}: train {1 - scores.Average(s => s.SampledTrainAccuracy):F3} test {1 - scores.Average(s => s.SampledTestAccuracy):F3}";
                progress?.Report(new ProgressReport("double-descent", ++done, total, "runs", detail));
            }
        }
        return new DoubleDescentResult(rows, data.Source, settings);
    }

    /// <summary>
    /// Splits ascending widths into consecutive groups whose largest is at most 8 times the smallest, so that
    /// padding every network of a group to its largest width costs little next to the per-step overhead a separate run would add (small networks are overhead-bound).
    /// </summary>
    public static IReadOnlyList<int[]> WidthGroups(IReadOnlyList<int> ascendingWidths)
    {
        var groups = new List<int[]>();
        var current = new List<int>();
        foreach (int h in ascendingWidths)
        {
            if (current.Count > 0 && h > 8 * current[0]) { groups.Add(current.ToArray()); current.Clear(); }
            current.Add(h);
        }
        if (current.Count > 0) groups.Add(current.ToArray());
        return groups;
    }

    /// <summary>"ten-class" or "parity".</summary>
    public static string TaskName(StudyTask task) => task == StudyTask.TenClass ? "ten-class" : "parity";

    /// <summary>Writes double_descent.csv and one PNG per task (train and test error vs parameters/examples, log x).</summary>
    public static void Write(DoubleDescentResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        string[] headers = ["task", "weights", "architecture", "hidden", "parameters", "parameters_per_example", "seed_index", "train_error", "test_error",
            "meanfield_train_error", "meanfield_test_error", "epochs_run", "stop", "train_examples", "master_seed"];
        CsvTable.Write(Path.Combine(directory, "double_descent.csv"), headers, result.Rows.Select(r => (IReadOnlyList<object?>)new object?[]
        {
            r.Task, r.Weights, r.Architecture, r.Hidden, r.Parameters, r.ParametersPerExample, r.SeedIndex, r.TrainError, r.TestError,
            double.IsNaN(r.MeanFieldTrainError) ? null : r.MeanFieldTrainError, double.IsNaN(r.MeanFieldTestError) ? null : r.MeanFieldTestError,
            r.EpochsRun, r.Stop, result.Settings.TrainCount, result.Settings.Seed,
        }));
        foreach (var task in result.Settings.Tasks)
        {
            string name = TaskName(task);
            var curves = new List<Curve>();
            foreach (string weights in new[] { "real", "binary" })
            {
                var c = result.Curve(name, weights);
                if (c.Count == 0) continue;
                double[] x = c.Select(p => p.Ratio).ToArray();
                curves.Add(new Curve($"{weights} weights, test", x, c.Select(p => p.Test.Mean).ToArray(), c.Select(p => p.Test.StandardDeviation).ToArray()));
                curves.Add(new Curve($"{weights} weights, train", x, c.Select(p => p.Train.Mean).ToArray(), c.Select(p => p.Train.StandardDeviation).ToArray()));
            }
            var plot = StudyPlots.Lines($"Double descent, {name}, D = {result.Settings.Dimension}, n = {result.Settings.TrainCount} (±sd over {result.Settings.Seeds} seeds)",
                "(parameters / training examples)", "error", curves, logX: true);
            plot.ShowLegend(ScottPlot.Alignment.UpperRight);
            Figure.SavePng(plot, Path.Combine(directory, $"double_descent_{name}.png"));
        }
    }

    /// <summary>Each task's and weight type's error curve against H, with where it interpolates and its double-descent bump.</summary>
    public static StudySummary Summary(DoubleDescentResult result)
    {
        var s = result.Settings;
        var lines = new List<string>();
        foreach (var task in s.Tasks)
        {
            string name = TaskName(task);
            foreach (string weights in s.IncludeBinary ? new[] { "real", "binary" } : ["real"])
            {
                lines.Add($"  {name}, {weights} weights:   H  params/n   train err         test err");
                foreach (var p in result.Curve(name, weights))
                    lines.Add($"    {p.Hidden,4}  {p.Ratio,8:F3}   {p.Train.Text,-16}  {p.Test.Text}");
                var (interp, bumpHidden, bump) = result.Landmarks(name, weights);
                lines.Add($"    zero training error from H = {(interp is { } i ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : "never")}; " +
                    (bump > 0 ? $"test error rises {bump:F4} above its running minimum at H = {bumpHidden}" : "test error never rises as H grows (no double-descent bump)"));
            }
        }
        return new StudySummary($"{s.Seeds} seeds; real: {s.Real.Optimizer} lr {s.Real.LearningRate}, ≤ {s.Real.MaxEpochs} epochs; binary: mean-field {s.Binary.Epochs} epochs",
            lines, ["double_descent.csv", .. s.Tasks.Select(t => $"double_descent_{TaskName(t)}.png")]);
    }
}
