using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Reporting;
using FunctionSpace.Ising.Training;
using ScottPlot;

namespace FunctionSpace.Ising.Studies;

/// <summary>Settings of the weight-space projection (the study's Fig. 2b).</summary>
/// <param name="Architecture">Network (20-15-15-10 by default).</param>
/// <param name="Networks">Networks trained from random initial configurations.</param>
/// <param name="SamplesPerNetwork">Trained configurations sampled from each network's P(w|θ).</param>
/// <param name="TrainCount">Training examples (0 = all).</param>
/// <param name="TestCount">Test examples on which every configuration's accuracy is measured (0 = all).</param>
/// <param name="Training">Mean-field hyper-parameters.</param>
/// <param name="EnsemblePath">Optional ensemble file from <c>fsi collect</c> whose configurations are embedded too.</param>
/// <param name="EnsembleLimit">At most this many configurations are read from the ensemble.</param>
/// <param name="Seed">Master seed.</param>
public sealed record ProjectionSettings(Architecture Architecture, int Networks, int SamplesPerNetwork, int TrainCount, int TestCount,
    MeanFieldOptions Training, string? EnsemblePath, int EnsembleLimit, ulong Seed)
{
    /// <summary>Minutes on two cores: 20 networks, 10 000 examples, 5 epochs, 4 samples each.</summary>
    public static ProjectionSettings Quick(ulong seed) =>
        new(Architecture.Deep, 20, 4, 10000, 10000, new MeanFieldOptions(Epochs: 5), null, 2000, seed);

    /// <summary>100 networks trained as in the study (all of MNIST, 50 epochs), 10 samples each.</summary>
    public static ProjectionSettings Full(ulong seed) =>
        new(Architecture.Deep, 100, 10, 0, 0, new MeanFieldOptions(), null, 10000, seed);

    /// <summary>The settings of <paramref name="preset"/>: <see cref="Quick"/> or <see cref="Full"/>.</summary>
    public static ProjectionSettings For(StudyPreset preset, ulong seed) => preset == StudyPreset.Paper ? Full(seed) : Quick(seed);

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        if (Networks is < 1 or > MeanFieldEvaluation.MaxNetworks) throw new InputException($"--networks: {Networks} is outside 1..{MeanFieldEvaluation.MaxNetworks}");
        if (SamplesPerNetwork < 1) throw new InputException($"--samples: {SamplesPerNetwork} must be at least 1");
        if (EnsembleLimit < 1) throw new InputException($"--ensemble-limit: {EnsembleLimit} must be at least 1");
        MeanFieldEvaluation.RequireSampleArray(Networks, SamplesPerNetwork, Architecture.WeightCount);
    }
}

/// <summary>One embedded configuration.</summary>
/// <param name="Origin">"initial" (sign of the initial θ), "trained" (sampled from the trained P(w|θ)) or "ensemble".</param>
/// <param name="Network">Network index (initial/trained) or position in the ensemble file.</param>
/// <param name="Sample">Sample index within the network (0 for initial and ensemble configurations).</param>
/// <param name="X">First principal coordinate.</param>
/// <param name="Y">Second principal coordinate.</param>
/// <param name="TestAccuracy">Test accuracy (ensemble: the accuracy stored in the file).</param>
public sealed record ProjectionPoint(string Origin, int Network, int Sample, double X, double Y, double TestAccuracy);

/// <summary>Result of the projection study.</summary>
/// <param name="Points">Every embedded configuration.</param>
/// <param name="Embedding">The PCA (variances, explained fraction).</param>
/// <param name="Source">The data used.</param>
/// <param name="Settings">The settings.</param>
public sealed record ProjectionResult(IReadOnlyList<ProjectionPoint> Points, ConfigurationEmbedding Embedding, string Source, ProjectionSettings Settings);

