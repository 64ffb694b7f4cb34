using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Reporting;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Studies;

/// <summary>Settings of the frozen-interior comparison.</summary>
/// <param name="Architecture">Network (the study's 20-15-15-10 by default; needs two or more hidden layers).</param>
/// <param name="Epochs">Checkpoint epochs (ascending).</param>
/// <param name="Seeds">Networks per mode.</param>
/// <param name="TrainCount">Training examples (0 = all).</param>
/// <param name="TestCount">Test examples (0 = all).</param>
/// <param name="SamplesPerNetwork">Binary configurations sampled per network at each checkpoint.</param>
/// <param name="Training">Mean-field hyper-parameters (Epochs is replaced by each checkpoint).</param>
/// <param name="Seed">Master seed.</param>
public sealed record FrozenStudySettings(Architecture Architecture, int[] Epochs, int Seeds, int TrainCount, int TestCount,
    int SamplesPerNetwork, MeanFieldOptions Training, ulong Seed)
{
    /// <summary>Minutes on two cores: 3 seeds, 10 000 examples, epochs 1–6.</summary>
    public static FrozenStudySettings Quick(ulong seed) =>
        new(Architecture.Deep, [1, 2, 3, 4, 5, 6], 3, 10000, 10000, 10, new MeanFieldOptions(), seed);

    /// <summary>All of MNIST, 50 epochs, 5 seeds.</summary>
    public static FrozenStudySettings Full(ulong seed) =>
        new(Architecture.Deep, [1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 50], 5, 0, 0, 50, new MeanFieldOptions(), seed);

    /// <summary>The settings of <paramref name="preset"/>: <see cref="Quick"/> or <see cref="Full"/>.</summary>
    public static FrozenStudySettings For(StudyPreset preset, ulong seed) => preset == StudyPreset.Paper ? Full(seed) : Quick(seed);

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        if (Architecture.Layers < 3) throw new InputException($"--architecture: {Architecture} has no hidden-to-hidden layer to freeze");
        if (Epochs.Any(e => e > MeanFieldOptions.MaxEpochs)) throw new InputException($"--checkpoints: {Epochs.Max()} is more than {MeanFieldOptions.MaxEpochs} epochs");
        if (Seeds is < 1 or > MeanFieldEvaluation.MaxNetworks) throw new InputException($"--networks: {Seeds} is outside 1..{MeanFieldEvaluation.MaxNetworks}");
        if (SamplesPerNetwork < 1) throw new InputException($"--samples: {SamplesPerNetwork} must be at least 1");
    }
}

/// <summary>One checkpoint of one mode.</summary>
/// <param name="Mode">"normal" or "frozen".</param>
/// <param name="Epoch">Epochs trained.</param>
/// <param name="Seconds">Wall time of training those epochs (all seeds together).</param>
/// <param name="CpuSeconds">CPU time of that training (all threads of the process).</param>
/// <param name="MeanField">Mean-field prediction test accuracy over seeds.</param>
/// <param name="Sampled">Mean sampled-configuration test accuracy over seeds.</param>
/// <param name="BestSampled">Best-on-training-set sampled configuration's test accuracy over seeds.</param>
/// <param name="MeanLoss">Mean of the networks' last-epoch losses.</param>
public sealed record FrozenRow(string Mode, int Epoch, double Seconds, double CpuSeconds, MeanSpread MeanField, MeanSpread Sampled, MeanSpread BestSampled, double MeanLoss);

/// <summary>Result of the frozen-interior comparison.</summary>
/// <param name="Rows">One row per mode and checkpoint.</param>
/// <param name="Source">The data used.</param>
/// <param name="Settings">The settings.</param>
public sealed record FrozenStudyResult(IReadOnlyList<FrozenRow> Rows, string Source, FrozenStudySettings Settings);

