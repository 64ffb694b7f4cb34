using System.Globalization;
using System.Text;
using FunctionSpace.Ising.Reporting;
using ScottPlot;

namespace FunctionSpace.Ising.Landscape;

/// <summary>Files written by a landscape report (CSV behind every PNG, and the summary text).</summary>
/// <param name="Files">Paths written.</param>
/// <param name="Summary">The summary text (also written to summary.txt).</param>
public sealed record ReportOutput(IReadOnlyList<string> Files, string Summary);

/// <summary>
/// Writes the landscape analyses as CSV + PNG (ScottPlot) + a short text summary. Every figure has its CSV; points
/// where BP did not converge are marked in plots (crosses) and listed in the CSV (converged = false) and summary.
/// </summary>
public static partial class LandscapeReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Entropy landscapes of one or more parts (s(d) with the bound, d(x) forward/backward) and optional iso-energy curves.</summary>
    public static ReportOutput WriteSweeps(string directory, IReadOnlyList<LandscapeSweep> sweeps, string referenceLabel,
        IReadOnlyDictionary<string, IReadOnlyList<IsoEnergyPoint>>? isoEnergy = null,
        IReadOnlyDictionary<string, IReadOnlyList<HeatCapacityCheck>>? heatCapacity = null)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        string csv = Path.Combine(directory, "landscape.csv");
        CsvTable.Write(csv, ["part", "direction", "x", "overlap", "distance", "entropy", "energy", "free_energy", "s_max", "converged", "stop", "iterations", "damping"],
            sweeps.SelectMany(s => s.Forward.Select(p => (s.Name, "forward", p)).Concat(s.Backward.Select(p => (s.Name, "backward", p))))
                .Select(t => (IReadOnlyList<object?>)[t.Item1, t.Item2, t.p.X, t.p.Overlap, t.p.Distance, t.p.Entropy, t.p.Energy, t.p.FreeEnergy,
                    EntropyBound.MaxEntropy(t.p.Distance), t.p.Converged, t.p.StopReason.ToString(), t.p.Iterations, t.p.DampingUsed]));
        files.Add(csv);

        // s(d): one curve per part, the bound, iso-energy and heat-capacity points, failures as crosses.
        var plot = new Plot();
        var bound = Enumerable.Range(0, 201).Select(k => k / 400.0).ToArray();
        var boundLine = plot.Add.Scatter(bound, bound.Select(EntropyBound.MaxEntropy).ToArray());
        boundLine.LegendText = "s_max(d)"; boundLine.MarkerSize = 0; boundLine.LinePattern = LinePattern.Dashed; boundLine.Color = Colors.Black;
        var palette = new ScottPlot.Palettes.Category10();
        int colour = 0;
        foreach (var sweep in sweeps)
        {
            var c = palette.GetColor(colour++);
            var ok = sweep.Forward.Where(p => p.Converged).OrderBy(p => p.Distance).ToArray();
            // The curve is broken where d jumps (no states in between): one line per run of points closer than MaxBracket.
            bool labelled = false;
            foreach (var run in Runs(ok, MaxBracket))
            {
                var line = plot.Add.Scatter(run.Select(p => p.Distance).ToArray(), run.Select(p => p.Entropy).ToArray());
                line.MarkerSize = run.Length == 1 ? 5 : 0; line.LineWidth = 2; line.Color = c;
                if (!labelled) { line.LegendText = sweep.Name; labelled = true; }
            }
            var backOk = sweep.Backward.Where(p => p.Converged).ToArray();
            if (backOk.Length > 0)
            {
                var back = plot.Add.Markers(backOk.Select(p => p.Distance).ToArray(), backOk.Select(p => p.Entropy).ToArray(), MarkerShape.OpenCircle, 3, c);
                back.LegendText = $"{sweep.Name} backward";
            }
            AddFailures(plot, sweep.FailedPoints.Select(p => (p.Distance, p.Entropy)).ToArray(), $"{sweep.Name}: BP not converged");
            if (isoEnergy != null && isoEnergy.TryGetValue(sweep.Name, out var iso))
            {
                var good = iso.Where(p => p.Converged).OrderBy(p => p.Distance).ToArray();
                if (good.Length > 0)
                {
                    var isoLine = plot.Add.Scatter(good.Select(p => p.Distance).ToArray(), good.Select(p => p.Entropy).ToArray());
                    isoLine.LegendText = $"{sweep.Name} iso-energy"; isoLine.LinePattern = LinePattern.Dotted; isoLine.Color = c; isoLine.MarkerSize = 4;
                }
            }
            if (heatCapacity != null && heatCapacity.TryGetValue(sweep.Name, out var hc) && hc.Count > 0)
            {
                var m = plot.Add.Markers(hc.Select(p => p.Distance).ToArray(), hc.Select(p => p.EntropyDensity).ToArray(), MarkerShape.FilledSquare, 6, c);
                m.LegendText = $"{sweep.Name} heat capacity (MC)";
            }
        }
        plot.Title($"Entropy landscape around {referenceLabel}");
        plot.XLabel("distance d"); plot.YLabel("entropy density s");
        plot.ShowLegend();
        files.Add(Save(plot, directory, "entropy_vs_distance.png"));

        // d(x), both directions.
        var dplot = new Plot();
        colour = 0;
        foreach (var sweep in sweeps)
        {
            var c = palette.GetColor(colour++);
            var f = sweep.Forward.Where(p => p.Converged).ToArray();
            var b = sweep.Backward.Where(p => p.Converged).ToArray();
            if (f.Length > 0)
            {
                var fl = dplot.Add.Scatter(f.Select(p => p.X).ToArray(), f.Select(p => p.Distance).ToArray());
                fl.LegendText = $"{sweep.Name} forward (x ↑)"; fl.Color = c; fl.MarkerSize = 0; fl.LineWidth = 2;
            }
            if (b.Length > 0)
            {
                var bl = dplot.Add.Scatter(b.Select(p => p.X).ToArray(), b.Select(p => p.Distance).ToArray());
                bl.LegendText = $"{sweep.Name} backward (x ↓)"; bl.Color = c; bl.MarkerSize = 0; bl.LinePattern = LinePattern.Dashed; bl.LineWidth = 2;
            }
            AddFailures(dplot, sweep.FailedPoints.Select(p => (p.X, p.Distance)).ToArray(), $"{sweep.Name}: BP not converged");
        }
        dplot.Title("Distance to the reference vs coupling field");
        dplot.XLabel("coupling field x"); dplot.YLabel("distance d");
        dplot.ShowLegend();
        files.Add(Save(dplot, directory, "distance_vs_x.png"));

        if (isoEnergy != null && isoEnergy.Count > 0)
        {
            string isoCsv = Path.Combine(directory, "iso_energy.csv");
            CsvTable.Write(isoCsv, ["part", "target_distance", "beta", "x", "distance", "energy", "entropy", "s_max", "converged", "stop", "iterations"],
                isoEnergy.SelectMany(kv => kv.Value.Select(p => (IReadOnlyList<object?>)[kv.Key, p.TargetDistance, p.Beta, p.X, p.Distance, p.Energy, p.Entropy,
                    EntropyBound.MaxEntropy(p.TargetDistance), p.Converged, p.Stop.ToString(), p.Iterations])));
            files.Add(isoCsv);
        }
        if (heatCapacity != null && heatCapacity.Count > 0)
        {
            string hcCsv = Path.Combine(directory, "heat_capacity.csv");
            CsvTable.Write(hcCsv, ["part", "x", "distance_mc", "entropy_mc", "entropy_mc_stderr", "entropy_bp", "bp_converged", "seed"],
                heatCapacity.SelectMany(kv => kv.Value.Select(p => (IReadOnlyList<object?>)[kv.Key, p.X, p.Distance, p.EntropyDensity, p.StandardError,
                    p.BpEntropy, p.BpConverged, p.Seed])));
            files.Add(hcCsv);
        }
        string summary = Summarise(sweeps, referenceLabel, isoEnergy, heatCapacity);
        string summaryPath = Path.Combine(directory, "summary.txt");
        IO.AtomicFile.WriteAllText(summaryPath, summary);
        files.Add(summaryPath);
        return new ReportOutput(files, summary);
    }

    /// <summary>The summary text of a set of sweeps: gap to the bound, jumps, hysteresis, failures.</summary>
    public static string Summarise(IReadOnlyList<LandscapeSweep> sweeps, string referenceLabel,
        IReadOnlyDictionary<string, IReadOnlyList<IsoEnergyPoint>>? isoEnergy = null,
        IReadOnlyDictionary<string, IReadOnlyList<HeatCapacityCheck>>? heatCapacity = null)
    {
        var text = new StringBuilder();
        text.AppendLine(Inv, $"reference: {referenceLabel}");
        foreach (var s in sweeps)
        {
            var failed = s.FailedPoints.ToArray();
            double gap = s.MaxGapToBound;
            var parts = new List<string>
            {
                double.IsNaN(gap) ? "no converged point" : $"entropy within {gap:F4} of the bound at all converged d (max s_max − s)",
                $"x ∈ [{s.Settings.XMin:G4}, {s.Settings.XMax:G4}], d ∈ [{MinD(s):F4}, {MaxD(s):F4}]",
                $"reference energy density {s.ReferenceEnergy:F4}",
            };
            var probes = new[] { 0.05, 0.1, 0.2, 0.3 }.Where(d => d >= MinD(s) && d <= MaxD(s)).Select(d => (d, g: GapAt(s, d))).ToArray();
            var gapsAt = probes.Where(t => double.IsFinite(t.g)).ToArray();
            var skipped = probes.Where(t => !double.IsFinite(t.g)).ToArray();
            if (gapsAt.Length > 0) parts.Add("s_max − s at " + string.Join(", ", gapsAt.Select(t => $"d = {t.d:G2}: {t.g:F4}")));
            if (skipped.Length > 0) parts.Add("no converged point near d = " + string.Join(", ", skipped.Select(t => t.d.ToString("G2", Inv))) + " (d(x) jumps over it)");
            parts.Add(s.Jumps.Count == 0 ? "no discontinuity in d(x)"
                : string.Join("; ", s.Jumps.Select(j => $"{j.Direction} jump in d of {j.Size:F4} at x ≈ {j.Location:F4} (d {j.DistanceBefore:F4} → {j.DistanceAfter:F4})")));
            parts.Add(s.Hysteresis is { } h ? $"hysteresis for x ∈ [{h.XLow:F4}, {h.XHigh:F4}] (width {h.Width:F4}, max |d_fwd − d_bwd| {h.MaxDistanceGap:F4}, loop area {h.Area:G4})"
                : "no hysteresis (forward and backward agree)");
            parts.Add(failed.Length == 0 ? "BP converged at every point"
                : $"BP NOT CONVERGED at {failed.Length} of {s.Forward.Count + s.Backward.Count} points (x = {string.Join(", ", failed.Take(8).Select(p => p.X.ToString("F3", Inv)))}{(failed.Length > 8 ? ", …" : "")})");
            if (isoEnergy != null && isoEnergy.TryGetValue(s.Name, out var iso))
            {
                int ok = iso.Count(p => p.Converged);
                parts.Add($"iso-energy: {ok} of {iso.Count} distances solved" + (ok > 0 ? $", max s_free − s_iso {MaxIsoGap(s, iso):F4}" : ""));
            }
            if (heatCapacity != null && heatCapacity.TryGetValue(s.Name, out var hc) && hc.Count > 0)
            {
                var both = hc.Where(p => p.BpConverged).ToArray();
                parts.Add($"heat-capacity (MC) entropy at {hc.Count} x" + (both.Length > 0
                    ? $"; max |s_MC − s_BP| {both.Max(p => Math.Abs(p.EntropyDensity - p.BpEntropy)):F4} (stderr ≤ {both.Max(p => p.StandardError):F4})" : ""));
            }
            text.AppendLine(Inv, $"{s.Name} (N = {s.Size}): {string.Join("; ", parts)}.");
        }
        if (sweeps.Count > 1)
        {
            var ranked = sweeps.Where(s => !double.IsNaN(s.MaxGapToBound)).OrderByDescending(s => s.MaxGapToBound).ToArray();
            if (ranked.Length > 0)
                text.AppendLine(Inv, $"most constrained (largest gap to the bound): {ranked[0].Name}; closest to the bound: {ranked[^1].Name}.");
        }
        return text.ToString();
    }

    private static double MaxIsoGap(LandscapeSweep sweep, IReadOnlyList<IsoEnergyPoint> iso)
    {
        var (ds, ss) = ConvergedCurve(sweep);
        double max = double.NaN;
        foreach (var p in iso.Where(p => p.Converged))
        {
            double s = Interpolate(ds, ss, p.Distance, MaxBracket);
            if (double.IsFinite(s)) max = double.IsNaN(max) ? s - p.Entropy : Math.Max(max, s - p.Entropy);
        }
        return max;
    }

    // Consecutive points (sorted by d) split wherever neighbours are more than maxGap apart in d.
    private static IEnumerable<LandscapePoint[]> Runs(LandscapePoint[] sorted, double maxGap)
    {
        int start = 0;
        for (int k = 1; k <= sorted.Length; k++)
            if (k == sorted.Length || sorted[k].Distance - sorted[k - 1].Distance > maxGap)
            {
                if (k > start) yield return sorted[start..k];
                start = k;
            }
    }

    /// <summary>Widest d-interval between two converged points that is bridged by interpolation.</summary>
    /// <remarks>Where d(x) jumps (a first-order transition) there are no states in between: interpolating s across
    /// the jump would invent a curve, so a wider bracket gives NaN.</remarks>
    public const double MaxBracket = 0.05;

    /// <summary>
    /// s_max(d) − s(d), interpolated linearly between the neighbouring converged points of both sweep directions;
    /// NaN outside the converged range or where the neighbours are more than <see cref="MaxBracket"/> apart in d.
    /// </summary>
    public static double GapAt(LandscapeSweep sweep, double distance)
    {
        var (ds, ss) = ConvergedCurve(sweep);
        return EntropyBound.MaxEntropy(distance) - Interpolate(ds, ss, distance, MaxBracket);
    }

    // Converged (d, s) points of both directions, sorted by d.
    private static (double[] Distances, double[] Entropies) ConvergedCurve(LandscapeSweep sweep)
    {
        var points = sweep.Forward.Concat(sweep.Backward).Where(p => p.Converged).OrderBy(p => p.Distance).ToArray();
        return (points.Select(p => p.Distance).ToArray(), points.Select(p => p.Entropy).ToArray());
    }

    internal static double Interpolate(double[] xs, double[] ys, double x, double maxBracket = double.PositiveInfinity)
    {
        for (int k = 0; k + 1 < xs.Length; k++)
            if (xs[k] <= x && x <= xs[k + 1])
            {
                if (xs[k + 1] - xs[k] > maxBracket) return double.NaN;
                return xs[k + 1] == xs[k] ? ys[k] : ys[k] + (ys[k + 1] - ys[k]) * (x - xs[k]) / (xs[k + 1] - xs[k]);
            }
        return double.NaN;
    }

    private static double MinD(LandscapeSweep s) => s.Forward.Concat(s.Backward).Where(p => p.Converged).Select(p => p.Distance).DefaultIfEmpty(double.NaN).Min();
    private static double MaxD(LandscapeSweep s) => s.Forward.Concat(s.Backward).Where(p => p.Converged).Select(p => p.Distance).DefaultIfEmpty(double.NaN).Max();

    private static void AddFailures(Plot plot, (double X, double Y)[] points, string label)
    {
        var finite = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToArray();
        if (finite.Length == 0) return;
        var m = plot.Add.Markers(finite.Select(p => p.X).ToArray(), finite.Select(p => p.Y).ToArray(), MarkerShape.Cross, 10, Colors.Red);
        m.LegendText = label;
    }

    private static string Save(Plot plot, string directory, string name)
    {
        string path = Path.Combine(directory, name);
        Figure.SavePng(plot, path);
        return path;
    }

    /// <summary>Monte-Carlo dynamics: energy and accuracy mean ± std along the trajectories.</summary>
    public static ReportOutput WriteDynamics(string directory, string label, DynamicsResult result)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        string csv = Path.Combine(directory, "dynamics.csv");
        CsvTable.Write(csv, ["sweep", "energy_mean", "energy_std", "accuracy_mean", "accuracy_std"], Enumerable.Range(0, result.Sweeps.Length)
            .Select(k => (IReadOnlyList<object?>)[result.Sweeps[k], result.EnergyMean[k], result.EnergyStd[k], result.AccuracyMean[k], result.AccuracyStd[k]]));
        files.Add(csv);
        string traj = Path.Combine(directory, "dynamics_trajectories.csv");
        CsvTable.Write(traj, ["reference", "sweep", "energy", "accuracy", "acceptance_rate"], result.Trajectories.SelectMany(t =>
            Enumerable.Range(0, t.Sweeps.Length).Select(k => (IReadOnlyList<object?>)[t.Reference, t.Sweeps[k], t.Energy[k], t.Accuracy[k], t.AcceptanceRate])));
        files.Add(traj);
        double[] xs = result.Sweeps.Select(s => (double)s).ToArray();
        foreach (var (name, mean, std, ylabel) in new[] { ("dynamics_energy.png", result.EnergyMean, result.EnergyStd, "energy density e"),
                     ("dynamics_accuracy.png", result.AccuracyMean, result.AccuracyStd, "test accuracy") })
        {
            var plot = new Plot();
            var fill = plot.Add.FillY(xs, mean.Zip(std, (m, s) => m - s).ToArray(), mean.Zip(std, (m, s) => m + s).ToArray());
            fill.LegendText = "± std over references";
            var line = plot.Add.Scatter(xs, mean);
            line.LegendText = $"mean over {result.Trajectories.Count} references"; line.MarkerSize = 0; line.LineWidth = 2;
            plot.Title($"Metropolis dynamics from references, {label}");
            plot.XLabel("Monte-Carlo sweeps"); plot.YLabel(ylabel);
            plot.ShowLegend();
            files.Add(Save(plot, directory, name));
        }
        int last = result.Sweeps.Length - 1;
        string summary = string.Create(Inv, $"{label}: {result.Trajectories.Count} trajectories of {result.Sweeps[last]} sweeps (seed {result.Seed}); " +
            $"energy {result.EnergyMean[0]:F4} → {result.EnergyMean[last]:F4} ± {result.EnergyStd[last]:F4}; " +
            $"test accuracy {result.AccuracyMean[0]:F4} → {result.AccuracyMean[last]:F4} ± {result.AccuracyStd[last]:F4}; " +
            $"acceptance rate {result.Trajectories.Average(t => t.AcceptanceRate):F3}.\n");
        string summaryPath = Path.Combine(directory, "dynamics_summary.txt");
        IO.AtomicFile.WriteAllText(summaryPath, summary);
        files.Add(summaryPath);
        return new ReportOutput(files, summary);
    }

    /// <summary>Energy vs accuracy scatter (Fig. 3c) and the model-parameter histograms.</summary>
    public static ReportOutput WriteEnergyAccuracy(string directory, string label, EnergyAccuracyTable table, ParameterHistograms parameters)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        string csv = Path.Combine(directory, "energy_accuracy.csv");
        CsvTable.Write(csv, ["configuration", "energy_density", "accuracy"], table.Labels.Select((l, k) => (IReadOnlyList<object?>)[l, table.Energy[k], table.Accuracy[k]]));
        files.Add(csv);
        var plot = new Plot();
        plot.Add.Markers(table.Energy, table.Accuracy, MarkerShape.FilledCircle, 5, Colors.Blue);
        plot.Title($"Energy vs test accuracy, {label} (Pearson r = {table.Correlation:F3})");
        plot.XLabel("model energy density e"); plot.YLabel("test accuracy");
        files.Add(Save(plot, directory, "energy_accuracy.png"));
        foreach (var (name, hist) in new[] { ("couplings", parameters.Couplings), ("fields", parameters.Fields) })
        {
            string hcsv = Path.Combine(directory, $"{name}_histogram.csv");
            var centres = hist.Centres;
            CsvTable.Write(hcsv, ["bin_low", "bin_high", "count"], Enumerable.Range(0, centres.Length)
                .Select(k => (IReadOnlyList<object?>)[hist.Edges[k], hist.Edges[k + 1], hist.Counts[k]]));
            files.Add(hcsv);
            var hp = new Plot();
            var bars = hp.Add.Bars(centres, hist.Counts.Select(c => (double)c).ToArray());
            double width = centres.Length > 1 ? centres[1] - centres[0] : 1;
            foreach (var bar in bars.Bars) bar.Size = width * 0.95;
            hp.Title($"{label}: {name}"); hp.XLabel(name == "couplings" ? "J_ij" : "h_i"); hp.YLabel("count");
            files.Add(Save(hp, directory, $"{name}_histogram.png"));
        }
        string summary = string.Create(Inv, $"{label}: {table.Energy.Length} configurations, Pearson r(energy, accuracy) = {table.Correlation:F4}; " +
            $"J mean {parameters.CouplingMean:G4} std {parameters.CouplingStd:G4}; h mean {parameters.FieldMean:G4} std {parameters.FieldStd:G4}.\n");
        return new ReportOutput(files, summary);
    }
}

/// <summary>A heat-capacity (Monte-Carlo) entropy at one x beside BP's.</summary>
/// <param name="X">Coupling field.</param>
/// <param name="Distance">d from the Monte-Carlo magnetisations at β = 1.</param>
/// <param name="EntropyDensity">S/N from the heat-capacity integral.</param>
/// <param name="StandardError">Its standard error per spin.</param>
/// <param name="BpEntropy">BP's entropy density at the same x.</param>
/// <param name="BpConverged">Whether BP converged there.</param>
/// <param name="Seed">Monte-Carlo seed.</param>
public sealed record HeatCapacityCheck(double X, double Distance, double EntropyDensity, double StandardError, double BpEntropy, bool BpConverged, ulong Seed);
