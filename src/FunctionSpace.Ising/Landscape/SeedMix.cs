namespace FunctionSpace.Ising.Landscape;

/// <summary>Derives independent, reproducible seeds for the parts of a computation from one user seed.</summary>
internal static class SeedMix
{
    /// <summary>SplitMix64 of (seed, index): independent, reproducible per-start seeds.</summary>
    public static ulong Mix(ulong seed, ulong index)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (index + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
