using System.Text;
using FunctionSpace.Ising.Reporting;
using ScottPlot;

namespace FunctionSpace.Ising.Landscape;

public static partial class LandscapeReport
{
    /// <summary>
    /// TAP census: free-energy histogram (PNG + SVG + CSV), the per-start free energies and dampings, and a summary
    /// that says how many starts converged at which damping. With no converged start there is no distribution: the
    /// summary says so and names no peak.
    /// </summary>
    public static ReportOutput WriteTap(string directory, string label, TapCensus census)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        string values = Path.Combine(directory, "tap_free_energies.csv");
        CsvTable.Write(values, ["start", "free_energy_density", "damping"],
            census.StartIndices.Select((s, k) => (IReadOnlyList<object?>)[s, census.FreeEnergies[k], census.Dampings.Length > k ? census.Dampings[k] : null]));
        files.Add(values);
        string hist = Path.Combine(directory, "tap_histogram.csv");
        var centres = census.Histogram.Centres;
        CsvTable.WriteHistogram(hist, census.Histogram.Edges, census.Converged == 0 ? [] : census.Histogram.Counts.Select(c => (long)c).ToArray());
        files.Add(hist);
        var plot = new Plot();
        if (census.Converged > 0)
        {
            var bars = plot.Add.Bars(centres, census.Histogram.Counts.Select(c => (double)c).ToArray());
            double width = centres.Length > 1 ? centres[1] - centres[0] : 1;
            foreach (var bar in bars.Bars) bar.Size = width * 0.95;
            bars.LegendText = $"converged starts ({census.Converged})";
            for (int k = 0; k < census.Peaks.Length; k++)
            {
                var line = plot.Add.VerticalLine(census.Peaks[k], 1.5f, Colors.Red, LinePattern.Dashed);
                if (k == 0) line.LegendText = "peaks (kernel density)";
            }
            Figure.CountAxis(plot, census.Histogram.Counts.Max());
            Figure.LegendOutside(plot);
        }
        else
        {
            plot.Add.Text($"none of the {census.Starts} starts converged", 0, 0.5);
            Figure.CountAxis(plot, 1);
        }
        Figure.Title(plot, census.Converged > 0
            ? $"TAP free energies, {label}: {census.Converged} of {census.Starts} starts converged, {census.DistinctStates} distinct state(s), {census.Peaks.Length} peak(s)"
            : $"TAP free energies, {label}: none of {census.Starts} starts converged");
        plot.XLabel("TAP free energy density f"); plot.YLabel("count of converged starts");
        files.AddRange(Save(plot, directory, "tap_histogram.png"));
        string summary = TapSummary(label, census);
        string summaryPath = Path.Combine(directory, "tap_summary.txt");
        IO.AtomicFile.WriteAllText(summaryPath, summary);
        files.Add(summaryPath);
        return new ReportOutput(files, summary);
    }

    /// <summary>The census in words: starts converged per damping, distinct states, free-energy range and peaks (only of a non-empty set).</summary>
    public static string TapSummary(string label, TapCensus census)
    {
        var text = new StringBuilder();
        // The last pass repeats the first damping with a longer window: said so.
        string Pass(TapPass p, int k) => $"{p.Converged} of {p.Attempted} " +
            (p.Damping == 0 ? "undamped" : string.Create(Inv, $"at damping {p.Damping:G2}")) +
            (k > 0 && k == census.Passes.Count - 1 && p.Damping == census.Passes[0].Damping ? string.Create(Inv, $" again, stall window {p.StallIterations:N0}") : "");
        string passes = string.Join(", ", census.Passes.Select((p, k) => (p, k)).Where(t => t.p.Attempted > 0).Select(t => Pass(t.p, t.k)));
        text.Append(Inv, $"{label} (N = {census.Size}): {census.Converged} of {census.Starts} TAP starts converged (seed {census.Seed}; {passes}). ");
        if (census.Converged == 0)
            text.AppendLine("No start converged at any damping: there is no free-energy distribution, so no states or peaks are reported.");
        else
            text.AppendLine(string.Create(Inv, $"{census.DistinctStates} distinct fixed point(s); free-energy density {census.FreeEnergies.Min():F5} … {census.FreeEnergies.Max():F5}; ") +
                            string.Create(Inv, $"{census.Peaks.Length} peak(s) at f = {string.Join(", ", census.Peaks.Select(p => p.ToString("F5", Inv)))}") +
                            (census.Converged < census.Starts ? $"; the {census.Starts - census.Converged} start(s) that did not converge are not in the histogram." : "."));
        return text.ToString();
    }
}
