using ScottPlot;

namespace FunctionSpace.Ising.Reporting;

/// <summary>
/// Saves ScottPlot figures as PNG with an SVG beside it, atomically, and the conventions every figure of the project
/// follows: titles that fit the image, legends outside the data, count axes from zero, log axes for logarithmic data,
/// thinned and translucent dense scatters, distinct markers per series.
/// </summary>
public static class Figure
{
    /// <summary>Default figure size in pixels.</summary>
    public const int DefaultWidth = 900, DefaultHeight = 600;

    /// <summary>Most points a scatter draws (the CSV beside it keeps them all).</summary>
    public const int MaxScatterPoints = 20_000;

    /// <summary>Marker shapes told apart in print, one per series (e.g. per part), cycled.</summary>
    public static IReadOnlyList<MarkerShape> SeriesMarkers { get; } =
        [MarkerShape.Cross, MarkerShape.OpenTriangleUp, MarkerShape.OpenSquare, MarkerShape.OpenDiamond, MarkerShape.Asterisk, MarkerShape.OpenTriangleDown];

    /// <summary>
    /// Renders <paramref name="plot"/> to a PNG file at <paramref name="path"/> and to an SVG beside it (same name, .svg).
    /// A title is first fitted to the rendered layout (<see cref="FitTitle"/>).
    /// </summary>
    public static void SavePng(Plot plot, string path, int width = DefaultWidth, int height = DefaultHeight)
    {
        byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
        if (FitTitle(plot, width)) png = plot.GetImageBytes(width, height, ImageFormat.Png);
        IO.AtomicFile.WriteAllBytes(path, png);
        IO.AtomicFile.WriteAllText(SvgPath(path), Svg(plot, width, height));
    }

