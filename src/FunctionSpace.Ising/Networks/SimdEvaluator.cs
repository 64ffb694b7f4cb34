using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FunctionSpace.Ising.Networks;

/// <summary>
/// CPU kernel for the accuracy of ±1 configurations: 16 (AVX-512) or 8 (AVX2) examples per vector, the whole
/// forward pass (z = W a, LReLU, argmax) of one configuration on one vector of examples kept in registers,
/// configurations in parallel. Same maths as <see cref="BinaryNetwork.Forward"/>; the hidden scale
/// 1/sqrt(n_in) is dropped because it cannot change the argmax (LReLU is positively homogeneous).
/// </summary>
internal sealed class SimdEvaluator
{
    private readonly int Lanes;
    private readonly int ChunksPerBlock; // 1024 examples × 20 inputs = 80 KB: stays in L2 across configurations
    private readonly Architecture _architecture;
    private readonly float[] _inputs;   // [chunk][input][lane]
    private readonly float[] _labels;   // [chunk][lane], −1 for padding lanes
    private readonly int _chunks;
    private readonly int _maxWidth;

    /// <param name="architecture">Network widths.</param>
    /// <param name="inputs">n × Widths[0] inputs.</param>
    /// <param name="labels">n labels.</param>
    /// <param name="wide">Use 512-bit vectors (16 examples) when the hardware has them.</param>
    public SimdEvaluator(Architecture architecture, double[] inputs, byte[] labels, bool wide = true)
    {
        _architecture = architecture;
        Lanes = wide && Vector512.IsHardwareAccelerated ? 16 : 8;
        ChunksPerBlock = 1024 / Lanes;
        int width = architecture.Widths[0], n = labels.Length;
        _chunks = (n + Lanes - 1) / Lanes;
        _inputs = new float[_chunks * width * Lanes];
        _labels = new float[_chunks * Lanes];
        Array.Fill(_labels, -1f);
        for (int e = 0; e < n; e++)
        {
            int chunk = e / Lanes, lane = e % Lanes;
            for (int i = 0; i < width; i++) _inputs[(chunk * width + i) * Lanes + lane] = (float)inputs[e * width + i];
            _labels[chunk * Lanes + lane] = labels[e];
        }
        _maxWidth = architecture.Widths.Max();
    }

