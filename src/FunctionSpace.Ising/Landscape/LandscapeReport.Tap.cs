using System.Text;
using FunctionSpace.Ising.Reporting;
using ScottPlot;

namespace FunctionSpace.Ising.Landscape;

public static partial class LandscapeReport
{
    /// <summary>TAP census: free-energy histogram (PNG + CSV), the per-start free energies, and a summary.</summary>
    public static ReportOutput WriteTap(string directory, string label, TapCensus census)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        string values = Path.Combine(directory, "tap_free_energies.csv");
        CsvTable.Write(values, ["start", "free_energy_density"], census.StartIndices.Select((s, k) => (IReadOnlyList<object?>)[s, census.FreeEnergies[k]]));
        files.Add(values);
        string hist = Path.Combine(directory, "tap_histogram.csv");
        var centres = census.Histogram.Centres;
        CsvTable.Write(hist, ["bin_low", "bin_high", "centre", "count"], Enumerable.Range(0, centres.Length)
            .Select(k => (IReadOnlyList<object?>)[census.Histogram.Edges[k], census.Histogram.Edges[k + 1], centres[k], census.Histogram.Counts[k]]));
        files.Add(hist);
        var plot = new Plot();
        var bars = plot.Add.Bars(centres, census.Histogram.Counts.Select(c => (double)c).ToArray());
        double width = centres.Length > 1 ? centres[1] - centres[0] : 1;
        foreach (var bar in bars.Bars) bar.Size = width * 0.95;
        foreach (double peak in census.Peaks) plot.Add.VerticalLine(peak, 1, Colors.Red, LinePattern.Dashed);
        plot.Title($"TAP free energies, {label}: {census.Converged}/{census.Starts} starts converged, {census.Peaks.Length} peak(s)");
        plot.XLabel("TAP free energy density f"); plot.YLabel("count");
        files.AddRange(Save(plot, directory, "tap_histogram.png"));
        var text = new StringBuilder();
        text.AppendLine(Inv, $"{label} (N = {census.Size}): {census.Converged} of {census.Starts} TAP starts converged (seed {census.Seed}); " +
            $"{census.DistinctStates} distinct fixed point(s); free-energy density {(census.Converged > 0 ? $"{census.FreeEnergies.Min():F5} … {census.FreeEnergies.Max():F5}" : "n/a")}; " +
            $"{census.Peaks.Length} peak(s) at f = {string.Join(", ", census.Peaks.Select(p => p.ToString("F5", Inv)))}.");
        if (census.Converged < census.Starts) text.AppendLine(Inv, $"{census.Starts - census.Converged} start(s) did not converge and are excluded from the histogram.");
        string summaryPath = Path.Combine(directory, "tap_summary.txt");
        IO.AtomicFile.WriteAllText(summaryPath, text.ToString());
        files.Add(summaryPath);
        return new ReportOutput(files, text.ToString());
    }
}
