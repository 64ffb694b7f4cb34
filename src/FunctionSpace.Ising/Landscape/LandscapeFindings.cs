using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FunctionSpace.Ising.Landscape;

/// <summary>Whether a part's fitted model reproduces the data it was fitted to, as the fit stage judged it.</summary>
/// <param name="ReproducesData">False withholds every comparison that involves the part.</param>
/// <param name="Description">The verdict in words, e.g. "does not reproduce the data (MC RMSE 0.31, noise 0.01)".</param>
public sealed record PartFitVerdict(bool ReproducesData, string Description);

/// <summary>s_max(d) − s(d) at one distance d (NaN where no converged points bracket d).</summary>
/// <param name="Distance">d.</param>
/// <param name="Gap">The gap to the bound there.</param>
public sealed record GapAtDistance(double Distance, double Gap);

/// <summary>What one part's landscape around one reference shows, in numbers (one row of the findings table).</summary>
/// <param name="Part">The part (FULL, LB, ITER, RB).</param>
/// <param name="Size">N.</param>
/// <param name="Reference">The reference configuration's label.</param>
/// <param name="MaxGapToBound">Largest s_max(d) − s over converged points with d ≤ 0.5 (NaN if none).</param>
/// <param name="GapsAt">The gap at <see cref="ProbeDistances"/>.</param>
/// <param name="Jumps">Proven first-order jumps (|Δd| ≥ the sweep's minimum jump).</param>
/// <param name="SmallBistabilities">Proven jumps below the minimum jump.</param>
/// <param name="Hysteresis">Hysteresis loops of the first-order jumps (non-empty x-intervals).</param>
/// <param name="SteepStretches">Refined stretches with no jump: steep but continuous.</param>
/// <param name="Coverage">Fraction of d ∈ [0, 0.5] within <see cref="CoverageReach"/> of a converged point.</param>
/// <param name="FailedPoints">Points where BP did not converge.</param>
/// <param name="Points">All points of both directions.</param>
/// <param name="UnexplainedDisagreement">Largest |d_fwd − d_bwd| at a common x outside every proven loop (0 when the
/// directions agree; otherwise a difference below the distance step or across failed points).</param>
/// <param name="MinimumJump">The sweep's minimum first-order jump.</param>
public sealed record LandscapeFindings(string Part, int Size, string Reference, double MaxGapToBound, IReadOnlyList<GapAtDistance> GapsAt,
    IReadOnlyList<DistanceJump> Jumps, IReadOnlyList<DistanceJump> SmallBistabilities, IReadOnlyList<HysteresisLoop> Hysteresis,
    IReadOnlyList<SteepStretch> SteepStretches, double Coverage, int FailedPoints, int Points, double UnexplainedDisagreement, double MinimumJump)
{
    /// <summary>Refinement probes (off the grid) where BP failed; not points of the sweep (<see cref="LandscapeSweep.FailedProbes"/>).</summary>
    public int FailedProbes { get; init; }

    /// <summary>The distances at which the gap is tabulated.</summary>
    public static IReadOnlyList<double> ProbeDistances { get; } = [0.05, 0.1, 0.2, 0.3];

    /// <summary>
    /// A converged point at d covers [d − reach, d + reach]: half the widest d-interval the gap is interpolated across
    /// (<see cref="LandscapeReport.MaxBracket"/>), so two points that cover a d between them also bracket it.
    /// </summary>
    public const double CoverageReach = LandscapeReport.MaxBracket / 2;

    /// <summary>The findings of a sweep.</summary>
    public static LandscapeFindings Of(LandscapeSweep sweep, string reference)
    {
        var all = sweep.Forward.Concat(sweep.Backward).ToArray();
        static (double, double, bool)[] Curve(IEnumerable<LandscapePoint> points) => points.Select(p => (p.X, p.Distance, p.Converged)).ToArray();
        return new LandscapeFindings(sweep.Name, sweep.Size, reference, sweep.MaxGapToBound,
            ProbeDistances.Select(d => new GapAtDistance(d, LandscapeReport.GapAt(sweep, d))).ToArray(),
            sweep.Jumps, sweep.SmallBistabilities, sweep.Hysteresis, MergeStretches(sweep.SteepStretches, sweep.Settings.GridStep, 2 * sweep.Settings.DistanceStep),
            CoverageOf(all.Where(p => p.Converged).Select(p => p.Distance), CoverageReach), all.Count(p => !p.Converged), all.Length,
            TransitionDetection.UnexplainedDisagreement(Curve(sweep.Forward), Curve(sweep.Backward), sweep.Loops), sweep.Settings.MinimumJump)
        {
            FailedProbes = sweep.FailedProbes.Count,
        };
    }

    /// <summary>
    /// Steep stretches joined per direction where they overlap or lie within one grid step of each other, oriented by
    /// increasing x; then a forward and a backward stretch over overlapping x whose d agree at both ends (within
    /// <paramref name="tolerance"/>: the same branch seen both ways) become one with direction "both".
    /// </summary>
    public static IReadOnlyList<SteepStretch> MergeStretches(IReadOnlyList<SteepStretch> stretches, double gridStep, double tolerance)
    {
        var perDirection = new List<SteepStretch>();
        foreach (var group in stretches.GroupBy(s => s.Direction))
        {
            var ascending = group.Select(s => s.XFrom <= s.XTo ? s : s with { XFrom = s.XTo, XTo = s.XFrom, DistanceFrom = s.DistanceTo, DistanceTo = s.DistanceFrom })
                .OrderBy(s => s.XFrom).ToList();
            var merged = new List<SteepStretch>();
            foreach (var s in ascending)
            {
                if (merged.Count > 0 && s.XFrom <= merged[^1].XTo + 1.001 * gridStep)
                {
                    var m = merged[^1];
                    merged[^1] = m with
                    {
                        XTo = Math.Max(m.XTo, s.XTo), DistanceTo = s.XTo > m.XTo ? s.DistanceTo : m.DistanceTo,
                        SmallestStep = Math.Min(m.SmallestStep, s.SmallestStep), UnresolvedSteps = m.UnresolvedSteps + s.UnresolvedSteps,
                    };
                }
                else merged.Add(s);
            }
            perDirection.AddRange(merged);
        }
        var result = new List<SteepStretch>();
        var used = new HashSet<SteepStretch>();
        foreach (var f in perDirection.Where(s => s.Direction == "forward"))
        {
            var b = perDirection.FirstOrDefault(b => b.Direction == "backward" && !used.Contains(b) && b.XFrom <= f.XTo && f.XFrom <= b.XTo
                && Math.Abs(b.DistanceFrom - f.DistanceFrom) <= tolerance && Math.Abs(b.DistanceTo - f.DistanceTo) <= tolerance);
            if (b == null) { result.Add(f); continue; }
            used.Add(b);
            result.Add(new SteepStretch("both", Math.Min(f.XFrom, b.XFrom), Math.Max(f.XTo, b.XTo), f.XFrom <= b.XFrom ? f.DistanceFrom : b.DistanceFrom,
                f.XTo >= b.XTo ? f.DistanceTo : b.DistanceTo, Math.Min(f.SmallestStep, b.SmallestStep), f.UnresolvedSteps + b.UnresolvedSteps));
        }
        result.AddRange(perDirection.Where(s => s.Direction == "backward" && !used.Contains(s)));
        return result.OrderBy(s => s.XFrom).ToArray();
    }

    /// <summary>The fraction of d ∈ [0, 0.5] within <paramref name="reach"/> of one of <paramref name="distances"/>.</summary>
    public static double CoverageOf(IEnumerable<double> distances, double reach)
    {
        var intervals = distances.Where(double.IsFinite).Select(d => (Low: Math.Max(0, d - reach), High: Math.Min(0.5, d + reach)))
            .Where(i => i.High > i.Low).OrderBy(i => i.Low).ToArray();
        double covered = 0, end = 0;
        foreach (var (low, high) in intervals)
        {
            double from = Math.Max(low, end);
            if (high > from) covered += high - from;
            end = Math.Max(end, high);
        }
        return covered / 0.5;
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Findings as JSON (NaN written as "NaN"), read back by <see cref="FromJson"/>.</summary>
    public static string ToJson(IReadOnlyList<LandscapeFindings> findings) => JsonSerializer.Serialize(findings, Json);

    /// <summary>Findings from <see cref="ToJson"/>.</summary>
    public static IReadOnlyList<LandscapeFindings> FromJson(string json) =>
        JsonSerializer.Deserialize<LandscapeFindings[]>(json, Json) ?? [];
}

/// <summary>
/// The cross-part comparison a set of findings supports: which part lies closest to the entropy bound (most liquid)
/// and which furthest (most constrained), or why that is withheld.
/// </summary>
/// <param name="MostLiquid">Part with the smallest max gap to the bound (null when withheld).</param>
/// <param name="MostConstrained">Part with the largest (null when withheld).</param>
/// <param name="Gaps">The compared parts and their max gap (over all references given).</param>
/// <param name="Withheld">Why no ranking is given (null when it is).</param>
public sealed record LandscapeComparison(string? MostLiquid, string? MostConstrained, IReadOnlyList<(string Part, double Gap)> Gaps, string? Withheld)
{
    /// <summary>
    /// Smallest BP coverage of d ∈ [0, 0.5] for a part to be ranked. The ranking reads the largest gap over that whole
    /// range: a part whose converged points leave more than a tenth of it unseen may have its largest gap there.
    /// </summary>
    public const double MinimumCoverage = 0.9;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Ranks the sub-networks (every part but FULL when at least two others are present; FULL alone has nothing to be
    /// compared with) by their largest gap over all the given findings (e.g. several references). Withheld when a part's
    /// BP coverage is below <paramref name="minimumCoverage"/> for some reference, when it has no converged point with
    /// d ≤ 0.5, or when its fit verdict says the model does not reproduce the data.
    /// </summary>
    public static LandscapeComparison Of(IReadOnlyList<LandscapeFindings> findings, IReadOnlyDictionary<string, PartFitVerdict>? fits = null,
        double minimumCoverage = MinimumCoverage)
    {
        var parts = findings.Select(f => f.Part).Distinct().ToArray();
        var compared = parts.Where(p => p != "FULL").ToArray();
        if (compared.Length < 2) return new LandscapeComparison(null, null, [], "fewer than two sub-networks to compare");
        var reasons = new List<string>();
        var thin = new List<string>();
        var badFits = new List<string>();
        foreach (string part in compared)
        {
            var rows = findings.Where(f => f.Part == part).ToArray();
            var low = rows.MinBy(f => f.Coverage)!;
            if (low.Coverage < minimumCoverage)
                thin.Add(string.Create(Inv, $"{part} {low.Coverage:P0}{(rows.Length > 1 ? $" ({low.Reference})" : "")}"));
            else if (rows.Any(f => double.IsNaN(f.MaxGapToBound)))
                reasons.Add($"{part} has no converged point with d ≤ 0.5");
            if (fits != null && fits.TryGetValue(part, out var fit) && !fit.ReproducesData) badFits.Add(part);
        }
        if (thin.Count > 0)
            reasons.Insert(0, string.Create(Inv, $"BP covers too little of d ∈ [0, 0.5] (at least {minimumCoverage:P0} needed): {string.Join(", ", thin)}"));
        if (badFits.Count > 0)
            reasons.Add(badFits.Count == 1 ? $"the fit of {badFits[0]} {fits![badFits[0]].Description}" : $"the fits of {string.Join(", ", badFits)} do not reproduce the data");
        var gaps = compared.Select(p => (Part: p, Gap: findings.Where(f => f.Part == p).Select(f => f.MaxGapToBound).DefaultIfEmpty(double.NaN).Max()))
            .OrderBy(g => g.Gap).ToArray();
        if (reasons.Count > 0) return new LandscapeComparison(null, null, gaps, string.Join("; ", reasons));
        return new LandscapeComparison(gaps[0].Part, gaps[^1].Part, gaps, null);
    }

    /// <summary>One sentence: the ranking with its gaps, or what withholds it.</summary>
    public string Sentence() => Withheld != null
        ? (Gaps.Count == 0 ? $"No cross-part comparison: {Withheld}." : $"Most liquid / most constrained: not stated, because {Withheld}.")
        : string.Create(Inv, $"Closest to the bound (most liquid): {MostLiquid} (max gap {Gaps[0].Gap:F3}); most constrained: {MostConstrained} " +
                             $"(max gap {Gaps[^1].Gap:F3}); ranking over {string.Join(", ", Gaps.Select(g => $"{g.Part} {g.Gap:F3}"))}.");
}

/// <summary>The findings of one or more parts as a markdown table a researcher can scan.</summary>
public static class LandscapeFindingsTable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// One row per finding: part, N, max gap to the bound (d ≤ 0.5), the gap at the probe distances, first-order jumps
    /// (x ± its uncertainty, d before → after), hysteresis, small bistabilities, steep continuous stretches, BP coverage
    /// of d ∈ [0, 0.5], failed points and the fit verdict (from <paramref name="fits"/>; "—" when not given).
    /// A reference column is added when the findings come from more than one reference.
    /// </summary>
    public static string Markdown(IReadOnlyList<LandscapeFindings> findings, IReadOnlyDictionary<string, PartFitVerdict>? fits = null)
    {
        bool references = findings.Select(f => f.Reference).Distinct().Count() > 1;
        var md = new StringBuilder();
        string probes = string.Join(" | ", LandscapeFindings.ProbeDistances.Select(d => string.Create(Inv, $"gap at d = {d:G2}")));
        md.AppendLine((references ? "| reference " : "") + $"| part | N | max gap to the bound (d ≤ 0.5) | {probes} | first-order jumps (proven) | hysteresis | " +
                      "small bistabilities | steep, continuous | BP coverage of d ∈ [0, 0.5] | BP failed | fit verdict |");
        md.AppendLine((references ? "| --- " : "") + "| --- | ---: | ---: | " + string.Join(" | ", LandscapeFindings.ProbeDistances.Select(_ => "---:")) +
                      " | --- | --- | --- | --- | ---: | ---: | --- |");
        foreach (var f in findings)
        {
            string gaps = string.Join(" | ", LandscapeFindings.ProbeDistances.Select(d =>
                Number(f.GapsAt.FirstOrDefault(g => g.Distance == d)?.Gap ?? double.NaN, "F4")));
            string fit = fits != null && fits.TryGetValue(f.Part, out var v) ? v.Description : "—";
            md.AppendLine(Inv, $"{(references ? $"| {f.Reference} " : "")}| {f.Part} | {f.Size} | {Number(f.MaxGapToBound, "F4")} | {gaps} | {Jumps(f.Jumps)} | " +
                               $"{Loops(f.Hysteresis)} | {Jumps(f.SmallBistabilities)} | {Stretches(f.SteepStretches)} | {f.Coverage:P0} | " +
                               $"{f.FailedPoints} of {f.Points}{(f.FailedProbes > 0 ? $" (+{f.FailedProbes} probes)" : "")} | {fit} |");
        }
        return md.ToString();
    }

    /// <summary>Jumps as "forward x = 1.301 ± 0.001: d 0.610 → 0.004; …", or "none".</summary>
    public static string Jumps(IReadOnlyList<DistanceJump> jumps) => jumps.Count == 0 ? "none" : string.Join("; ", jumps.Select(j =>
        string.Create(Inv, $"{j.Direction} x = {j.Location:F3} ± {0.5 * j.Uncertainty:G1}: d {j.DistanceBefore:F3} → {j.DistanceAfter:F3}")));

    /// <summary>Loops as "x ∈ [−1.554, 1.300] (max |d_fwd − d_bwd| 0.80)", or "none".</summary>
    public static string Loops(IReadOnlyList<HysteresisLoop> loops) => loops.Count == 0 ? "none" : string.Join("; ", loops.Select(l =>
        string.Create(Inv, $"x ∈ [{l.XLow:F3}, {l.XHigh:F3}]{(l.Open ? " (open: one branch reaches the end of the range)" : "")}, max Δd {l.MaxDistanceGap:F3}")));

    /// <summary>Steep stretches as "x ∈ [−0.20, 0.20], d 0.68 → 0.32", or "none" (the direction named unless both saw it).</summary>
    public static string Stretches(IReadOnlyList<SteepStretch> stretches) => stretches.Count == 0 ? "none" : string.Join("; ", stretches.Select(s =>
        (s.Direction == "both" ? "" : s.Direction + " ") +
        string.Create(Inv, $"x ∈ [{Math.Min(s.XFrom, s.XTo):F2}, {Math.Max(s.XFrom, s.XTo):F2}], d {s.DistanceFrom:F2} → {s.DistanceTo:F2}") +
        (s.Resolved ? "" : string.Create(Inv, $" ({s.UnresolvedSteps} step(s) unresolved at Δx {s.SmallestStep:G2})"))));

    private static string Number(double value, string format) => double.IsFinite(value) ? value.ToString(format, Inv) : "—";
}
