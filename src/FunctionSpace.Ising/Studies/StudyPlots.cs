using ScottPlot;

namespace FunctionSpace.Ising.Studies;

/// <summary>Mean and spread of a set of values (one per seed).</summary>
/// <param name="Mean">Sample mean.</param>
/// <param name="StandardDeviation">Sample standard deviation (n − 1 denominator; 0 for one value).</param>
/// <param name="Count">Number of values.</param>
public readonly record struct MeanSpread(double Mean, double StandardDeviation, int Count)
{
    /// <summary>Standard error of the mean, σ/sqrt(n) (0 for one value).</summary>
    public double StandardError => Count > 1 ? StandardDeviation / Math.Sqrt(Count) : 0;

    /// <summary>"mean ± sd" with four decimals.</summary>
    public string Text => $"{Mean:F4} ± {StandardDeviation:F4}";

    /// <summary>Mean and spread of <paramref name="values"/>.</summary>
    public static MeanSpread Of(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0) return new MeanSpread(double.NaN, double.NaN, 0);
        double mean = v.Average();
        double sd = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
        return new MeanSpread(mean, sd, v.Length);
    }
}

/// <summary>One curve of a line plot with error bars.</summary>
/// <param name="Label">Legend text.</param>
/// <param name="X">Abscissae.</param>
/// <param name="Y">Ordinates (means over seeds).</param>
/// <param name="Error">Half-length of the error bar at each point (standard deviation over seeds).</param>
public sealed record Curve(string Label, double[] X, double[] Y, double[] Error);

/// <summary>The studies' figures (ScottPlot 5).</summary>
public static class StudyPlots
{
    /// <summary>A plot of curves with error bars, markers and lines; optional log-scaled x (log10 ticks shown as values).</summary>
    public static Plot Lines(string title, string xLabel, string yLabel, IEnumerable<Curve> curves, bool logX = false)
    {
        var plot = new Plot();
        int index = 0;
        foreach (var curve in curves)
        {
            var color = Palette(index++);
            double[] xs = logX ? curve.X.Select(Math.Log10).ToArray() : curve.X;
            var scatter = plot.Add.Scatter(xs, curve.Y, color);
            scatter.LegendText = curve.Label;
            scatter.MarkerSize = 6;
            if (curve.Error.Any(e => e > 0))
            {
                var bars = plot.Add.ErrorBar(xs, curve.Y, curve.Error);
                bars.Color = color;
            }
        }
        plot.Title(title);
        plot.XLabel(logX ? $"log10 {xLabel}" : xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    /// <summary>A colour of a fixed qualitative palette (Category10).</summary>
    public static Color Palette(int index) => new ScottPlot.Palettes.Category10().GetColor(index);

    /// <summary>A colour of the Viridis map at position t ∈ [0, 1].</summary>
    public static Color Viridis(double t) => new ScottPlot.Colormaps.Viridis().GetColor(Math.Clamp(t, 0, 1));
}

/// <summary>Forwards an inner computation's progress as a detail line of the outer stage (one bar per study).</summary>
/// <param name="outer">Where the study reports.</param>
/// <param name="map">Turns an inner report into the outer one.</param>
internal sealed class RelabelledProgress(IProgress<ProgressReport> outer, Func<ProgressReport, ProgressReport> map) : IProgress<ProgressReport>
{
    /// <inheritdoc />
    public void Report(ProgressReport value) => outer.Report(map(value));
}
