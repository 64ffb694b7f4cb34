using FunctionSpace.Ising.Randomness;
using System.Globalization;
using System.Text;
using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Reporting;

namespace FunctionSpace.Ising.Pipeline;

/// <summary>
/// The split-half check of a run's landscapes: the independently trained networks are dealt into two halves by a seeded
/// shuffle, each half gets its own moments, fits and landscapes around the same reference, and the two are compared.
/// </summary>
/// <remarks>
/// The networks, not the configurations, are the independent draws (samples of one trained network differ in about 1 %
/// of their weights), so halving the networks is what exposes the sampling noise of a finding. For an estimate G of the
/// whole sample and G_A, G_B of the halves, Var(G_A − G_B) = 2 Var(G_half) ≈ 4 Var(G), so |G_A − G_B| / 2 estimates the
/// standard error of G (one degree of freedom: a rough error, but one the data give, not an assumption).
/// </remarks>
public static class SplitHalf
{
    /// <summary>Part of the run's cache key (with the fit's and the landscape's versions): changed whenever the same inputs and settings would give other outputs.</summary>
    public const string AlgorithmVersion = "split-half-v2";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Deals the distinct network ids into two halves (sizes differing by at most one) by a Fisher–Yates shuffle of
    /// the sorted ids, so the halves depend on the seed and the set of ids only.
    /// </summary>
    public static (HashSet<int> A, HashSet<int> B) Halves(IEnumerable<int> networkIds, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(networkIds);
        var ids = networkIds.Distinct().Order().ToArray();
        if (ids.Length < 2) throw new InputException($"split-half check: {ids.Length} trained network(s); it needs at least 2");
        var rng = new RandomSource(seed, 0);
        for (int i = ids.Length - 1; i > 0; i--)
        {
            int j = (int)(rng.NextUInt64() % (ulong)(i + 1));   // modulo bias < 2⁻⁴⁰ for these counts
            (ids[i], ids[j]) = (ids[j], ids[i]);
        }
        int half = ids.Length / 2;
        return (ids.Take(half).ToHashSet(), ids.Skip(half).ToHashSet());
    }

    /// <summary>The parts a split-half check compares: the sub-networks when there are several, else the whole network.</summary>
    public static string[] Parts(IReadOnlyList<string> fittedParts)
    {
        ArgumentNullException.ThrowIfNull(fittedParts);
        var sub = fittedParts.Where(p => p != "FULL").ToArray();
        return sub.Length >= 2 ? sub : fittedParts.ToArray();
    }

