using FunctionSpace.Ising.Randomness;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FunctionSpace.Ising.Simd;

namespace FunctionSpace.Ising.Training;

/// <summary>
/// A vectorised stream of standard normal floats: 16 independent xoshiro128** generators (Blackman &amp;
/// Vigna 2018), one per lane of a group of 16, turned into normals by the Box–Muller transform
/// (Box &amp; Muller 1958): z₀ = r·cos 2πu₂, z₁ = r·sin 2πu₂ with r = sqrt(−2 ln u₁).
/// </summary>
/// <remarks>
/// The lanes are seeded from one 64-bit seed by <see cref="SplitMix64"/> (the seeding its authors
/// recommend), so a stream is a pure function of its seed: the mean-field trainer gives each network its
/// own stream, which makes a network's θ independent of thread scheduling and of the other networks.
/// Uniforms have 24 bits (u₁ ∈ (0, 1], u₂ ∈ [0, 1)), so |z| ≤ sqrt(−2 ln 2⁻²⁴) ≈ 5.77: the normal
/// tail beyond is 8·10⁻⁹ of the mass, irrelevant for the training noise ε.
/// The output is defined by the 16 generators, not by the vector width: values 32k … 32k + 15 are the
/// cosine half of the k-th pair of draws of generators 0 … 15, values 32k + 16 … 32k + 31 its sine half.
/// On 256-bit vectors the generators 0–7 and 8–15 run one after the other, each lane's arithmetic the same.
/// </remarks>
internal sealed class NormalStream
{
    private const int Generators = 16;
    private readonly int[] _state = new int[4 * Generators]; // xoshiro words s0, s1, s2, s3, each [generator]

    /// <summary>Seeds the 16 lanes from <paramref name="seed"/>.</summary>
    public NormalStream(ulong seed)
    {
        var rng = new SplitMix64(seed);
        for (int i = 0; i < _state.Length; i += 2)
        {
            ulong x = rng.NextUInt64();
            _state[i] = (int)(uint)x;
            _state[i + 1] = (int)(uint)(x >> 32);
        }
        for (int lane = 0; lane < Generators; lane++)
        {
            // xoshiro's state must not be all zero; the chance is 2⁻¹²⁸ per lane, but be exact.
            if ((_state[lane] | _state[16 + lane] | _state[32 + lane] | _state[48 + lane]) == 0) _state[lane] = 1;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static IntLanes<TV> RotateLeft<TV>(IntLanes<TV> x, int k) where TV : struct => (x << k) | (x >>> (32 - k));

    /// <summary>xoshiro128**: next 32 random bits in each lane (the multiplications modulo 2³², as unsigned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static IntLanes<TV> Next<TV>(ref IntLanes<TV> s0, ref IntLanes<TV> s1, ref IntLanes<TV> s2, ref IntLanes<TV> s3) where TV : struct
    {
        var result = RotateLeft(s1 * IntLanes<TV>.Create(5), 7) * IntLanes<TV>.Create(9);
        var t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = RotateLeft(s3, 11);
        return result;
    }

    /// <summary>Fills <paramref name="destination"/> (length a multiple of 16) with standard normals, on the hardware's widest vectors.</summary>
    public void Fill(Span<float> destination)
    {
        if (Vector512.IsHardwareAccelerated) Fill<Vector512<float>>(destination);
        else Fill<Vector256<float>>(destination);
    }

    /// <summary>As <see cref="Fill(Span{float})"/> on vectors <typeparamref name="TV"/> (the same values at either width).</summary>
    public void Fill<TV>(Span<float> destination) where TV : struct
    {
        if (destination.Length % Generators != 0) throw new ArgumentException("length must be a multiple of 16", nameof(destination));
        Lanes<TV>.Validate();
        var scale = Lanes<TV>.Create(1f / (1 << 24));
        var minusTwo = Lanes<TV>.Create(-2f);
        var one = IntLanes<TV>.Create(1);
        ref float target = ref MemoryMarshal.GetReference(destination);
        ref int state = ref _state[0];
        for (int h = 0; h < Generators; h += Lanes<TV>.Count)
        {
            var s0 = IntLanes<TV>.Load(ref state, (nuint)h);
            var s1 = IntLanes<TV>.Load(ref state, (nuint)(Generators + h));
            var s2 = IntLanes<TV>.Load(ref state, (nuint)(2 * Generators + h));
            var s3 = IntLanes<TV>.Load(ref state, (nuint)(3 * Generators + h));
            for (int i = 0; i < destination.Length; i += 2 * Generators)
            {
                var u1 = ((Next(ref s0, ref s1, ref s2, ref s3) >>> 8) + one).ConvertToSingle() * scale;
                var u2 = (Next(ref s0, ref s1, ref s2, ref s3) >>> 8).ConvertToSingle() * scale;
                var r = Lanes<TV>.Sqrt(minusTwo * VectorMathF.Log(u1));
                var (sin, cos) = VectorMathF.SinCosTurns(u2);
                (r * cos).Store(ref target, (nuint)(i + h));
                if (i + Generators == destination.Length) break; // an odd number of groups: the sine half of the last pair is unused
                (r * sin).Store(ref target, (nuint)(i + Generators + h));
            }
            s0.Store(ref state, (nuint)h);
            s1.Store(ref state, (nuint)(Generators + h));
            s2.Store(ref state, (nuint)(2 * Generators + h));
            s3.Store(ref state, (nuint)(3 * Generators + h));
        }
    }
}
