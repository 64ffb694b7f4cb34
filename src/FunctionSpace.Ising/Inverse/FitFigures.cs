using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Reporting;
using ScottPlot;

namespace FunctionSpace.Ising.Inverse;

/// <summary>What the fit figures say beside the data: whose fit it is and the levels its RMSE is judged against.</summary>
/// <param name="Label">The part and the data, e.g. "FULL of under/ensemble.fsie"; every title names it.</param>
/// <param name="TargetRmse">The RMSE the fit aims at (its stopping tolerance); NaN: not drawn.</param>
/// <param name="NoiseRmse">The RMSE that sampling noise alone gives (e.g. the Monte-Carlo check's); NaN: not drawn.</param>
public sealed record FitFigureContext(string Label, double TargetRmse = double.NaN, double NoiseRmse = double.NaN);

/// <summary>Figures of a fit, each a PNG (with an SVG) and the CSV behind it: RMSE curve, data-vs-model moments, J and h histograms.</summary>
public static class FitFigures
{
    /// <summary>Writes <c>stem.rmse.*</c>, <c>stem.scatter_m.*</c>, <c>stem.scatter_C.*</c>, <c>stem.hist_J.*</c>, <c>stem.hist_h.*</c>.</summary>
    /// <param name="stem">Path stem of the figures.</param>
    /// <param name="fit">The fit.</param>
    /// <param name="data">The data moments.</param>
    /// <param name="model">The fitted model's moments (Monte Carlo), if computed.</param>
    /// <param name="context">Label, target and noise level (default: the stem's file name, no lines).</param>
    public static void Write(string stem, FitResult fit, Moments data, Moments? model, FitFigureContext? context = null)
    {
        context ??= new FitFigureContext(Path.GetFileName(stem));
        string method = fit.Method;
        if (fit.RmseHistory.Length > 0)
        {
            var steps = Enumerable.Range(0, fit.RmseHistory.Length).Select(i => (double)i).ToArray();
            bool objective = method == "pl";
            string label = objective ? "objective" : "rmse";
            CsvTable.WriteColumns(stem + ".rmse.csv", ["iteration", label], steps, fit.RmseHistory);
            var plot = new Plot();
            // The RMSE spans decades: drawn as log10 on a log-labelled axis, with the target and the noise floor.
            var finite = steps.Zip(fit.RmseHistory).Where(p => double.IsFinite(p.Second) && (objective || p.Second > 0)).ToArray();
            var curve = plot.Add.Scatter(finite.Select(p => p.First).ToArray(), finite.Select(p => objective ? p.Second : Math.Log10(p.Second)).ToArray());
            curve.LegendText = objective ? "negative log-pseudolikelihood" : "moment RMSE";
            curve.MarkerSize = finite.Length > 60 ? 0 : 4;
            if (!objective)
            {
                foreach (var (level, name, colour) in new[] { (context.TargetRmse, "target", Colors.Green), (context.NoiseRmse, "noise level", Colors.Gray) })
                {
                    if (!(level > 0)) continue;
                    var line = plot.Add.HorizontalLine(Math.Log10(level), 1.5f, colour, LinePattern.Dashed);
                    line.LegendText = $"{name} {level:G2}";
                }
                Figure.LogAxisY(plot);
            }
            Figure.Title(plot, $"Fit of {context.Label} ({method}): {(objective ? "objective" : "moment RMSE")} per step");
            plot.XLabel("learning step");
            plot.YLabel(objective ? "negative log-pseudolikelihood" : "RMSE of m_i and C_ij (log scale)");
            Figure.LegendOutside(plot);
            Figure.SavePng(plot, stem + ".rmse.png");
        }
        if (model != null)
        {
            int n = data.Size;
            CsvTable.WriteColumns(stem + ".scatter_m.csv", ["m_data", "m_model"], data.Magnetisations, model.Magnetisations);
            Scatter(stem + ".scatter_m.png", data.Magnetisations, model.Magnetisations, "magnetisations m_i", context);
            var cd = data.ConnectedCorrelations();
            var cm = model.ConnectedCorrelations();
            var xs = new List<double>(); var ys = new List<double>();
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) { xs.Add(cd[i * n + j]); ys.Add(cm[i * n + j]); }
            CsvTable.WriteColumns(stem + ".scatter_C.csv", ["C_data", "C_model"], xs, ys);
            Scatter(stem + ".scatter_C.png", xs, ys, "connected correlations C_ij", context);
        }
        int size = fit.Model.Size;
        var couplings = new List<double>();
        for (int i = 0; i < size; i++) for (int j = i + 1; j < size; j++) couplings.Add(fit.Model.Couplings[i * size + j]);
        Histogram(stem + ".hist_J", couplings.ToArray(), "couplings J_ij", context);
        Histogram(stem + ".hist_h", fit.Model.Fields, "fields h_i", context);
    }

    // Data against model with the diagonal; dense scatters thinned and translucent (the CSV keeps every pair).
    private static void Scatter(string path, IReadOnlyList<double> x, IReadOnlyList<double> y, string what, FitFigureContext context)
    {
        var plot = new Plot();
        var (sx, sy) = Figure.Thin(x, y);
        bool dense = sx.Length > 2000;
        var points = plot.Add.Markers(sx, sy, MarkerShape.FilledCircle, dense ? 2 : 4, Colors.Blue.WithAlpha(dense ? 0.2 : 0.7));
        points.LegendText = sx.Length < x.Count ? $"{sx.Length:N0} of {x.Count:N0} pairs (evenly thinned)" : $"{x.Count:N0} {(what.StartsWith("magnet", StringComparison.Ordinal) ? "spins" : "pairs")}";
        double lo = Math.Min(x.Min(), y.Min()), hi = Math.Max(x.Max(), y.Max());
        var diagonal = plot.Add.Line(lo, lo, hi, hi);
        diagonal.LegendText = "model = data";
        diagonal.Color = Colors.Black;
        diagonal.LinePattern = LinePattern.Dashed;
        Figure.Title(plot, $"Data vs fitted model, {what}: {context.Label}");
        plot.XLabel("data");
        plot.YLabel("model (Monte Carlo)");
        Figure.LegendOutside(plot);
        Figure.SavePng(plot, path);
    }

    private static void Histogram(string stem, double[] values, string what, FitFigureContext context)
    {
        int bins = 50;
        double lo = values.Min(), hi = values.Max();
        if (hi <= lo) hi = lo + 1e-9;
        double width = (hi - lo) / bins;
        var counts = new double[bins];
        foreach (double v in values) counts[Math.Min(bins - 1, (int)((v - lo) / width))]++;
        var centres = Enumerable.Range(0, bins).Select(b => lo + (b + 0.5) * width).ToArray();
        CsvTable.WriteColumns(stem + ".csv", ["bin_centre", "count"], centres, counts);
        var plot = new Plot();
        var bars = plot.Add.Bars(centres, counts);
        foreach (var bar in bars.Bars) bar.Size = width;
        Figure.Title(plot, $"Histogram of the fitted {what}: {context.Label}");
        plot.XLabel(what);
        plot.YLabel("count");
        Figure.CountAxis(plot, counts.Max());
        Figure.SavePng(plot, stem + ".png");
    }
}
