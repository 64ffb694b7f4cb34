using FunctionSpace.Ising.Inverse;
using FunctionSpace.Ising.Training;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FunctionSpace.Ising.Landscape;

namespace FunctionSpace.Ising.Pipeline;

/// <summary>
/// Writes <c>report.md</c>: a readable summary of a run with its figures embedded and the key numbers in
/// tables. Every statement is derived from the stages' JSON summaries, never fixed text.
/// </summary>
public static class RunReport
{
    /// <summary>Part of the run's cache key (with the tool's version): changed whenever the same stage outputs would give another report.</summary>
    public const string AlgorithmVersion = "report-v1";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes the report for the run in <paramref name="runner"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(StageRunner runner, RunConfig config)
    {
        var md = new StringBuilder();
        var m = runner.Manifest;
        md.AppendLine(Inv, $"# fsi run `{config.Name}` — preset `{config.Preset}`");
        md.AppendLine();
        md.AppendLine(Inv, $"Scenarios: {string.Join(", ", config.Scenarios)} · master seed {config.Seed} · PCA k = {config.Components} · " +
                           $"fsi {m.Versions.GetValueOrDefault("fsi", "?")} · {m.Machine.GetValueOrDefault("cores", "?")} cores");
        var data = Read(runner, "data.json");
        if (data != null)
            md.AppendLine(Inv, $"Data: {(data["embedded_mnist"]?.GetValue<bool>() == true ? "embedded MNIST" : data["source"])} — " +
                               $"{data["train"]} training / {data["test"]} test images, top {data["components"]} components keep " +
                               $"{data["explained_variance"]!.GetValue<double>() * 100:F2} % of the variance.");
        md.AppendLine();
        if (config.Preset == "quick")
        {
            md.AppendLine($"> **Smoke test.** The `quick` preset runs every stage on {config.Collect.Networks} networks per scenario to show that " +
                               "the tool works end to end; that is too few independently trained networks for its findings to be the study's " +
                               "(the split-half check below says how much they depend on which networks were drawn). Run the default preset " +
                               "(`fsi run`) for results.");
            md.AppendLine();
        }
        md.AppendLine("Each sub-network's effective Ising model P(s) ∝ exp(Σ J_ij s_i s_j + Σ h_i s_i) is fitted to the collected " +
                      "weight configurations; the entropy landscape s(d) counts the configurations at Hamming distance d from a " +
                      "reference solution (BP with a coupling field x toward it) and is bounded by s_max(d) = −d ln d − (1−d) ln(1−d).");
        md.AppendLine();

        var keyRows = new List<string>();
        foreach (string scenario in RunPipeline.Scenarios(config))
        {
            md.AppendLine(Inv, $"## Scenario `{scenario}`");
            md.AppendLine();
            var collect = CollectSummary(runner, scenario);
            if (collect != null)
            {
                string origin = collect.ImportedFrom is { } from ? $"imported from {from.Length} ensemble file(s); "
                    : string.Create(Inv, $"{collect.Networks} networks × {collect.SamplesPerNetwork} samples; ");
                // A collection resumed from a complete file trained nothing in this run: no timing to report.
                string timing = collect.TrainSeconds is { } train && train > 0
                    ? string.Create(Inv, $" Training {train:F0} s, evaluation {collect.EvaluateSeconds ?? double.NaN:F0} s.") : "";
                md.AppendLine(Inv, $"**Collection.** {origin}{collect.Configurations} configurations kept (threshold {collect.Threshold}); " +
                                   $"test accuracy mean {(double)collect.AccuracyMean:F4}, best {(double)collect.AccuracyMax:F4}; best sample per network on average " +
                                   $"{(double)collect.BestPerNetworkMean:F4}.{timing}");
                md.AppendLine($"Effective sample size: **{collect.EffectiveSampleSize} independently trained networks** (selection: " +
                                   $"{collect.Selection}); samples of one network differ in about 1 % of their weights, so the networks, not the " +
                                   "configurations, are the independent draws." + Overlaps(collect));
                md.AppendLine();
                md.AppendLine(Inv, $"![accuracy distribution]({scenario}/accuracy.png)");
                md.AppendLine();
            }

            var moments = Read(runner, $"{scenario}/moments/moments.json");
            if (moments != null)
            {
                string symmetry = moments["symmetry"]?.GetValue<string>() == "hidden-node-permutation"
                    ? "averaged exactly over the relabellings of each hidden layer (the study's permutation-symmetric distribution)" : "as collected";
                string floors = moments["noise_floor"] is JsonObject nf
                    ? "; noise floor (the RMSE a perfect model would show against these data, bootstrap over networks): " +
                      string.Join(", ", nf.Select(kv => $"{kv.Key} {kv.Value!.GetValue<double>().ToString("F4", Inv)}"))
                    : "";
                md.AppendLine(Inv, $"**Moments** of {moments["networks"] ?? moments["count"]} networks, {symmetry}{floors}.");
                md.AppendLine();
            }

            var fit = FitTable(runner, scenario);
            if (fit != null)
            {
                md.AppendLine("**Fit quality** (moment RMSE = sqrt(mean Δm² + mean_{i≠j} ΔC²) of the saved model against the data, by a " +
                              "Monte-Carlo verification on fresh chains, with its Monte-Carlo noise and the RMSE corrected for it; the " +
                              "independent-site model h = atanh m, J = 0 as the baseline every fit must beat; the data's noise floor):");
                md.AppendLine();
                md.AppendLine("| part | N | method | saved | steps | stop | independent | RMSE (MC) | MC noise | corrected | RMSE (BP) | noise floor | triplets predicted | verdict |");
                md.AppendLine("| --- | ---: | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
                var poor = new List<string>();
                var advice = new List<string>();
                foreach (var row in fit)
                {
                    string verdict = row.Verdict;
                    if (verdict.StartsWith("does not", StringComparison.Ordinal)) poor.Add(row.Part);
                    if (row.Advice is { } a) advice.Add($"{row.Part}: {a}");
                    string saved = row.Saved == "independent" ? "independent" : row.BestStep is { } b ? $"step {b}" : "—";
                    md.AppendLine(Inv, $"| {row.Part} | {row.Size} | {row.Method} | {saved} | {row.Iterations} | {row.Stop} | " +
                                       $"{F(row.RmseIndependent)} | {F(row.RmseMc)} | {F(row.RmseMcNoise)} | {F(row.RmseMcCorrected)} | " +
                                       $"{F(row.RmseBp)} | {F(row.DataNoiseFloor)} | {F(row.TripletsPredicted, "P1")} | {verdict} |");
                }
                md.AppendLine();
                if (poor.Count > 0)
                    md.AppendLine($"**Caution:** the fits of {string.Join(", ", poor)} do not reproduce the data moments. Their landscapes below " +
                                  "describe the fitted models, not the ensemble.\n");
                foreach (string a in advice) md.AppendLine($"- {a}");
                if (advice.Count > 0) md.AppendLine();
                string? firstModel = fit.FirstOrDefault()?.Model;
                if (firstModel != null)
                {
                    md.AppendLine(Inv, $"![data vs model correlations]({scenario}/fit/{firstModel}.scatter_C.png)");
                    md.AppendLine();
                }
            }

            var landscape = Landscapes(runner, scenario);
            if (landscape != null)
            {
                var fits = FitVerdicts(fit);
                md.AppendLine("**Entropy landscapes.** Per reference configuration, what the sweeps show: the gap s_max(d) − s(d) to the " +
                              "bound, jumps of d(x) only where BP found two branches at one x (proven first-order transitions; smaller " +
                              "ones as small bistabilities), hysteresis over the x-interval where both branches exist, the stretches " +
                              "where d(x) is steep but continuous, how much of d ∈ [0, 0.5] the converged points reach, and the fit " +
                              "verdict of each part's model.");
                md.AppendLine();
                var all = new List<LandscapeFindings>();
                foreach (var entry in landscape)
                {
                    string reference = entry.Reference;
                    var findings = entry.Findings;
                    all.AddRange(findings);
                    md.AppendLine(Inv, $"*{entry.Label}*");
                    md.AppendLine();
                    md.Append(LandscapeFindingsTable.Markdown(findings, fits));
                    md.AppendLine();
                    md.AppendLine(LandscapeComparison.Of(findings, fits).Sentence());
                    md.AppendLine();
                    md.AppendLine(Inv, $"![s(d)]({scenario}/landscape/{reference}/entropy_vs_distance.png) ![d(x)]({scenario}/landscape/{reference}/distance_vs_x.png)");
                    md.AppendLine();
                }
                if (landscape.Count > 1) md.AppendLine("Over all references: " + LandscapeComparison.Of(all, fits).Sentence());
                md.AppendLine();
            }

            var split = SplitHalves(runner, scenario);
            if (split != null)
            {
                md.AppendLine(Inv, $"**{split.Sentence}**");
                md.AppendLine();
                md.AppendLine(Inv, $"![split-half gaps]({scenario}/split-half/split_half_gaps.png)");
                md.AppendLine();
            }

            var tap = StageJson.Read<TapStageSummary>(runner.PathOf(Path.Combine(scenario, "tap", RunPipeline.TapSummaryFile)));
            if (tap != null)
            {
                md.AppendLine(Inv, $"**TAP free energies** (full model): {tap.Summary.Trim()}");
                md.AppendLine();
                md.AppendLine(Inv, $"![TAP histogram]({scenario}/tap/tap_histogram.png)");
                md.AppendLine();
            }

            var dynamics = StageJson.Read<DynamicsStageSummary>(runner.PathOf(Path.Combine(scenario, "dynamics", RunPipeline.DynamicsSummaryFile)));
            if (dynamics != null)
            {
                md.AppendLine(Inv, $"**Monte-Carlo dynamics** from {dynamics.References} low-energy references, {dynamics.Sweeps} Metropolis sweeps; " +
                                   $"energy–accuracy correlation over the ensemble {dynamics.EnergyAccuracyCorrelation?.ToString("F4", Inv) ?? "—"}.");
                md.AppendLine();
                md.AppendLine(dynamics.Summary.TrimEnd());
                md.AppendLine();
                md.AppendLine(Inv, $"![energy]({scenario}/dynamics/dynamics_energy.png) ![accuracy]({scenario}/dynamics/dynamics_accuracy.png) ![energy vs accuracy]({scenario}/dynamics/energy_accuracy.png)");
                md.AppendLine();
            }

            keyRows.Add(KeyRow(scenario, collect, fit, landscape, tap, split));
        }

        md.AppendLine("## Key numbers");
        md.AppendLine();
        md.AppendLine("| scenario | networks | mean test accuracy | worst fit RMSE (MC) | max gap to the bound, d ≤ 0.5 (part) | first-order jumps in d(x) (proven) | TAP peaks | split halves |");
        md.AppendLine("| --- | ---: | ---: | ---: | --- | ---: | ---: | --- |");
        foreach (string row in keyRows) md.AppendLine(row);
        md.AppendLine();
        if (config.Scenarios.Contains("shallow") && config.Scenarios.Any(s => s != "shallow"))
            md.AppendLine(DeepVersusShallow(runner, config));
        md.Append(StudyFindings(runner, config));

        md.AppendLine("## Stages");
        md.AppendLine();
        md.AppendLine("| stage | status | seconds |");
        md.AppendLine("| --- | --- | ---: |");
        foreach (var s in m.Stages.Where(s => s.Name != "report"))
            md.AppendLine(Inv, $"| {s.Name} | {s.Status} | {s.Seconds:F1} |");
        md.AppendLine();
        md.AppendLine("Parameters, seeds, versions and timings: `manifest.json`; rerun exactly with `fsi run --config config.json`.");

        IO.AtomicFile.WriteAllText(runner.PathOf("report.md"), md.ToString());
        return ["report.md"];
    }

    // The fit stage's verdict per part, as the landscape comparison reads it (null without a fit table).
    // The fit table's own "reproduces" (FitVerdict.Judge: false also when the chains did not mix), or for rows written
    // without it, whether the verdict says "does not".
    internal static Dictionary<string, PartFitVerdict>? FitVerdicts(IReadOnlyList<FitTableRow>? fit) =>
        fit?.ToDictionary(r => r.Part, r => new PartFitVerdict(r.ReproducesData, r.Verdict));

    private static string KeyRow(string scenario, CollectionSummary? collect, IReadOnlyList<FitTableRow>? fit, IReadOnlyList<LandscapeReferenceSummary>? landscape, TapStageSummary? tap, SplitHalfSummary? split)
    {
        string halves = split == null ? "—" : split.Agree ? "agree" : "disagree";
        string worstFit = fit == null ? "—" : fit.Select(r => r.RmseMc ?? double.NaN).DefaultIfEmpty(double.NaN).Max().ToString("F4", Inv);
        string gap = "—";
        int jumps = 0;
        if (landscape != null)
        {
            var all = landscape.SelectMany(e => e.Findings).Where(f => double.IsFinite(f.MaxGapToBound))
                .Select(f => (f.Part, Gap: f.MaxGapToBound)).ToArray();
            if (all.Length > 0)
            {
                var max = all.MaxBy(a => a.Gap);
                gap = $"{max.Gap.ToString("F3", Inv)} ({max.Part})";
            }
            jumps = landscape.SelectMany(e => e.Findings).Sum(f => f.Jumps.Count);
        }
        return $"| {scenario} | {collect?.EffectiveSampleSize.ToString(Inv) ?? "—"} | {(collect == null ? "—" : ((double)collect.AccuracyMean).ToString("F4", Inv))} | " +
               $"{worstFit} | {gap} | {jumps} | {TapPeaks(tap)} | {halves} |";
    }

    // The peak count of a census, or why there is none (a census with no converged start has no distribution).
    private static string TapPeaks(TapStageSummary? tap) => tap == null ? "—"
        : tap.Converged == 0 ? $"none of {tap.Starts} starts converged" : tap.Peaks.ToString(Inv);

    // Mean overlaps q = w·w'/N per part between two networks and between two samples of one network (the latter only when
    // a network contributes several configurations), as the collection measured them.
    private static string Overlaps(CollectionSummary collect)
    {
        var rows = collect.Overlaps;
        if (rows.Length == 0) return "";
        static string Q(double? v) => v is { } q ? q.ToString("F3", Inv) : "—";
        return " Mean overlap q between two networks: " + string.Join(", ", rows.Select(r => $"{r.Part} {Q(r.BetweenNetworks)}")) +
               (rows.Any(r => r.WithinNetwork != null)
                   ? "; between two samples of one network: " + string.Join(", ", rows.Select(r => $"{r.Part} {Q(r.WithinNetwork)}"))
                   : "; within a network: none to measure (one configuration per network)") + ".";
    }

    // The split-half stage's summary of a scenario, or null when the stage has not written one.
    private static SplitHalfSummary? SplitHalves(StageRunner runner, string scenario) =>
        StageJson.Read<SplitHalfSummary>(runner.PathOf(Path.Combine(scenario, "split-half", RunPipeline.SplitHalfSummaryFile)));

    // The collect stage's summary of a scenario, or null when the stage has not written one.
    private static CollectionSummary? CollectSummary(StageRunner runner, string scenario)
    {
        string path = runner.PathOf(Path.Combine(scenario, "collect.json"));
        return File.Exists(path) ? CollectionSummary.FromJson(File.ReadAllText(path)) : null;
    }

    // Largest fraction of a landscape's points where BP may fail for its count of jumps to be trusted.
    private const double MaximumFailedFraction = 0.1;

    // The study's contrast (only the shallow net's FULL landscape has a first-order transition), stated only where BP covers
    // d ∈ [0, 0.5] well for every FULL landscape compared and both FULL fits reproduce their data.
    private static string DeepVersusShallow(StageRunner runner, RunConfig config)
    {
        var deep = config.Scenarios.Where(s => s != "shallow").ToArray();
        var missing = new List<string>();
        var thin = new List<string>();
        var badFits = new List<string>();
        var unstable = new List<string>();
        int Jumps(string scenario)
        {
            var entries = Landscapes(runner, scenario);
            if (entries == null) { missing.Add(scenario); return 0; }
            var full = entries.SelectMany(e => e.Findings).Where(f => f.Part == "FULL").ToArray();
            // A jump is proven by two BP branches at one x, and leaves the distances it jumps over uncovered by nature: what
            // can hide one is BP failing along x, so the count is trusted where BP converged at nearly every point.
            thin.AddRange(full.Where(f => f.FailedPoints > MaximumFailedFraction * f.Points)
                .Select(f => string.Create(Inv, $"{scenario} {f.FailedPoints} of {f.Points} ({f.Reference})")));
            var verdicts = FitVerdicts(FitTable(runner, scenario));
            if (verdicts != null && verdicts.TryGetValue("FULL", out var v) && !v.ReproducesData) badFits.Add(scenario);
            // The halves judge the whole network's transitions only where the split-half check compared FULL itself.
            if (SplitHalves(runner, scenario)?.Parts.FirstOrDefault(p => p.Part == "FULL") is { } half && (!half.FitsReproduce || !half.TransitionsAgree))
                unstable.Add(scenario);
            return full.Sum(f => f.Jumps.Count);
        }
        int shallowJumps = Jumps("shallow");
        int deepJumps = deep.Sum(Jumps);
        var reasons = new List<string>();
        if (missing.Count > 0) reasons.Add($"there is no landscape of {string.Join(", ", missing)}");
        if (thin.Count > 0)
            reasons.Add(string.Create(Inv, $"BP failed at more than {MaximumFailedFraction:P0} of the FULL landscape's points: {string.Join(", ", thin)}"));
        if (badFits.Count > 0) reasons.Add($"the FULL fit{(badFits.Count > 1 ? "s" : "")} of {string.Join(" and ", badFits)} do{(badFits.Count > 1 ? "" : "es")} not reproduce the data");
        if (unstable.Count > 0) reasons.Add($"the two halves of the networks disagree on the whole network's transitions for {string.Join(" and ", unstable)} (split-half check)");
        if (reasons.Count > 0)
            return $"**Deep vs shallow.** Not compared, because {string.Join("; ", reasons)}.\n";
        return $"**Deep vs shallow.** The shallow network's FULL landscape shows {shallowJumps} proven first-order jump(s) in d(x) " +
               $"across its references; the deep network(s) ({string.Join(", ", deep)}) show {deepJumps}. " +
               (shallowJumps > 0 && deepJumps == 0 ? "As in the study, only the shallow net's whole-network landscape has a first-order transition." :
                shallowJumps == 0 && deepJumps == 0 ? "Neither shows a first-order transition at this scale." :
                "This differs from the study's picture (only the shallow net jumps); see the sweeps above.") + "\n";
    }

    /// <summary>
    /// The study's findings (Zou &amp; Huang 2021), each checked against this run's numbers: holds, does not hold, or not
    /// settled with the reason (a fit that does not reproduce its data, halves of the networks that disagree, BP that
    /// covers too little of the distances). Deep networks: no first-order jump and no hysteresis in any part, the interior
    /// closest to the entropy bound, the input layer most constrained; the shallow network: a first-order jump with hysteresis.
    /// </summary>
    internal static string StudyFindings(StageRunner runner, RunConfig config)
    {
        var rows = new List<(string Claim, string Measured, string Verdict)>();
        foreach (string scenario in RunPipeline.Scenarios(config))
        {
            var landscape = Landscapes(runner, scenario);
            if (landscape == null) continue;
            var findings = landscape.SelectMany(e => e.Findings).ToArray();
            if (findings.Length == 0) continue;
            var fitRows = FitTable(runner, scenario);
            var fits = FitVerdicts(fitRows) ?? [];
            var floors = (fitRows ?? []).Where(r => r.DataNoiseFloor != null).ToDictionary(r => r.Part, r => r.DataNoiseFloor!.Value);
            var split = SplitHalves(runner, scenario);
            int references = findings.Select(f => f.Reference).Distinct().Count();
            var halves = (split?.Parts ?? []).ToDictionary(p => p.Part);
            static string Verdict(bool holds, IEnumerable<string> reasons)
            {
                var all = reasons.Distinct().ToArray();
                return all.Length > 0 ? $"not settled: {string.Join("; ", all)}" : holds ? "**holds**" : "**does not hold**";
            }
            IEnumerable<string> BadFits(IEnumerable<string> parts) => parts.Where(p => fits.TryGetValue(p, out var v) && !v.ReproducesData)
                .Select(p => $"the fit of {p} does not reproduce its data");
            // What the split-half check says about these parts' transitions: both halves must see the same ones, from
            // models that reproduce their halves' data.
            IEnumerable<string> HalvesDisagreeOnTransitions(IEnumerable<string> parts)
            {
                foreach (string part in parts)
                {
                    if (!halves.TryGetValue(part, out var h)) continue;
                    if (!h.FitsReproduce) yield return $"the fit of {part} does not reproduce the data of both halves of the networks";
                    if (!h.TransitionsAgree) yield return $"first-order jumps in {part} appear in one half of the networks only";
                }
            }
            IEnumerable<string> FailedBp(IEnumerable<LandscapeFindings> rows) => rows.Where(f => f.FailedPoints > MaximumFailedFraction * f.Points)
                .Select(f => string.Create(Inv, $"BP failed at {f.FailedPoints} of {f.Points} points of {f.Part} ({f.Reference})"));
            // The count, and where each jump is (part, reference, x and d before → after): a jump far from the reference
            // (d near 0.5) and one near it are different findings, and the reader should see which.
            string Jumps(IEnumerable<LandscapeFindings> rows)
            {
                var list = rows.ToArray();
                string count = string.Create(Inv, $"{list.Sum(f => f.Jumps.Count)} proven first-order jump(s), {list.Sum(f => f.Hysteresis.Count)} hysteresis loop(s) over {references} reference(s)");
                var where = list.Where(f => f.Jumps.Count > 0).Select(f => $"{f.Part} ({f.Reference}): {LandscapeFindingsTable.Jumps(f.Jumps)}").ToArray();
                return where.Length == 0 ? count : $"{count}: {string.Join("; ", where)}";
            }
            if (scenario == "shallow")
            {
                var full = findings.Where(f => f.Part == "FULL").ToArray();
                var reasons = BadFits(["FULL"]).Concat(FailedBp(full)).Concat(HalvesDisagreeOnTransitions(["FULL"])).ToArray();
                var with = full.Where(f => f.Jumps.Count > 0 && f.Hysteresis.Count > 0).Select(f => f.Reference).ToArray();
                string verdict = reasons.Length > 0 || with.Length == 0 || with.Length == full.Length
                    ? Verdict(with.Length > 0 && with.Length == full.Length, reasons)
                    : $"**holds around {with.Length} of {full.Length} references** ({string.Join(", ", with)}); around the others d(x) is continuous";
                rows.Add(("shallow: the whole network's d(x) jumps (first order) with hysteresis", Jumps(full), verdict));
                continue;
            }
            var parts = findings.Select(f => f.Part).Distinct().ToArray();
            bool smooth = findings.All(f => f.Jumps.Count == 0 && f.Hysteresis.Count == 0);
            rows.Add(($"{scenario}: landscapes smooth, no first-order jump, no hysteresis ({string.Join(", ", parts)})", Jumps(findings),
                Verdict(smooth, BadFits(parts).Concat(FailedBp(findings)).Concat(HalvesDisagreeOnTransitions(parts)))));

            // The ranking at one end: the part there must be the same in both halves, and its gap must differ from its
            // neighbour's by more than twice their combined split-half error.
            var ranking = LandscapeComparison.Of(findings, fits);
            string gaps = ranking.Gaps.Count == 0 ? "—" : "max gap to the bound " + string.Join(", ", ranking.Gaps.Select(g => string.Create(Inv,
                $"{g.Part} {g.Gap:F3}{(halves.TryGetValue(g.Part, out var h) && h.SplitHalfError is { } e ? $" ± {e:F3}" : "")}")));
            IEnumerable<string> EndReasons(bool liquidEnd)
            {
                if (ranking.Withheld != null) { yield return ranking.Withheld; yield break; }
                if (ranking.Gaps.Count < 2) yield break;
                // Each half's end of the ranking from its own largest gaps (its fits are judged below, part by part).
                string? End(string half)
                {
                    var gapsOfHalf = halves.Values.Where(h => h.MaxGap(half) != null).Select(h => (h.Part, Gap: h.MaxGap(half)!.Value)).ToArray();
                    if (gapsOfHalf.Length < 2) return null;
                    return (liquidEnd ? gapsOfHalf.MinBy(g => g.Gap) : gapsOfHalf.MaxBy(g => g.Gap)).Part;
                }
                string? endA = End("a"), endB = End("b");
                if (endA != null && endB != null && endA != endB)
                    yield return $"the halves of the networks differ on the {(liquidEnd ? "most liquid" : "most constrained")} part ({endA} / {endB})";
                var (end, next) = liquidEnd ? (ranking.Gaps[0], ranking.Gaps[1]) : (ranking.Gaps[^1], ranking.Gaps[^2]);
                if (halves.TryGetValue(end.Part, out var he) && halves.TryGetValue(next.Part, out var hn)
                    && he.SplitHalfError is { } e1 && hn.SplitHalfError is { } e2)
                {
                    double error = Math.Sqrt(e1 * e1 + e2 * e2);
                    if (!(Math.Abs(end.Gap - next.Gap) > 2 * error))
                        yield return string.Create(Inv, $"{end.Part} and {next.Part} differ by {Math.Abs(end.Gap - next.Gap):F3}, less than twice their split-half error ({error:F3})");
                }
                foreach (string part in new[] { end.Part, next.Part })
                {
                    if (halves.TryGetValue(part, out var hp) && !hp.FitsReproduce)
                        yield return $"the fit of {part} does not reproduce the data of both halves of the networks";
                    // A fit stops at its data's noise floor, so a floor above the fit target leaves couplings shrunk toward
                    // zero in both halves alike: the halves can agree on a gap that more networks would move.
                    if (floors.TryGetValue(part, out double floor) && floor > Inverse.FitDefaults.TargetRmse)
                        yield return string.Create(Inv, $"the data's noise floor for {part} ({floor:F3}) is above the fit target {Inverse.FitDefaults.TargetRmse:G2}");
                }
            }
            string lowest = ranking.Gaps.Count > 0 ? ranking.Gaps[0].Part : "";
            string highest = ranking.Gaps.Count > 0 ? ranking.Gaps[^1].Part : "";
            rows.Add(($"{scenario}: the interior (ITER) is closest to the entropy bound", gaps, Verdict(lowest == "ITER", EndReasons(liquidEnd: true))));
            rows.Add(($"{scenario}: the input layer (LB) is the most constrained", gaps, Verdict(highest == "LB", EndReasons(liquidEnd: false))));
        }
        if (rows.Count == 0) return "";
        var md = new StringBuilder();
        md.AppendLine("## The study's findings on this run");
        md.AppendLine();
        md.AppendLine("Each finding of Zou & Huang (PRR 3, 033290, 2021) against this run's own numbers. A finding is *settled* only when " +
                      "the models reproduce their data (fit verdicts above), the two halves of the networks tell the same story about it " +
                      "(split-half check: the same transitions, the same part at the end of the ranking, separated by more than twice " +
                      "the split-half error), BP converged along the sweeps, and — for the ranking of gaps — the data's noise floor is " +
                      "below the fit target (a fit stops at its floor, so a high floor shrinks the couplings in both halves alike).");
        md.AppendLine();
        md.AppendLine("| finding of the study | measured here | verdict |");
        md.AppendLine("| --- | --- | --- |");
        foreach (var (claim, measured, verdict) in rows) md.AppendLine($"| {claim} | {measured} | {verdict} |");
        md.AppendLine();
        return md.ToString();
    }

    // The fit stage's table of a scenario, or null when the stage has not written one.
    private static IReadOnlyList<FitTableRow>? FitTable(StageRunner runner, string scenario)
    {
        string path = runner.PathOf(Path.Combine(scenario, "fit", "fit.json"));
        return File.Exists(path) ? FitTableRow.Read(path) : null;
    }

    private static string F(double? value, string format = "F4") => value is { } v ? v.ToString(format, Inv) : "—";

    // The landscape stage's summary of a scenario, or null when the stage has not written one.
    private static IReadOnlyList<LandscapeReferenceSummary>? Landscapes(StageRunner runner, string scenario)
    {
        string path = runner.PathOf(Path.Combine(scenario, "landscape", LandscapeJob.SummaryFile));
        return File.Exists(path) ? LandscapeJob.ReadSummaries(path) : null;
    }

    private static JsonNode? Read(StageRunner runner, string relative)
    {
        string path = runner.PathOf(relative);
        return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) : null;
    }
}
