using FunctionSpace.Ising.Randomness;
using System.Diagnostics;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Reporting;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Studies;

/// <summary>Settings of the deep-vs-shallow width study (the study's Appendix G).</summary>
/// <param name="HiddenWidths">Widths H of the deep networks D-H-H-10.</param>
/// <param name="Seeds">Networks (independent seeds) per architecture.</param>
/// <param name="Dimension">Input dimension D (PCA components; 20 in the study).</param>
/// <param name="TrainCount">Training examples (0 = all 60 000).</param>
/// <param name="TestCount">Test examples (0 = all 10 000).</param>
/// <param name="SelectionCount">Training examples on which the best sampled configuration is chosen (0 = all used for training).</param>
/// <param name="SamplesPerNetwork">Binary configurations sampled from each trained P(w|θ).</param>
/// <param name="Training">Mean-field hyper-parameters (the study's by default).</param>
/// <param name="Seed">Master seed.</param>
public sealed record WidthStudySettings(int[] HiddenWidths, int Seeds, int Dimension, int TrainCount, int TestCount,
    int SelectionCount, int SamplesPerNetwork, MeanFieldOptions Training, ulong Seed)
{
    /// <summary>Minutes on two cores: 20-H-H-10 for H = 4, 8, 16, 32 and 20-10, 3 seeds, 10 000 examples, 5 epochs.</summary>
    public static WidthStudySettings Quick(ulong seed) =>
        new([4, 8, 16, 32], 3, 20, 10000, 10000, 5000, 10, new MeanFieldOptions(Epochs: 5), seed);

    /// <summary>The study's protocol: all of MNIST, 50 epochs, H from 2 to 100, 5 seeds, 100 samples.</summary>
    public static WidthStudySettings Full(ulong seed) =>
        new([2, 4, 6, 8, 10, 12, 15, 20, 30, 40, 60, 100], 5, 20, 0, 0, 0, 100, new MeanFieldOptions(), seed);

    /// <summary>The settings of <paramref name="preset"/>: <see cref="Quick"/> or <see cref="Full"/>.</summary>
    public static WidthStudySettings For(StudyPreset preset, ulong seed) => preset == StudyPreset.Paper ? Full(seed) : Quick(seed);

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        if (HiddenWidths.Length == 0 || HiddenWidths.Any(h => h < 1)) throw new InputException($"--widths: '{string.Join(",", HiddenWidths)}' must be positive integers");
        if (Seeds is < 1 or > MeanFieldEvaluation.MaxNetworks) throw new InputException($"--networks: {Seeds} is outside 1..{MeanFieldEvaluation.MaxNetworks}");
        if (SamplesPerNetwork < 1) throw new InputException($"--samples: {SamplesPerNetwork} must be at least 1");
    }
}

/// <summary>One trained network of the width study.</summary>
/// <param name="Architecture">e.g. 20-15-15-10, or 20-10 for the shallow network.</param>
/// <param name="Hidden">H, or 0 for the shallow network.</param>
/// <param name="Weights">Number of weights.</param>
/// <param name="SeedIndex">Which of the seeds.</param>
/// <param name="NetworkSeed">The trainer's seed of this network.</param>
/// <param name="Scores">Its accuracies.</param>
/// <param name="FinalLoss">Mean cross-entropy of its last epoch.</param>
/// <param name="TrainSeconds">Wall time of training its architecture's batch of networks.</param>
public sealed record WidthRow(string Architecture, int Hidden, int Weights, int SeedIndex, ulong NetworkSeed,
    BinaryNetworkScores Scores, double FinalLoss, double TrainSeconds);

/// <summary>Result of the width study.</summary>
/// <param name="Rows">One row per trained network.</param>
/// <param name="Source">The data used.</param>
/// <param name="Settings">The settings.</param>
public sealed record WidthStudyResult(IReadOnlyList<WidthRow> Rows, string Source, WidthStudySettings Settings)
{
    /// <summary>Mean ± sd over seeds of the best sampled configuration's test accuracy, per H (0 = shallow).</summary>
    public MeanSpread BestSampled(int hidden) => MeanSpread.Of(Rows.Where(r => r.Hidden == hidden).Select(r => r.Scores.BestSampledTestAccuracy));

    /// <summary>Mean ± sd over seeds of the mean-field prediction's test accuracy, per H (0 = shallow).</summary>
    public MeanSpread MeanField(int hidden) => MeanSpread.Of(Rows.Where(r => r.Hidden == hidden).Select(r => r.Scores.MeanFieldTestAccuracy));

    /// <summary>The smallest H whose deep network beats the shallow one on mean best-sampled test accuracy (null if none).</summary>
    public int? CrossoverWidth()
    {
        double shallow = BestSampled(0).Mean;
        foreach (int h in Settings.HiddenWidths.Order()) if (BestSampled(h).Mean > shallow) return h;
        return null;
    }
}

