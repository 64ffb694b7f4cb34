using System.Diagnostics;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Reporting;

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
}

/// <summary>Settings of a fit run (one or more parts).</summary>
/// <param name="Input">The data.</param>
/// <param name="Parts">FULL, LB, ITER, RB or start:end ranges.</param>
/// <param name="Method">bp, pl, nmf or tap.</param>
/// <param name="Init">Initial point of bp/pl: tap, nmf or zero.</param>
/// <param name="Fit">Common fit options (T, ε, L2, L1).</param>
/// <param name="Bp">BP settings of the learning estimator and the BP check.</param>
/// <param name="MonteCarlo">MC settings of the verification (Samples = 0 skips it).</param>
/// <param name="TripletTolerance">|Δ⟨s_i s_j s_k⟩_c| below which a data triplet counts as predicted.</param>
/// <param name="OutputDirectory">Where models, curves and figures go (null = no files).</param>
public sealed record FitSettings(FitInput Input, IReadOnlyList<string> Parts, string Method, string Init, FitOptions Fit,
    BpOptions Bp, MonteCarloOptions MonteCarlo, double TripletTolerance, string? OutputDirectory)
{
    /// <summary>Second stage after the method: null/"none", or "mc" (persistent-chain Monte-Carlo Boltzmann learning from the first fit).</summary>
    public string? Refine { get; init; }

    /// <summary>Settings of the persistent-chain learning (method mc or --refine mc).</summary>
    public PersistentChainOptions Chains { get; init; } = new();

    /// <summary>
    /// Saved models (stems of <c>fsi fit</c> outputs) that form the initial point instead of --init: each is placed at its
    /// sidecar's slice (e.g. the fitted LB, ITER and RB blocks as the start of FULL); uncovered couplings are 0,
    /// uncovered fields atanh m_i.
    /// </summary>
    public IReadOnlyList<string>? InitModels { get; init; }

    /// <summary>Learning steps of the refinement stage.</summary>
    public int RefineIterations { get; init; } = 400;

    /// <summary>How BP Boltzmann learning (method bp) turns the moment mismatch into a step.</summary>
    public BoltzmannUpdate BpUpdate { get; init; } = BoltzmannUpdate.MeanFieldNewton;

    /// <summary>
    /// Learn with <see cref="InexactBpMomentEstimator"/> (what `fsi bench fit` times): BP to a tenth of the best RMSE within
    /// <see cref="BpSweepBudget"/> sweeps per step. False: BP to the given tolerance at every step.
    /// </summary>
    public bool BpInexact { get; init; }

    /// <summary>BP sweeps allowed to a learning step's estimate when <see cref="BpInexact"/> (0 = none); see
    /// <see cref="FitPipeline.LearningSweepBudget"/>.</summary>
    public int BpSweepBudget { get; init; } = FitPipeline.LearningSweepBudget;
}

/// <summary>Outcome for one part.</summary>
/// <param name="Part">The slice.</param>
/// <param name="Fit">The solver's result.</param>
/// <param name="BpRmse">Moment RMSE of the fitted model by BP (NaN if BP failed).</param>
/// <param name="McRmse">Moment RMSE by Monte Carlo of the fitted model (NaN if skipped).</param>
/// <param name="McNoiseRmse">RMSE expected from MC noise alone (from the chain spread), to judge <paramref name="McRmse"/>.</param>
/// <param name="TripletFraction">Fraction of data triplets predicted within tolerance (NaN if none).</param>
/// <param name="TripletCount">Triplets checked.</param>
/// <param name="ModelStem">Where the model was saved (null if not).</param>
public sealed record PartFitReport(SpinSlice Part, FitResult Fit, double BpRmse, double McRmse, double McNoiseRmse,
    double TripletFraction, int TripletCount, string? ModelStem);

