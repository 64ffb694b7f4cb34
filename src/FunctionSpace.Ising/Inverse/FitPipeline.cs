using System.Diagnostics;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Reporting;
using static FunctionSpace.Ising.IO.JsonNumbers;

namespace FunctionSpace.Ising.Inverse;

/// <summary>Where the data of a fit comes from: exactly one of the inputs must be set.</summary>
/// <param name="MomentsStem">Moments saved by <c>fsi moments</c>.</param>
/// <param name="MomentsTextDirectory">A folder with the study's mi_data.txt and Ca_data.txt.</param>
/// <param name="Ensembles">Ensemble files (shards; moments merge exactly).</param>
/// <param name="SpinsNpy">An int8 M×N .npy of ±1 spins.</param>
public sealed record FitInput(string? MomentsStem = null, string? MomentsTextDirectory = null,
    IReadOnlyList<string>? Ensembles = null, string? SpinsNpy = null)
{
    /// <summary>Accept ensemble shards that do not make up their whole collection (<see cref="EnsembleSet.Open"/>).</summary>
    public bool AllowMissingShards { get; init; }

    /// <summary>Largest number of spin values (configurations × N) kept in memory for sample-based methods (pseudolikelihood).</summary>
    public const long MaxKeptSpins = 1L << 30;

    /// <summary>
    /// Loads the moments, and the samples when the input has them and <paramref name="keepSamples"/> is set (only
    /// sample-based methods need them; at most <see cref="MaxKeptSpins"/> values). Bad input ⇒ one-line InputException.
    /// </summary>
    public (DataMoments Moments, sbyte[]? Samples, int SampleCount, Architecture? Architecture) Load(int[]? triplets = null, CancellationToken ct = default,
        bool keepSamples = true)
    {
        int given = (MomentsStem != null ? 1 : 0) + (MomentsTextDirectory != null ? 1 : 0) + (Ensembles is { Count: > 0 } ? 1 : 0) + (SpinsNpy != null ? 1 : 0);
        if (given != 1) throw new InputException("give exactly one input: --moments, --moments-text, --ensemble or --spins");
        if (MomentsStem != null) return (DataMoments.Load(MomentsStem), null, 0, null);
        if (MomentsTextDirectory != null) return (DataMoments.LoadText(MomentsTextDirectory), null, 0, null);
        if (SpinsNpy != null)
        {
            var array = IO.Npy.Read(SpinsNpy);
            if (array.Shape.Length != 2 || array.Descr != "|i1")
                throw new InputException($"{SpinsNpy}: expected an int8 M×N array of ±1 spins, found {array.Descr} shape ({string.Join(",", array.Shape)})");
            var spins = array.As<sbyte>();
            var acc = new MomentAccumulator(array.Shape[1], triplets);
            acc.Add(spins, array.Shape[0], SpinsNpy);
            return (acc.ToMoments(Path.GetFullPath(SpinsNpy)), spins, array.Shape[0], null);
        }
        // One collection, each shard once, none missing unless allowed (EnsembleSet); every chunk checked as it is read.
        var set = EnsembleSet.Open(Ensembles!, AllowMissingShards);
        Architecture architecture = set.Header.Architecture;
        var accumulator = new MomentAccumulator(architecture.WeightCount, triplets);
        var all = new List<sbyte>();
        foreach (var (path, chunk) in set.ReadChunks(ct))
        {
            accumulator.Add(chunk.Spins, chunk.Count, path);
            if (!keepSamples) continue;
            if ((long)all.Count + chunk.Spins.Length > MaxKeptSpins)
                throw new InputException($"{path}: the ensembles hold more than {MaxKeptSpins:N0} spin values (configurations × N), too many to keep in memory for a sample-based method; use fewer shards or --method bp/mc");
            all.AddRange(chunk.Spins);
        }
        var moments = accumulator.ToMoments(string.Join(",", Ensembles!.Select(Path.GetFullPath)));
        return (moments, keepSamples ? all.ToArray() : null, keepSamples ? (int)moments.Count : 0, architecture);
    }

    /// <summary>
    /// Moments of <paramref name="groups"/> disjoint groups of networks of the ensemble input (network id mod K, so each group
    /// holds whole networks), for choosing a penalty on held-out networks; with the number of distinct networks per group
    /// (the independent samples: configurations of one network are not independent).
    /// </summary>
    public (IReadOnlyList<MomentAccumulator> Groups, long[] Networks) LoadGroups(int groups, CancellationToken ct = default)
    {
        if (Ensembles is not { Count: > 0 }) throw new InputException("--folds: needs --ensemble input (held-out networks are chosen by network id)");
        if (groups < 2) throw new InputException($"--folds: {groups} must be at least 2");
        MomentAccumulator[]? accumulators = null;
        var ids = Enumerable.Range(0, groups).Select(_ => new HashSet<int>()).ToArray();
        foreach (string path in Ensembles)
        {
            using var reader = EnsembleReader.Open(path);
            int n = reader.Header.Architecture.WeightCount;
            accumulators ??= Enumerable.Range(0, groups).Select(_ => new MomentAccumulator(n)).ToArray();
            if (accumulators[0].SpinCount != n) throw new InputException($"{path}: {n} spins, the other shards {accumulators[0].SpinCount}");
            foreach (var chunk in reader.ReadChunks(ct))
            {
                for (int g = 0; g < groups; g++)
                {
                    var rows = Enumerable.Range(0, chunk.Count).Where(r => HeldOutSelection.GroupOf(chunk.NetworkIds[r], groups) == g).ToArray();
                    if (rows.Length == 0) continue;
                    var spins = new sbyte[rows.Length * n];
                    for (int k = 0; k < rows.Length; k++) chunk.Configuration(rows[k]).CopyTo(spins.AsSpan(k * n, n));
                    accumulators[g].Add(spins, rows.Length, path);
                    foreach (int r in rows) ids[g].Add(chunk.NetworkIds[r]);
                }
            }
        }
        return (accumulators!, ids.Select(set => (long)set.Count).ToArray());
    }
}

