using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Reporting;
using ScottPlot;

namespace FunctionSpace.Ising.Inverse;

/// <summary>Figures of a fit, each a PNG with the CSV behind it: RMSE curve, data-vs-model moments, J and h histograms.</summary>
public static class FitFigures
{
    // Most points one scatter draws (the CSV keeps all of them): beyond this the markers only overdraw each other.
    private const int MaxScatterPoints = 20_000;

    /// <summary>Writes <c>stem.rmse.*</c>, <c>stem.scatter_m.*</c>, <c>stem.scatter_C.*</c>, <c>stem.hist_J.*</c>, <c>stem.hist_h.*</c>.</summary>
    /// <param name="stem">Output stem.</param>
    /// <param name="part">Part name, for the titles.</param>
    /// <param name="fit">The fit.</param>
    /// <param name="data">Data moments.</param>
    /// <param name="model">The saved model's verified moments (null: no scatter).</param>
    /// <param name="independentRmse">RMSE of the independent-site model, drawn as a reference line.</param>
    /// <param name="noiseFloor">The data's noise floor (NaN: not drawn).</param>
    /// <param name="target">The target RMSE.</param>
    public static void Write(string stem, string part, FitResult fit, Moments data, Moments? model, double independentRmse, double noiseFloor, double target)
    {
        ArgumentNullException.ThrowIfNull(fit);
        ArgumentNullException.ThrowIfNull(data);
        string name = $"{part} ({fit.Method})";
        if (fit.RmseHistory.Length > 0 && fit.Method == "pl")
        {
            var steps = Enumerable.Range(0, fit.RmseHistory.Length).Select(i => (double)i).ToArray();
            CsvTable.WriteColumns(stem + ".rmse.csv", ["iteration", "objective"], steps, fit.RmseHistory);
            var plot = new Plot();
            plot.Add.Scatter(steps, fit.RmseHistory);
            Figure.Title(plot, $"{name}: pseudolikelihood objective");
            plot.XLabel("L-BFGS iteration");
            plot.YLabel("negative log-pseudolikelihood");
            Figure.SavePng(plot, stem + ".rmse.png");
        }
        else if (fit.RmseHistory.Length > 0)
            RmseCurve(stem, name, fit, independentRmse, noiseFloor, target);
        if (model != null)
        {
            int n = data.Size;
            CsvTable.WriteColumns(stem + ".scatter_m.csv", ["m_data", "m_model"], data.Magnetisations, model.Magnetisations);
            Scatter(stem + ".scatter_m.png", data.Magnetisations, model.Magnetisations, $"{name}: magnetisations m_i");
            var cd = data.ConnectedCorrelations();
            var cm = model.ConnectedCorrelations();
            var xs = new List<double>(); var ys = new List<double>();
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) { xs.Add(cd[i * n + j]); ys.Add(cm[i * n + j]); }
            CsvTable.WriteColumns(stem + ".scatter_C.csv", ["C_data", "C_model"], xs, ys);
            Scatter(stem + ".scatter_C.png", xs.ToArray(), ys.ToArray(), $"{name}: connected correlations C_ij");
        }
        int size = fit.Model.Size;
        var couplings = new List<double>();
        for (int i = 0; i < size; i++) for (int j = i + 1; j < size; j++) couplings.Add(fit.Model.Couplings[i * size + j]);
        Histogram(stem + ".hist_J", couplings.ToArray(), "J_ij", name);
        Histogram(stem + ".hist_h", fit.Model.Fields, "h_i", name);
    }

    // The learning curve on a log axis: the per-step estimate of the learning chains, the verified checks (noise-corrected),
    // and the reference lines (independent-site model, target, the data's noise floor).
    private static void RmseCurve(string stem, string name, FitResult fit, double independentRmse, double noiseFloor, double target)
    {
        var steps = Enumerable.Range(1, fit.RmseHistory.Length).Select(i => (double)i).ToArray();
        var checks = fit.Diagnostics.GetValueOrDefault("checks") as IReadOnlyList<LearningCheck>;
        CsvTable.WriteColumns(stem + ".rmse.csv", ["step", "rmse_step_estimate"], steps, fit.RmseHistory);
        if (checks != null)
            CsvTable.WriteColumns(stem + ".checks.csv", ["step", "rmse", "noise", "corrected_rmse", "step_size", "best"],
                checks.Select(c => (double)c.Step).ToArray(), checks.Select(c => c.Rmse).ToArray(), checks.Select(c => c.NoiseRmse).ToArray(),
                checks.Select(c => c.CorrectedRmse).ToArray(), checks.Select(c => c.StepSize).ToArray(), checks.Select(c => c.Best ? 1.0 : 0.0).ToArray());
        var plot = new Plot();
        var finite = steps.Zip(fit.RmseHistory).Where(p => double.IsFinite(p.Second) && p.Second > 0).ToArray();
        if (finite.Length > 0)
        {
            var line = plot.Add.Scatter(finite.Select(p => p.First).ToArray(), finite.Select(p => Math.Log10(p.Second)).ToArray());
            line.MarkerSize = 0;
            line.Color = Colors.Gray.WithAlpha(0.6);
            line.LegendText = checks != null ? "per step (learning chains)" : "per step (the method's estimator)";
        }
        if (checks != null)
        {
            var shown = checks.Where(c => c.CorrectedRmse > 0).ToArray();
            var points = plot.Add.ScatterPoints(shown.Select(c => (double)c.Step).ToArray(), shown.Select(c => Math.Log10(c.CorrectedRmse)).ToArray());
            points.MarkerSize = 7;
            points.Color = Colors.Blue;
            points.LegendText = "checks (noise-corrected)";
            var best = shown.Where(c => c.Best).ToArray();
            var bestPoints = plot.Add.ScatterPoints(best.Select(c => (double)c.Step).ToArray(), best.Select(c => Math.Log10(c.CorrectedRmse)).ToArray());
            bestPoints.MarkerSize = 10;
            bestPoints.MarkerShape = MarkerShape.OpenCircle;
            bestPoints.Color = Colors.Green;
            bestPoints.LegendText = "new best";
        }
        void Reference(double value, Color color, string label)
        {
            if (!(value > 0) || !double.IsFinite(value)) return;
            var h = plot.Add.HorizontalLine(Math.Log10(value));
            h.Color = color;
            h.LinePattern = LinePattern.Dashed;
            h.LegendText = label;
        }
        Reference(independentRmse, Colors.Red, FormattableString.Invariant($"independent sites {independentRmse:F4}"));
        Reference(target, Colors.Black, FormattableString.Invariant($"target {target:G2}"));
        Reference(noiseFloor, Colors.Orange, FormattableString.Invariant($"data noise floor {noiseFloor:F4}"));
        Figure.LogAxisY(plot);
        Figure.Title(plot, $"{name}: moment RMSE");
        plot.XLabel("learning step");
        plot.YLabel("RMSE (log scale)");
        Figure.LegendOutside(plot);
        Figure.SavePng(plot, stem + ".rmse.png", 1100);
    }

    private static void Scatter(string path, double[] x, double[] y, string title)
    {
        var plot = new Plot();
        int stride = Math.Max(1, (x.Length + MaxScatterPoints - 1) / MaxScatterPoints);
        var xs = x.Where((_, k) => k % stride == 0).ToArray();
        var ys = y.Where((_, k) => k % stride == 0).ToArray();
        var s = plot.Add.ScatterPoints(xs, ys);
        s.MarkerSize = 3;
        s.Color = Colors.Blue.WithAlpha(stride > 1 || x.Length > 2000 ? 0.25 : 0.8);
        double lo = Math.Min(x.Min(), y.Min()), hi = Math.Max(x.Max(), y.Max());
        var diagonal = plot.Add.Line(lo, lo, hi, hi);
        diagonal.Color = Colors.Black;
        Figure.Title(plot, stride > 1 ? $"{title} (every {stride}th of {x.Length:N0} pairs)" : title);
        plot.XLabel("data");
        plot.YLabel("model (Monte Carlo)");
        Figure.SavePng(plot, path);
    }

    private static void Histogram(string stem, double[] values, string what, string name)
    {
        int bins = 50;
        double lo = values.Min(), hi = values.Max();
        if (hi <= lo) hi = lo + 1e-9;
        double width = (hi - lo) / bins;
        var counts = new double[bins];
        foreach (double v in values) counts[Math.Min(bins - 1, (int)((v - lo) / width))]++;
        var centres = Enumerable.Range(0, bins).Select(b => lo + (b + 0.5) * width).ToArray();
        CsvTable.WriteHistogram(stem + ".csv", Enumerable.Range(0, bins + 1).Select(b => lo + b * width).ToArray(), counts.Select(c => (long)c).ToArray());
        var plot = new Plot();
        var bars = plot.Add.Bars(centres, counts);
        foreach (var bar in bars.Bars) bar.Size = width;
        Figure.CountAxis(plot, counts.Max());
        Figure.Title(plot, $"{name}: histogram of {what}");
        plot.XLabel(what);
        plot.YLabel("count");
        Figure.SavePng(plot, stem + ".png");
    }
}