/// <summary>
/// The fitting pipeline behind <c>fsi fit</c> (and a later <c>fsi run</c>): load data, per part fit with the
/// chosen method, check the model by BP and Monte Carlo, write model files (ModelFile + JSON sidecar),
/// RMSE curve, data-vs-model scatter and J/h histograms (PNG + CSV).
/// </summary>
public static class FitPipeline
{
    /// <summary>Runs the fits; returns one report per part.</summary>
    public static IReadOnlyList<PartFitReport> Run(FitSettings settings, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        bool needsSamples = string.Equals(settings.Method, "pl", StringComparison.OrdinalIgnoreCase);
        var (data, samples, sampleCount, architecture) = settings.Input.Load(null, ct, keepSamples: needsSamples);
        architecture ??= data.Size switch { 675 => Architecture.Deep, 200 => Architecture.Shallow, _ => null };
        var reports = new List<PartFitReport>();
        foreach (string partName in settings.Parts)
        {
            SpinSlice part = architecture?.Part(partName) ?? ParseRange(partName, data.Size);
            var partMoments = data.Slice(part.Start, part.Length, part.Name);
            sbyte[]? partSamples = samples == null ? null : SliceSamples(samples, sampleCount, data.Size, part);
            var target = new FitTarget(partMoments.ToMoments(), partSamples, partSamples == null ? 0 : sampleCount, partMoments.Source);
            reports.Add(FitPart(settings, part, target, partMoments, progress, ct));
        }
        return reports;
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

    /// <summary>The solver for a method name (bp, pl, nmf, tap, mc); <paramref name="update"/> is the step rule of bp.</summary>
    /// <remarks>With <paramref name="inexact"/> BP runs to a tolerance of a tenth of the best RMSE (at most 1e-3, at least
    /// the given tolerance; <see cref="InexactBpMomentEstimator"/>) within <paramref name="sweepBudget"/> sweeps per step,
    /// and a convergence is confirmed at the given tolerance; otherwise every estimate runs BP to the given tolerance.</remarks>
    public static IInverseSolver Solver(string method, BpOptions bp, out IMomentEstimator? estimator, PersistentChainOptions? chains = null,
        BoltzmannUpdate update = BoltzmannUpdate.MeanFieldNewton, bool inexact = false, int sweepBudget = LearningSweepBudget)
    {
        estimator = null;
        switch (method.ToLowerInvariant())
        {
            case "mc": return new PersistentChainLearning(chains);
            case "bp":
                // A damping that stops converging as the model moves is given up after 100 sweeps without a new low
                // instead of at the cap (unless the caller chose a stall window).
                var learningBp = bp.StallSweeps > 0 ? bp : bp with { StallSweeps = LearningStallSweeps };
                estimator = inexact
                    ? new InexactBpMomentEstimator(learningBp, 0.1, Math.Max(1e-3, bp.Tolerance)) { SweepBudget = sweepBudget }
                    : new BpMomentEstimator(learningBp);
                return new BoltzmannLearning(estimator, new BoltzmannLearningOptions(Update: update));
            case "pl": return new Pseudolikelihood();
            case "nmf": return new MeanFieldInversion(MeanFieldVariant.Naive);
            case "tap": case "mf": return new MeanFieldInversion(MeanFieldVariant.Tap);
            default: throw new InputException($"--method: '{method}' is not one of bp, pl, mc, mf (= tap), nmf, tap");
        }
    }

    /// <summary>Fits one part and checks it; writes files when an output directory is set.</summary>
    public static PartFitReport FitPart(FitSettings settings, SpinSlice part, FitTarget target, DataMoments partMoments,
        IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        var solver = Solver(settings.Method, settings.Bp, out _, settings.Chains, settings.BpUpdate, settings.BpInexact, settings.BpSweepBudget);
        IsingModel? initial = null;
        if (settings.InitModels is { Count: > 0 }) initial = AssembleBlocks(settings.InitModels, part, target.Moments);
        else if (solver is not MeanFieldInversion && settings.Init != "zero")
        {
            var variant = settings.Init switch
            {
                "tap" => MeanFieldVariant.Tap,
                "nmf" => MeanFieldVariant.Naive,
                _ => throw new InputException($"--init: '{settings.Init}' is not one of tap, nmf, zero"),
            };
            try { initial = new MeanFieldInversion(variant).Fit(target, null, settings.Fit).Model; }
            catch (InputException) { initial = null; }   // singular correlations: start from zero instead
        }
        var fit = solver.Fit(target, initial, settings.Fit, progress, ct);
        FitResult? firstStage = null;
        switch (settings.Refine?.ToLowerInvariant())
        {
            case null or "none": break;
            case "mc":
                firstStage = fit;
                var refined = new PersistentChainLearning(settings.Chains).Fit(target, fit.Model,
                    settings.Fit with { MaxIterations = settings.RefineIterations }, progress, ct);
                fit = refined with
                {
                    Method = $"{fit.Method}+mc",
                    Elapsed = fit.Elapsed + refined.Elapsed,
                    Diagnostics = new Dictionary<string, object?>(refined.Diagnostics)
                    {
                        ["first_stage"] = new Dictionary<string, object?>(firstStage.Diagnostics)
                        {
                            ["method"] = firstStage.Method,
                            ["iterations"] = firstStage.Iterations,
                            ["stop_reason"] = firstStage.StopReason.ToString(),
                            ["seconds"] = firstStage.Elapsed.TotalSeconds,
                            ["rmse_curve"] = firstStage.RmseHistory.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray(),
                        },
                    },
                };
                break;
            default: throw new InputException($"--refine: '{settings.Refine}' is not one of none, mc");
        }

        double bpRmse = double.NaN;
        string? bpNote = null;
        try { bpRmse = target.Moments.Rmse(new BpMomentEstimator(settings.Bp).Estimate(fit.Model, ct)); }
        catch (BpConvergenceException e) { bpNote = e.Message; }

        double mcRmse = double.NaN, mcNoise = double.NaN, tripletFraction = double.NaN;
        int tripletCount = 0;
        MonteCarloRun? mc = null;
        if (settings.MonteCarlo.Samples > 0)
        {
            progress?.Report(new ProgressReport($"mc {part.Name}", 0, 1, "runs"));
            mc = MonteCarlo.Sample(fit.Model, settings.MonteCarlo, null, progress, ct);
            mcRmse = target.Moments.Rmse(mc.Moments);
            if (mc.Chains >= 2)
            {
                var (sm, sc) = mc.StandardErrors();
                mcNoise = NoiseRmse(sm, sc, part.Length);
            }
            if (partMoments.TripletCount > 0)
            {
                var triplets = Enumerable.Range(0, partMoments.TripletCount)
                    .Select(q => (partMoments.TripletIndices![3 * q], partMoments.TripletIndices[3 * q + 1], partMoments.TripletIndices[3 * q + 2])).ToList();
                var model3 = SampleStatistics.ConnectedThreePoint(mc.Samples, mc.SampleCount, part.Length, triplets);
                var data3 = partMoments.ConnectedTriplets();
                tripletCount = triplets.Count;
                tripletFraction = (double)data3.Zip(model3).Count(p => Math.Abs(p.First - p.Second) <= settings.TripletTolerance) / tripletCount;
            }
        }

        string? stem = null;
        if (settings.OutputDirectory != null)
        {
            Directory.CreateDirectory(settings.OutputDirectory);
            stem = Path.Combine(settings.OutputDirectory, $"{part.Name.Replace(':', '-')}_{fit.Method}");
            var metadata = new
            {
                kind = "fsi.model",
                method = fit.Method,
                part = part.Name,
                slice = new { start = part.Start, length = part.Length },
                source = target.Source,
                init = settings.Init,
                hyper_parameters = new { settings.Fit.MaxIterations, settings.Fit.RmseTolerance, settings.Fit.L2, settings.Fit.L1, bp = settings.Bp,
                    bp_update = settings.Method.Equals("bp", StringComparison.OrdinalIgnoreCase) ? settings.BpUpdate.ToString() : null,
                    bp_inexact = settings.Method.Equals("bp", StringComparison.OrdinalIgnoreCase) ? settings.BpInexact : (bool?)null,
                    bp_sweep_budget = settings.Method.Equals("bp", StringComparison.OrdinalIgnoreCase) && settings.BpInexact ? settings.BpSweepBudget : (int?)null },
                iterations = fit.Iterations,
                stop_reason = fit.StopReason.ToString(),
                best_iteration = fit.BestIteration,
                seconds = fit.Elapsed.TotalSeconds,
                rmse_curve = fit.RmseHistory.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray(),
                rmse_bp = double.IsFinite(bpRmse) ? bpRmse : (double?)null,
                bp_failure = bpNote,
                rmse_mc = double.IsFinite(mcRmse) ? mcRmse : (double?)null,
                rmse_mc_noise = double.IsFinite(mcNoise) ? mcNoise : (double?)null,
                monte_carlo = settings.MonteCarlo.Samples > 0 ? settings.MonteCarlo : null,
                triplets_checked = tripletCount,
                triplet_fraction = double.IsFinite(tripletFraction) ? tripletFraction : (double?)null,
                triplet_tolerance = settings.TripletTolerance,
                diagnostics = fit.Diagnostics,
                created_utc = DateTime.UtcNow,
            };
            ModelFile.Save(stem, fit.Model, metadata);
            FitFigures.Write(stem, fit, target.Moments, mc?.Moments, new FitFigureContext(target.Source, settings.Fit.RmseTolerance, mcNoise));
        }
        return new PartFitReport(part, fit, bpRmse, mcRmse, mcNoise, tripletFraction, tripletCount, stem);
    }

    private static IsingModel AssembleBlocks(IReadOnlyList<string> stems, SpinSlice part, Moments data)
    {
        int n = part.Length;
        var h = data.Magnetisations.Select(m => Math.Atanh(Math.Clamp(m, -0.999, 0.999))).ToArray();
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

    // RMSE that pure MC noise would give: sqrt(mean σ_m² + mean_{i≠j} σ_C²).
    private static double NoiseRmse(double[] sm, double[] sc, int n)
    {
        double a = sm.Average(v => v * v), b = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) if (i != j) b += sc[i * n + j] * sc[i * n + j];
        return Math.Sqrt(a + (n > 1 ? b / (n * (n - 1.0)) : 0));
    }
}
