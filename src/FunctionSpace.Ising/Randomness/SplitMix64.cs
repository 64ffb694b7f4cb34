namespace FunctionSpace.Ising.Randomness;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood 2014): a small, fast, platform-independent generator, used for every
/// per-network draw (initialisation, data order, sampling) so that a network's results depend only on its
/// seed. <see cref="Mix"/> derives independent seeds from (master seed, index, stream).
/// </summary>
public struct SplitMix64
{
    private ulong _state;

    /// <summary>Starts the generator at <paramref name="seed"/>.</summary>
    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => Finalise(_state += Gamma);

    /// <summary>The Weyl increment of the state (the golden ratio in 64 bits).</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>The output function: Stafford's "Mix13" variant of the MurmurHash3 finaliser, a bijection of 64 bits.</summary>
    public static ulong Finalise(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The output number <paramref name="index"/> (from 0) of the generator started at <paramref name="seed"/>, without stepping through the ones before.</summary>
    public static ulong Element(ulong seed, ulong index) => Finalise(seed + Gamma * (index + 1));

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n) (multiply-shift; bias below 2^-32 for n &lt; 2^32).</summary>
    public int NextInt(int n) => (int)(((NextUInt64() >> 32) * (ulong)n) >> 32);

    /// <summary>Standard normal draw (Box–Muller, one value per call).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A seed derived from a master seed, an index and a stream tag, independent for each combination.</summary>
    public static ulong Mix(ulong master, long index, ulong stream)
    {
        var g = new SplitMix64(master ^ (stream * 0xD1B54A32D192ED03UL));
        ulong a = g.NextUInt64();
        var h = new SplitMix64(a ^ ((ulong)index * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL));
        return h.NextUInt64();
    }

    /// <summary>Fills <paramref name="order"/> with a uniformly random permutation of 0..n−1 (Fisher–Yates).</summary>
    public void Permutation(Span<long> order)
    {
        for (int i = 0; i < order.Length; i++) order[i] = i;
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <summary>As <see cref="Permutation(Span{long})"/> for int indices: the same draws, the same permutation.</summary>
    public void Permutation(Span<int> order)
    {
        for (int i = 0; i < order.Length; i++) order[i] = i;
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }
}
