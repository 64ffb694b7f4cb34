using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FunctionSpace.Ising.Simd;

namespace FunctionSpace.Ising.Networks;

/// <summary>
/// CPU kernels for the accuracy of ±1 configurations. <see cref="CorrectCounts"/>: 16 (AVX-512) or 8 (AVX2)
/// configurations per vector, their weights kept in L1 while the examples stream past, configuration groups in
/// parallel. <see cref="CorrectCountsPerConfiguration"/> (the exactness reference): one configuration at a time
/// on vectors of examples. Same maths as <see cref="BinaryNetwork.Forward"/>; the hidden scale 1/sqrt(n_in) is
/// dropped because it cannot change the argmax (LReLU is positively homogeneous).
/// </summary>
/// <remarks>
/// Both kernels are written once over <see cref="Lanes{TV}"/> and run at 16 lanes (TV = Vector512 of float) or
/// 8 lanes (TV = Vector256 of float). A lane's arithmetic does not depend on the width, so the counts are the same
/// at both widths.
/// </remarks>
internal sealed class SimdEvaluator
{
    private readonly bool _wide;
    private readonly int _lanes;
    private readonly int _chunksPerBlock; // 1024 examples × 20 inputs = 80 KB: stays in L2 across configurations
    private readonly Architecture _architecture;
    private readonly float[] _inputs;   // [chunk][input][lane]
    private readonly float[] _labels;   // [chunk][lane], −1 for padding lanes
    private readonly int _chunks;
    private readonly int _maxWidth;
    private readonly int _paddedExamples; // n rounded up to even: the batched kernel takes examples in pairs
    private readonly float[] _rows;       // [example][input], padding example all 0
    private readonly float[] _rowLabels;  // [example], −1 for the padding example (never an argmax index)
    private readonly int[][] _rowBlocks;  // per layer: sizes of its output-row blocks

    /// <param name="architecture">Network widths.</param>
    /// <param name="inputs">n × Widths[0] inputs.</param>
    /// <param name="labels">n labels.</param>
    /// <param name="wide">Use 512-bit vectors (16 lanes) when the hardware has them.</param>
    public SimdEvaluator(Architecture architecture, double[] inputs, byte[] labels, bool wide = true)
    {
        _architecture = architecture;
        _wide = wide && Vector512.IsHardwareAccelerated;
        _lanes = _wide ? Lanes<Vector512<float>>.Count : Lanes<Vector256<float>>.Count;
        _chunksPerBlock = 1024 / _lanes;
        int width = architecture.Widths[0], n = labels.Length;
        _chunks = (n + _lanes - 1) / _lanes;
        _inputs = new float[_chunks * width * _lanes];
        _labels = new float[_chunks * _lanes];
        Array.Fill(_labels, -1f);
        for (int e = 0; e < n; e++)
        {
            int chunk = e / _lanes, lane = e % _lanes;
            for (int i = 0; i < width; i++) _inputs[(chunk * width + i) * _lanes + lane] = (float)inputs[e * width + i];
            _labels[chunk * _lanes + lane] = labels[e];
        }
        _maxWidth = architecture.Widths.Max();
        _paddedExamples = n + (n & 1);
        _rows = new float[_paddedExamples * width];
        _rowLabels = new float[_paddedExamples];
        for (int i = 0; i < n * width; i++) _rows[i] = (float)inputs[i];
        for (int e = 0; e < _paddedExamples; e++) _rowLabels[e] = e < n ? labels[e] : -1f;
        _rowBlocks = Enumerable.Range(0, architecture.Layers).Select(l => RowBlocks(architecture.Widths[l + 1])).ToArray();
    }

