using FunctionSpace.Ising.Randomness;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FunctionSpace.Ising.Data;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Inverse;
using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Training;
using static FunctionSpace.Ising.IO.JsonNumbers;

namespace FunctionSpace.Ising.Pipeline;

/// <summary>What <see cref="RunPipeline.Run"/> did.</summary>
/// <param name="RunDirectory">Where everything went.</param>
/// <param name="ReportPath">The report.md.</param>
/// <param name="Stages">Each stage with whether it ran or was skipped, and its seconds.</param>
public sealed record RunResult(string RunDirectory, string ReportPath, IReadOnlyList<(string Stage, StageOutcome Outcome, double Seconds)> Stages);

/// <summary>A stage of a planned run (<see cref="RunPipeline.Plan"/>).</summary>
/// <param name="Name">Stage name, e.g. "under/fit".</param>
/// <param name="Cached">Whether the run would reuse its outputs (else it would compute them).</param>
public sealed record PlannedStage(string Name, bool Cached);

/// <summary>
/// The main job, <c>fsi run</c>: data/PCA → collection → moments → fits per part → landscapes around the
/// low/median/high-energy references → TAP census and Monte-Carlo dynamics → report. Every stage writes
/// its outputs under the run directory and is skipped on a rerun when its parameters and inputs are
/// unchanged (<see cref="StageRunner"/>); an interrupted collection resumes where it stopped.
/// </summary>
public static class RunPipeline
{
    /// <summary>Name of the ensemble file inside a scenario directory.</summary>
    public const string EnsembleFile = "ensemble.fsie";

    /// <summary>The TAP stage's summary (<see cref="TapStageSummary"/>) in its folder.</summary>
    public const string TapSummaryFile = "tap.json";

    /// <summary>The dynamics stage's summary (<see cref="DynamicsStageSummary"/>) in its folder.</summary>
    public const string DynamicsSummaryFile = "dynamics.json";

    /// <summary>The split-half stage's summary (<see cref="SplitHalfSummary"/>) in its folder.</summary>
    public const string SplitHalfSummaryFile = "split_half.json";

    /// <summary>Runs (or resumes) the pipeline for <paramref name="config"/> in <paramref name="runDirectory"/>.</summary>
    public static RunResult Run(RunConfig config, string runDirectory, string? cacheDirectory, TextWriter log,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        config.Validate();
        using var runLock = IO.DirectoryLock.Acquire(runDirectory, "fsi run");
        var runner = new StageRunner(runDirectory);
        return Execute(config, runner, cacheDirectory, log, plan: null, progress, ct)!;
    }

    /// <summary>
    /// What <see cref="Run"/> would do now, without doing or writing anything (not even the PCA cache): every stage in
    /// order, cached (its input key and output hashes match the manifest) or to run. Once one stage would run, every
    /// later one would too (its inputs are about to change), so the keys are computed only up to that stage.
    /// </summary>
    public static IReadOnlyList<PlannedStage> Plan(RunConfig config, string runDirectory, string? cacheDirectory, CancellationToken ct = default)
    {
        config.Validate();
        var plan = new List<PlannedStage>();
        try
        {
            Execute(config, StageRunner.OpenReadOnly(runDirectory), cacheDirectory, TextWriter.Null, plan, progress: null, ct);
        }
        catch (PlanComplete)
        {
            // The first stage that would run ends the key computation; the rest follow from the configuration.
            var rest = StageNames(config).SkipWhile(name => plan.Any(p => p.Name == name)).ToArray();
            plan.AddRange(rest.Select(name => new PlannedStage(name, Cached: false)));
        }
        return plan;
    }

    /// <summary>The pipeline's stages in order for <paramref name="config"/> (scenarios, and split-half, TAP and dynamics when enabled).</summary>
    public static IReadOnlyList<string> StageNames(RunConfig config)
    {
        var names = new List<string> { "data" };
        foreach (string scenario in Scenarios(config))
        {
            names.AddRange(new[] { "collect", "moments", "fit", "landscape" }.Select(stage => $"{scenario}/{stage}"));
            if (config.StatisticsOrDefault.SplitHalf) names.Add($"{scenario}/split-half");
            if (config.Landscape.TapStarts > 0) names.Add($"{scenario}/tap");
            if (config.Landscape.DynamicsSweeps > 0) names.Add($"{scenario}/dynamics");
        }
        names.Add("report");
        return names;
    }

