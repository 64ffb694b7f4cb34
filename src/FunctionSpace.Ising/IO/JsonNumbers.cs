namespace FunctionSpace.Ising.IO;

/// <summary>Numbers for JSON summaries, which have no NaN or infinity.</summary>
public static class JsonNumbers
{
    /// <summary>The value, or null when it is NaN or infinite (written as JSON null, read back as "not available").</summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