    /// <summary>True when the hardware runs 256-bit vectors natively.</summary>
    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    /// <summary>
    /// Correctly classified examples of each configuration, one configuration at a time on vectors of
    /// examples (the reference that <see cref="CorrectCounts"/> must equal exactly).
    /// </summary>
    public int[] CorrectCountsPerConfiguration(ReadOnlySpan<sbyte> spins, int count)
    {
        int n = _architecture.WeightCount;
        var weights = new float[(long)count * n];
        for (int i = 0; i < weights.Length; i++) weights[i] = spins[i];
        var correct = new int[count];
        int blocks = (_chunks + _chunksPerBlock - 1) / _chunksPerBlock;
        // Work items: (configuration group, example block); each configuration's count is summed over blocks.
        const int group = 8;
        int groups = (count + group - 1) / group;
        var partial = new int[blocks, count];
        Parallel.For(0, groups * blocks, item =>
        {
            int g = item / blocks, b = item % blocks;
            int first = b * _chunksPerBlock, last = Math.Min(_chunks, first + _chunksPerBlock);
            for (int c = g * group; c < Math.Min(count, (g + 1) * group); c++)
                partial[b, c] = _wide
                    ? CountBlock<Vector512<float>>(weights.AsSpan(c * n, n), first, last)
                    : CountBlock<Vector256<float>>(weights.AsSpan(c * n, n), first, last);
        });
        for (int b = 0; b < blocks; b++)
            for (int c = 0; c < count; c++) correct[c] += partial[b, c];
        return correct;
    }

    /// <summary>Correctly classified examples of each configuration (the batched kernel).</summary>
    /// <remarks>
    /// Layout: the vector lanes hold 16 or 8 configurations (not examples), so each configuration group's
    /// weights, as ±1.0 floats W[k][lane] (675 × 16 × 4 B = 43 KB for the deep net), stay in the L1 cache for the
    /// whole input set while the 20 inputs of each example are broadcast. Each hidden unit is z_o = Σ_i W_oi a_i
    /// (the forward pass of Zou &amp; Huang 2021, Sec. II; Shayer et al. 2018) computed as the same chain of fused
    /// multiply-adds, i = 0, 1, …, n_in − 1 from 0, then max(z, 0.1 z), then the first maximum of the output,
    /// exactly as in <see cref="CorrectCountsPerConfiguration"/>: every lane performs the same float32 operations
    /// in the same order, so the counts are identical, not only close. Rows are processed in blocks of up to 8
    /// outputs for two examples at a time: 16 independent accumulator chains hide the FMA latency and every
    /// weight load serves two FMAs.
    /// </remarks>
    public unsafe int[] CorrectCounts(ReadOnlySpan<sbyte> spins, int count)
    {
        int n = _architecture.WeightCount, lanes = _lanes;
        if (spins.Length != (long)count * n) throw new ArgumentException($"{spins.Length} spins are not {count} configurations of {n}");
        var correct = new int[count];
        if (count == 0) return correct;
        int groups = (count + lanes - 1) / lanes;
        int pairs = _paddedExamples / 2;
        // Few groups: also split the examples, so that both cores work; counts are integers, so the sum
        // over example ranges is exact in any order.
        int threads = Math.Max(1, Environment.ProcessorCount);
        int splits = Math.Clamp((4 * threads + groups - 1) / groups, 1, Math.Max(1, pairs / 64));
        var partial = new int[groups * splits * lanes];
        // The spans are pinned for the synchronous Parallel.For (a lambda cannot capture a span; no copy).
        fixed (sbyte* spinPointer = spins)
        {
            nint spinAddress = (nint)spinPointer;
            Parallel.For(0, groups * splits, () => new float[n * lanes], (item, _, weights) =>
            {
                int g = item / splits, s = item % splits;
                int first = g * lanes, configs = Math.Min(lanes, count - first);
                // Transpose the group's spins to W[k][lane] (padding lanes +1, their counts are ignored).
                for (int lane = 0; lane < lanes; lane++)
                {
                    if (lane < configs)
                    {
                        var source = new ReadOnlySpan<sbyte>((sbyte*)spinAddress + (long)(first + lane) * n, n);
                        for (int k = 0; k < n; k++) weights[k * lanes + lane] = source[k];
                    }
                    else
                    {
                        for (int k = 0; k < n; k++) weights[k * lanes + lane] = 1f;
                    }
                }
                int firstPair = (int)((long)pairs * s / splits), lastPair = (int)((long)pairs * (s + 1) / splits);
                var counts = partial.AsSpan(item * lanes, lanes);
                if (_wide) Group<Vector512<float>>(weights, firstPair, lastPair, counts);
                else Group<Vector256<float>>(weights, firstPair, lastPair, counts);
                return weights;
            }, _ => { });
        }
        for (int g = 0; g < groups; g++)
            for (int s = 0; s < splits; s++)
                for (int lane = 0; lane < lanes && g * lanes + lane < count; lane++)
                    correct[g * lanes + lane] += partial[(g * splits + s) * lanes + lane];
        return correct;
    }