    /// <summary>True when the hardware runs 256-bit vectors natively.</summary>
    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    /// <summary>Correctly classified examples of each configuration.</summary>
    public int[] CorrectCounts(ReadOnlySpan<sbyte> spins, int count)
    {
        int n = _architecture.WeightCount;
        var weights = new float[(long)count * n];
        for (int i = 0; i < weights.Length; i++) weights[i] = spins[i];
        var correct = new int[count];
        int blocks = (_chunks + ChunksPerBlock - 1) / ChunksPerBlock;
        // Work items: (configuration group, example block); each configuration's count is summed over blocks.
        const int group = 8;
        int groups = (count + group - 1) / group;
        var partial = new int[blocks, count];
        Parallel.For(0, groups * blocks, item =>
        {
            int g = item / blocks, b = item % blocks;
            int first = b * ChunksPerBlock, last = Math.Min(_chunks, first + ChunksPerBlock);
            for (int c = g * group; c < Math.Min(count, (g + 1) * group); c++)
                partial[b, c] = Lanes == 16 ? CountBlock512(weights.AsSpan(c * n, n), first, last) : CountBlock(weights.AsSpan(c * n, n), first, last);
        });
        for (int b = 0; b < blocks; b++)
            for (int c = 0; c < count; c++) correct[c] += partial[b, c];
        return correct;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int CountBlock(ReadOnlySpan<float> w, int firstChunk, int lastChunk)
    {
        var widths = _architecture.Widths;
        int layers = widths.Count - 1, width0 = widths[0];
        Span<Vector256<float>> a = stackalloc Vector256<float>[_maxWidth];
        Span<Vector256<float>> z = stackalloc Vector256<float>[_maxWidth];
        var slope = Vector256.Create((float)BinaryNetwork.LeakySlope);
        int correct = 0;
        for (int chunk = firstChunk; chunk < lastChunk; chunk++)
        {
            var input = _inputs.AsSpan(chunk * width0 * Lanes, width0 * Lanes);
            for (int i = 0; i < width0; i++) a[i] = Vector256.Create<float>(input.Slice(i * Lanes, Lanes));
            int offset = 0;
            for (int l = 0; l < layers; l++)
            {
                int nIn = widths[l], nOut = widths[l + 1];
                for (int o = 0; o < nOut; o++)
                {
                    var row = w.Slice(offset + o * nIn, nIn);
                    var sum = Vector256<float>.Zero;
                    for (int i = 0; i < nIn; i++) sum = Vector256.FusedMultiplyAdd(Vector256.Create(row[i]), a[i], sum);
                    z[o] = l < layers - 1 ? Vector256.Max(sum, sum * slope) : sum;
                }
                offset += nIn * nOut;
                z[..nOut].CopyTo(a);
            }
            // First maximum wins, as in argmax.
            int outputs = widths[layers];
            var best = a[0];
            var bestIndex = Vector256<float>.Zero;
            for (int o = 1; o < outputs; o++)
            {
                var greater = Vector256.GreaterThan(a[o], best);
                best = Vector256.ConditionalSelect(greater, a[o], best);
                bestIndex = Vector256.ConditionalSelect(greater, Vector256.Create((float)o), bestIndex);
            }
            var hit = Vector256.Equals(bestIndex, Vector256.Create<float>(_labels.AsSpan(chunk * Lanes, Lanes)));
            correct += BitOperations.PopCount(hit.ExtractMostSignificantBits());
        }
        return correct;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int CountBlock512(ReadOnlySpan<float> w, int firstChunk, int lastChunk)
    {
        var widths = _architecture.Widths;
        int layers = widths.Count - 1, width0 = widths[0];
        Span<Vector512<float>> a = stackalloc Vector512<float>[_maxWidth];
        Span<Vector512<float>> z = stackalloc Vector512<float>[_maxWidth];
        var slope = Vector512.Create((float)BinaryNetwork.LeakySlope);
        int correct = 0;
        for (int chunk = firstChunk; chunk < lastChunk; chunk++)
        {
            var input = _inputs.AsSpan(chunk * width0 * Lanes, width0 * Lanes);
            for (int i = 0; i < width0; i++) a[i] = Vector512.Create<float>(input.Slice(i * Lanes, Lanes));
            int offset = 0;
            for (int l = 0; l < layers; l++)
            {
                int nIn = widths[l], nOut = widths[l + 1];
                for (int o = 0; o < nOut; o++)
                {
                    var row = w.Slice(offset + o * nIn, nIn);
                    var sum = Vector512<float>.Zero;
                    for (int i = 0; i < nIn; i++) sum = Vector512.FusedMultiplyAdd(Vector512.Create(row[i]), a[i], sum);
                    z[o] = l < layers - 1 ? Vector512.Max(sum, sum * slope) : sum;
                }
                offset += nIn * nOut;
                z[..nOut].CopyTo(a);
            }
            // First maximum wins, as in argmax.
            int outputs = widths[layers];
            var best = a[0];
            var bestIndex = Vector512<float>.Zero;
            for (int o = 1; o < outputs; o++)
            {
                var greater = Vector512.GreaterThan(a[o], best);
                best = Vector512.ConditionalSelect(greater, a[o], best);
                bestIndex = Vector512.ConditionalSelect(greater, Vector512.Create((float)o), bestIndex);
            }
            var hit = Vector512.Equals(bestIndex, Vector512.Create<float>(_labels.AsSpan(chunk * Lanes, Lanes)));
            correct += BitOperations.PopCount(hit.ExtractMostSignificantBits());
        }
        return correct;
    }
}
