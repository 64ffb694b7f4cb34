using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Inference;

namespace FunctionSpace.Ising.Inverse;

/// <summary>One split of the data: moments of the networks fitted and of the networks held out.</summary>
/// <param name="Train">Moments of the training networks.</param>
/// <param name="HeldOut">Moments of the held-out networks.</param>
/// <param name="TrainCount">Independent samples behind <paramref name="Train"/> (networks; for one configuration per network,
/// the configurations).</param>
/// <param name="HeldOutCount">Independent samples behind <paramref name="HeldOut"/>.</param>
public sealed record MomentFold(Moments Train, Moments HeldOut, double TrainCount, double HeldOutCount)
{
    /// <summary>The fold restricted to spins [start, start + length) (a part of the network).</summary>
    public MomentFold Slice(int start, int length) => new(Train.Slice(start, length), HeldOut.Slice(start, length), TrainCount, HeldOutCount);
}

/// <summary>Which penalty on J a selection tunes.</summary>
public enum PenaltyKind
{
    /// <summary>λ₂/2 Σ J², λ₂ = c / M: a Gaussian prior of variance 1/c per coupling (per sample).</summary>
    L2,
    /// <summary>λ₁ Σ |J|, λ₁ = c / √M: a threshold of c standard errors of a pair moment from M samples.</summary>
    L1,
}

/// <summary>The penalty strengths for data of M independent samples at prior scale c.</summary>
public static class PenaltyScale
{
    /// <summary>The scales c tried by default: L2 from no penalty to a prior width 1/√c ≈ 0.03 on J; L1 up to 2 standard errors.</summary>
    public static IReadOnlyList<double> Defaults(PenaltyKind kind) => kind == PenaltyKind.L2 ? [0, 10, 30, 100, 300, 1000] : [0, 0.25, 0.5, 1, 2];

    /// <summary>(λ₂, λ₁) for scale <paramref name="scale"/> and <paramref name="count"/> independent samples.</summary>
    /// <remarks>
    /// L2: the log-likelihood of M samples is M × (the per-sample one whose gradient learning follows), so a Gaussian prior
    /// J ~ N(0, 1/c) adds c/(2M) Σ J² per sample: λ₂ = c/M, and the same c suits any M. L1: a pair moment estimated from M
    /// samples has a standard error ≈ 1/√M, so λ₁ = c/√M keeps a coupling at 0 until its mismatch exceeds c standard errors.
    /// </remarks>
    public static (double L2, double L1) Strengths(PenaltyKind kind, double scale, double count)
    {
        if (!(count > 0)) throw new InputException($"penalty selection: sample count {count} must be positive");
        return kind == PenaltyKind.L2 ? (scale / count, 0) : (0, scale / Math.Sqrt(count));
    }
}

/// <summary>The held-out error of one penalty scale over the folds.</summary>
/// <param name="Scale">The prior scale c.</param>
/// <param name="FoldErrors">RMSE of the model fitted on each fold's training networks against its held-out moments.</param>
/// <param name="Mean">Mean over folds.</param>
/// <param name="StandardError">Standard error of the mean over folds (NaN with one fold).</param>
public sealed record HeldOutScore(double Scale, double[] FoldErrors, double Mean, double StandardError);

/// <summary>The outcome of a penalty selection.</summary>
/// <param name="Kind">L2 or L1.</param>
/// <param name="Scale">The chosen scale c (lowest mean held-out error).</param>
/// <param name="Scores">Every scale's held-out errors.</param>
public sealed record PenaltySelection(PenaltyKind Kind, double Scale, IReadOnlyList<HeldOutScore> Scores)
{
    /// <summary>The strengths for the full data of <paramref name="count"/> independent samples.</summary>
    public (double L2, double L1) StrengthsFor(double count) => PenaltyScale.Strengths(Kind, Scale, count);
}