/// <summary>
/// 2-D projection of weight space (Zou &amp; Huang 2021, Fig. 2b): the random initial configurations, the
/// configurations training led them to, and optionally a collected ensemble, embedded together by PCA of
/// the ±1 vectors (<see cref="ConfigurationPca"/>). PCA only: no maintained t-SNE package is on the
/// package feed.
/// </summary>
/// <remarks>
/// The initial configuration of a network is sign(θ₀) of its initial logits θ₀ ~ N(0, 0.1²) (the
/// trainer's own initialisation, same seeds); P(w|θ₀) is then almost uniform, so this is a uniformly random
/// ±1 vector tied to that network.
/// </remarks>
public static class ProjectionStudy
{
    /// <summary>Trains, samples, scores and embeds; progress in stages.</summary>
    public static ProjectionResult Run(StudyData data, ProjectionSettings settings, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        settings.Validate();
        var arch = settings.Architecture;
        if (arch.Widths[0] != data.Dimension) throw new InputException($"--architecture: input width {arch.Widths[0]} differs from the data dimension {data.Dimension}");
        int n = arch.WeightCount, k = settings.Networks, s = settings.SamplesPerNetwork;
        var tree = new SeedTree(settings.Seed).Child("projection");
        var seeds = Enumerable.Range(0, k).Select(i => tree.Child("networks").Child(i).Seed).ToArray();
        // The ensemble is read first, so a wrong file fails before any training.
        var ensembleSpins = new List<sbyte>();
        var ensembleAccuracies = new List<double>();
        if (settings.EnsemblePath is { } path)
        {
            using var reader = EnsembleReader.Open(path);
            if (!reader.Header.Architecture.Equals(arch))
                throw new InputException($"{path}: ensemble architecture {reader.Header.Architecture} differs from the networks trained here ({arch})");
            foreach (var chunk in reader.ReadChunks(ct))
            {
                int take = Math.Min(chunk.Count, settings.EnsembleLimit - ensembleAccuracies.Count);
                ensembleSpins.AddRange(chunk.Spins.AsSpan(0, take * n).ToArray());
                for (int c = 0; c < take; c++) ensembleAccuracies.Add(chunk.Accuracies[c]);
                if (ensembleAccuracies.Count >= settings.EnsembleLimit) break;
            }
        }
        progress?.Report(new ProgressReport("projection", 0, 3, "stages", $"training {k} networks"));
        var training = settings.Training with { BatchSize = Math.Min(settings.Training.BatchSize, data.TrainCount) };
        var initial = InitialConfigurations(arch, seeds, training);
        var trained = MeanFieldTrainer.Train(arch, data.TrainInputs, data.TrainLabels, seeds, tree.Child("training").Seed, training, null, ct);
        var final = MeanFieldEvaluation.Sample(trained.Theta, k, n, s, tree.Child("sampling").Seed);
        progress?.Report(new ProgressReport("projection", 1, 3, "stages", "scoring"));

        var origins = new List<(string Origin, int Network, int Sample)>();
        var spins = new List<sbyte>(n * (k + k * s));
        spins.AddRange(initial);
        origins.AddRange(Enumerable.Range(0, k).Select(i => ("initial", i, 0)));
        spins.AddRange(final);
        origins.AddRange(Enumerable.Range(0, k * s).Select(i => ("trained", i / s, i % s)));
        var testX = StudyData.ToDoubles(data.TestInputs);
        var accuracies = BinaryNetwork.Accuracy(arch, spins.ToArray(), origins.Count, testX, data.TestLabels).Select(a => (double)a).ToList();
        spins.AddRange(ensembleSpins);
        origins.AddRange(Enumerable.Range(0, ensembleAccuracies.Count).Select(i => ("ensemble", i, 0)));
        accuracies.AddRange(ensembleAccuracies);
        progress?.Report(new ProgressReport("projection", 2, 3, "stages", $"PCA of {origins.Count} configurations"));
        var embedding = ConfigurationPca.Embed2D(spins.ToArray(), origins.Count, n);
        var points = origins.Select((o, i) => new ProjectionPoint(o.Origin, o.Network, o.Sample,
            embedding.Coordinates[2 * i], embedding.Coordinates[2 * i + 1], accuracies[i])).ToArray();
        progress?.Report(new ProgressReport("projection", 3, 3, "stages"));
        return new ProjectionResult(points, embedding, data.Source, settings);
    }

    /// <summary>sign(θ₀) of each network's initial logits (ties, θ₀ = 0 exactly, go to +1): K × WeightCount.</summary>
    public static sbyte[] InitialConfigurations(Architecture architecture, IReadOnlyList<ulong> networkSeeds, MeanFieldOptions options)
    {
        var layers = MeanFieldTrainer.InitialTheta(architecture, networkSeeds, options);
        try
        {
            var theta = DenseNetwork.Flatten(architecture, layers);
            return theta.Select(t => t < 0 ? (sbyte)-1 : (sbyte)1).ToArray();
        }
        finally
        {
            foreach (var t in layers) t.Dispose();
        }
    }

