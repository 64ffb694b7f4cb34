using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace FunctionSpace.Ising.Pipeline;

/// <summary>
/// Writes <c>report.md</c>: a readable summary of a run with its figures embedded and the key numbers in
/// tables. Every statement is derived from the stages' JSON summaries, never fixed text.
/// </summary>
public static class RunReport
{
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
        md.AppendLine("Each sub-network's effective Ising model P(s) ∝ exp(Σ J_ij s_i s_j + Σ h_i s_i) is fitted to the collected " +
                      "weight configurations; the entropy landscape s(d) counts the configurations at Hamming distance d from a " +
                      "reference solution (BP with a coupling field x toward it) and is bounded by s_max(d) = −d ln d − (1−d) ln(1−d).");
        md.AppendLine();

        var keyRows = new List<string>();
        foreach (string scenario in RunPipeline.Scenarios(config))
        {
            md.AppendLine(Inv, $"## Scenario `{scenario}`");
            md.AppendLine();
            var collect = Read(runner, $"{scenario}/collect.json");
            if (collect != null)
            {
                string origin = collect["imported_from"] is JsonArray from ? $"imported from {from.Count} ensemble file(s); "
                    : string.Create(Inv, $"{collect["networks"]} networks × {collect["samples_per_network"]} samples; ");
                string timing = collect["train_seconds"] != null
                    ? string.Create(Inv, $" Training {D(collect, "train_seconds"):F0} s, evaluation {D(collect, "evaluate_seconds"):F0} s.") : "";
                md.AppendLine(Inv, $"**Collection.** {origin}{collect["configurations"]} configurations kept (threshold {collect["threshold"]}); " +
                                   $"test accuracy mean {D(collect, "accuracy_mean"):F4}, best {D(collect, "accuracy_max"):F4}; best sample per network on average " +
                                   $"{D(collect, "best_per_network_mean"):F4}.{timing}");
                md.AppendLine();
                md.AppendLine(Inv, $"![accuracy distribution]({scenario}/accuracy.png)");
                md.AppendLine();
            }

            var fit = Read(runner, $"{scenario}/fit/fit.json")?.AsArray();
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
                    if (row is null) continue;
                    string verdict = FitVerdict(row);
                    if (verdict.StartsWith("does not", StringComparison.Ordinal)) poor.Add(row["part"]!.GetValue<string>());
                    if (row["advice"]?.GetValue<string>() is { } a) advice.Add($"{row["part"]}: {a}");
                    string saved = row["saved"]?.GetValue<string>() == "independent" ? "independent" : row["best_step"] is { } b ? $"step {b}" : "—";
                    md.AppendLine(Inv, $"| {row["part"]} | {row["size"]} | {row["method"]} | {saved} | {row["iterations"]} | {row["stop"]} | " +
                                       $"{F(row, "rmse_independent")} | {F(row, "rmse_mc")} | {F(row, "rmse_mc_noise")} | {F(row, "rmse_mc_corrected")} | " +
                                       $"{F(row, "rmse_bp")} | {F(row, "data_noise_floor")} | {F(row, "triplets_predicted", "P1")} | {verdict} |");
                }
                md.AppendLine();
                if (poor.Count > 0)
                    md.AppendLine($"**Caution:** the fits of {string.Join(", ", poor)} do not reproduce the data moments. Their landscapes below " +
                                  "describe the fitted models, not the ensemble.\n");
                foreach (string a in advice) md.AppendLine($"- {a}");
                if (advice.Count > 0) md.AppendLine();
                string? firstModel = fit.FirstOrDefault()?["model"]?.GetValue<string>();
                if (firstModel != null)
                {
                    md.AppendLine(Inv, $"![data vs model correlations]({scenario}/fit/{firstModel}.scatter_C.png)");
                    md.AppendLine();
                }
            }

            var landscape = Read(runner, $"{scenario}/landscape/landscape.json")?.AsArray();
            if (landscape != null)
            {
                md.AppendLine("**Entropy landscapes.** Per reference configuration, what the numbers show:");
                md.AppendLine();
                foreach (var entry in landscape)
                {
                    string reference = entry!["reference"]!.GetValue<string>();
                    md.AppendLine(Inv, $"*{entry["label"]}*");
                    md.AppendLine();
                    md.AppendLine("```");
                    md.AppendLine(entry["summary"]!.GetValue<string>().TrimEnd());
                    md.AppendLine("```");
                    md.AppendLine();
                    md.AppendLine(Inv, $"![s(d)]({scenario}/landscape/{reference}/entropy_vs_distance.png) ![d(x)]({scenario}/landscape/{reference}/distance_vs_x.png)");
                    md.AppendLine();
                }
                md.AppendLine(Verdicts(landscape));
                md.AppendLine();
            }

            var tap = Read(runner, $"{scenario}/tap/tap.json");
            if (tap != null)
            {
                md.AppendLine(Inv, $"**TAP free energies** (full model): {tap["converged"]} of {tap["starts"]} random starts converged to " +
                                   $"{tap["distinct_states"]} distinct fixed points; the free-energy histogram has {tap["peaks"]} peak(s).");
                md.AppendLine();
                md.AppendLine(Inv, $"![TAP histogram]({scenario}/tap/tap_histogram.png)");
                md.AppendLine();
            }

            var dynamics = Read(runner, $"{scenario}/dynamics/dynamics.json");
            if (dynamics != null)
            {
                md.AppendLine(Inv, $"**Monte-Carlo dynamics** from {dynamics["references"]} low-energy references, {dynamics["sweeps"]} Metropolis sweeps; " +
                                   $"energy–accuracy correlation over the ensemble {F(dynamics, "energy_accuracy_correlation")}.");
                md.AppendLine();
                md.AppendLine("```");
                md.AppendLine(dynamics["summary"]!.GetValue<string>().TrimEnd());
                md.AppendLine("```");
                md.AppendLine();
                md.AppendLine(Inv, $"![energy]({scenario}/dynamics/dynamics_energy.png) ![accuracy]({scenario}/dynamics/dynamics_accuracy.png) ![energy vs accuracy]({scenario}/dynamics/energy_accuracy.png)");
                md.AppendLine();
            }

            keyRows.Add(KeyRow(scenario, collect, fit, landscape, tap));
        }

        md.AppendLine("## Key numbers");
        md.AppendLine();
        md.AppendLine("| scenario | configurations | mean test accuracy | worst fit RMSE (MC) | max gap to the bound (part) | discontinuities in d(x) | TAP peaks |");
        md.AppendLine("| --- | ---: | ---: | ---: | --- | ---: | ---: |");
        foreach (string row in keyRows) md.AppendLine(row);
        md.AppendLine();
        if (config.Scenarios.Contains("shallow") && config.Scenarios.Any(s => s != "shallow"))
            md.AppendLine(DeepVersusShallow(runner, config));

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

    private static string Verdicts(JsonArray landscape)
    {
        // Across references: per part, the largest gap to the bound and whether any sweep jumped.
        var parts = new Dictionary<string, (double Gap, int Jumps, int Failed)>();
        foreach (var entry in landscape)
            foreach (var p in entry!["parts"]!.AsArray())
            {
                string name = p!["part"]!.GetValue<string>();
                double gap = p["max_gap_to_bound"]?.GetValue<double>() ?? double.NaN;
                var (g, j, f) = parts.GetValueOrDefault(name, (double.NaN, 0, 0));
                parts[name] = (double.IsNaN(g) ? gap : double.IsNaN(gap) ? g : Math.Max(g, gap),
                    j + p["jumps"]!.GetValue<int>(), f + p["failed_points"]!.GetValue<int>());
            }
        var text = new StringBuilder("In short: ");
        text.Append(string.Join("; ", parts.Select(p =>
            $"{p.Key}: entropy within {p.Value.Gap.ToString("F3", Inv)} of the bound at all d, " +
            (p.Value.Jumps == 0 ? "no discontinuity" : $"{p.Value.Jumps} discontinuit{(p.Value.Jumps == 1 ? "y" : "ies")} in d(x)") +
            (p.Value.Failed > 0 ? $", BP failed at {p.Value.Failed} points" : ""))));
        var ranked = parts.Where(p => !double.IsNaN(p.Value.Gap) && p.Key != "FULL").OrderBy(p => p.Value.Gap).ToArray();
        if (ranked.Length >= 2)
            text.Append(Inv, $". Closest to the bound (most liquid): {ranked[0].Key}; most constrained: {ranked[^1].Key}.");
        else text.Append('.');
        return text.ToString();
    }

    private static string KeyRow(string scenario, JsonNode? collect, JsonArray? fit, JsonArray? landscape, JsonNode? tap)
    {
        string worstFit = fit == null ? "—" : fit.Select(r => r!["rmse_mc"]?.GetValue<double>() ?? double.NaN).DefaultIfEmpty(double.NaN).Max().ToString("F4", Inv);
        string gap = "—";
        int jumps = 0;
        if (landscape != null)
        {
            var all = landscape.SelectMany(e => e!["parts"]!.AsArray()).Where(p => p!["max_gap_to_bound"] != null)
                .Select(p => (Part: p!["part"]!.GetValue<string>(), Gap: p["max_gap_to_bound"]!.GetValue<double>())).ToArray();
            if (all.Length > 0)
            {
                var max = all.MaxBy(a => a.Gap);
                gap = $"{max.Gap.ToString("F3", Inv)} ({max.Part})";
            }
            jumps = landscape.SelectMany(e => e!["parts"]!.AsArray()).Sum(p => p!["jumps"]!.GetValue<int>());
        }
        return $"| {scenario} | {collect?["configurations"]?.ToString() ?? "—"} | {(collect == null ? "—" : D(collect, "accuracy_mean").ToString("F4", Inv))} | " +
               $"{worstFit} | {gap} | {jumps} | {tap?["peaks"]?.ToString() ?? "—"} |";
    }

    private static string DeepVersusShallow(StageRunner runner, RunConfig config)
    {
        int Jumps(string scenario) => Read(runner, $"{scenario}/landscape/landscape.json")?.AsArray()
            .SelectMany(e => e!["parts"]!.AsArray()).Where(p => p!["part"]!.GetValue<string>() == "FULL").Sum(p => p!["jumps"]!.GetValue<int>()) ?? 0;
        var deep = config.Scenarios.Where(s => s != "shallow").ToArray();
        int shallowJumps = Jumps("shallow");
        int deepJumps = deep.Sum(Jumps);
        return $"**Deep vs shallow.** The shallow network's FULL landscape shows {shallowJumps} discontinuit{(shallowJumps == 1 ? "y" : "ies")} in d(x) " +
               $"across its references; the deep network(s) ({string.Join(", ", deep)}) show {deepJumps}. " +
               (shallowJumps > 0 && deepJumps == 0 ? "As in the study, only the shallow net has a first-order transition." :
                shallowJumps == 0 && deepJumps == 0 ? "Neither shows a first-order transition at this scale." :
                "This differs from the study's picture (only the shallow net jumps); see the sweeps above.") + "\n";
    }

    // The fit stage's own verdict (against the target, the data's noise floor and the Monte-Carlo noise; FitVerdict.Judge).
    private static string FitVerdict(JsonNode row) => row["verdict"]?.GetValue<string>() ?? "not verified by Monte Carlo";

    private static JsonNode? Read(StageRunner runner, string relative)
    {
        string path = runner.PathOf(relative);
        return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) : null;
    }

    private static double D(JsonNode node, string key) => node[key]?.GetValue<double>() ?? double.NaN;

    private static string F(JsonNode? node, string key, string format = "F4") =>
        node?[key] is { } v ? v.GetValue<double>().ToString(format, Inv) : "—";
}