/// <summary>
/// Chooses the penalty on J by held-out networks: for each scale c, fit every fold's training moments with the penalty that
/// c gives for its sample count and measure the fitted model's moment RMSE against the fold's held-out moments; the scale
/// with the lowest mean is chosen.
/// </summary>
/// <remarks>
/// A model fitted to M samples without a penalty reproduces their sampling noise: its moments differ from the held-out ones by
/// both samples' noise (≈ √2 × the noise floor), while a model that has the true moments differs by the held-out noise alone.
/// A penalty that removes the fitted noise without biasing the signal therefore lowers the held-out error; one that shrinks
/// the signal raises it again. Pure over (training, held-out) pairs: the moments may come from any split of the networks,
/// orbit-averaged or not, and <c>fitAndPredict</c> may be any fit (the default one, exact learning in tests). The chosen c is
/// applied to the full data as λ = c / M (L2) or c / √M (L1), M its own sample count (<see cref="PenaltyScale"/>).
/// </remarks>
public static class HeldOutSelection
{
    /// <summary>Scores every scale on every fold and picks the lowest mean held-out RMSE.</summary>
    /// <param name="folds">The (training, held-out) pairs.</param>
    /// <param name="kind">L2 or L1.</param>
    /// <param name="scales">The scales c to try.</param>
    /// <param name="fitAndPredict">Fits a fold's training moments with the given options (their L2/L1 set here) and returns the
    /// fitted model's moments.</param>
    /// <param name="options">Fit options; their L2 and L1 are replaced per scale.</param>
    /// <param name="progress">Progress per fit.</param>
    /// <param name="ct">Cancellation.</param>
    public static PenaltySelection Select(IReadOnlyList<MomentFold> folds, PenaltyKind kind, IReadOnlyList<double> scales,
        Func<MomentFold, FitOptions, CancellationToken, Moments> fitAndPredict, FitOptions options,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(folds);
        ArgumentNullException.ThrowIfNull(scales);
        ArgumentNullException.ThrowIfNull(fitAndPredict);
        ArgumentNullException.ThrowIfNull(options);
        if (folds.Count == 0) throw new InputException("penalty selection: no folds");
        if (scales.Count == 0) throw new InputException("penalty selection: no scales");
        foreach (double c in scales)
            if (!(c >= 0) || double.IsInfinity(c)) throw new InputException($"penalty selection: scale {c} must be finite and ≥ 0");
        var scores = new List<HeldOutScore>();
        int done = 0;
        foreach (double scale in scales)
        {
            var errors = new double[folds.Count];
            for (int f = 0; f < folds.Count; f++)
            {
                ct.ThrowIfCancellationRequested();
                var fold = folds[f];
                var (l2, l1) = PenaltyScale.Strengths(kind, scale, fold.TrainCount);
                var model = fitAndPredict(fold, options with { L2 = l2, L1 = l1 }, ct);
                errors[f] = HeldOutError(model, fold.HeldOut);
                progress?.Report(new ProgressReport("penalty", ++done, scales.Count * folds.Count, "fits",
                    FormattableString.Invariant($"{kind} scale {scale:G3}: held-out rmse {errors[f]:E3} (fold {f + 1})")));
            }
            double mean = errors.Average();
            double se = errors.Length > 1 ? Math.Sqrt(errors.Sum(e => (e - mean) * (e - mean)) / (errors.Length - 1) / errors.Length) : double.NaN;
            scores.Add(new HeldOutScore(scale, errors, mean, se));
        }
        var best = scores.MinBy(s => s.Mean)!;
        return new PenaltySelection(kind, best.Scale, scores);
    }

    /// <summary>The held-out error: the study's RMSE of the model's moments against the held-out moments.</summary>
    public static double HeldOutError(Moments model, Moments heldOut)
    {
        ArgumentNullException.ThrowIfNull(heldOut);
        return heldOut.Rmse(model);
    }

    /// <summary>
    /// Leave-one-out folds from K disjoint groups of networks: fold k holds out group k and trains on the merge of the others
    /// (sums merge exactly). Counts are configurations (one per network in the study's design).
    /// </summary>
    public static IReadOnlyList<MomentFold> FromGroups(IReadOnlyList<MomentAccumulator> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count < 2) throw new InputException($"penalty selection: {groups.Count} group(s) of networks; at least 2 are needed");
        foreach (var g in groups)
            if (g.Count == 0) throw new InputException("penalty selection: a group of networks is empty (too few networks for the folds)");
        var folds = new List<MomentFold>();
        for (int k = 0; k < groups.Count; k++)
        {
            var train = new MomentAccumulator(groups[k].SpinCount);
            for (int o = 0; o < groups.Count; o++) if (o != k) train.Merge(groups[o]);
            folds.Add(new MomentFold(train.ToMoments("train").ToMoments(), groups[k].ToMoments("held out").ToMoments(), train.Count, groups[k].Count));
        }
        return folds;
    }

    /// <summary>The group of a network in K-fold splits by network id (ids are global indices, so this interleaves them).</summary>
    public static int GroupOf(int networkId, int groups) => (int)((uint)networkId % (uint)groups);
}