    /// <summary>Compile-time row-block size of <see cref="Rows{TV, TRows}"/> (the JIT removes the unused rows).</summary>
    private interface IRowCount { static abstract int Value { get; } }
    private struct R1 : IRowCount { public static int Value => 1; }
    private struct R2 : IRowCount { public static int Value => 2; }
    private struct R3 : IRowCount { public static int Value => 3; }
    private struct R4 : IRowCount { public static int Value => 4; }
    private struct R5 : IRowCount { public static int Value => 5; }
    private struct R6 : IRowCount { public static int Value => 6; }
    private struct R7 : IRowCount { public static int Value => 7; }
    private struct R8 : IRowCount { public static int Value => 8; }

    /// <summary>Row blocks of a layer: as even as possible, at most 8 rows each (15 → 8 + 7, 10 → 5 + 5).</summary>
    private static int[] RowBlocks(int rows)
    {
        int blocks = (rows + 7) / 8;
        return Enumerable.Range(0, blocks).Select(b => rows * (b + 1) / blocks - rows * b / blocks).ToArray();
    }

    /// <summary>Forward pass and argmax of one configuration group (W[k][lane]) on example pairs [firstPair, lastPair).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Group<TV>(float[] weightArray, int firstPair, int lastPair, Span<int> counts) where TV : unmanaged
    {
        var widths = _architecture.Widths;
        int layers = widths.Count - 1, width0 = widths[0], outputs = widths[layers];
        // Activities of the two examples interleaved: a[2i] example A, a[2i + 1] example B.
        Lanes<TV>* a = stackalloc Lanes<TV>[2 * _maxWidth];
        Lanes<TV>* z = stackalloc Lanes<TV>[2 * _maxWidth];
        var hits = IntLanes<TV>.Create(0);
        fixed (float* weights = weightArray, rows = _rows, labels = _rowLabels)
        {
            for (int pair = firstPair; pair < lastPair; pair++)
            {
                float* xa = rows + 2 * pair * width0, xb = xa + width0;
                for (int i = 0; i < width0; i++)
                {
                    a[2 * i] = Lanes<TV>.Create(xa[i]);
                    a[2 * i + 1] = Lanes<TV>.Create(xb[i]);
                }
                float* w = weights;
                for (int l = 0; l < layers; l++)
                {
                    int nIn = widths[l];
                    bool hidden = l < layers - 1;
                    var output = z;
                    foreach (int block in _rowBlocks[l])
                    {
                        switch (block)
                        {
                            case 8: Rows<TV, R8>(w, nIn, a, output, hidden); break;
                            case 7: Rows<TV, R7>(w, nIn, a, output, hidden); break;
                            case 6: Rows<TV, R6>(w, nIn, a, output, hidden); break;
                            case 5: Rows<TV, R5>(w, nIn, a, output, hidden); break;
                            case 4: Rows<TV, R4>(w, nIn, a, output, hidden); break;
                            case 3: Rows<TV, R3>(w, nIn, a, output, hidden); break;
                            case 2: Rows<TV, R2>(w, nIn, a, output, hidden); break;
                            default: Rows<TV, R1>(w, nIn, a, output, hidden); break;
                        }
                        w += block * nIn * Lanes<TV>.Count;
                        output += 2 * block;
                    }
                    var swap = a; a = z; z = swap;
                }
                // First maximum wins, as in argmax; the padding example's label −1 never matches.
                var bestA = a[0]; var bestB = a[1];
                var indexA = Lanes<TV>.Zero; var indexB = Lanes<TV>.Zero;
                for (int o = 1; o < outputs; o++)
                {
                    var index = Lanes<TV>.Create(o);
                    var greaterA = Lanes<TV>.GreaterThan(a[2 * o], bestA);
                    bestA = Lanes<TV>.Select(greaterA, a[2 * o], bestA);
                    indexA = Lanes<TV>.Select(greaterA, index, indexA);
                    var greaterB = Lanes<TV>.GreaterThan(a[2 * o + 1], bestB);
                    bestB = Lanes<TV>.Select(greaterB, a[2 * o + 1], bestB);
                    indexB = Lanes<TV>.Select(greaterB, index, indexB);
                }
                // A hit is an all-ones lane, i.e. −1 as an integer.
                hits -= Lanes<TV>.EqualsMask(indexA, Lanes<TV>.Create(labels[2 * pair])).AsInt32();
                hits -= Lanes<TV>.EqualsMask(indexB, Lanes<TV>.Create(labels[2 * pair + 1])).AsInt32();
            }
        }
        hits.Store(ref MemoryMarshal.GetReference(counts), 0);
    }