    /// <summary>Compares the halves' findings part by part and as a whole.</summary>
    /// <param name="networksA">Networks in half A.</param>
    /// <param name="networksB">Networks in half B.</param>
    /// <param name="reference">The reference configuration's label.</param>
    /// <param name="a">Findings of half A, one per part.</param>
    /// <param name="b">Findings of half B, in the same parts.</param>
    /// <param name="fitsA">Fit verdicts of half A per part.</param>
    /// <param name="fitsB">Fit verdicts of half B per part.</param>
    public static SplitHalfResult Compare(int networksA, int networksB, string reference, IReadOnlyList<LandscapeFindings> a, IReadOnlyList<LandscapeFindings> b,
        IReadOnlyDictionary<string, PartFitVerdict> fitsA, IReadOnlyDictionary<string, PartFitVerdict> fitsB)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var parts = a.Select(fa =>
        {
            var fb = b.Single(x => x.Part == fa.Part);
            return new SplitHalfPart(fa.Part, fa.Size, fa, fb, fitsA.GetValueOrDefault(fa.Part), fitsB.GetValueOrDefault(fa.Part));
        }).ToArray();
        return new SplitHalfResult(networksA, networksB, reference, parts, LandscapeComparison.Of(a, fitsA), LandscapeComparison.Of(b, fitsB));
    }

    /// <summary>Writes <c>split_half.csv</c> (one row per part and half) and the gap curves of both halves (<c>split_half_gaps.{csv,png,svg}</c>).</summary>
    public static IReadOnlyList<string> Write(string directory, string scenario, SplitHalfResult result,
        IReadOnlyList<LandscapeSweep> sweepsA, IReadOnlyList<LandscapeSweep> sweepsB)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(directory);
        var probes = LandscapeFindings.ProbeDistances;
        CsvTable.Write(Path.Combine(directory, "split_half.csv"),
            ["part", "size", "half", "networks", "max_gap_to_bound", .. probes.Select(d => string.Create(Inv, $"gap_at_d_{d:G2}")),
             "first_order_jumps", "hysteresis_loops", "coverage", "failed_points", "fit_reproduces_data"],
            result.Parts.SelectMany(p => new[] { ("A", result.NetworksA, p.A, p.FitA), ("B", result.NetworksB, p.B, p.FitB) }.Select(h =>
                (IReadOnlyList<object?>)[p.Part, p.Size, h.Item1, h.Item2, h.Item3.MaxGapToBound,
                    .. probes.Select(d => (object?)(h.Item3.GapsAt.FirstOrDefault(g => g.Distance == d)?.Gap ?? double.NaN)),
                    h.Item3.Jumps.Count, h.Item3.Hysteresis.Count, h.Item3.Coverage, h.Item3.FailedPoints, h.Item4?.ReproducesData])));

        // The gap to the bound along each half's converged points, both directions, so a reader sees the two halves overlay.
        var rows = new List<IReadOnlyList<object?>>();
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int k = 0; k < sweepsA.Count; k++)
        {
            var colour = palette.GetColor(k);
            foreach (var (half, sweep) in new[] { ("A", sweepsA[k]), ("B", sweepsB[k]) })
            {
                var points = sweep.Forward.Concat(sweep.BackwardAscending).Where(p => p.Converged && p.Distance <= 0.5).OrderBy(p => p.Distance).ToArray();
                foreach (var p in points) rows.Add([sweep.Name, half, p.X, p.Distance, p.GapToBound]);
                if (points.Length == 0) continue;
                var line = plot.Add.ScatterLine(points.Select(p => p.Distance).ToArray(), points.Select(p => p.GapToBound).ToArray());
                line.Color = colour;
                line.LineWidth = 2;
                line.LinePattern = half == "A" ? ScottPlot.LinePattern.Solid : ScottPlot.LinePattern.Dashed;
                line.LegendText = $"{sweep.Name}, half {half} ({(half == "A" ? result.NetworksA : result.NetworksB)} networks)";
            }
        }
        CsvTable.Write(Path.Combine(directory, "split_half_gaps.csv"), ["part", "half", "x", "distance", "gap_to_bound"], rows);
        Figure.Title(plot, $"Split-half check, {scenario}: gap to the bound s_max(d) − s(d) of each half");
        plot.XLabel("Hamming distance d to the reference");
        plot.YLabel("s_max(d) − s(d)");
        plot.Axes.SetLimitsX(0, 0.5);
        Figure.LegendOutside(plot);
        Figure.SavePng(plot, Path.Combine(directory, "split_half_gaps.png"));
        return ["split_half.csv", "split_half_gaps.csv", "split_half_gaps.png", "split_half_gaps.svg"];
    }
}

/// <summary>One part of a split-half check.</summary>
/// <param name="Part">The part.</param>
/// <param name="Size">N.</param>
/// <param name="A">Findings of half A.</param>
/// <param name="B">Findings of half B.</param>
/// <param name="FitA">Fit verdict of half A's model (null: unknown).</param>
/// <param name="FitB">Fit verdict of half B's model.</param>
public sealed record SplitHalfPart(string Part, int Size, LandscapeFindings A, LandscapeFindings B, PartFitVerdict? FitA, PartFitVerdict? FitB)
{
    /// <summary>The mean of the halves' largest gaps to the bound (d ≤ 0.5).</summary>
    public double Gap => 0.5 * (A.MaxGapToBound + B.MaxGapToBound);

    /// <summary>|G_A − G_B| / 2: the split-half estimate of the whole sample's standard error of the largest gap.</summary>
    public double GapError => 0.5 * Math.Abs(A.MaxGapToBound - B.MaxGapToBound);

