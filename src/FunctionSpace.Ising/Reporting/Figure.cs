using ScottPlot;

namespace FunctionSpace.Ising.Reporting;

/// <summary>Saves ScottPlot figures as PNG, atomically.</summary>
public static class Figure
{
    /// <summary>Default figure size in pixels.</summary>
    public const int DefaultWidth = 900, DefaultHeight = 600;

    /// <summary>Renders <paramref name="plot"/> to a PNG file at <paramref name="path"/>.</summary>
    public static void SavePng(Plot plot, string path, int width = DefaultWidth, int height = DefaultHeight)
    {
        byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
        IO.AtomicFile.WriteAllBytes(path, png);
    }
}