/// <summary>
/// The fitting pipeline behind <c>fsi fit</c> and the fit stage of <c>fsi run</c>: load data, per part fit with the chosen
/// method, keep it only if it beats the independent-site model, check it by BP and by a Monte-Carlo verification on fresh
/// chains, judge it against the target and the data's noise floor, write model files (ModelFile + JSON sidecar), the RMSE
/// curve, data-vs-model scatter and J/h histograms (PNG + CSV).
/// </summary>
public static class FitPipeline
{
    /// <summary>Part of the run's cache key: changed whenever the same inputs and settings would give other outputs.</summary>
    public const string AlgorithmVersion = "fit-v3";

    /// <summary>Runs the fits; returns one report per part (models in memory; nothing is written: <see cref="Write"/>).</summary>
    public static FitRunResult Run(FitSettings settings, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        bool needsSamples = settings.Method == FitMethod.Pl;
        var (data, samples, sampleCount, architecture) = settings.Input.Load(null, ct, keepSamples: needsSamples);
        architecture ??= data.Size switch { 675 => Architecture.Deep, 200 => Architecture.Shallow, _ => null };
        var folds = settings.Folds;
        double fullCount = settings.SampleCount ?? data.Count;
        if (settings.Penalty != null && folds == null)
        {
            if (settings.Input.Ensembles is not { Count: > 0 } ensembles)
                throw new InputException("--penalty: choosing a penalty on held-out networks needs --ensemble input (or fold moments)");
            (folds, double networks) = FoldsFromEnsembles(ensembles, settings.FoldCount, ct);
            fullCount = settings.SampleCount ?? networks;
        }
        if (folds != null && folds.Any(f => f.Train.Size != data.Size || f.HeldOut.Size != data.Size))
            throw new InputException($"penalty selection: fold moments do not have the data's {data.Size} spins");
        var reports = new List<PartFitReport>();
        foreach (string partName in settings.Parts)
        {
            SpinSlice part = architecture?.Part(partName) ?? ParseRange(partName, data.Size);
            var partMoments = data.Slice(part.Start, part.Length, part.Name);
            sbyte[]? partSamples = samples == null ? null : SliceSamples(samples, sampleCount, data.Size, part);
            var target = new FitTarget(partMoments.ToMoments(), partSamples, partSamples == null ? 0 : sampleCount, partMoments.Source);
            var partSettings = settings;
            PenaltySelection? selection = null;
            if (settings.Penalty is { } kind && folds != null)
            {
                if (!(fullCount > 0)) throw new InputException("penalty selection: the number of independent samples of the data is unknown; give it");
                var partFolds = folds.Select(f => f.Slice(part.Start, part.Length)).ToList();
                selection = HeldOutSelection.Select(partFolds, kind, settings.PenaltyScales ?? PenaltyScale.Defaults(kind),
                    (fold, options, token) => FoldModelMoments(settings, part, fold.Train, fold.TrainCount, options, token), settings.Fit, progress, ct);
                var (l2, l1) = selection.StrengthsFor(fullCount);
                partSettings = settings with { Fit = settings.Fit with { L2 = l2, L1 = l1 } };
            }
            var report = FitPart(partSettings, part, target, partMoments, progress, ct);
            reports.Add(report with { Penalty = selection, PenaltySampleCount = fullCount });
        }
        return new FitRunResult(reports);
    }