    /// <summary>
    /// The plot as SVG, dashed and dotted lines as SVG dash arrays. Skia's SVG canvas has no path effects: it dashes such
    /// a line into filled pieces and prints a warning per line. So each patterned line is drawn solid in a colour of its
    /// own that nothing else uses, and that colour's strokes get the original colour and the pattern's dash array.
    /// </summary>
    public static string Svg(Plot plot, int width, int height)
    {
        var patterned = plot.GetPlottables().OfType<IHasLine>().Where(p => p.LineWidth > 0 && p.LinePattern.Intervals is { Length: > 0 }).ToArray();
        var saved = patterned.Select(p => (Line: p, p.LinePattern, p.LineColor)).ToArray();
        var marks = new List<(string Mark, Color Colour, float[] Intervals)>();
        for (int k = 0; k < patterned.Length; k++)
        {
            // Marker colours: an unlikely green-blue ramp, opaque, distinct per line.
            var mark = new Color(3, (byte)(7 + k / 200), (byte)(11 + k % 200));
            marks.Add((Hex(mark), saved[k].LineColor, saved[k].LinePattern.Intervals));
            patterned[k].LineColor = mark;
            patterned[k].LinePattern = LinePattern.Solid;
        }
        string xml;
        try { xml = plot.GetSvgXml(width, height); }
        finally
        {
            foreach (var (line, pattern, colour) in saved) { line.LinePattern = pattern; line.LineColor = colour; }
        }
        foreach (var (mark, colour, intervals) in marks)
        {
            string dashes = string.Join(",", intervals.Select(v => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)));
            string original = Hex(colour);
            string opacity = colour.A < 255 ? $" stroke-opacity=\"{(colour.A / 255.0).ToString("G3", System.Globalization.CultureInfo.InvariantCulture)}\"" : "";
            xml = xml.Replace($"stroke=\"{mark}\"", $"stroke=\"{original}\"{opacity} stroke-dasharray=\"{dashes}\"", StringComparison.OrdinalIgnoreCase)
                     .Replace($"fill=\"{mark}\"", $"fill=\"{original}\"", StringComparison.OrdinalIgnoreCase);
        }
        return xml;
    }

    // #RRGGBB, as Skia's SVG canvas writes colours.
    private static string Hex(Color colour) => $"#{colour.R:X2}{colour.G:X2}{colour.B:X2}";

    /// <summary>The SVG written beside a PNG.</summary>
    public static string SvgPath(string pngPath) => Path.ChangeExtension(pngPath, ".svg");

    /// <summary>Sets the title (fitted to the figure when it is saved, <see cref="FitTitle"/>).</summary>
    public static void Title(Plot plot, string text) => plot.Title(text, TitleSize);

    private const float TitleSize = 16, SmallestTitleSize = 10;

    /// <summary>
    /// Fits the title of a rendered plot inside the figure: ScottPlot centres it over the data area, so the widest line
    /// may be twice the distance from that centre to the nearer edge of the figure (less 8 pixels). A title that is wider
    /// is broken at the space nearest its middle, then its font reduced (to 10 px at least) until it fits. Widths are
    /// measured with the title's own font. True when the title changed (the plot must be rendered again).
    /// </summary>
    public static bool FitTitle(Plot plot, int width)
    {
        var label = plot.Axes.Title.Label;
        string text = label.Text;
        if (string.IsNullOrEmpty(text)) return false;
        var data = plot.RenderManager.LastRender.DataRect;
        double centre = 0.5 * (data.Left + data.Right);
        double available = 2 * Math.Min(centre, width - centre) - 16;
        using var paint = Paint.NewDisposablePaint();
        float original = label.FontSize;
        double Measure(string line, float size)
        {
            label.FontSize = size;
            return label.Measure(line, paint).Width;
        }
        string[] lines = text.Split('\n');
        bool fits = lines.Max(l => Measure(l, original)) <= available;
        label.FontSize = original;
        if (fits) return false;
        string flat = text.Replace('\n', ' ');
        lines = [flat];
        int middle = flat.Length / 2, split = -1;
        for (int offset = 0; offset <= middle && split < 0; offset++)
        {
            if (middle + offset < flat.Length && flat[middle + offset] == ' ') split = middle + offset;
            else if (middle - offset >= 0 && flat[middle - offset] == ' ') split = middle - offset;
        }
        if (split > 0 && Measure(flat, TitleSize) > available) lines = [flat[..split], flat[(split + 1)..]];
        float size = TitleSize;
        while (size > SmallestTitleSize && lines.Max(l => Measure(l, size)) > available) size -= 0.5f;
        plot.Title(string.Join("\n", lines), size);
        return true;
    }

    /// <summary>Shows the legend in a panel right of the data area, where it covers nothing.</summary>
    public static void LegendOutside(Plot plot) => plot.ShowLegend(Edge.Right);

    /// <summary>A count axis: from 0 to a little above the largest count (counts are never negative).</summary>
    public static void CountAxis(Plot plot, double largestCount) => plot.Axes.SetLimitsY(0, Math.Max(1, largestCount) * 1.08);

    /// <summary>
    /// Labels the y axis as logarithmic for data plotted as log10 values: ticks at whole decades labelled 10^k, with
    /// minor ticks at 2..9 × 10^k.
    /// </summary>
    public static void LogAxisY(Plot plot) => plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = y => Math.Pow(10, y).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// At most <paramref name="maxPoints"/> of the (x, y) pairs, chosen by a fixed stride (every point when there are
    /// fewer): a dense scatter stays readable and its SVG small; the caller says in the figure how many are shown.
    /// </summary>
    public static (double[] X, double[] Y) Thin(IReadOnlyList<double> x, IReadOnlyList<double> y, int maxPoints = MaxScatterPoints)
    {
        if (x.Count != y.Count) throw new ArgumentException("x and y differ in length");
        if (x.Count <= maxPoints) return (x.ToArray(), y.ToArray());
        double stride = (double)x.Count / maxPoints;
        var xs = new double[maxPoints];
        var ys = new double[maxPoints];
        for (int k = 0; k < maxPoints; k++)
        {
            int i = (int)(k * stride);
            (xs[k], ys[k]) = (x[i], y[i]);
        }
        return (xs, ys);
    }

    /// <summary>
    /// Maximal runs of consecutive indices 0..count−1 not separated by a break (<paramref name="breakAfter"/>(k) true
    /// means no line joins point k to point k+1): a curve drawn run by run leaves gaps there.
    /// </summary>
    public static IEnumerable<(int Start, int End)> Runs(int count, Func<int, bool> breakAfter)
    {
        int start = 0;
        for (int k = 0; k < count; k++)
            if (k == count - 1 || breakAfter(k))
            {
                yield return (start, k + 1);
                start = k + 1;
            }
    }
}
