namespace FunctionSpace.Ising.Landscape;

/// <summary>A histogram with equal-width bins.</summary>
/// <param name="Edges">Bin edges, one more than <paramref name="Counts"/>.</param>
/// <param name="Counts">Values per bin.</param>
public sealed record Histogram(double[] Edges, int[] Counts)
{
    /// <summary>Bin centres.</summary>
    public double[] Centres => Enumerable.Range(0, Counts.Length).Select(i => 0.5 * (Edges[i] + Edges[i + 1])).ToArray();

    /// <summary>Bins <paramref name="values"/> into <paramref name="bins"/> equal-width bins spanning their range.</summary>
    public static Histogram Of(IReadOnlyList<double> values, int bins)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins));
        if (values.Count == 0) return new Histogram([0, 1], new int[1]);
        double min = values.Min(), max = values.Max();
        if (max - min < 1e-12 * Math.Max(1, Math.Abs(min))) { min -= 0.5; max += 0.5; }
        var edges = Enumerable.Range(0, bins + 1).Select(i => min + (max - min) * i / bins).ToArray();
        var counts = new int[bins];
        foreach (double v in values) counts[Math.Clamp((int)((v - min) / (max - min) * bins), 0, bins - 1)]++;
        return new Histogram(edges, counts);
    }
}

/// <summary>Counts the modes of a one-dimensional sample (the peaks of the TAP free-energy histogram).</summary>
public static class PeakCounting
{
    /// <summary>
    /// Number of modes of <paramref name="values"/>: local maxima of a Gaussian kernel density estimate
    /// (bandwidth: Silverman's rule times <paramref name="bandwidthFactor"/>, at least
    /// <paramref name="minimumBandwidth"/> and 1% of the range) whose prominence exceeds <paramref name="minimumProminence"/>
    /// of the highest density. Identical values form one mode.
    /// </summary>
    /// <returns>The peak locations, ascending.</returns>
    public static double[] Modes(IReadOnlyList<double> values, double bandwidthFactor = 1.0, double minimumBandwidth = 1e-6,
        double minimumProminence = 0.03, int gridPoints = 512)
    {
        if (values.Count == 0) return [];
        double min = values.Min(), max = values.Max();
        double mean = values.Average();
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, values.Count - 1));
        var sorted = values.OrderBy(v => v).ToArray();
        double iqr = sorted[(int)(0.75 * (sorted.Length - 1))] - sorted[(int)(0.25 * (sorted.Length - 1))];
        // Silverman's spread; the IQR is ignored when most values sit in one tight cluster (IQR ≈ 0), and the bandwidth
        // never drops below 1% of the range, so a handful of exactly repeated fixed-point energies still forms a mode.
        double range = max - min;
        double spread = iqr > 1e-6 * Math.Max(range, 1e-300) ? Math.Min(sd, iqr / 1.34) : sd;
        double bandwidth = Math.Max(Math.Max(minimumBandwidth, range / 100), bandwidthFactor * 0.9 * spread * Math.Pow(values.Count, -0.2));
        double lo = min - 3 * bandwidth, hi = max + 3 * bandwidth;
        var grid = new double[gridPoints];
        var density = new double[gridPoints];
        for (int g = 0; g < gridPoints; g++)
        {
            grid[g] = lo + (hi - lo) * g / (gridPoints - 1);
            double sum = 0;
            foreach (double v in values) { double z = (grid[g] - v) / bandwidth; sum += Math.Exp(-0.5 * z * z); }
            density[g] = sum;
        }
        double top = density.Max();
        var peaks = new List<double>();
        for (int g = 1; g < gridPoints - 1; g++)
        {
            if (!(density[g] > density[g - 1] && density[g] >= density[g + 1])) continue;
            // Prominence: height above the higher of the two minima separating it from higher ground.
            double leftMin = density[g], rightMin = density[g];
            for (int k = g - 1; k >= 0 && density[k] <= density[g]; k--) leftMin = Math.Min(leftMin, density[k]);
            for (int k = g + 1; k < gridPoints && density[k] <= density[g]; k++) rightMin = Math.Min(rightMin, density[k]);
            double prominence = density[g] - Math.Max(leftMin, rightMin);
            if (prominence >= minimumProminence * top) peaks.Add(grid[g]);
        }
        return peaks.ToArray();
    }
}
