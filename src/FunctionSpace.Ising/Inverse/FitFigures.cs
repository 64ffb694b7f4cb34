using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Reporting;
using ScottPlot;

namespace FunctionSpace.Ising.Inverse;

/// <summary>Figures of a fit, each a PNG with the CSV behind it: RMSE curve, data-vs-model moments, J and h histograms.</summary>
public static class FitFigures
{
    /// <summary>Writes <c>stem.rmse.*</c>, <c>stem.scatter_m.*</c>, <c>stem.scatter_C.*</c>, <c>stem.hist_J.*</c>, <c>stem.hist_h.*</c>.</summary>
    public static void Write(string stem, FitResult fit, Moments data, Moments? model)
    {
        if (fit.RmseHistory.Length > 0)
        {
            var steps = Enumerable.Range(0, fit.RmseHistory.Length).Select(i => (double)i).ToArray();
            string label = fit.Method == "pl" ? "objective" : "rmse";
            CsvTable.WriteColumns(stem + ".rmse.csv", ["iteration", label], steps, fit.RmseHistory);
            var plot = new Plot();
            var finite = steps.Zip(fit.RmseHistory).Where(p => double.IsFinite(p.Second)).ToArray();
            plot.Add.Scatter(finite.Select(p => p.First).ToArray(), finite.Select(p => fit.Method == "pl" ? p.Second : Math.Log10(p.Second)).ToArray());
            plot.Title($"{Path.GetFileName(stem)}: {label} per iteration");
            plot.XLabel("iteration");
            plot.YLabel(fit.Method == "pl" ? "negative log-pseudolikelihood" : "log10 RMSE");
            Figure.SavePng(plot, stem + ".rmse.png");
        }
        if (model != null)
        {
            int n = data.Size;
            CsvTable.WriteColumns(stem + ".scatter_m.csv", ["m_data", "m_model"], data.Magnetisations, model.Magnetisations);
            Scatter(stem + ".scatter_m.png", data.Magnetisations, model.Magnetisations, "magnetisation m_i");
            var cd = data.ConnectedCorrelations();
            var cm = model.ConnectedCorrelations();
            var xs = new List<double>(); var ys = new List<double>();
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) { xs.Add(cd[i * n + j]); ys.Add(cm[i * n + j]); }
            CsvTable.WriteColumns(stem + ".scatter_C.csv", ["C_data", "C_model"], xs, ys);
            Scatter(stem + ".scatter_C.png", xs.ToArray(), ys.ToArray(), "connected correlation C_ij");
        }
        int size = fit.Model.Size;
        var couplings = new List<double>();
        for (int i = 0; i < size; i++) for (int j = i + 1; j < size; j++) couplings.Add(fit.Model.Couplings[i * size + j]);
        Histogram(stem + ".hist_J", couplings.ToArray(), "J_ij");
        Histogram(stem + ".hist_h", fit.Model.Fields, "h_i");
    }

    private static void Scatter(string path, double[] x, double[] y, string what)
    {
        var plot = new Plot();
        var s = plot.Add.ScatterPoints(x, y);
        s.MarkerSize = 3;
        double lo = Math.Min(x.Min(), y.Min()), hi = Math.Max(x.Max(), y.Max());
        plot.Add.Line(lo, lo, hi, hi);
        plot.Title($"data vs model: {what}");
        plot.XLabel("data");
        plot.YLabel("model (Monte Carlo)");
        Figure.SavePng(plot, path);
    }

    private static void Histogram(string stem, double[] values, string what)
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
        plot.Title($"histogram of {what}");
        plot.XLabel(what);
        plot.YLabel("count");
        Figure.SavePng(plot, stem + ".png");
    }
}