/// <summary>
/// Accuracy vs epoch for normal mean-field training and for training with the hidden-to-hidden weights
/// frozen at random ±1 (the collection stage's <c>--freeze-interior</c>, study Sec. IV), with training time.
/// </summary>
public static class FrozenInteriorStudy
{
    /// <summary>Runs both modes at every checkpoint; progress in checkpoint runs.</summary>
    public static FrozenStudyResult Run(StudyData data, FrozenStudySettings settings, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        settings.Validate();
        var arch = settings.Architecture;
        if (arch.Widths[0] != data.Dimension) throw new InputException($"--architecture: input width {arch.Widths[0]} differs from the data dimension {data.Dimension}");
        var tree = new SeedTree(settings.Seed).Child("frozen");
        var seeds = Enumerable.Range(0, settings.Seeds).Select(s => tree.Child("networks").Child(s).Seed).ToArray();
        ulong noiseSeed = tree.Child("training").Seed;
        var rows = new List<FrozenRow>();
        int total = 2 * settings.Epochs.Length, done = 0;
        foreach (var (mode, freeze) in new[] { ("normal", false), ("frozen", true) })
        {
            var options = settings.Training with { FreezeInterior = freeze, BatchSize = Math.Min(settings.Training.BatchSize, data.TrainCount) };
            MeanFieldCheckpoints.Train(arch, data.TrainInputs, data.TrainLabels, seeds, noiseSeed, options, settings.Epochs, checkpoint =>
            {
                var scores = MeanFieldEvaluation.Score(arch, checkpoint.Result.Theta, seeds.Length, data.TrainInputs, data.TrainLabels,
                    data.TestInputs, data.TestLabels, settings.SamplesPerNetwork, tree.Child(mode).Child("sampling").Child(checkpoint.Epoch).Seed);
                rows.Add(new FrozenRow(mode, checkpoint.Epoch, checkpoint.Seconds, checkpoint.CpuSeconds,
                    MeanSpread.Of(scores.Select(s => s.MeanFieldTestAccuracy)), MeanSpread.Of(scores.Select(s => s.SampledTestAccuracy)),
                    MeanSpread.Of(scores.Select(s => s.BestSampledTestAccuracy)), checkpoint.Result.FinalLosses.Average(v => (double)v)));
                progress?.Report(new ProgressReport("frozen", ++done, total, "runs", $"{mode} epoch {checkpoint.Epoch}: mean-field acc {rows[^1].MeanField.Mean:F3}"));
            }, ct);
        }
        return new FrozenStudyResult(rows, data.Source, settings);
    }

    /// <summary>Writes frozen.csv and frozen.png (test accuracy vs epoch; legend gives the training time of the last epoch).</summary>
    public static void Write(FrozenStudyResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        string[] headers = ["mode", "epoch", "train_seconds", "train_cpu_seconds", "meanfield_test_acc_mean", "meanfield_test_acc_sd", "sampled_test_acc_mean", "sampled_test_acc_sd",
            "best_sampled_test_acc_mean", "best_sampled_test_acc_sd", "mean_final_loss", "seeds", "master_seed", "architecture"];
        CsvTable.Write(Path.Combine(directory, "frozen.csv"), headers, result.Rows.Select(r => (IReadOnlyList<object?>)new object?[]
        {
            r.Mode, r.Epoch, r.Seconds, r.CpuSeconds, r.MeanField.Mean, r.MeanField.StandardDeviation, r.Sampled.Mean, r.Sampled.StandardDeviation,
            r.BestSampled.Mean, r.BestSampled.StandardDeviation, r.MeanLoss, result.Settings.Seeds, result.Settings.Seed, result.Settings.Architecture.ToString(),
        }));
        var curves = new List<Curve>();
        foreach (string mode in new[] { "normal", "frozen" })
        {
            var rows = result.Rows.Where(r => r.Mode == mode).OrderBy(r => r.Epoch).ToArray();
            if (rows.Length == 0) continue;
            double[] epochs = rows.Select(r => (double)r.Epoch).ToArray();
            string time = $"{rows[^1].Seconds:F1} s wall, {rows[^1].CpuSeconds:F1} s CPU for {rows[^1].Epoch} epochs";
            curves.Add(new Curve($"{mode}, mean-field prediction ({time})", epochs, rows.Select(r => r.MeanField.Mean).ToArray(), rows.Select(r => r.MeanField.StandardDeviation).ToArray()));
            curves.Add(new Curve($"{mode}, best sampled binary", epochs, rows.Select(r => r.BestSampled.Mean).ToArray(), rows.Select(r => r.BestSampled.StandardDeviation).ToArray()));
        }
        var plot = StudyPlots.Lines($"{result.Settings.Architecture}: normal vs interior frozen at random ±1 (±sd over {result.Settings.Seeds} seeds)",
            "epoch", "test accuracy", curves);
        Figure.SavePng(plot, Path.Combine(directory, "frozen.png"));
    }

    /// <summary>Accuracy and training time per mode and checkpoint.</summary>
    public static StudySummary Summary(FrozenStudyResult result)
    {
        var lines = new List<string> { "  mode    epoch   wall s    CPU s   mean-field test acc     best-sampled test acc" };
        foreach (var r in result.Rows)
            lines.Add($"  {r.Mode,-6}  {r.Epoch,5}  {r.Seconds,7:F2}  {r.CpuSeconds,7:F2}   {r.MeanField.Text,-22}  {r.BestSampled.Text}");
        return new StudySummary($"{result.Settings.Architecture}, {result.Settings.Seeds} seeds", lines, ["frozen.csv", "frozen.png"]);
    }
}