/// <summary>
/// Deep vs shallow vs width (Zou &amp; Huang 2021, Appendix G): D-H-H-10 for a range of H against the shallow
/// D-10, all trained with the LR-net mean-field rule; test accuracy of the mean-field prediction and of
/// the best sampled binary configuration, over seeds.
/// </summary>
public static class WidthStudy
{
    /// <summary>Trains and scores every architecture; progress in architectures.</summary>
    public static WidthStudyResult Run(StudyData data, WidthStudySettings settings, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        settings.Validate();
        var architectures = new List<(int Hidden, Architecture Arch)> { (0, new Architecture([data.Dimension, 10])) };
        architectures.AddRange(settings.HiddenWidths.Distinct().Order().Select(h => (h, new Architecture([data.Dimension, h, h, 10]))));
        int selection = settings.SelectionCount == 0 ? data.TrainCount : Math.Min(settings.SelectionCount, data.TrainCount);
        var selectionX = data.TrainInputs.AsSpan(0, selection * data.Dimension).ToArray();
        var selectionY = data.TrainLabels.AsSpan(0, selection).ToArray();
        // A training set smaller than the preset's mini-batch (tiny data) trains full-batch.
        var training = settings.Training with { BatchSize = Math.Min(settings.Training.BatchSize, data.TrainCount) };
        var rows = new List<WidthRow>();
        // Seed index s starts the same network in every architecture; training noise and sampling have their own streams per width.
        var seeds = new SeedTree(settings.Seed).Child("width");
        var networkSeeds = Enumerable.Range(0, settings.Seeds).Select(s => seeds.Child("networks").Child(s).Seed).ToArray();
        for (int a = 0; a < architectures.Count; a++)
        {
            var (hidden, arch) = architectures[a];
            progress?.Report(new ProgressReport("width", a, architectures.Count, "architectures", $"training {arch}"));
            var clock = Stopwatch.StartNew();
            var trained = MeanFieldTrainer.Train(arch, data.TrainInputs, data.TrainLabels, networkSeeds,
                seeds.Child("training").Child(hidden).Seed, training, null, ct);
            double seconds = clock.Elapsed.TotalSeconds;
            var scores = MeanFieldEvaluation.Score(arch, trained.Theta, networkSeeds.Length, selectionX, selectionY,
                data.TestInputs, data.TestLabels, settings.SamplesPerNetwork, seeds.Child("sampling").Child(hidden).Seed);
            for (int s = 0; s < networkSeeds.Length; s++)
                rows.Add(new WidthRow(arch.ToString(), hidden, arch.WeightCount, s, networkSeeds[s], scores[s], trained.FinalLosses[s], seconds));
        }
        progress?.Report(new ProgressReport("width", architectures.Count, architectures.Count, "architectures"));
        return new WidthStudyResult(rows, data.Source, settings);
    }

    /// <summary>Writes width.csv (one row per network) and width.png (accuracy vs H, error bars = sd over seeds).</summary>
    public static void Write(WidthStudyResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        string[] headers = ["architecture", "hidden", "weights", "seed_index", "network_seed", "meanfield_test_acc", "meanfield_train_acc",
            "sampled_test_acc_mean", "sampled_train_acc_mean", "best_sampled_test_acc", "best_sampled_train_acc", "final_loss", "train_seconds", "master_seed"];
        CsvTable.Write(Path.Combine(directory, "width.csv"), headers, result.Rows.Select(r => (IReadOnlyList<object?>)new object?[]
        {
            r.Architecture, r.Hidden, r.Weights, r.SeedIndex, r.NetworkSeed, r.Scores.MeanFieldTestAccuracy, r.Scores.MeanFieldTrainAccuracy,
            r.Scores.SampledTestAccuracy, r.Scores.SampledTrainAccuracy, r.Scores.BestSampledTestAccuracy, r.Scores.BestSampledTrainAccuracy,
            r.FinalLoss, r.TrainSeconds, result.Settings.Seed,
        }));
        var widths = result.Settings.HiddenWidths.Distinct().Order().Select(h => (double)h).ToArray();
        var ints = widths.Select(w => (int)w).ToArray();
        Curve DeepCurve(string label, Func<int, MeanSpread> stat) =>
            new(label, widths, ints.Select(h => stat(h).Mean).ToArray(), ints.Select(h => stat(h).StandardDeviation).ToArray());
        Curve ShallowCurve(string label, MeanSpread stat) =>
            new(label, widths, widths.Select(_ => stat.Mean).ToArray(), widths.Select(_ => stat.StandardDeviation).ToArray());
        int d = result.Rows.Count > 0 ? int.Parse(result.Rows[0].Architecture.Split('-')[0]) : 20;
        var plot = StudyPlots.Lines($"Deep {d}-H-H-10 vs shallow {d}-10 (mean-field training; ±sd over {result.Settings.Seeds} seeds)",
            "hidden width H", "test accuracy",
        [
            DeepCurve("deep, best sampled binary", result.BestSampled),
            DeepCurve("deep, mean-field prediction", result.MeanField),
            ShallowCurve("shallow, best sampled binary", result.BestSampled(0)),
            ShallowCurve("shallow, mean-field prediction", result.MeanField(0)),
        ]);
        Figure.SavePng(plot, Path.Combine(directory, "width.png"));
    }

    /// <summary>The accuracy of every architecture (best sampled and mean-field) and the width from which deep beats shallow.</summary>
    public static StudySummary Summary(WidthStudyResult result)
    {
        var s = result.Settings;
        var lines = new List<string> { "  architecture     best-sampled test acc     mean-field test acc" };
        foreach (int h in new[] { 0 }.Concat(s.HiddenWidths.Distinct().Order()))
        {
            string arch = result.Rows.First(r => r.Hidden == h).Architecture;
            lines.Add($"  {arch,-15}  {result.BestSampled(h).Text,-24}  {result.MeanField(h).Text}");
        }
        int? crossover = result.CrossoverWidth();
        lines.Add(crossover is { } x ? $"  deep beats shallow (best sampled) from H = {x}" : "  deep never beats shallow at these widths");
        return new StudySummary($"{s.Training.Epochs} epochs, {s.Seeds} seeds, {s.SamplesPerNetwork} samples/network", lines, ["width.csv", "width.png"]);
    }
}
