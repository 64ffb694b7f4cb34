using System.Globalization;

namespace FunctionSpace.Ising.Theory;

/// <summary>Number formatting and range checks shared by the theory jobs' summaries and settings.</summary>
public static class TheoryText
{
    /// <summary>A number in the invariant culture (G6 unless told).</summary>
    public static string F(double value, string format = "G6") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Throws an <see cref="InputException"/> "name: value is outside min..max" (the wording of the CLI's range checks).</summary>
    public static void RequireRange(string name, double value, double min, double max)
    {
        if (!(value >= min && value <= max)) throw new InputException($"{name}: {F(value, "R")} is outside {F(min, "R")}..{F(max, "R")}");
    }

    /// <summary>Throws an <see cref="InputException"/> unless <paramref name="beta"/> is positive (∞: deterministic units).</summary>
    public static void RequireBeta(double beta)
    {
        if (!(beta > 0)) throw new InputException($"--beta: {F(beta, "R")} must be positive");
    }

    /// <summary>Reads an inverse temperature: a positive number, or "inf" for deterministic sign units.</summary>
    public static double ParseBeta(string text)
    {
        if (text is "inf" or "infinity" or "∞") return double.PositiveInfinity;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double beta) && beta > 0 && !double.IsNaN(beta)) return beta;
        throw new InputException($"--beta: '{text}' is not a positive number or 'inf'");
    }

    /// <summary>"inf" for +∞, else the round-trip number: the text <see cref="ParseBeta"/> reads back.</summary>
    public static string BetaText(double beta) => double.IsPositiveInfinity(beta) ? "inf" : F(beta, "R");

    /// <summary>Linear interpolation of tabulated ys at x (clamped to the first point below the table).</summary>
    public static double Interpolate(double[] xs, double[] ys, double x)
    {
        int i = Array.FindIndex(xs, v => v >= x);
        if (i <= 0) return ys[Math.Max(i, 0)];
        double t = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
        return ys[i - 1] + t * (ys[i] - ys[i - 1]);
    }
}
