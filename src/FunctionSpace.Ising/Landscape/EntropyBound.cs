namespace FunctionSpace.Ising.Landscape;

/// <summary>The entropy of all configurations at a given Hamming distance: the upper bound of every landscape.</summary>
public static class EntropyBound
{
    /// <summary>
    /// s_max(d) = −d ln d − (1−d) ln(1−d): ln of the number of ±1 vectors at normalised Hamming distance d
    /// from a reference, per spin (N → ∞). Zou &amp; Huang Eq. (8)'s comparison curve. 0 at d ∈ {0, 1}.
    /// </summary>
    public static double MaxEntropy(double distance)
    {
        if (double.IsNaN(distance) || distance < 0 || distance > 1) return double.NaN;
        return -XLogX(distance) - XLogX(1 - distance);
    }

    private static double XLogX(double x) => x <= 0 ? 0 : x * Math.Log(x);
}
