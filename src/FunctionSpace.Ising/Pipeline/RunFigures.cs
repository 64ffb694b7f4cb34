using FunctionSpace.Ising.Reporting;

namespace FunctionSpace.Ising.Pipeline;

/// <summary>Figures the run pipeline draws itself (the others come from the stages' own reports).</summary>
public static class RunFigures
{
    /// <summary>
    /// Histogram of the test accuracies of the collected configurations and of each network's best sample:
    /// <c>&lt;stem&gt;.png</c> (with <c>.svg</c>) and <c>&lt;stem&gt;.csv</c>. Returns the file names.
    /// </summary>
    public static IReadOnlyList<string> AccuracyHistogram(string stem, string scenario, IReadOnlyList<float> kept, IReadOnlyList<float> bestPerNetwork)
    {
        const int bins = 40;
        double lo = Math.Floor(Math.Min(kept.Min(), bestPerNetwork.Count > 0 ? bestPerNetwork.Min() : 1) * 100) / 100;
        double hi = Math.Ceiling(Math.Max(kept.Max(), bestPerNetwork.Count > 0 ? bestPerNetwork.Max() : 0) * 100) / 100;
        if (hi <= lo) hi = lo + 0.01;
        double width = (hi - lo) / bins;
        int[] Count(IReadOnlyList<float> values)
        {
            var counts = new int[bins];
            foreach (float v in values) counts[Math.Clamp((int)((v - lo) / width), 0, bins - 1)]++;
            return counts;
        }
        int[] keptCounts = Count(kept), bestCounts = Count(bestPerNetwork);
        var centres = Enumerable.Range(0, bins).Select(b => lo + (b + 0.5) * width).ToArray();
        CsvTable.Write(stem + ".csv", ["accuracy_bin_centre", "collected_configurations", "best_per_network"],
            Enumerable.Range(0, bins).Select(b => (IReadOnlyList<object?>)[centres[b], keptCounts[b], bestCounts[b]]));

        var plot = new ScottPlot.Plot();
        var bars = plot.Add.Bars(centres, keptCounts.Select(c => (double)c).ToArray());
        foreach (var bar in bars.Bars) bar.Size = width * 0.9;
        // With the study's selection the collection is the best sample of each network: one series, not two on top of each other.
        bool same = bestPerNetwork.Count == kept.Count && keptCounts.SequenceEqual(bestCounts);
        bars.LegendText = same ? $"best sample of each network ({kept.Count})" : $"collected configurations ({kept.Count})";
        if (bestPerNetwork.Count > 0 && !same)
        {
            var best = plot.Add.Bars(centres, bestCounts.Select(c => (double)c).ToArray());
            foreach (var bar in best.Bars) bar.Size = width * 0.5;
            best.LegendText = $"best sample per network ({bestPerNetwork.Count})";
        }
        Figure.Title(plot, $"Test accuracy of the weight ensemble, {scenario} (all parts)");
        plot.XLabel("test accuracy");
        plot.YLabel("count");
        Figure.CountAxis(plot, Math.Max(keptCounts.Max(), bestCounts.DefaultIfEmpty(0).Max()));
        Figure.LegendOutside(plot);
        Figure.SavePng(plot, stem + ".png");
        return [Path.GetFileName(stem) + ".csv", Path.GetFileName(stem) + ".png", Path.GetFileName(stem) + ".svg"];
    }
}
