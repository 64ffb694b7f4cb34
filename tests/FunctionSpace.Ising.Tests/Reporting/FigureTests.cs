using FunctionSpace.Ising.Reporting;
using ScottPlot;

namespace FunctionSpace.Ising.Tests.Figures;

public class FigureTests
{
    [Fact]
    public void A_long_title_is_fitted_inside_the_figure_and_an_svg_with_dash_arrays_is_written_beside_the_png()
    {
        using var dir = new TempDirectory();
        var plot = new Plot();
        var solid = plot.Add.Scatter(new double[] { 0, 1, 2 }, new double[] { 0, 1, 0.5 });
        solid.LegendText = "a solid curve";
        var dashed = plot.Add.Scatter(new double[] { 0, 1, 2 }, new double[] { 1, 0, 0.5 });
        dashed.LinePattern = LinePattern.Dashed;
        dashed.LegendText = "a dashed curve with a long legend entry";
        Figure.LegendOutside(plot);
        string title = "Distance to the reference vs coupling field x, parts FULL, LB, ITER, RB: under, lowest energy reference (ensemble #4121)";
        Figure.Title(plot, title);
        Figure.SavePng(plot, dir.File("f.png"));

        // The title now fits: ScottPlot centres it over the data area, so every line must fit twice the distance from that
        // centre to the nearer edge of the figure.
        var label = plot.Axes.Title.Label;
        Assert.Equal(title, label.Text.Replace('\n', ' '));
        var data = plot.RenderManager.LastRender.DataRect;
        double centre = 0.5 * (data.Left + data.Right);
        using var paint = Paint.NewDisposablePaint();
        foreach (string line in label.Text.Split('\n'))
            Assert.True(label.Measure(line, paint).Width <= 2 * Math.Min(centre, Figure.DefaultWidth - centre), line);

        Assert.True(new FileInfo(dir.File("f.png")).Length > 1000);
        string svg = File.ReadAllText(dir.File("f.svg"));
        Assert.StartsWith("<?xml", svg.TrimStart());
        Assert.Contains("stroke-dasharray=\"10,10\"", svg);
        // The line colours come back: nothing is left in the marker colours used while rendering.
        Assert.DoesNotContain("#03070B", svg, StringComparison.OrdinalIgnoreCase);
        Assert.True(dashed.LinePattern.Equals(LinePattern.Dashed));
    }

    [Fact]
    public void Thinning_keeps_evenly_spaced_pairs_and_runs_break_where_asked()
    {
        var x = Enumerable.Range(0, 100_000).Select(i => (double)i).ToArray();
        var (tx, ty) = Figure.Thin(x, x, 20_000);
        Assert.Equal(20_000, tx.Length);
        Assert.Equal(tx, ty);
        Assert.Equal(0, tx[0]);
        Assert.All(tx.Zip(tx.Skip(1)), p => Assert.Equal(5, p.Second - p.First));
        var (same, _) = Figure.Thin([1.0, 2.0], [3.0, 4.0], 20_000);
        Assert.Equal([1.0, 2.0], same);

        Assert.Equal([(0, 3), (3, 5), (5, 6)], Figure.Runs(6, k => k == 2 || k == 4).ToArray());
        Assert.Equal([(0, 4)], Figure.Runs(4, _ => false).ToArray());
        Assert.Empty(Figure.Runs(0, _ => false));
    }
}
