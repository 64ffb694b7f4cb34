using ScottPlot;

namespace FunctionSpace.Ising.Theory;

/// <summary>One curve of a line figure: legend text and its points (NaN points are dropped).</summary>
/// <param name="Label">Legend text.</param>
/// <param name="X">Abscissae.</param>
/// <param name="Y">Ordinates.</param>
/// <param name="Error">Optional error bars (± one standard error).</param>
/// <param name="MarkersOnly">Draw markers without a connecting line.</param>
public sealed record Curve(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? Error = null, bool MarkersOnly = false);

/// <summary>Renders the theory figures (ScottPlot 5) to PNG; the CSV behind each is written by the caller.</summary>
public static class TheoryFigures
{
    /// <summary>Draws <paramref name="curves"/> with a title and axis labels and saves the PNG atomically.</summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IEnumerable<Curve> curves)
    {
        var plot = new Plot();
        foreach (var curve in curves)
        {
            var keep = Enumerable.Range(0, curve.X.Count).Where(i => double.IsFinite(curve.X[i]) && double.IsFinite(curve.Y[i])).ToArray();
            if (keep.Length == 0) continue;
            double[] xs = keep.Select(i => curve.X[i]).ToArray(), ys = keep.Select(i => curve.Y[i]).ToArray();
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = curve.Label;
            if (curve.MarkersOnly) scatter.LineWidth = 0; else scatter.MarkerSize = 3;
            if (curve.Error is { } error)
            {
                var bars = plot.Add.ErrorBar(xs, ys, keep.Select(i => error[i]).ToArray());
                bars.Color = scatter.Color;
            }
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend();
        plot.Axes.AutoScale();
        Reporting.Figure.SavePng(plot, path);
    }
}
