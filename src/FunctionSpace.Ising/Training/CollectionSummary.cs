using System.Text.Json;
using System.Text.Json.Serialization;
using FunctionSpace.Ising.Ensembles;
using static FunctionSpace.Ising.IO.JsonNumbers;

namespace FunctionSpace.Ising.Training;

/// <summary>Within- and between-network overlap of one part of a collected ensemble.</summary>
/// <param name="Part">FULL, LB, ITER or RB.</param>
/// <param name="WithinNetwork">Mean overlap of two configurations of one network (null: one configuration per network).</param>
/// <param name="BetweenNetworks">Mean overlap of configurations of two networks (null: one network).</param>
public sealed record CollectionOverlap(
    [property: JsonPropertyName("part")] string Part,
    [property: JsonPropertyName("within_network")] double? WithinNetwork,
    [property: JsonPropertyName("between_networks")] double? BetweenNetworks);

/// <summary>
/// What a collected (or imported) ensemble holds: its sizes, effective sample size, overlaps and accuracies
/// (<c>collect.json</c> of <c>fsi run</c>, and of <c>fsi collect --summary-dir</c>). The properties that describe how the
/// ensemble was made are null (and absent from the JSON) when they do not apply.
/// </summary>
public sealed record CollectionSummary
{
    /// <summary>The ensemble files merged into this one (an imported collection), else null.</summary>
    [JsonPropertyName("imported_from"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string[]? ImportedFrom { get; init; }

    /// <summary>Networks of the collection (a collection made here), else null.</summary>
    [JsonPropertyName("networks"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Networks { get; init; }

    /// <summary>Configurations sampled from each network (a collection made here), else null.</summary>
    [JsonPropertyName("samples_per_network"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? SamplesPerNetwork { get; init; }

    /// <summary>Configurations in the ensemble file.</summary>
    [JsonPropertyName("configurations")]
    public long Configurations { get; init; }

    /// <summary>Wall seconds of training in this run (a collection made here), else null.</summary>
    [JsonPropertyName("train_seconds"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? TrainSeconds { get; init; }

    /// <summary>Wall seconds of sampling, evaluation, selection and storage in this run (a collection made here), else null.</summary>
    [JsonPropertyName("evaluate_seconds"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? EvaluateSeconds { get; init; }

    /// <summary>Networks of this run whose loss became non-finite (a collection made here), else null.</summary>
    [JsonPropertyName("diverged_networks"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? DivergedNetworks { get; init; }

    /// <summary>Independently trained networks: the sample size of every moment (samples of one network are nearly identical).</summary>
    [JsonPropertyName("effective_sample_size")]
    public int EffectiveSampleSize { get; init; }

    /// <summary>The header's selection rule: all or best.</summary>
    [JsonPropertyName("selection")]
    public string Selection { get; init; } = "all";

    /// <summary>Overlaps per part.</summary>
    [JsonPropertyName("overlaps")]
    public CollectionOverlap[] Overlaps { get; init; } = [];

    /// <summary>Minimal test accuracy of a kept configuration.</summary>
    [JsonPropertyName("threshold")]
    public double Threshold { get; init; }

    /// <summary>Mean test accuracy of the stored configurations.</summary>
    [JsonPropertyName("accuracy_mean")]
    public float AccuracyMean { get; init; }

    /// <summary>Best test accuracy of the stored configurations.</summary>
    [JsonPropertyName("accuracy_max")]
    public float AccuracyMax { get; init; }

    /// <summary>Mean over networks of each network's best stored accuracy (0 when none).</summary>
    [JsonPropertyName("best_per_network_mean")]
    public float BestPerNetworkMean { get; init; }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Indented JSON with the snake_case keys the run report reads.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Indented);

    /// <summary>Reads <see cref="ToJson"/>'s text back.</summary>
    public static CollectionSummary FromJson(string json) =>
        JsonSerializer.Deserialize<CollectionSummary>(json) ?? throw new InputException("collect.json: empty");
}

/// <summary>The summary of an ensemble and the accuracies its figure shows.</summary>
/// <param name="Scenario">The scenario (the figure's title).</param>
/// <param name="Summary">The numbers of collect.json.</param>
/// <param name="Kept">Test accuracy of every stored configuration.</param>
/// <param name="BestPerNetwork">Best stored accuracy of each network, by network id.</param>
public sealed record CollectionReport(string Scenario, CollectionSummary Summary, float[] Kept, float[] BestPerNetwork);

/// <summary>Summaries of collected ensembles: <c>collect.json</c> and the accuracy histogram.</summary>
public static class CollectionReports
{
    /// <summary>Count, extremes, quartiles (the nearest-rank values) and mean of accuracies, as one line.</summary>
    public static string Describe(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length == 0) return "n 0";
        var sorted = values.Order().ToArray();
        float Quantile(double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"n {sorted.Length}, min {sorted[0]:F4}, q25 {Quantile(0.25):F4}, median {Quantile(0.5):F4}, mean {sorted.Average():F4}, q75 {Quantile(0.75):F4}, max {sorted[^1]:F4}");
    }

    /// <summary>Name of the summary file in a scenario directory.</summary>
    public const string SummaryFile = "collect.json";

    /// <summary>The summary of a collection this process ran (<see cref="EnsembleCollection.Run"/>), read partly from its file.</summary>
    public static CollectionReport Of(CollectionSettings settings, CollectionResult result, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(result);
        var summary = new CollectionSummary
        {
            Networks = settings.Networks,
            SamplesPerNetwork = settings.Samples,
            Configurations = result.ConfigurationsKept,
            TrainSeconds = result.TrainSeconds,
            EvaluateSeconds = result.EvaluateSeconds,
            DivergedNetworks = result.DivergedNetworks,
        };
        return Complete(settings.Scenario, settings.OutputPath, summary, result.KeptAccuracies, settings.Threshold, ct);
    }

    /// <summary>The summary of an ensemble merged from files collected elsewhere (<paramref name="shards"/>).</summary>
    public static CollectionReport OfImport(string scenario, string path, IReadOnlyList<string> shards, long configurations, double threshold, CancellationToken ct = default)
    {
        var summary = new CollectionSummary { ImportedFrom = shards.Select(Path.GetFullPath).ToArray(), Configurations = configurations };
        return Complete(scenario, path, summary, StoredAccuracies(path, ct).Kept, threshold, ct);
    }

    // The statistics every summary has: effective sample size, overlaps, accuracies. An ensemble with no configuration
    // is refused here, before anything is written: there is nothing to summarise or to fit.
    private static CollectionReport Complete(string scenario, string path, CollectionSummary summary, float[] kept, double threshold, CancellationToken ct)
    {
        if (kept.Length == 0)
            throw new InputException($"collect ({scenario}): no configuration reached the threshold {threshold}; lower --threshold or train longer");
        var best = StoredAccuracies(path, ct).Best;
        using var reader = EnsembleReader.Open(path);
        var statistics = EnsembleStatistics.FromChunks(reader.ReadChunks(ct), reader.Header.Architecture, ct);
        summary = summary with
        {
            EffectiveSampleSize = statistics.EffectiveSampleSize,
            Selection = reader.Header.Parameter("selection") ?? "all",
            Overlaps = statistics.Overlaps.Select(o => new CollectionOverlap(o.Part, Finite(o.Within), Finite(o.Between))).ToArray(),
            Threshold = threshold,
            AccuracyMean = kept.Average(),
            AccuracyMax = kept.Max(),
            BestPerNetworkMean = best.Length == 0 ? 0 : best.Average(),
        };
        return new CollectionReport(scenario, summary, kept, best);
    }

    /// <summary>
    /// Writes <c>collect.json</c> and the accuracy histogram (<c>accuracy.png</c>, <c>.svg</c>, <c>.csv</c>) into
    /// <paramref name="directory"/>; returns the files written, relative to it.
    /// </summary>
    public static IReadOnlyList<string> Write(CollectionReport report, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        var accuracy = Pipeline.RunFigures.AccuracyHistogram(Path.Combine(directory, "accuracy"), report.Scenario, report.Kept, report.BestPerNetwork);
        IO.AtomicFile.WriteAllText(Path.Combine(directory, SummaryFile), report.Summary.ToJson());
        return [SummaryFile, .. accuracy];
    }

    /// <summary>Test accuracies of every stored configuration, and the best one of each network (by network id).</summary>
    public static (float[] Kept, float[] Best) StoredAccuracies(string path, CancellationToken ct = default)
    {
        var kept = new List<float>();
        var best = new Dictionary<int, float>();
        using var reader = EnsembleReader.Open(path);
        foreach (var chunk in reader.ReadChunks(ct))
        {
            kept.AddRange(chunk.Accuracies);
            for (int k = 0; k < chunk.Count; k++)
                best[chunk.NetworkIds[k]] = Math.Max(best.GetValueOrDefault(chunk.NetworkIds[k], 0f), chunk.Accuracies[k]);
        }
        return (kept.ToArray(), best.OrderBy(p => p.Key).Select(p => p.Value).ToArray());
    }
}
