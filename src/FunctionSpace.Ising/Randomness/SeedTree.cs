namespace FunctionSpace.Ising.Randomness;

/// <summary>
/// The tree of seeds of a run: every random draw descends from the user's master seed through named children
/// (<c>seeds.Child(scenario).Child(SeedStreams.Fit)</c>), so adding a consumer never shifts another's draws and the
/// same master seed gives the same bytes. Seeds are derived with <see cref="SplitMix64.Mix"/>; streams are drawn with
/// <see cref="SplitMix64"/> (per-network training draws) or <see cref="RandomSource"/> (xoshiro256**, seeded by SplitMix64).
/// </summary>
/// <param name="Seed">The seed of this node.</param>
public readonly record struct SeedTree(ulong Seed)
{
    /// <summary>The child named by a string (e.g. a scenario): its characters are mixed in one by one.</summary>
    public SeedTree Child(string name)
    {
        ulong h = Seed;
        foreach (char ch in name) h = SplitMix64.Mix(h, ch, 11);
        return new SeedTree(h);
    }

    /// <summary>The child for a numbered stream (see <see cref="SeedStreams"/>).</summary>
    public SeedTree Child(int stream) => new(SplitMix64.Mix(Seed, stream, 13));

    /// <summary>A generator of 64-bit draws started at this node.</summary>
    public SplitMix64 Generator() => new(Seed);
}

/// <summary>The numbered streams of a scenario's stages; a number is never reused for another consumer.</summary>
public static class SeedStreams
{
    /// <summary>The collection: training, sampling and the accuracy evaluation of every network.</summary>
    public const int Collect = 0;
    /// <summary>Triplets whose three-point correlations check a fit.</summary>
    public const int Triplets = 1;
    /// <summary>The fit stage (learning chains, verification, folds).</summary>
    public const int Fit = 2;
    /// <summary>The TAP census' random starts.</summary>
    public const int Tap = 3;
    /// <summary>The Monte-Carlo dynamics.</summary>
    public const int Dynamics = 4;
    /// <summary>The bootstrap over networks that measures the moments' noise floor.</summary>
    public const int Bootstrap = 6;
    /// <summary>How the split-half check deals the networks into two halves.</summary>
    public const int SplitHalfDeal = 7;
    /// <summary>The fits of the split-half check's first half; the second half uses the next number.</summary>
    public const int SplitHalfFits = 8;
}
