using System.Globalization;
using System.Text;
using FunctionSpace.Ising.Reporting;
using ScottPlot;

namespace FunctionSpace.Ising.Landscape;

/// <summary>Files written by a landscape report (CSV behind every PNG, and the summary text).</summary>
/// <param name="Files">Paths written.</param>
/// <param name="Summary">The summary (also written to the directory: summary.md for landscapes).</param>
public sealed record ReportOutput(IReadOnlyList<string> Files, string Summary)
{
    /// <summary>The findings per part behind a landscape summary (empty for the other reports).</summary>
    public IReadOnlyList<LandscapeFindings> Findings { get; init; } = [];
}

/// <summary>
/// Writes the landscape analyses as CSV + PNG (ScottPlot) + a short text summary. Every figure has its CSV; points
/// where BP did not converge are marked in plots (crosses) and listed in the CSV (converged = false) and summary.
/// </summary>
public static partial class LandscapeReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Entropy landscapes of one or more parts: landscape.csv (every point), jumps.csv (every proven jump and loop),
    /// entropy_vs_distance and distance_vs_x figures (PNG + SVG), optional iso-energy and heat-capacity tables, and
    /// summary.md (the findings table, <see cref="Summarise"/>).
    /// </summary>
    /// <param name="directory">Output directory.</param>
    /// <param name="sweeps">One sweep per part, all around the same reference.</param>
    /// <param name="referenceLabel">The reference and the scenario, e.g. "under, lowest energy reference (…)"; titles carry it.</param>
    /// <param name="isoEnergy">Iso-energy curves per part.</param>
    /// <param name="heatCapacity">Heat-capacity checks per part.</param>
    /// <param name="fits">The fit verdict per part, if known.</param>
    public static ReportOutput WriteSweeps(string directory, IReadOnlyList<LandscapeSweep> sweeps, string referenceLabel,
        IReadOnlyDictionary<string, IReadOnlyList<IsoEnergyPoint>>? isoEnergy = null,
        IReadOnlyDictionary<string, IReadOnlyList<HeatCapacityCheck>>? heatCapacity = null,
        IReadOnlyDictionary<string, PartFitVerdict>? fits = null)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        string csv = Path.Combine(directory, "landscape.csv");
        CsvTable.Write(csv, ["part", "direction", "x", "overlap", "distance", "entropy", "energy", "free_energy", "s_max", "converged", "stop", "iterations", "damping"],
            sweeps.SelectMany(s => s.Forward.Select(p => (s.Name, "forward", p)).Concat(s.Backward.Select(p => (s.Name, "backward", p))))
                .Select(t => (IReadOnlyList<object?>)[t.Item1, t.Item2, t.p.X, t.p.Overlap, t.p.Distance, t.p.Entropy, t.p.Energy, t.p.FreeEnergy,
                    EntropyBound.MaxEntropy(t.p.Distance), t.p.Converged, t.p.StopReason.ToString(), t.p.Iterations, t.p.DampingUsed]));
        files.Add(csv);
        string jumpsCsv = Path.Combine(directory, "transitions.csv");
        CsvTable.Write(jumpsCsv, ["part", "kind", "direction", "x_low", "x_high", "distance_before", "distance_after", "coexistence_x", "distance_ending_branch", "distance_other_branch"],
            sweeps.SelectMany(s => s.ProvenJumps.Select(j => (IReadOnlyList<object?>)[s.Name, j.Size >= s.Settings.MinimumJump ? "jump" : "small bistability", j.Direction,
                    Math.Min(j.XBefore, j.XAfter), Math.Max(j.XBefore, j.XAfter), j.DistanceBefore, j.DistanceAfter, j.CoexistenceX, j.EndingBranchDistance, j.OtherBranchDistance])
                .Concat(s.Loops.Select(l => (IReadOnlyList<object?>)[s.Name, l.JumpSize >= s.Settings.MinimumJump ? "hysteresis" : "small hysteresis",
                    l.Open ? "open" : "both", l.XLow, l.XHigh, null, null, null, l.MaxDistanceGap, l.Area]))
                .Concat(s.SteepStretches.Select(t => (IReadOnlyList<object?>)[s.Name, t.Resolved ? "steep, resolved" : "steep, unresolved", t.Direction,
                    Math.Min(t.XFrom, t.XTo), Math.Max(t.XFrom, t.XTo), t.DistanceFrom, t.DistanceTo, null, null, null]))));
        files.Add(jumpsCsv);
        string partsLabel = (sweeps.Count == 1 ? "part " : "parts ") + string.Join(", ", sweeps.Select(s => s.Name));

        // s(d): one curve per part and direction (broken where d jumps or BP failed), the bound over the whole d range,
        // iso-energy and heat-capacity points, failed points with the part's own marker.
        var plot = new Plot();
        var bound = Enumerable.Range(0, 401).Select(k => k / 400.0).ToArray();
        var boundLine = plot.Add.Scatter(bound, bound.Select(EntropyBound.MaxEntropy).ToArray());
        boundLine.LegendText = "bound s_max(d)"; boundLine.MarkerSize = 0; boundLine.LinePattern = LinePattern.Dashed; boundLine.Color = Colors.Black;
        var palette = new ScottPlot.Palettes.Category10();
        for (int k = 0; k < sweeps.Count; k++)
        {
            var sweep = sweeps[k];
            var c = palette.GetColor(k);
            AddCurve(plot, sweep.Forward, Along(sweep, "forward"), p => (p.Distance, p.Entropy), c, LinePattern.Solid, $"{sweep.Name} forward (x ↑)");
            AddCurve(plot, sweep.Backward, Along(sweep, "backward"), p => (p.Distance, p.Entropy), c, LinePattern.Dashed, $"{sweep.Name} backward (x ↓)");
            AddFailures(plot, sweep.FailedPoints.Select(p => (p.Distance, p.Entropy)).ToArray(), sweep.Name, k, c);
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
        Figure.Title(plot, $"Entropy landscape s(d), {partsLabel}: {referenceLabel}");
        plot.XLabel("distance d to the reference"); plot.YLabel("entropy density s");
        plot.Axes.SetLimits(0, 1, 0, Math.Log(2) * 1.06);
        Figure.LegendOutside(plot);
        files.AddRange(Save(plot, directory, "entropy_vs_distance.png"));

        // d(x), both directions, with the hysteresis loops shaded.
        var dplot = new Plot();
        for (int k = 0; k < sweeps.Count; k++)
        {
            var sweep = sweeps[k];
            var c = palette.GetColor(k);
            foreach (var loop in sweep.Hysteresis)
            {
                var span = dplot.Add.HorizontalSpan(loop.XLow, loop.XHigh, c.WithAlpha(0.12));
                span.LegendText = $"{sweep.Name} hysteresis";
            }
            AddCurve(dplot, sweep.Forward, Along(sweep, "forward"), p => (p.X, p.Distance), c, LinePattern.Solid, $"{sweep.Name} forward (x ↑)");
            AddCurve(dplot, sweep.Backward, Along(sweep, "backward"), p => (p.X, p.Distance), c, LinePattern.Dashed, $"{sweep.Name} backward (x ↓)");
            AddFailures(dplot, sweep.FailedPoints.Select(p => (p.X, p.Distance)).ToArray(), sweep.Name, k, c);
        }
        Figure.Title(dplot, $"Distance to the reference vs coupling field x, {partsLabel}: {referenceLabel}");
        dplot.XLabel("coupling field x"); dplot.YLabel("distance d");
        dplot.Axes.SetLimitsY(0, 1.02);
        Figure.LegendOutside(dplot);
        files.AddRange(Save(dplot, directory, "distance_vs_x.png"));

        if (isoEnergy != null && isoEnergy.Count > 0)
        {
            string isoCsv = Path.Combine(directory, "iso_energy.csv");
            CsvTable.Write(isoCsv, ["part", "target_distance", "beta", "x", "distance", "energy", "entropy", "s_max", "converged", "stop", "stop_detail", "iterations"],
                isoEnergy.SelectMany(kv => kv.Value.Select(p => (IReadOnlyList<object?>)[kv.Key, p.TargetDistance, p.Beta, p.X, p.Distance, p.Energy, p.Entropy,
                    EntropyBound.MaxEntropy(p.TargetDistance), p.Converged, p.Stop.Reason.ToString(), p.Stop.Detail, p.Iterations])));
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
        string summary = Summarise(sweeps, referenceLabel, isoEnergy, heatCapacity, fits);
        string summaryPath = Path.Combine(directory, "summary.md");
        IO.AtomicFile.WriteAllText(summaryPath, summary);
        files.Add(summaryPath);
        return new ReportOutput(files, summary) { Findings = sweeps.Select(s => LandscapeFindings.Of(s, referenceLabel)).ToArray() };
    }

    // The proven jumps of one direction.
    private static DistanceJump[] Along(LandscapeSweep sweep, string direction) => sweep.ProvenJumps.Where(j => j.Direction == direction).ToArray();

    // One direction's converged points in sweep order, drawn as lines broken wherever one of its proven jumps lies between
    // two neighbours or BP failed between them (no line through states BP did not find).
    private static void AddCurve(Plot plot, IReadOnlyList<LandscapePoint> points, IReadOnlyList<DistanceJump> jumps,
        Func<LandscapePoint, (double X, double Y)> coordinates, Color colour, LinePattern pattern, string label)
    {
        bool labelled = false;
        bool JumpBetween(LandscapePoint a, LandscapePoint b) => jumps.Any(j =>
            j.Location >= Math.Min(a.X, b.X) && j.Location <= Math.Max(a.X, b.X));
        foreach (var (start, end) in Figure.Runs(points.Count, k => !points[k].Converged || !points[k + 1].Converged || JumpBetween(points[k], points[k + 1])))
        {
            var run = Enumerable.Range(start, end - start).Select(k => points[k]).Where(p => p.Converged).Select(coordinates)
                .Where(c => double.IsFinite(c.X) && double.IsFinite(c.Y)).ToArray();
            if (run.Length == 0) continue;
            var line = plot.Add.Scatter(run.Select(c => c.X).ToArray(), run.Select(c => c.Y).ToArray());
            line.MarkerSize = run.Length == 1 ? 5 : 0; line.LineWidth = pattern.Equals(LinePattern.Solid) ? 2 : 1.5f; line.Color = colour; line.LinePattern = pattern;
            if (!labelled) { line.LegendText = label; labelled = true; }
        }
    }

    /// <summary>
    /// The summary of a set of sweeps in markdown: the findings table (<see cref="LandscapeFindingsTable"/>), the
    /// cross-part comparison or why it is withheld, and per part the ranges, steep stretches, disagreements and checks.
    /// </summary>
    /// <param name="sweeps">The sweeps, one per part.</param>
    /// <param name="referenceLabel">The reference configuration.</param>
    /// <param name="isoEnergy">Iso-energy curves per part, if computed.</param>
    /// <param name="heatCapacity">Heat-capacity checks per part, if computed.</param>
    /// <param name="fits">The fit stage's verdict per part, if known: a model that does not reproduce its data withholds the comparison.</param>
    public static string Summarise(IReadOnlyList<LandscapeSweep> sweeps, string referenceLabel,
        IReadOnlyDictionary<string, IReadOnlyList<IsoEnergyPoint>>? isoEnergy = null,
        IReadOnlyDictionary<string, IReadOnlyList<HeatCapacityCheck>>? heatCapacity = null,
        IReadOnlyDictionary<string, PartFitVerdict>? fits = null)
    {
        var findings = sweeps.Select(s => LandscapeFindings.Of(s, referenceLabel)).ToArray();
        var text = new StringBuilder();
        text.AppendLine(Inv, $"Reference: {referenceLabel}.");
        text.AppendLine();
        text.Append(LandscapeFindingsTable.Markdown(findings, fits));
        text.AppendLine();
        text.AppendLine(LandscapeComparison.Of(findings, fits).Sentence());
        text.AppendLine();
        foreach (var (s, f) in sweeps.Zip(findings))
        {
            var parts = new List<string>
            {
                string.Create(Inv, $"x ∈ [{s.Settings.XMin:G4}, {s.Settings.XMax:G4}] ({s.Settings.Points} grid points, {f.Points} points with refinement, {s.BpSolves} BP solves)"),
                double.IsNaN(MinD(s)) ? "no converged point" : string.Create(Inv, $"converged d ∈ [{MinD(s):F4}, {MaxD(s):F4}]"),
                string.Create(Inv, $"reference energy density {s.ReferenceEnergy:F4}"),
            };
            var skipped = f.GapsAt.Where(g => !double.IsFinite(g.Gap) && g.Distance >= MinD(s) && g.Distance <= MaxD(s)).ToArray();
            if (skipped.Length > 0)
                parts.Add("no converged points bracket d = " + string.Join(", ", skipped.Select(g => g.Distance.ToString("G2", Inv))) + " (d(x) jumps over it or BP failed)");
            if (f.UnexplainedDisagreement > s.Settings.CoexistenceTolerance)
                parts.Add(string.Create(Inv, $"forward and backward differ by up to {f.UnexplainedDisagreement:F4} in d outside any proven loop (below the distance step {s.Settings.DistanceStep:G2}, or across failed points)"));
            var small = s.Loops.Where(l => l.JumpSize < s.Settings.MinimumJump).ToArray();
            if (small.Length > 0) parts.Add("small bistabilities coexist over " + LandscapeFindingsTable.Loops(small));
            var failed = s.FailedPoints.ToArray();
            if (failed.Length > 0)
                parts.Add($"BP did not converge at x = {string.Join(", ", failed.Select(p => p.X).Distinct().Order().Take(8).Select(x => x.ToString("F3", Inv)))}{(failed.Length > 8 ? ", …" : "")}");
            if (s.FailedProbes.Count > 0)
                parts.Add($"BP also failed at {s.FailedProbes.Count} refinement probe(s) off the grid near x = " +
                          string.Join(", ", s.FailedProbes.Select(x => x.ToString("F3", Inv)).Distinct().Take(6)) + (s.FailedProbes.Count > 6 ? ", …" : "") +
                          " (left out of the curves; the change there was resolved between converged points)");
            if (isoEnergy != null && isoEnergy.TryGetValue(s.Name, out var iso))
            {
                int ok = iso.Count(p => p.Converged);
                parts.Add($"iso-energy: {ok} of {iso.Count} distances solved" + (ok > 0 ? string.Create(Inv, $", max s_free − s_iso {MaxIsoGap(s, iso):F4}") : ""));
            }
            if (heatCapacity != null && heatCapacity.TryGetValue(s.Name, out var hc) && hc.Count > 0)
            {
                var both = hc.Where(p => p.BpConverged).ToArray();
                parts.Add($"heat-capacity (MC) entropy at {hc.Count} x" + (both.Length > 0
                    ? string.Create(Inv, $"; max |s_MC − s_BP| {both.Max(p => Math.Abs(p.EntropyDensity - p.BpEntropy)):F4} (stderr ≤ {both.Max(p => p.StandardError):F4})") : ""));
            }
            text.AppendLine(Inv, $"- {s.Name} (N = {s.Size}): {string.Join("; ", parts)}.");
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

    // Points where BP failed, in the part's colour with the part's own marker (parts stay apart in print too).
    private static void AddFailures(Plot plot, (double X, double Y)[] points, string part, int series, Color colour)
    {
        var finite = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToArray();
        if (finite.Length == 0) return;
        var m = plot.Add.Markers(finite.Select(p => p.X).ToArray(), finite.Select(p => p.Y).ToArray(),
            Figure.SeriesMarkers[series % Figure.SeriesMarkers.Count], 9, colour);
        m.MarkerLineWidth = 1.5f;
        m.LegendText = $"{part}: BP not converged ({points.Length})";
    }

    // The PNG and the SVG beside it.
    private static IEnumerable<string> Save(Plot plot, string directory, string name)
    {
        string path = Path.Combine(directory, name);
        Figure.SavePng(plot, path);
        return [path, Figure.SvgPath(path)];
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
        CsvTable.Write(traj, ["reference_index", "source", "sweep", "energy", "accuracy", "acceptance_rate"], result.Trajectories.SelectMany((t, r) =>
        {
            var (index, source) = Identity(t.ReferenceIndex, t.ReferenceSource, t.Reference, r);
            return Enumerable.Range(0, t.Sweeps.Length).Select(k => (IReadOnlyList<object?>)[index, source, t.Sweeps[k], t.Energy[k], t.Accuracy[k], t.AcceptanceRate]);
        }));
        files.Add(traj);
        double[] xs = result.Sweeps.Select(s => (double)s).ToArray();
        foreach (var (name, mean, std, ylabel) in new[] { ("dynamics_energy.png", result.EnergyMean, result.EnergyStd, "energy density e"),
                     ("dynamics_accuracy.png", result.AccuracyMean, result.AccuracyStd, "test accuracy") })
        {
            var plot = new Plot();
            var fill = plot.Add.FillY(xs, mean.Zip(std, (m, s) => m - s).ToArray(), mean.Zip(std, (m, s) => m + s).ToArray());
            fill.LegendText = "± std over references";
            fill.FillStyle.Color = Colors.SteelBlue.WithAlpha(0.3);
            fill.LineStyle.Width = 0;
            var line = plot.Add.Scatter(xs, mean);
            line.LegendText = $"mean over {result.Trajectories.Count} references"; line.MarkerSize = 0; line.LineWidth = 2;
            Figure.Title(plot, $"Metropolis dynamics from {result.Trajectories.Count} references, {label}: {ylabel}");
            plot.XLabel("Monte-Carlo sweeps"); plot.YLabel(ylabel);
            Figure.LegendOutside(plot);
            files.AddRange(Save(plot, directory, name));
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

    /// <summary>
    /// A configuration's identity as two plain columns: its index in its source and the source ("ensemble" or a file
    /// name). A configuration known only by its label gets its row and the label. Neither may hold '#' (numpy's loaders
    /// read it as the start of a comment) or ',' (they split quoted fields).
    /// </summary>
    internal static (long Index, string Source) Identity(long index, string source, string label, int row)
    {
        bool known = index >= 0 && source.Length > 0;
        string text = known ? source : label;
        return (known ? index : row, text.Replace("#", "", StringComparison.Ordinal).Replace(',', ';').Trim());
    }

    /// <summary>Energy vs accuracy scatter (Fig. 3c) and the model-parameter histograms.</summary>
    public static ReportOutput WriteEnergyAccuracy(string directory, string label, EnergyAccuracyTable table, ParameterHistograms parameters)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        string csv = Path.Combine(directory, "energy_accuracy.csv");
        CsvTable.Write(csv, ["configuration_index", "source", "energy_density", "accuracy"], table.Labels.Select((l, k) =>
        {
            var (index, source) = Identity(k < table.Indices.Length ? table.Indices[k] : -1, k < table.Sources.Length ? table.Sources[k] : "", l, k);
            return (IReadOnlyList<object?>)[index, source, table.Energy[k], table.Accuracy[k]];
        }));
        files.Add(csv);
        var plot = new Plot();
        var (shownEnergy, shownAccuracy) = Figure.Thin(table.Energy, table.Accuracy);
        // Translucent markers: where thousands overlap, the density shows.
        var markers = plot.Add.Markers(shownEnergy, shownAccuracy, MarkerShape.FilledCircle, shownEnergy.Length > 2000 ? 3 : 5,
            Colors.Blue.WithAlpha(shownEnergy.Length > 2000 ? 0.15 : 0.6));
        markers.LegendText = shownEnergy.Length < table.Energy.Length
            ? $"{shownEnergy.Length:N0} of {table.Energy.Length:N0} configurations (every {table.Energy.Length / (double)shownEnergy.Length:G3}th)"
            : $"{table.Energy.Length:N0} configurations";
        Figure.Title(plot, $"Energy vs test accuracy, {label} (Pearson r = {table.Correlation:F3})");
        Figure.LegendOutside(plot);
        plot.XLabel("model energy density e"); plot.YLabel("test accuracy");
        files.AddRange(Save(plot, directory, "energy_accuracy.png"));
        foreach (var (name, hist) in new[] { ("couplings", parameters.Couplings), ("fields", parameters.Fields) })
        {
            string hcsv = Path.Combine(directory, $"{name}_histogram.csv");
            var centres = hist.Centres;
            CsvTable.WriteHistogram(hcsv, hist.Edges, hist.Counts.Select(c => (long)c).ToArray());
            files.Add(hcsv);
            var hp = new Plot();
            var bars = hp.Add.Bars(centres, hist.Counts.Select(c => (double)c).ToArray());
            double width = centres.Length > 1 ? centres[1] - centres[0] : 1;
            foreach (var bar in bars.Bars) bar.Size = width * 0.95;
            Figure.Title(hp, $"Histogram of the {(name == "couplings" ? "couplings J_ij" : "fields h_i")}, {label}");
            hp.XLabel(name == "couplings" ? "J_ij" : "h_i"); hp.YLabel("count");
            Figure.CountAxis(hp, hist.Counts.DefaultIfEmpty(0).Max());
            files.AddRange(Save(hp, directory, $"{name}_histogram.png"));
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