    /// <summary>
    /// Seconds the stages after <paramref name="finished"/> (in <paramref name="order"/>) took when last computed, or null
    /// when one of them has no such time (then no estimate is better than a partial one).
    /// </summary>
    internal static double? RemainingSeconds(IReadOnlyList<string> order, string finished, IReadOnlyDictionary<string, double> lastSeconds)
    {
        int position = order.ToList().IndexOf(finished);
        if (position < 0) return null;
        double total = 0;
        foreach (string stage in order.Skip(position + 1))
        {
            if (!lastSeconds.TryGetValue(stage, out double seconds)) return null;
            total += seconds;
        }
        return total;
    }

    /// <summary>"12 s", "1 min 10 s", "2 h 05 min".</summary>
    internal static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Round(Math.Max(0, seconds)));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes:D2} min" : t.TotalMinutes >= 1 ? $"{t.Minutes} min {t.Seconds} s" : $"{t.Seconds} s";
    }

    // Thrown by a planning pass at the first stage that would run: past it, stages read outputs that do not exist yet.
    private sealed class PlanComplete : Exception;

    private static RunResult? Execute(RunConfig config, StageRunner runner, string? cacheDirectory, TextWriter log,
        List<PlannedStage>? plan, IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        // How long each stage took when this configuration last computed it: once a stage has run, every later stage
        // runs too, so their sum is what is left. Timings of another configuration would say nothing.
        var order = StageNames(config);
        var lastSeconds = runner.Manifest.Config is { } previous && JsonNode.DeepEquals(previous, JsonNode.Parse(config.ToJson()))
            ? runner.Manifest.Stages.GroupBy(s => s.Name).ToDictionary(g => g.Key, g => g.Last().Seconds)
            : new Dictionary<string, double>();
        if (plan is null)
        {
            runner.Manifest.Config = JsonNode.Parse(config.ToJson());
            runner.Manifest.DescribeEnvironment();
            runner.Manifest.StartedUtc = DateTime.UtcNow;
            AtomicWrite(runner.PathOf("config.json"), config.ToJson());
        }
        var outcomes = new List<(string, StageOutcome, double)>();

        void Stage(string name, string key, Func<IReadOnlyList<string>> compute)
        {
            ct.ThrowIfCancellationRequested();
            if (plan is not null)
            {
                bool cached = runner.IsCached(name, key);
                plan.Add(new PlannedStage(name, cached));
                if (!cached) throw new PlanComplete();
                return;
            }
            var watch = Stopwatch.StartNew();
            StageOutcome outcome;
            try
            {
                outcome = runner.Run(name, key, compute);
            }
            catch (System.Runtime.InteropServices.ExternalException e)
            {
                // An intermittent libtorch error ("Expected false to be true") has been seen about once in
                // five runs, at different places, and never reproduced in isolation. Every stage is
                // deterministic and the collection resumes from its last whole block, so one retry is safe;
                // it is logged, and a second failure propagates.
                log.WriteLine($"[{name}] native error ({e.Message.Split('\n')[0]}); retrying the stage once");
                outcome = runner.Run(name, key, compute);
            }
            outcomes.Add((name, outcome, watch.Elapsed.TotalSeconds));
            double? left = outcome == StageOutcome.Ran ? RemainingSeconds(order, name, lastSeconds) : null;
            log.WriteLine(outcome == StageOutcome.Skipped
                ? $"[{name}] unchanged, skipped"
                : $"[{name}] done in {watch.Elapsed.TotalSeconds:F1} s" + (left is > 0 ? $"; run ≈ {Duration(left.Value)} left (as the last run of this configuration took)" : ""));
        }

        // A plan needs only the data's key; computing the PCA would write its cache.
        LoadedDataset? loaded = plan is null ? DatasetLoader.Load(config.DataDir, config.Components, cacheDirectory) : null;
        string sourceKey = loaded?.Reduced.SourceKey ?? DatasetLoader.SourceKey(config.DataDir, config.Components);
        var data = new Lazy<ReducedDataset>(() => loaded?.Reduced ?? throw new InvalidOperationException("a plan reads no data"));
        Stage("data", StageRunner.Key("data-v1", sourceKey), () =>
        {
            var reduced = data.Value;
            var summary = new JsonObject
            {
                ["source"] = loaded!.Raw.Directory,
                ["embedded_mnist"] = loaded.Raw.IsEmbeddedMnist,
                ["train"] = reduced.TrainCount,
                ["test"] = reduced.TestCount,
                ["components"] = reduced.Dimension,
                ["explained_variance"] = reduced.Pca.ExplainedVarianceFraction,
                ["source_key"] = reduced.SourceKey,
            };
            WriteJson(runner, "data.json", summary);
            return ["data.json"];
        });

        foreach (string scenario in Scenarios(config))
            RunScenario(config, scenario, runner, data, sourceKey, Stage, progress, ct);

        // The report is cheap: it also reruns whenever the tool itself changed (its version names the git commit).
        Stage("report", StageRunner.Key(RunReport.AlgorithmVersion, RunManifest.ToolVersion(), config.ToJson(),
                string.Join("|", runner.Manifest.Stages.Where(s => s.Name != "report").Select(s => runner.OutputsKey(s.Name)))),
            () => RunReport.Write(runner, config));

        if (plan is not null) return null;
        runner.Manifest.TotalSeconds = clock.Elapsed.TotalSeconds;
        runner.Save();
        return new RunResult(runner.RunDirectory, runner.PathOf("report.md"), outcomes);
    }

    private static void RunScenario(RunConfig config, string scenario, StageRunner runner, Lazy<ReducedDataset> data, string sourceKey,
        Action<string, string, Func<IReadOnlyList<string>>> stage, IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        string dir = scenario;
        string ensembleRelative = Path.Combine(dir, EnsembleFile);
        var collection = CollectionSettingsFor(config, scenario, runner.PathOf(ensembleRelative));
        var architecture = collection.Architecture;
        string collectKey = StageRunner.Key(EnsembleCollection.AlgorithmVersion, sourceKey, Convert.ToHexString(collection.Header().ToBytes()));

        string[] shards = ShardsOf(config, scenario);
        if (shards.Length > 0)
        {
            using (var first = EnsembleReader.Open(shards[0])) architecture = first.Header.Architecture;
            collectKey = StageRunner.Key("import-v1", string.Join("|", shards.Select(s => IO.FileHash.Sha256(s))));
        }

        stage($"{scenario}/collect", collectKey, () =>
        {
            string path = runner.PathOf(ensembleRelative);
            CollectionReport report;
            if (shards.Length > 0)
            {
                // Continue from ensembles collected elsewhere (e.g. shards of a cluster job array): merge them exactly.
                long count = EnsembleTools.Merge(shards, path, ct, config.AllowMissingShards);
                report = CollectionReports.OfImport(scenario, path, shards, count, collection.Threshold, ct);
            }
            else
            {
                // A partial file from an interrupted attempt with the same settings is resumed (no configuration is lost);
                // one from other settings is discarded.
                string marker = runner.PathOf(Path.Combine(dir, "collect.key"));
                bool resumable = File.Exists(path) && File.Exists(marker) && File.ReadAllText(marker) == collectKey;
                if (!resumable && File.Exists(path)) File.Delete(path);
                AtomicWrite(marker, collectKey);
                var settings = collection with { Resume = resumable };
                report = CollectionReports.Of(settings, EnsembleCollection.Run(settings, data.Value, progress, ct), ct);
            }
            var written = CollectionReports.Write(report, runner.PathOf(dir));
            return [ensembleRelative, .. written.Select(f => Path.Combine(dir, f))];
        });

        string momentsStem = Path.Combine(dir, "moments", "moments");
        var statistics = config.StatisticsOrDefault;
        stage($"{scenario}/moments", StageRunner.Key(EnsembleMoments.AlgorithmVersion, config.Fit.Triplets.ToString(CultureInfo.InvariantCulture),
            config.Seed.ToString(CultureInfo.InvariantCulture), JsonSerializer.Serialize(statistics), runner.OutputsKey($"{scenario}/collect")), () =>
        {
            ResetDirectory(runner, Path.Combine(dir, "moments"));
            var input = MomentsInput.FromEnsembles([runner.PathOf(ensembleRelative)], ensembleRelative, ct: ct);
            var settings = MomentsSettingsFor(config, scenario, architecture);
            EnsembleMoments.Write(EnsembleMoments.Run(input, settings, progress, ct), input, settings, runner.PathOf(momentsStem));
            return FilesUnder(runner, Path.Combine(dir, "moments"));
        });

        var parts = architecture.Parts().Where(p => config.Fit.PartList.Contains(p.Name, StringComparer.OrdinalIgnoreCase)).Select(p => p.Name).ToArray();
        if (parts.Length == 0) parts = ["FULL"];
        string fitDir = Path.Combine(dir, "fit");
        FitRunResult? fitResult = null;
        stage($"{scenario}/fit", StageRunner.Key(FitPipeline.AlgorithmVersion, JsonSerializer.Serialize(config.Fit), string.Join(",", parts),
            DerivedSeed(config.Seed, scenario, SeedStreams.Fit).ToString(CultureInfo.InvariantCulture), runner.OutputsKey($"{scenario}/moments")), () =>
        {
            ResetDirectory(runner, fitDir);
            fitResult = FitStage(config.Fit, runner.PathOf(momentsStem), parts, DerivedSeed(config.Seed, scenario, SeedStreams.Fit),
                runner.PathOf(ensembleRelative), runner.PathOf(fitDir), progress, ct);
            return FilesUnder(runner, fitDir);
        });

        // The fitted models: in memory when the stage ran, else from its table (a plan stops before a stage that would run).
        var fitted = fitResult != null ? FitPipeline.Table(fitResult) : FitTableRow.Read(runner.PathOf(Path.Combine(fitDir, FitPipeline.TableFile)));
        var models = fitResult != null
            ? fitResult.Parts.Select(r => new PartModel(r.Part, r.Model, architecture, runner.PathOf(Path.Combine(fitDir, r.ModelName)))).ToList()
            : fitted.Select(r => PartModels.FromModelFile(runner.PathOf(Path.Combine(fitDir, r.Model!)), architecture, r.Part)).ToList();
        var full = models.First(m => m.Name == "FULL");
        // The fit stage's verdicts: a part whose model does not reproduce its data is not ranked against the others.
        var fitVerdicts = RunReport.FitVerdicts(fitted)!;
        var references = ReferenceSource.Ensemble(runner.PathOf(ensembleRelative));
        string landscapeDir = Path.Combine(dir, "landscape");
        stage($"{scenario}/landscape", StageRunner.Key(LandscapeJob.AlgorithmVersion, JsonSerializer.Serialize(config.Landscape), runner.OutputsKey($"{scenario}/fit")), () =>
        {
            ResetDirectory(runner, landscapeDir);
            var result = LandscapeJob.Run(models, references, scenario, config.Landscape.ToJobSettings(), progress, ct);
            LandscapeJob.Write(result, runner.PathOf(landscapeDir), fitVerdicts);
            return FilesUnder(runner, landscapeDir);
        });

        if (statistics.SplitHalf)
        {
            string splitDir = Path.Combine(dir, "split-half");
            var splitParts = SplitHalf.Parts(models.Select(m => m.Name).ToArray());
            stage($"{scenario}/split-half", StageRunner.Key(SplitHalf.AlgorithmVersion, EnsembleMoments.AlgorithmVersion, FitPipeline.AlgorithmVersion, LandscapeJob.AlgorithmVersion, JsonSerializer.Serialize(config.Fit), JsonSerializer.Serialize(config.Landscape),
                JsonSerializer.Serialize(statistics), string.Join(",", splitParts), config.Seed.ToString(CultureInfo.InvariantCulture),
                runner.OutputsKey($"{scenario}/collect"), runner.OutputsKey($"{scenario}/fit")), () =>
            {
                ResetDirectory(runner, splitDir);
                StageJson.Write(runner.PathOf(Path.Combine(splitDir, SplitHalfSummaryFile)),
                    RunSplitHalf(runner, config, scenario, architecture, ensembleRelative, splitDir, splitParts, full, references, progress, ct));
                return FilesUnder(runner, splitDir);
            });
        }

        string tapDir = Path.Combine(dir, "tap");
        if (config.Landscape.TapStarts > 0)
        {
            stage($"{scenario}/tap", StageRunner.Key(TapLandscape.AlgorithmVersion, config.Landscape.TapStarts.ToString(CultureInfo.InvariantCulture), config.Seed.ToString(CultureInfo.InvariantCulture),
                runner.OutputsKey($"{scenario}/fit")), () =>
            {
                ResetDirectory(runner, tapDir);
                var census = TapLandscape.Run(full.Model, new TapCensusSettings(Starts: config.Landscape.TapStarts, Seed: DerivedSeed(config.Seed, scenario, SeedStreams.Tap)), progress, ct);
                var written = LandscapeReport.WriteTap(runner.PathOf(tapDir), $"{scenario} FULL", census);
                var summary = new TapStageSummary(census.Starts, census.Converged, census.DistinctStates, census.Peaks.Length,
                    census.Passes.Select(p => new TapPassSummary(p.Damping, p.Attempted, p.Converged)).ToArray(), written.Summary);
                StageJson.Write(runner.PathOf(Path.Combine(tapDir, TapSummaryFile)), summary);
                return FilesUnder(runner, tapDir);
            });
        }

        string dynamicsDir = Path.Combine(dir, "dynamics");
        if (config.Landscape.DynamicsSweeps > 0)
        {
            stage($"{scenario}/dynamics", StageRunner.Key(Dynamics.AlgorithmVersion, config.Landscape.DynamicsSweeps.ToString(CultureInfo.InvariantCulture),
                config.Landscape.DynamicsReferences.ToString(CultureInfo.InvariantCulture), config.Seed.ToString(CultureInfo.InvariantCulture),
                runner.OutputsKey($"{scenario}/fit")), () =>
            {
                ResetDirectory(runner, dynamicsDir);
                var starts = references.Select(full, new ReferenceChoice(ReferenceRank.Lowest), config.Landscape.DynamicsReferences, ct);
                var settings = new DynamicsSettings(Sweeps: config.Landscape.DynamicsSweeps, RecordEvery: Math.Max(1, config.Landscape.DynamicsSweeps / 50),
                    Seed: DerivedSeed(config.Seed, scenario, SeedStreams.Dynamics));
                var result = Dynamics.Run(full.Model, full.Part, architecture, starts, data.Value.TestInputs, data.Value.TestLabels, settings, progress, ct);
                var written = LandscapeReport.WriteDynamics(runner.PathOf(dynamicsDir), $"{scenario} FULL", result);
                var all = EnsembleReferences.ReadAll(runner.PathOf(ensembleRelative), 20000, ct);
                var table = EnergyAccuracy.Evaluate(full.Model, full.Part, all);
                var energyAccuracy = LandscapeReport.WriteEnergyAccuracy(runner.PathOf(dynamicsDir), $"{scenario} FULL", table, EnergyAccuracy.Parameters(full.Model));
                var summary = new DynamicsStageSummary(starts.Count, settings.Sweeps, written.Summary, Finite(table.Correlation), energyAccuracy.Summary);
                StageJson.Write(runner.PathOf(Path.Combine(dynamicsDir, DynamicsSummaryFile)), summary);
                return FilesUnder(runner, dynamicsDir);
            });
        }
    }

    /// <summary>
    /// The fit stage: <c>fsi fit</c>'s <see cref="FitPipeline.Run"/> and <see cref="FitPipeline.Write"/> with the run's
    /// settings (the same method, start, checks and tolerances), on the moments at <paramref name="momentsStem"/>; a penalty
    /// is chosen on held-out groups of the networks of <paramref name="ensemble"/>.
    /// </summary>
    internal static FitRunResult FitStage(FitConfig fit, string momentsStem, IReadOnlyList<string> parts, ulong seed, string ensemble,
        string outputDirectory, IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        var settings = fit.ToSettings(new FitInput(MomentsStem: momentsStem), parts, seed);
        if (settings.Penalty != null)
        {
            // Held-out networks for the penalty: groups of the run's ensemble by network id.
            var (folds, networks) = FitPipeline.FoldsFromEnsembles([ensemble], fit.Folds, ct);
            settings = settings with { Folds = folds, SampleCount = networks };
        }
        var result = FitPipeline.Run(settings, progress, ct);
        FitPipeline.Write(result, outputDirectory);
        return result;
    }

    // The split-half check: the networks dealt into two halves, each with its own moments, fits of the compared parts and
    // landscapes around the run's first reference (chosen by the whole sample's FULL model, so both halves use the same one).
    private static SplitHalfSummary RunSplitHalf(StageRunner runner, RunConfig config, string scenario, Architecture architecture, string ensembleRelative,
        string splitDir, string[] parts, PartModel full, ReferenceSource references, IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        string[] ensembles = [runner.PathOf(ensembleRelative)];
        var ids = EnsembleMoments.OpenEnsembles(ensembles, ct).Chunks.SelectMany(c => c.NetworkIds);
        var (a, b) = SplitHalf.Halves(ids, DerivedSeed(config.Seed, scenario, SeedStreams.SplitHalfDeal));
        var choice = ReferenceChoice.Parse(config.Landscape.ReferenceList[0], "landscape.references");
        var reference = references.Select(full, choice, 1, ct)[0];
        var halves = new[] { ("A", a), ("B", b) };
        var models = new List<List<PartModel>>();
        var verdicts = new List<Dictionary<string, PartFitVerdict>>();
        for (int h = 0; h < halves.Length; h++)
        {
            var (name, members) = halves[h];
            string half = Path.Combine(splitDir, name);
            var moments = ScenarioMoments(config, scenario, architecture, ensembles, $"{ensembleRelative} (half {name})", members.Contains, progress, ct);
            string stem = runner.PathOf(Path.Combine(half, "moments", "moments"));
            EnsembleMoments.Write(moments, stem, new Dictionary<string, object?>
            {
                ["architecture"] = architecture.ToString(), ["seed"] = config.Seed, ["half"] = name, ["networks"] = members.Count,
            });
            var settings = config.Fit.ToSettings(new FitInput(MomentsStem: stem), parts, DerivedSeed(config.Seed, scenario, SeedStreams.SplitHalfFits + h));
            var fit = FitPipeline.Run(settings, progress, ct);
            FitPipeline.Write(fit, runner.PathOf(Path.Combine(half, "fit")));
            var reports = fit.Parts;
            models.Add(reports.Select(r => new PartModel(r.Part, r.Model, architecture, runner.PathOf(Path.Combine(half, "fit", r.ModelName)))).ToList());
            verdicts.Add(reports.ToDictionary(r => r.Part.Name, r => new PartFitVerdict(r.Verdict.Reproduces, r.Verdict.Text)));
        }
        var sweepSettings = config.Landscape.ToJobSettings().Sweep;
        var jobs = models.SelectMany(ms => ms.Select(m => new EntropyLandscape.SweepJob(m.Name, m.Model, reference.Slice(m.Part.Start, m.Part.Length)))).ToArray();
        var sweeps = EntropyLandscape.SweepAll(jobs, sweepSettings, $"split-half {scenario}", progress, ct);
        var sweepsA = sweeps.Take(models[0].Count).ToList();
        var sweepsB = sweeps.Skip(models[0].Count).ToList();
        string label = $"{choice} energy reference ({reference.Label})";
        for (int h = 0; h < halves.Length; h++)
            LandscapeReport.WriteSweeps(runner.PathOf(Path.Combine(splitDir, halves[h].Item1, "landscape")), h == 0 ? sweepsA : sweepsB,
                $"{scenario}, half {halves[h].Item1}, {label}", fits: verdicts[h]);
        var result = SplitHalf.Compare(a.Count, b.Count, label, sweepsA.Select(s => LandscapeFindings.Of(s, choice.ToString())).ToArray(),
            sweepsB.Select(s => LandscapeFindings.Of(s, choice.ToString())).ToArray(), verdicts[0], verdicts[1]);
        SplitHalf.Write(runner.PathOf(splitDir), scenario, result, sweepsA, sweepsB);
        return new SplitHalfSummary(a.Count, b.Count, label, result.Agree, result.RankingsAgree, result.RankingResolved,
            [result.RankingA.MostLiquid, result.RankingB.MostLiquid], [result.RankingA.MostConstrained, result.RankingB.MostConstrained],
            result.Parts.Select(p => new SplitHalfPartSummary(p.Part, p.Size, Finite(p.A.MaxGapToBound), Finite(p.B.MaxGapToBound), Finite(p.GapError),
                p.A.Jumps.Count, p.B.Jumps.Count, p.A.Hysteresis.Count, p.B.Hysteresis.Count, p.TransitionsAgree, p.A.Coverage, p.B.Coverage,
                p.FitA?.Description, p.FitB?.Description, p.FitsReproduce)).ToArray(),
            result.Sentence());
    }

    /// <summary>
    /// The moments of a scenario's ensemble as the run forms them: sampled triplets, the hidden-node-permutation
    /// averaging and the bootstrap over networks of <see cref="RunConfig.StatisticsOrDefault"/>; restricted to the
    /// networks <paramref name="networkFilter"/> accepts when given (the split-half check).
    /// </summary>
    public static MomentsResult ScenarioMoments(RunConfig config, string scenario, Architecture architecture, IReadOnlyList<string> ensembles,
        string source, Func<int, bool>? networkFilter, IProgress<ProgressReport>? progress, CancellationToken ct) =>
        EnsembleMoments.Run(MomentsInput.FromEnsembles(ensembles, source, networkFilter, ct), MomentsSettingsFor(config, scenario, architecture), progress, ct);

    /// <summary>
    /// The moments settings of a scenario under a run configuration: the fit's triplet count, the statistics' symmetrisation
    /// (only where hidden nodes can be relabelled) and bootstrap, and the scenario's node of the seed tree.
    /// </summary>
    public static EnsembleMomentsSettings MomentsSettingsFor(RunConfig config, string scenario, Architecture architecture)
    {
        var statistics = config.StatisticsOrDefault;
        return new EnsembleMomentsSettings(config.Fit.Triplets, statistics.Symmetrize && !new NodeOrbits(architecture).IsTrivial,
            statistics.BootstrapReplicates, new SeedTree(config.Seed).Child(scenario).Seed);
    }

    /// <summary>The scenarios of a run: from the configuration, or from the headers of the ensembles it starts from.</summary>
    public static string[] Scenarios(RunConfig config)
    {
        if (config.FromEnsembles is not { Length: > 0 } files) return config.Scenarios;
        return files.Select(f => { using var r = EnsembleReader.Open(f); return r.Header.Scenario; }).Distinct().ToArray();
    }

    private static string[] ShardsOf(RunConfig config, string scenario)
    {
        if (config.FromEnsembles is not { Length: > 0 } files) return [];
        return files.Where(f => { using var r = EnsembleReader.Open(f); return r.Header.Scenario == scenario; }).ToArray();
    }

    /// <summary>The collection settings of a scenario under a run configuration.</summary>
    public static CollectionSettings CollectionSettingsFor(RunConfig config, string scenario, string outputPath)
    {
        var defaults = CollectionSettings.ForScenario(scenario, outputPath, config.Components);
        var c = config.Collect;
        return defaults with
        {
            Training = defaults.Training with { Epochs = c.Epochs ?? defaults.Training.Epochs },
            TrainCount = c.TrainCount ?? defaults.TrainCount,
            Networks = c.Networks,
            Samples = c.Samples,
            Threshold = c.Threshold,
            Selection = c.Selection == "best" ? SelectionMode.Best : SelectionMode.All,
            Seed = DerivedSeed(config.Seed, scenario, SeedStreams.Collect),
            BlockSize = Math.Min(c.BlockSize, c.Networks),
            CreatedUtc = DateTime.UnixEpoch,
        };
    }

    /// <summary>A stage's seed: the master seed's child for the scenario, then for the stage's stream (<see cref="SeedStreams"/>).</summary>
    public static ulong DerivedSeed(ulong master, string scenario, int stream) => new SeedTree(master).Child(scenario).Child(stream).Seed;

    private static IReadOnlyList<string> FilesUnder(StageRunner runner, string relativeDirectory)
    {
        string full = runner.PathOf(relativeDirectory);
        return Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Select(f => Path.GetRelativePath(runner.RunDirectory, f))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToArray();
    }

    // A stage owns its directory: stale files from an earlier parameter set must not count as its outputs.
    private static void ResetDirectory(StageRunner runner, string relativeDirectory)
    {
        string full = runner.PathOf(relativeDirectory);
        if (Directory.Exists(full)) Directory.Delete(full, recursive: true);
        Directory.CreateDirectory(full);
    }

    private static void AtomicWrite(string path, string text) => IO.AtomicFile.WriteAllText(path, text);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    // A stage's summary (read back by the report), written atomically as indented JSON.
    private static void WriteJson(StageRunner runner, string relative, JsonNode node) =>
        AtomicWrite(runner.PathOf(relative), node.ToJsonString(Indented));
}
