using ScottPlot;

namespace FunctionSpace.Ising.Theory;

/// <summary>One curve of a line figure: legend text and its points (NaN points are dropped).</summary>
/// <param name="Label">Legend text.</param>
/// <param name="X">Abscissae.</param>
/// <param name="Y">Ordinates.</param>
/// <param name="Error">Optional error bars (± one standard error).</param>
/// <param name="MarkersOnly">Draw markers without a connecting line.</param>
/// <param name="Color">Optional colour as "#rrggbb" (default: the palette's next colour).</param>
/// <param name="Marker">Optional marker shape (default: filled circle).</param>
public sealed record Curve(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? Error = null, bool MarkersOnly = false,
    string? Color = null, MarkerShape? Marker = null);

/// <summary>Renders the theory figures (ScottPlot 5) to PNG; the CSV behind each is written by the caller.</summary>
public static class TheoryFigures
{
    /// <summary>
    /// Draws <paramref name="curves"/> with a title and axis labels and saves the PNG atomically; with
    /// <paramref name="legendOutside"/> the legend sits right of the axes (for many curves) on a wider image.
    /// </summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IEnumerable<Curve> curves, bool legendOutside = false)
    {
        var plot = new Plot();
        foreach (var curve in curves)
        {
            var keep = Enumerable.Range(0, curve.X.Count).Where(i => double.IsFinite(curve.X[i]) && double.IsFinite(curve.Y[i])).ToArray();
            if (keep.Length == 0) continue;
            double[] xs = keep.Select(i => curve.X[i]).ToArray(), ys = keep.Select(i => curve.Y[i]).ToArray();
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = curve.Label;
            if (curve.Color is { } color) scatter.Color = Color.FromHex(color);
            if (curve.Marker is { } marker) { scatter.MarkerShape = marker; scatter.MarkerSize = 7; }
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
        if (legendOutside) plot.ShowLegend(Edge.Right); else plot.ShowLegend();
        plot.Axes.AutoScale();
        Reporting.Figure.SavePng(plot, path, legendOutside ? 1250 : Reporting.Figure.DefaultWidth);
    }
}