    /// <summary>Both halves find a first-order jump, or neither does.</summary>
    public bool TransitionsAgree => (A.Jumps.Count > 0) == (B.Jumps.Count > 0) && (A.Hysteresis.Count > 0) == (B.Hysteresis.Count > 0);

    /// <summary>Both halves' models reproduce their data (unknown counts as not).</summary>
    public bool FitsReproduce => FitA?.ReproducesData == true && FitB?.ReproducesData == true;
}

/// <summary>A split-half check: the parts and the halves' own rankings of the sub-networks.</summary>
/// <param name="NetworksA">Networks of half A.</param>
/// <param name="NetworksB">Networks of half B.</param>
/// <param name="Reference">The reference both halves' landscapes are around.</param>
/// <param name="Parts">Per part.</param>
/// <param name="RankingA">Half A's ranking (most liquid, most constrained) or why it is withheld.</param>
/// <param name="RankingB">Half B's.</param>
public sealed record SplitHalfResult(int NetworksA, int NetworksB, string Reference, IReadOnlyList<SplitHalfPart> Parts,
    LandscapeComparison RankingA, LandscapeComparison RankingB)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Both halves rank the sub-networks the same way at both ends (or there is a single part).</summary>
    public bool RankingsAgree => Parts.Count < 2 ||
        (RankingA.Withheld == null && RankingB.Withheld == null && RankingA.MostLiquid == RankingB.MostLiquid && RankingA.MostConstrained == RankingB.MostConstrained);

    /// <summary>
    /// The ranking is resolved when, ordered by the mean gap, neighbouring parts differ by more than twice their combined
    /// split-half error (a difference the halves' disagreement cannot explain).
    /// </summary>
    public bool RankingResolved
    {
        get
        {
            var ordered = Parts.OrderBy(p => p.Gap).ToArray();
            for (int k = 1; k < ordered.Length; k++)
                if (!(ordered[k].Gap - ordered[k - 1].Gap > 2 * Math.Sqrt(ordered[k].GapError * ordered[k].GapError + ordered[k - 1].GapError * ordered[k - 1].GapError)))
                    return false;
            return true;
        }
    }

    /// <summary>The halves tell the same story: the same transitions in every part, the same ranking, and every fit reproduces its data.</summary>
    public bool Agree => Parts.All(p => p.TransitionsAgree && p.FitsReproduce) && RankingsAgree;

    /// <summary>A paragraph for the report.</summary>
    public string Sentence()
    {
        var text = new StringBuilder();
        text.Append(Inv, $"Split-half check ({NetworksA} + {NetworksB} independently trained networks, landscapes around {Reference}): ");
        var badFits = Parts.Where(p => !p.FitsReproduce).Select(p => p.Part).ToArray();
        var transitions = Parts.Where(p => !p.TransitionsAgree).Select(p => p.Part).ToArray();
        if (Agree)
            text.Append("the two halves agree. ");
        else
        {
            var why = new List<string>();
            if (badFits.Length > 0) why.Add($"the fit of {string.Join(", ", badFits)} does not reproduce the data of both halves");
            if (transitions.Length > 0) why.Add($"first-order jumps in {string.Join(", ", transitions)} appear in one half only");
            if (!RankingsAgree) why.Add("the halves rank the sub-networks differently");
            text.Append($"the two halves disagree ({string.Join("; ", why)}): the findings below depend on which networks were drawn, so the whole sample is too small to settle them. ");
        }
        text.Append(string.Join("; ", Parts.Select(p => string.Create(Inv,
            $"{p.Part}: max gap {Number(p.A.MaxGapToBound)} / {Number(p.B.MaxGapToBound)} (± {Number(p.GapError)}), first-order jumps {p.A.Jumps.Count} / {p.B.Jumps.Count}"))));
        text.Append('.');
        if (Parts.Count >= 2)
            text.Append(RankingResolved
                ? " The ranking of the sub-networks is resolved: neighbouring gaps differ by more than twice their split-half error."
                : " Some neighbouring gaps differ by less than twice their split-half error: their order is not resolved at this sample size.");
        return text.ToString();
    }

    private static string Number(double value) => double.IsFinite(value) ? value.ToString("F4", Inv) : "—";
}