    /// <summary>
    /// Outputs of <typeparamref name="TRows"/> consecutive rows (weights at <paramref name="w"/>, row r at
    /// w + r·n_in·lanes) for the example pair in <paramref name="a"/>: z = Σ_i w_i a_i as a chain of FMAs
    /// from 0 in input order, then LReLU max(z, 0.1 z) on hidden layers.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows<TV, TRows>(float* w, int nIn, Lanes<TV>* a, Lanes<TV>* z, bool hidden)
        where TV : unmanaged where TRows : struct, IRowCount
    {
        // Pointer increments and loop-invariant row offsets keep the loop to loads and FMAs.
        nint stride = nIn * Lanes<TV>.Count;
        nint o1 = stride, o2 = 2 * stride, o3 = 3 * stride, o4 = 4 * stride, o5 = 5 * stride, o6 = 6 * stride, o7 = 7 * stride;
        Lanes<TV> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        Lanes<TV> t0 = default, t1 = default, t2 = default, t3 = default, t4 = default, t5 = default, t6 = default, t7 = default;
        float* end = w + stride;
        for (float* p = w; p < end; p += Lanes<TV>.Count, a += 2)
        {
            var xa = a[0];
            var xb = a[1];
            var v = Lanes<TV>.Load(p);
            Lanes<TV>.FmaAccumulate(ref s0, v, xa); Lanes<TV>.FmaAccumulate(ref t0, v, xb);
            if (TRows.Value > 1) { v = Lanes<TV>.Load(p + o1); Lanes<TV>.FmaAccumulate(ref s1, v, xa); Lanes<TV>.FmaAccumulate(ref t1, v, xb); }
            if (TRows.Value > 2) { v = Lanes<TV>.Load(p + o2); Lanes<TV>.FmaAccumulate(ref s2, v, xa); Lanes<TV>.FmaAccumulate(ref t2, v, xb); }
            if (TRows.Value > 3) { v = Lanes<TV>.Load(p + o3); Lanes<TV>.FmaAccumulate(ref s3, v, xa); Lanes<TV>.FmaAccumulate(ref t3, v, xb); }
            if (TRows.Value > 4) { v = Lanes<TV>.Load(p + o4); Lanes<TV>.FmaAccumulate(ref s4, v, xa); Lanes<TV>.FmaAccumulate(ref t4, v, xb); }
            if (TRows.Value > 5) { v = Lanes<TV>.Load(p + o5); Lanes<TV>.FmaAccumulate(ref s5, v, xa); Lanes<TV>.FmaAccumulate(ref t5, v, xb); }
            if (TRows.Value > 6) { v = Lanes<TV>.Load(p + o6); Lanes<TV>.FmaAccumulate(ref s6, v, xa); Lanes<TV>.FmaAccumulate(ref t6, v, xb); }
            if (TRows.Value > 7) { v = Lanes<TV>.Load(p + o7); Lanes<TV>.FmaAccumulate(ref s7, v, xa); Lanes<TV>.FmaAccumulate(ref t7, v, xb); }
        }
        // LReLU = max(z, 0.1 z). MaxNative (vmaxps) differs from Max (IEEE maximum) only for NaN operands and
        // for the order of +0 and −0 when the operands compare equal; z and 0.1 z are finite and compare
        // equal only when both are zeros of the same sign, so both give the same bits here.
        if (hidden)
        {
            var slope = Lanes<TV>.Create((float)BinaryNetwork.LeakySlope);
            s0 = Lanes<TV>.MaxNative(s0, s0 * slope); t0 = Lanes<TV>.MaxNative(t0, t0 * slope);
            if (TRows.Value > 1) { s1 = Lanes<TV>.MaxNative(s1, s1 * slope); t1 = Lanes<TV>.MaxNative(t1, t1 * slope); }
            if (TRows.Value > 2) { s2 = Lanes<TV>.MaxNative(s2, s2 * slope); t2 = Lanes<TV>.MaxNative(t2, t2 * slope); }
            if (TRows.Value > 3) { s3 = Lanes<TV>.MaxNative(s3, s3 * slope); t3 = Lanes<TV>.MaxNative(t3, t3 * slope); }
            if (TRows.Value > 4) { s4 = Lanes<TV>.MaxNative(s4, s4 * slope); t4 = Lanes<TV>.MaxNative(t4, t4 * slope); }
            if (TRows.Value > 5) { s5 = Lanes<TV>.MaxNative(s5, s5 * slope); t5 = Lanes<TV>.MaxNative(t5, t5 * slope); }
            if (TRows.Value > 6) { s6 = Lanes<TV>.MaxNative(s6, s6 * slope); t6 = Lanes<TV>.MaxNative(t6, t6 * slope); }
            if (TRows.Value > 7) { s7 = Lanes<TV>.MaxNative(s7, s7 * slope); t7 = Lanes<TV>.MaxNative(t7, t7 * slope); }
        }
        z[0] = s0; z[1] = t0;
        if (TRows.Value > 1) { z[2] = s1; z[3] = t1; }
        if (TRows.Value > 2) { z[4] = s2; z[5] = t2; }
        if (TRows.Value > 3) { z[6] = s3; z[7] = t3; }
        if (TRows.Value > 4) { z[8] = s4; z[9] = t4; }
        if (TRows.Value > 5) { z[10] = s5; z[11] = t5; }
        if (TRows.Value > 6) { z[12] = s6; z[13] = t6; }
        if (TRows.Value > 7) { z[14] = s7; z[15] = t7; }
    }

