namespace FunctionSpace.Ising.Randomness;

/// <summary>
/// xoshiro256** (Blackman &amp; Vigna), seeded through SplitMix64: a small, fast generator whose streams are
/// fixed by (seed, stream) so every Monte-Carlo chain is reproducible whatever thread runs it.
/// </summary>
internal struct RandomSource
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>The generator of stream <paramref name="stream"/> under <paramref name="seed"/>.</summary>
    public RandomSource(ulong seed, ulong stream)
    {
        var seeding = new SplitMix64(seed ^ (SplitMix64.Gamma * (stream + 1)));
        _s0 = seeding.NextUInt64(); _s1 = seeding.NextUInt64(); _s2 = seeding.NextUInt64(); _s3 = seeding.NextUInt64();
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