    /// <summary>
    /// Writes a fit's outputs into <paramref name="directory"/>: per part the model (J/h .npy + JSON sidecar,
    /// <see cref="PartFitReport.ModelName"/>), its figures (<see cref="FitFigures"/>) and the penalty table when a penalty was
    /// chosen; and the fit table fit.json (<see cref="FitTableRow"/>).
    /// </summary>
    public static void Write(FitRunResult result, string directory)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(directory);
        foreach (var r in result.Parts)
        {
            string stem = Path.Combine(directory, r.ModelName);
            ModelFile.Save(stem, r.Model, r.Sidecar);
            FitFigures.Write(stem, r.Part.Name, r.Fit, r.Data, r.Verification?.Moments, r.IndependentRmse, r.NoiseFloor, r.TargetRmse);
            if (r.Penalty != null) WritePenaltyTable(stem, r.Penalty, r.PenaltySampleCount);
        }
        IO.AtomicFile.WriteAllText(Path.Combine(directory, TableFile), FitTableRow.ToJson(Table(result)));
    }

    /// <summary>The name of the fit table in a fit's output folder.</summary>
    public const string TableFile = "fit.json";

    /// <summary>
    /// Leave-one-group-out folds of the ensembles' networks (groups by network id, <see cref="HeldOutSelection.GroupOf"/>),
    /// each with its networks as the sample count, and the number of networks in all.
    /// </summary>
    public static (IReadOnlyList<MomentFold> Folds, double Networks) FoldsFromEnsembles(IReadOnlyList<string> ensembles, int groups, CancellationToken ct = default)
    {
        var (accumulators, networks) = new FitInput(Ensembles: ensembles).LoadGroups(groups, ct);
        var folds = HeldOutSelection.FromGroups(accumulators).Select((f, k) =>
            f with { TrainCount = networks.Where((_, g) => g != k).Sum(), HeldOutCount = networks[k] }).ToList();
        return (folds, networks.Sum());
    }

    /// <summary>The fit table (fit.json): one row per part, with the independent-site baseline in every row.</summary>
    public static IReadOnlyList<FitTableRow> Table(FitRunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Parts.Select(FitTableRow.Of).ToArray();
    }

    // The moments of the model fitted to a fold's training moments: the learning's own check of its best model (the fold
    // fits are compared with each other, all measured the same way).
    private static Moments FoldModelMoments(FitSettings settings, SpinSlice part, Moments train, double trainCount, FitOptions options, CancellationToken ct)
    {
        var target = FitTarget.FromMoments(train, $"{part.Name} training fold");
        if (settings.Method != FitMethod.Mc)
        {
            var fit = Solver(settings.Method, settings.Bp, out _, settings.Chains).Fit(target, null, options, null, ct);
            return FitVerification.Verify(fit.Model, train, FitDefaults.StartCheck(settings.Seed), null, ct).Moments;
        }
        var learner = new PersistentChainLearning(settings.Chains with { Seed = FitDefaults.Seeds(settings.Seed).Learning });
        double floor = NoiseFloorFromCount(train, trainCount);
        if (double.IsFinite(floor)) options = options with { RmseTolerance = Math.Max(options.RmseTolerance, floor) };
        learner.Fit(target, StartModel(settings, part, target, null), options, null, ct);
        return learner.BestCheck!.Moments;
    }

    private static void WritePenaltyTable(string stem, PenaltySelection selection, double count)
    {
        var rows = selection.Scores.Select(s => (s.Scale, L: PenaltyScale.Strengths(selection.Kind, s.Scale, count), s.Mean, s.StandardError)).ToArray();
        CsvTable.WriteColumns(stem + ".penalty.csv", ["scale", "l2", "l1", "held_out_rmse", "standard_error"],
            rows.Select(r => r.Scale).ToArray(), rows.Select(r => r.L.L2).ToArray(), rows.Select(r => r.L.L1).ToArray(),
            rows.Select(r => r.Mean).ToArray(), rows.Select(r => r.StandardError).ToArray());
    }

    private static SpinSlice ParseRange(string name, int size)
    {
        if (string.Equals(name, "FULL", StringComparison.OrdinalIgnoreCase)) return new SpinSlice("FULL", 0, size);
        string[] r = name.Split(':');
        if (r.Length == 2 && int.TryParse(r[0], out int a) && int.TryParse(r[1], out int b) && 0 <= a && a < b && b <= size)
            return new SpinSlice(name, a, b - a);
        throw new InputException($"--part: '{name}' is not FULL or a range start:end within 0..{size} (no architecture known for {size} spins)");
    }

    private static sbyte[] SliceSamples(sbyte[] samples, int count, int n, SpinSlice part)
    {
        if (part.Start == 0 && part.Length == n) return samples;
        var result = new sbyte[(long)count * part.Length];
        for (int mu = 0; mu < count; mu++) Array.Copy(samples, (long)mu * n + part.Start, result, (long)mu * part.Length, part.Length);
        return result;
    }

    /// <summary>The stall window of BP inside Boltzmann learning (<see cref="BpOptions.StallSweeps"/>).</summary>
    /// <remarks>On the published FULL data BP at damping 0.5 stops converging after about ten learning steps; each such
    /// step ran 5,000 sweeps before escalating to 0.8 (which converges in ~100). With a 100-sweep window the 20 steps of
    /// `fsi bench fit` took 88 sweeps per step on average instead of 1,798.</remarks>
    public const int LearningStallSweeps = 100;

    /// <summary>
    /// BP sweeps allowed to the estimate of a learning step with the inexact estimator (<see cref="InexactBpMomentEstimator.SweepBudget"/>):
    /// a step whose BP has not converged within them is undone and the rate halved, as for a step that raised the RMSE.
    /// </summary>
    /// <remarks>
    /// Why a step that needs many sweeps is not worth finishing: warm-started BP converges like ρ^t, ρ the spectral radius
    /// of the damped message map at the new model, so slow convergence means ρ near 1, i.e. BP near its instability, where
    /// the moments left at a tolerance τ are off by about τ/(1 − ρ) rather than τ and the step's estimate loses the accuracy
    /// the tolerance schedule assumes. Measured with `fsi bench fit` (no budget): on the learnable N = 675 problem the steps
    /// that lowered the best RMSE took at most 16 sweeps (34 of 47 steps; the others up to 34); on the published FULL data
    /// no step lowered it and those steps took up to 238 sweeps each. 40 is 2.5× the largest kept step; with it the
    /// learnable fit takes the same 47 steps to RMSE 1e-3.
    /// </remarks>
    public const int LearningSweepBudget = 40;

    /// <summary>The solver of a method; <paramref name="update"/> is the step rule of bp.</summary>
    /// <remarks>With <paramref name="inexact"/> BP runs to a tolerance of a tenth of the best RMSE (at most 1e-3, at least
    /// the given tolerance; <see cref="InexactBpMomentEstimator"/>) within <paramref name="sweepBudget"/> sweeps per step,
    /// and a convergence is confirmed at the given tolerance; otherwise every estimate runs BP to the given tolerance.</remarks>
    public static IInverseSolver Solver(FitMethod method, BpOptions bp, out IMomentEstimator? estimator, PersistentChainOptions? chains = null,
        BoltzmannUpdate update = BoltzmannUpdate.MeanFieldNewton, bool inexact = false, int sweepBudget = LearningSweepBudget)
    {
        estimator = null;
        switch (method)
        {
            case FitMethod.Mc: return new PersistentChainLearning(chains);
            case FitMethod.Study:
                // The study's BP: undamped, to a tolerance of 1e-4 (its mean absolute message change); ours escalates damping
                // where undamped BP does not converge instead of returning unconverged messages.
                estimator = new BpMomentEstimator(bp with { Damping = 0, Tolerance = 1e-4, StallSweeps = LearningStallSweeps });
                return new StudyLearning(estimator);
            case FitMethod.Bp:
                // A damping that stops converging as the model moves is given up after 100 sweeps without a new low
                // instead of at the cap (unless the caller chose a stall window).
                var learningBp = bp.StallSweeps > 0 ? bp : bp with { StallSweeps = LearningStallSweeps };
                estimator = inexact
                    ? new InexactBpMomentEstimator(learningBp, 0.1, Math.Max(1e-3, bp.Tolerance)) { SweepBudget = sweepBudget }
                    : new BpMomentEstimator(learningBp);
                return new BoltzmannLearning(estimator, new BoltzmannLearningOptions(Update: update));
            case FitMethod.Pl: return new Pseudolikelihood();
            case FitMethod.Nmf: return new MeanFieldInversion(MeanFieldVariant.Naive);
            case FitMethod.Tap: return new MeanFieldInversion(MeanFieldVariant.Tap);
            default: throw new ArgumentOutOfRangeException(nameof(method), method, "not a fit method");
        }
    }

    /// <summary>
    /// The cheap estimates of a part, each with its verification: the independent-site model (exact), and the nMF and TAP
    /// inversions where the data's correlation matrix can be inverted (verified on fresh chains with
    /// <see cref="FitDefaults.StartCheck"/>). The first is the one with the lowest noise-corrected RMSE among those whose
    /// chains mixed.
    /// </summary>
    public static IReadOnlyList<Incumbent> CheapEstimates(FitTarget target, ulong seed, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var data = target.Moments;
        var list = new List<Incumbent> { new("independent", FitVerification.IndependentModel(data), FitVerification.Independent(data)) };
        foreach (var variant in new[] { MeanFieldVariant.Naive, MeanFieldVariant.Tap })
        {
            IsingModel model;
            try { model = new MeanFieldInversion(variant).Fit(target, null, new FitOptions()).Model; }
            catch (NumericalException) { continue; }   // singular correlations (frozen or duplicated spins): no inversion
            if (model.Couplings.Any(v => !double.IsFinite(v)) || model.Fields.Any(v => !double.IsFinite(v))) continue;
            var check = FitVerification.Verify(model, data, FitDefaults.StartCheck(seed), null, ct);
            if (check.Mixing.Mixed) list.Add(new Incumbent(variant == MeanFieldVariant.Naive ? "nmf" : "tap", model, check));
        }
        return list.OrderBy(c => c.Check.CorrectedRmse).ToList();
    }

    // The learning's start: the given block models, or Init (zero, independent, best, tap, nmf).
    private static IsingModel? StartModel(FitSettings settings, SpinSlice part, FitTarget target, IReadOnlyList<Incumbent>? cheap)
    {
        if (settings.InitModels is { Count: > 0 }) return AssembleBlocks(settings.InitModels, part, target.Moments);
        int n = target.Size;
        switch (settings.Init)
        {
            case FitInit.Zero: return new IsingModel(new double[n], new double[n * n]);
            case FitInit.Independent: return FitVerification.IndependentModel(target.Moments);
            case FitInit.Best: return (cheap ?? CheapEstimates(target, FitDefaults.Seeds(settings.Seed).StartCheck))[0].Model;
            case FitInit.Tap or FitInit.Nmf:
                try { return new MeanFieldInversion(settings.Init == FitInit.Tap ? MeanFieldVariant.Tap : MeanFieldVariant.Naive).Fit(target, null, settings.Fit).Model; }
                catch (NumericalException) { return null; }   // singular correlations: the method's own default start
            default: throw new ArgumentOutOfRangeException(nameof(settings), settings.Init, "not a fit start");
        }
    }

    /// <summary>Fits one part and checks it (nothing is written: <see cref="Write"/>).</summary>
    public static PartFitReport FitPart(FitSettings settings, SpinSlice part, FitTarget target, DataMoments partMoments,
        IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(target);
        var seeds = FitDefaults.Seeds(settings.Seed);
        var chainOptions = settings.Chains with { Seed = seeds.Learning };
        var method = settings.Method;
        var independent = FitVerification.Independent(target.Moments);
        IReadOnlyList<Incumbent>? cheap = null;
        var (floor, floorSource) = NoiseFloorOf(settings, part, partMoments);
        // A learning cannot be asked to beat the data's noise floor: it stops there.
        var learningOptions = double.IsFinite(floor) ? settings.Fit with { RmseTolerance = Math.Max(settings.Fit.RmseTolerance, floor) } : settings.Fit;
        FitResult fit;
        if (method == FitMethod.Mc)
        {
            progress?.Report(new ProgressReport($"start {part.Name}", 0, 1, "checks"));
            cheap = CheapEstimates(target, seeds.StartCheck, ct);
            var learner = new PersistentChainLearning(chainOptions) { Incumbent = cheap[0] };
            fit = learner.Fit(target, StartModel(settings, part, target, cheap), learningOptions, progress, ct);
        }
        else
        {
            var solver = Solver(method, settings.Bp, out _, chainOptions, settings.BpUpdate, settings.BpInexact, settings.BpSweepBudget);
            var initial = solver is MeanFieldInversion ? null : StartModel(settings, part, target, null);
            fit = solver.Fit(target, initial, method == FitMethod.Study ? settings.Fit with { MaxIterations = Math.Min(settings.Fit.MaxIterations, 100), L2 = settings.Fit.L2 > 0 ? settings.Fit.L2 : 1e-4 } : settings.Fit, progress, ct);
        }
        switch (settings.Refine?.ToLowerInvariant())
        {
            case null or "none": break;
            case "mc":
                var firstStage = fit;
                var refiner = new PersistentChainLearning(chainOptions) { Incumbent = new Incumbent(firstStage.Method, firstStage.Model,
                    FitVerification.Verify(firstStage.Model, target.Moments, FitDefaults.StartCheck(seeds.StartCheck), null, ct)) };
                var refined = refiner.Fit(target, firstStage.Model, learningOptions with { MaxIterations = settings.RefineIterations }, progress, ct);
                fit = refined with
                {
                    Method = $"{firstStage.Method}+mc",
                    Elapsed = firstStage.Elapsed + refined.Elapsed,
                    Diagnostics = new Dictionary<string, object?>(refined.Diagnostics)
                    {
                        ["first_stage"] = new Dictionary<string, object?>(firstStage.Diagnostics)
                        {
                            ["method"] = firstStage.Method,
                            ["iterations"] = firstStage.Iterations,
                            ["stop_reason"] = firstStage.Stop.Reason.ToString(),
                            ["seconds"] = firstStage.Elapsed.TotalSeconds,
                            ["rmse_curve"] = firstStage.RmseHistory.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray(),
                        },
                    },
                };
                break;
            default: throw new InputException($"refine: '{settings.Refine}' is not one of none, mc");
        }

        // The final verification, on fresh chains from random starts; a model worse than the independent-site one is not kept.
        IsingModel model = fit.Model;
        // A learning that never beat its incumbent returns the incumbent itself: it is saved under that name.
        string saved = method == FitMethod.Mc && fit.BestIteration < 0 && fit.Diagnostics.GetValueOrDefault("best_source") is string source ? source : fit.Method;
        VerifiedMoments? verification = null;
        double methodRmse = double.NaN;
        if (saved == "independent") verification = independent;
        else if (settings.MonteCarlo.Samples > 0)
        {
            progress?.Report(new ProgressReport($"mc {part.Name}", 0, 1, "runs"));
            verification = FitVerification.VerifyToPrecision(model, target.Moments, settings.MonteCarlo with { Seed = seeds.Verification },
                0.5 * learningOptions.RmseTolerance, seed => seed ^ 0xF1A1_0000_0000_0000UL, progress, ct);
            methodRmse = verification.CorrectedRmse;
            if (!(verification.CorrectedRmse < independent.Rmse) || !verification.Mixing.Mixed)
            {
                model = FitVerification.IndependentModel(target.Moments);
                saved = "independent";
                verification = independent;
            }
        }

        double bpRmse = double.NaN;
        string? bpNote = null;
        if (settings.BpCheck)
        {
            try { bpRmse = target.Moments.Rmse(new BpMomentEstimator(settings.Bp).Estimate(model, ct)); }
            catch (BpConvergenceException e) { bpNote = e.Message; }
        }

        double tripletFraction = double.NaN;
        int tripletCount = 0;
        if (verification?.Run is { } run && partMoments.TripletCount > 0)
        {
            var triplets = Enumerable.Range(0, partMoments.TripletCount)
                .Select(q => (partMoments.TripletIndices![3 * q], partMoments.TripletIndices[3 * q + 1], partMoments.TripletIndices[3 * q + 2])).ToList();
            var model3 = SampleStatistics.ConnectedThreePoint(run.Samples, run.SampleCount, part.Length, triplets);
            var data3 = partMoments.ConnectedTriplets();
            tripletCount = triplets.Count;
            tripletFraction = (double)data3.Zip(model3).Count(p => Math.Abs(p.First - p.Second) <= settings.TripletTolerance) / tripletCount;
        }

        var verdict = FitVerdict.Judge(verification, independent.Rmse, floor, settings.TargetRmse, fit.Stop, StillFalling(fit), saved == "independent" ? "independent" : fit.Method);

        var metadata = new
        {
            kind = "fsi.model",
            method = fit.Method,
            saved,
            part = part.Name,
            slice = new { start = part.Start, length = part.Length },
            source = target.Source,
            init = settings.InitModels is { Count: > 0 } ? "blocks" : settings.Init.Name(),
            seed = settings.Seed,
            hyper_parameters = new { settings.Fit.MaxIterations, settings.Fit.RmseTolerance, settings.Fit.L2, settings.Fit.L1,
                learning = method == FitMethod.Mc || settings.Refine == "mc" ? chainOptions : null,
                bp = settings.Bp,
                bp_update = method == FitMethod.Bp ? settings.BpUpdate.ToString() : null,
                bp_inexact = method == FitMethod.Bp ? settings.BpInexact : (bool?)null,
                bp_sweep_budget = method == FitMethod.Bp && settings.BpInexact ? settings.BpSweepBudget : (int?)null },
            iterations = fit.Iterations,
            stop_reason = fit.Stop.Reason.ToString(),
            stop_detail = fit.Stop.Detail,
            best_iteration = saved == "independent" ? (int?)null : fit.BestIteration >= 0 ? fit.BestIteration : null,
            best_source = saved == "independent" ? "independent" : fit.Diagnostics.GetValueOrDefault("best_source") ?? $"step {fit.BestIteration}",
            seconds = fit.Elapsed.TotalSeconds,
            rmse_curve = fit.RmseHistory.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray(),
            rmse_bp = Finite(bpRmse),
            bp_failure = bpNote,
            rmse_mc = Finite(verification?.Rmse ?? double.NaN),
            rmse_mc_noise = Finite(verification?.NoiseRmse ?? double.NaN),
            rmse_mc_corrected = Finite(verification?.CorrectedRmse ?? double.NaN),
            rmse_method_model = Finite(methodRmse),
            chains_mixed = verification?.Mixing.Mixed,
            mixing = verification?.Run != null ? verification.Mixing : null,
            mirror_acceptance = Finite(verification?.Run?.MirrorAcceptance ?? double.NaN),
            rmse_independent = independent.Rmse,
            data_noise_floor = Finite(floor),
            noise_floor_source = floorSource,
            target = settings.TargetRmse,
            verdict = verdict.Text,
            advice = verdict.Advice,
            cheap_estimates = cheap?.Select(e => new { e.Name, rmse = e.Check.Rmse, noise = e.Check.NoiseRmse, corrected = e.Check.CorrectedRmse }).ToArray(),
            monte_carlo = settings.MonteCarlo.Samples > 0 ? settings.MonteCarlo with { Seed = seeds.Verification } : null,
            triplets_checked = tripletCount,
            triplet_fraction = Finite(tripletFraction),
            triplet_tolerance = settings.TripletTolerance,
            diagnostics = fit.Diagnostics,
            created_utc = DateTime.UtcNow,
        };
        return new PartFitReport(part, fit, model, saved, bpRmse, verification, independent.Rmse, floor, floorSource, verdict,
            tripletFraction, tripletCount, target.Moments)
        {
            Strengths = (settings.Fit.L2, settings.Fit.L1), TargetRmse = settings.TargetRmse, Sidecar = metadata,
        };
    }

    /// <summary>
    /// The RMSE a perfect model shows against data of <paramref name="count"/> independent configurations:
    /// sqrt(mean_i (1 − m_i²)/M + mean_{i≠j} (1 − ⟨s_i s_j⟩²)/M), the sampling variances of the moments. For configurations
    /// that are not independent (several per network) the true floor is higher: this is then a lower bound.
    /// </summary>
    public static double NoiseFloorFromCount(Moments data, double count)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(count > 0)) return double.NaN;
        int n = data.Size;
        double a = 0, b = 0;
        for (int i = 0; i < n; i++) a += 1 - data.Magnetisations[i] * data.Magnetisations[i];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (i != j) b += 1 - data.SecondMoments[i * n + j] * data.SecondMoments[i * n + j];
        return Math.Sqrt((a / n + (n > 1 ? b / (n * (n - 1.0)) : 0)) / count);
    }

    private static (double Floor, string Source) NoiseFloorOf(FitSettings settings, SpinSlice part, DataMoments partMoments)
    {
        if (settings.NoiseFloors != null && settings.NoiseFloors.TryGetValue(part.Name, out double given)) return (given, "given per part");
        if (settings.NoiseFloor is { } all) return (all, "given");
        // Moments written with a bootstrap over networks (fsi moments --bootstrap, fsi run) carry their own noise: the
        // honest floor, since it counts networks, not configurations, and follows the symmetrisation of the moments.
        if (settings.Input.MomentsStem is { } stem && EnsembleMoments.ReadNoise(stem + ".noise") is { } noise)
            return (BootstrapFloor(noise, part), FormattableString.Invariant($"bootstrap over {noise.Networks} networks ({noise.Settings.Replicates} replicates)"));
        double count = settings.SampleCount ?? partMoments.Count;
        return count > 0
            ? (NoiseFloorFromCount(partMoments.ToMoments(), count), FormattableString.Invariant($"sampling noise of {count:G} independent configurations (a lower bound if they are not independent)"))
            : (double.NaN, "unknown (no sample count)");
    }

    // The bootstrap's floor over the part's slice (NetworkBootstrap.Floor, as it computed the named parts).
    private static double BootstrapFloor(MomentNoise noise, SpinSlice part)
    {
        int n = noise.MagnetisationErrors.Length;
        if (part.End > n) throw new InputException($"noise of {n} spins does not cover part {part.Name} ({part.Start}..{part.End})");
        return NetworkBootstrap.Floor(part, noise.MagnetisationErrors, noise.SecondMomentErrors, n).NoiseFloor;
    }

    // Whether the learning's verified error was still falling at its end: its last check was a new best (Monte-Carlo
    // learning), or the method's own RMSE improved in the last quarter of its steps.
    private static bool StillFalling(FitResult fit)
    {
        if (fit.Diagnostics.GetValueOrDefault("checks") is IReadOnlyList<LearningCheck> checks && checks.Count > 1) return checks[^1].Best;
        var h = fit.RmseHistory.Where(double.IsFinite).ToArray();
        if (h.Length < 8) return false;
        int split = h.Length * 3 / 4;
        return h[split..].Min() < h[..split].Min();
    }

    private static IsingModel AssembleBlocks(IReadOnlyList<string> stems, SpinSlice part, Moments data)
    {
        int n = part.Length;
        var h = data.Magnetisations.Select(m => Math.Atanh(Math.Clamp(m, -FitVerification.MaxMagnetisation, FitVerification.MaxMagnetisation))).ToArray();
        var j = new double[n * n];
        foreach (string stem in stems)
        {
            var block = ModelFile.Load(stem);
            string sidecar = stem + ".json";
            if (!File.Exists(sidecar)) throw new InputException($"--init-model: {sidecar} not found (needed for the block's slice)");
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(sidecar));
            if (doc.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object || !doc.RootElement.TryGetProperty("slice", out var slice)
                || slice.ValueKind != System.Text.Json.JsonValueKind.Object || !slice.TryGetProperty("start", out var startElement)
                || startElement.ValueKind != System.Text.Json.JsonValueKind.Number || !startElement.TryGetInt32(out int start))
                throw new InputException($"--init-model: {sidecar} has no integer slice.start");
            int offset = start - part.Start;
            if (offset < 0 || (long)offset + block.Size > n)
                throw new InputException($"--init-model: {stem} covers spins {offset + part.Start}..{offset + part.Start + block.Size - 1}, outside part {part.Name}");
            for (int a = 0; a < block.Size; a++)
            {
                h[offset + a] = block.Fields[a];
                block.Couplings.AsSpan(a * block.Size, block.Size).CopyTo(j.AsSpan((offset + a) * n + offset, block.Size));
            }
        }
        return new IsingModel(h, j);
    }
}
