using System.Runtime.Intrinsics;

namespace FunctionSpace.Ising.Training;

/// <summary>
/// A vectorised stream of standard normal floats: 16 independent xoshiro128** generators (Blackman &amp;
/// Vigna 2018), one per lane of a 512-bit vector, turned into normals by the Box–Muller transform
/// (Box &amp; Muller 1958): z₀ = r·cos 2πu₂, z₁ = r·sin 2πu₂ with r = sqrt(−2 ln u₁).
/// </summary>
/// <remarks>
/// The lanes are seeded from one 64-bit seed by <see cref="SplitMix64"/> (the seeding its authors
/// recommend), so a stream is a pure function of its seed: the mean-field trainer gives each network its
/// own stream, which makes a network's θ independent of thread scheduling and of the other networks.
/// Uniforms have 24 bits (u₁ ∈ (0, 1], u₂ ∈ [0, 1)), so |z| ≤ sqrt(−2 ln 2⁻²⁴) ≈ 5.77: the normal
/// tail beyond is 8·10⁻⁹ of the mass, irrelevant for the training noise ε.
/// </remarks>
internal sealed class NormalStream
{
    private Vector512<uint> _s0, _s1, _s2, _s3;

    /// <summary>Seeds the 16 lanes from <paramref name="seed"/>.</summary>
    public NormalStream(ulong seed)
    {
        var rng = new SplitMix64(seed);
        var words = new uint[64];
        for (int i = 0; i < 64; i += 2)
        {
            ulong x = rng.NextUInt64();
            words[i] = (uint)x;
            words[i + 1] = (uint)(x >> 32);
        }
        for (int lane = 0; lane < 16; lane++)
        {
            // xoshiro's state must not be all zero; the chance is 2⁻¹²⁸ per lane, but be exact.
            if ((words[lane] | words[16 + lane] | words[32 + lane] | words[48 + lane]) == 0) words[lane] = 1;
        }
        _s0 = Vector512.Create(words.AsSpan(0, 16));
        _s1 = Vector512.Create(words.AsSpan(16, 16));
        _s2 = Vector512.Create(words.AsSpan(32, 16));
        _s3 = Vector512.Create(words.AsSpan(48, 16));
    }

    private static Vector512<uint> RotateLeft(Vector512<uint> x, int k) => Vector512.ShiftLeft(x, k) | Vector512.ShiftRightLogical(x, 32 - k);

    /// <summary>xoshiro128**: next 32 random bits in each lane.</summary>
    private Vector512<uint> Next()
    {
        var result = RotateLeft(_s1 * 5u, 7) * 9u;
        var t = Vector512.ShiftLeft(_s1, 9);
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 11);
        return result;
    }

    /// <summary>Fills <paramref name="destination"/> (length a multiple of 16) with standard normals.</summary>
    public void Fill(Span<float> destination)
    {
        if (destination.Length % 16 != 0) throw new ArgumentException("length must be a multiple of 16", nameof(destination));
        var scale = Vector512.Create(1f / (1 << 24));
        var minusTwo = Vector512.Create(-2f);
        int i = 0;
        while (i < destination.Length)
        {
            var u1 = Vector512.ConvertToSingle((Vector512.ShiftRightLogical(Next(), 8) + Vector512<uint>.One).AsInt32()) * scale;
            var u2 = Vector512.ConvertToSingle(Vector512.ShiftRightLogical(Next(), 8).AsInt32()) * scale;
            var r = Vector512.Sqrt(minusTwo * VectorMathF.Log(u1));
            var (sin, cos) = VectorMathF.SinCosTurns(u2);
            (r * cos).CopyTo(destination.Slice(i, 16));
            i += 16;
            if (i == destination.Length) break; // an odd number of vectors: the sine half of the last pair is unused
            (r * sin).CopyTo(destination.Slice(i, 16));
            i += 16;
        }
    }
}