    /// <summary>
    /// Correct count of one configuration (weights <paramref name="w"/> in spin order) on the example chunks
    /// [firstChunk, lastChunk), one chunk of 16 or 8 examples per vector: the same FMA chain, LReLU and first
    /// maximum per example as <see cref="Rows{TV, TRows}"/> and <see cref="Group{TV}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int CountBlock<TV>(ReadOnlySpan<float> w, int firstChunk, int lastChunk) where TV : unmanaged
    {
        var widths = _architecture.Widths;
        int layers = widths.Count - 1, width0 = widths[0], lanes = Lanes<TV>.Count;
        Span<Lanes<TV>> a = stackalloc Lanes<TV>[_maxWidth];
        Span<Lanes<TV>> z = stackalloc Lanes<TV>[_maxWidth];
        var slope = Lanes<TV>.Create((float)BinaryNetwork.LeakySlope);
        ref float inputs = ref MemoryMarshal.GetArrayDataReference(_inputs);
        ref float labels = ref MemoryMarshal.GetArrayDataReference(_labels);
        int correct = 0;
        for (int chunk = firstChunk; chunk < lastChunk; chunk++)
        {
            for (int i = 0; i < width0; i++) a[i] = Lanes<TV>.Load(ref inputs, (nuint)((chunk * width0 + i) * lanes));
            int offset = 0;
            for (int l = 0; l < layers; l++)
            {
                int nIn = widths[l], nOut = widths[l + 1];
                for (int o = 0; o < nOut; o++)
                {
                    var row = w.Slice(offset + o * nIn, nIn);
                    var sum = Lanes<TV>.Zero;
                    for (int i = 0; i < nIn; i++) Lanes<TV>.FmaAccumulate(ref sum, Lanes<TV>.Create(row[i]), a[i]);
                    z[o] = l < layers - 1 ? Lanes<TV>.Max(sum, sum * slope) : sum;
                }
                offset += nIn * nOut;
                z[..nOut].CopyTo(a);
            }
            // First maximum wins, as in argmax.
            int outputs = widths[layers];
            var best = a[0];
            var bestIndex = Lanes<TV>.Zero;
            for (int o = 1; o < outputs; o++)
            {
                var greater = Lanes<TV>.GreaterThan(a[o], best);
                best = Lanes<TV>.Select(greater, a[o], best);
                bestIndex = Lanes<TV>.Select(greater, Lanes<TV>.Create(o), bestIndex);
            }
            var hit = Lanes<TV>.EqualsMask(bestIndex, Lanes<TV>.Load(ref labels, (nuint)(chunk * lanes)));
            correct += BitOperations.PopCount(hit.ExtractMostSignificantBits());
        }
        return correct;
    }
}