    /// <summary>Writes projection.csv and projection.png (initial grey, trained and ensemble coloured by test accuracy in four bins).</summary>
    public static void Write(ProjectionResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        string[] headers = ["origin", "network", "sample", "pc1", "pc2", "test_accuracy", "master_seed"];
        CsvTable.Write(Path.Combine(directory, "projection.csv"), headers, result.Points.Select(p => (IReadOnlyList<object?>)new object?[]
            { p.Origin, p.Network, p.Sample, p.X, p.Y, p.TestAccuracy, result.Settings.Seed }));

        var plot = new Plot();
        var initial = result.Points.Where(p => p.Origin == "initial").ToArray();
        if (initial.Length > 0)
        {
            var sc = plot.Add.Scatter(initial.Select(p => p.X).ToArray(), initial.Select(p => p.Y).ToArray(), Colors.Gray);
            sc.LineWidth = 0;
            sc.MarkerShape = MarkerShape.Cross;
            sc.MarkerSize = 8;
            sc.LegendText = $"initial sign(θ₀), acc ≈ {initial.Average(p => p.TestAccuracy):F2}";
        }
        foreach (var (origin, shape) in new[] { ("trained", MarkerShape.FilledCircle), ("ensemble", MarkerShape.FilledSquare) })
        {
            var points = result.Points.Where(p => p.Origin == origin).ToArray();
            if (points.Length == 0) continue;
            // Four accuracy bins over this origin's range, coloured by Viridis.
            double lo = points.Min(p => p.TestAccuracy), hi = points.Max(p => p.TestAccuracy);
            const int bins = 4;
            for (int b = 0; b < bins; b++)
            {
                double a = lo + (hi - lo) * b / bins, z = lo + (hi - lo) * (b + 1) / bins;
                var inBin = points.Where(p => p.TestAccuracy >= a && (p.TestAccuracy < z || b == bins - 1)).ToArray();
                if (inBin.Length == 0) continue;
                var sc = plot.Add.Scatter(inBin.Select(p => p.X).ToArray(), inBin.Select(p => p.Y).ToArray(), StudyPlots.Viridis((b + 0.5) / bins));
                sc.LineWidth = 0;
                sc.MarkerShape = shape;
                sc.MarkerSize = 6;
                sc.LegendText = $"{origin}, test acc {a:F3}–{z:F3}";
            }
        }
        var e = result.Embedding;
        plot.Title($"Weight space {result.Settings.Architecture}: PCA of ±1 configurations ({e.ExplainedFraction * 100:F1} % of variance)");
        plot.XLabel($"PC1 ({(e.TotalVariance > 0 ? e.Variances[0] / e.TotalVariance * 100 : 0):F1} %)");
        plot.YLabel($"PC2 ({(e.TotalVariance > 0 ? e.Variances[1] / e.TotalVariance * 100 : 0):F1} %)");
        plot.ShowLegend(Alignment.UpperRight);
        Figure.SavePng(plot, Path.Combine(directory, "projection.png"));
    }

    /// <summary>The variance the two components carry and, per origin, the configurations' accuracy, centroid and spread.</summary>
    public static StudySummary Summary(ProjectionResult result)
    {
        var s = result.Settings;
        var lines = new List<string> { $"  embedding: PCA of ±1 vectors (no t-SNE: none on the package feed); 2 components carry {result.Embedding.ExplainedFraction * 100:F2} % of the variance" };
        foreach (var group in result.Points.GroupBy(p => p.Origin))
        {
            var xs = group.Select(p => p.X).ToArray();
            var ys = group.Select(p => p.Y).ToArray();
            lines.Add($"  {group.Key,-9} {group.Count(),5} configurations: test acc {MeanSpread.Of(group.Select(p => p.TestAccuracy)).Text}; centroid ({xs.Average():F2}, {ys.Average():F2}), spread ({MeanSpread.Of(xs).StandardDeviation:F2}, {MeanSpread.Of(ys).StandardDeviation:F2})");
        }
        return new StudySummary($"{s.Networks} networks × {s.SamplesPerNetwork} samples, {s.Training.Epochs} epochs", lines, ["projection.csv", "projection.png"]);
    }
}
