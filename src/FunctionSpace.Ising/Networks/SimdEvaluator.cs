using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FunctionSpace.Ising.Networks;

/// <summary>
/// CPU kernels for the accuracy of ±1 configurations. <see cref="CorrectCounts"/>: 16 (AVX-512) or 8 (AVX2)
/// configurations per vector, their weights kept in L1 while the examples stream past, configuration groups in
/// parallel. <see cref="CorrectCountsPerConfiguration"/> (the earlier kernel, the exactness reference): one
/// configuration at a time on vectors of examples. Same maths as <see cref="BinaryNetwork.Forward"/>; the
/// hidden scale 1/sqrt(n_in) is dropped because it cannot change the argmax (LReLU is positively homogeneous).
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
    /// examples (the previous kernel, kept as the reference that <see cref="CorrectCounts"/> must equal exactly).
    /// </summary>
    public int[] CorrectCountsPerConfiguration(ReadOnlySpan<sbyte> spins, int count)
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

    /// <summary>Correctly classified examples of each configuration (the batched kernel).</summary>
    /// <remarks>
    /// Layout: the vector lanes hold <c>Lanes</c> configurations (not examples), so each configuration
    /// group's weights, as ±1.0 floats W[k][lane] (675 × 16 × 4 B = 43 KB for the deep net), stay in the L1
    /// cache for the whole input set while the 20 inputs of each example are broadcast. Each hidden unit is
    /// z_o = Σ_i W_oi a_i (the forward pass of Zou &amp; Huang 2021, Sec. II; Shayer et al. 2018) computed
    /// as the same chain of fused multiply-adds, i = 0, 1, …, n_in − 1 from 0, then max(z, 0.1 z), then
    /// the first maximum of the output, exactly as in <see cref="CorrectCountsPerConfiguration"/>: every
    /// lane performs the same float32 operations in the same order, so the counts are identical, not only
    /// close. Rows are processed in blocks of up to 8 outputs for two examples at a time: 16 independent
    /// accumulator chains hide the FMA latency and every weight load serves two FMAs.
    /// </remarks>
    public unsafe int[] CorrectCounts(ReadOnlySpan<sbyte> spins, int count)
    {
        int n = _architecture.WeightCount;
        if (spins.Length != (long)count * n) throw new ArgumentException($"{spins.Length} spins are not {count} configurations of {n}");
        var correct = new int[count];
        if (count == 0) return correct;
        int groups = (count + Lanes - 1) / Lanes;
        int pairs = _paddedExamples / 2;
        // Few groups: also split the examples, so that both cores work; counts are integers, so the sum
        // over example ranges is exact in any order.
        int threads = Math.Max(1, Environment.ProcessorCount);
        int splits = Math.Clamp((4 * threads + groups - 1) / groups, 1, Math.Max(1, pairs / 64));
        var partial = new int[groups * splits * Lanes];
        // The spans are pinned for the synchronous Parallel.For (a lambda cannot capture a span; no copy).
        fixed (sbyte* spinPointer = spins)
        {
            nint spinAddress = (nint)spinPointer;
            Parallel.For(0, groups * splits, () => new float[n * Lanes], (item, _, weights) =>
            {
                int g = item / splits, s = item % splits;
                int first = g * Lanes, configs = Math.Min(Lanes, count - first);
                // Transpose the group's spins to W[k][lane] (padding lanes +1, their counts are ignored).
                for (int lane = 0; lane < Lanes; lane++)
                {
                    if (lane < configs)
                    {
                        var source = new ReadOnlySpan<sbyte>((sbyte*)spinAddress + (long)(first + lane) * n, n);
                        for (int k = 0; k < n; k++) weights[k * Lanes + lane] = source[k];
                    }
                    else
                    {
                        for (int k = 0; k < n; k++) weights[k * Lanes + lane] = 1f;
                    }
                }
                int firstPair = (int)((long)pairs * s / splits), lastPair = (int)((long)pairs * (s + 1) / splits);
                var counts = partial.AsSpan(item * Lanes, Lanes);
                if (Lanes == 16) Group512(weights, firstPair, lastPair, counts);
                else Group256(weights, firstPair, lastPair, counts);
                return weights;
            }, _ => { });
        }
        for (int g = 0; g < groups; g++)
            for (int s = 0; s < splits; s++)
                for (int lane = 0; lane < Lanes && g * Lanes + lane < count; lane++)
                    correct[g * Lanes + lane] += partial[(g * splits + s) * Lanes + lane];
        return correct;
    }

    /// <summary>Compile-time row-block size of <see cref="Rows512{TRows}"/> (the JIT removes the unused rows).</summary>
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
    private unsafe void Group512(float[] weightArray, int firstPair, int lastPair, Span<int> counts)
    {
        var widths = _architecture.Widths;
        int layers = widths.Count - 1, width0 = widths[0], outputs = widths[layers];
        // Activities of the two examples interleaved: a[2i] example A, a[2i + 1] example B.
        Vector512<float>* a = stackalloc Vector512<float>[2 * _maxWidth];
        Vector512<float>* z = stackalloc Vector512<float>[2 * _maxWidth];
        var slope = Vector512.Create((float)BinaryNetwork.LeakySlope);
        var hits = Vector512<int>.Zero;
        fixed (float* weights = weightArray, rows = _rows, labels = _rowLabels)
        {
            for (int pair = firstPair; pair < lastPair; pair++)
            {
                float* xa = rows + 2 * pair * width0, xb = xa + width0;
                for (int i = 0; i < width0; i++)
                {
                    a[2 * i] = Vector512.Create(xa[i]);
                    a[2 * i + 1] = Vector512.Create(xb[i]);
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
                            case 8: Rows512<R8>(w, nIn, a, output, hidden, slope); break;
                            case 7: Rows512<R7>(w, nIn, a, output, hidden, slope); break;
                            case 6: Rows512<R6>(w, nIn, a, output, hidden, slope); break;
                            case 5: Rows512<R5>(w, nIn, a, output, hidden, slope); break;
                            case 4: Rows512<R4>(w, nIn, a, output, hidden, slope); break;
                            case 3: Rows512<R3>(w, nIn, a, output, hidden, slope); break;
                            case 2: Rows512<R2>(w, nIn, a, output, hidden, slope); break;
                            default: Rows512<R1>(w, nIn, a, output, hidden, slope); break;
                        }
                        w += block * nIn * 16;
                        output += 2 * block;
                    }
                    var swap = a; a = z; z = swap;
                }
                // First maximum wins, as in argmax; the padding example's label −1 never matches.
                var bestA = a[0]; var bestB = a[1];
                var indexA = Vector512<float>.Zero; var indexB = Vector512<float>.Zero;
                for (int o = 1; o < outputs; o++)
                {
                    var index = Vector512.Create((float)o);
                    var greaterA = Vector512.GreaterThan(a[2 * o], bestA);
                    bestA = Vector512.ConditionalSelect(greaterA, a[2 * o], bestA);
                    indexA = Vector512.ConditionalSelect(greaterA, index, indexA);
                    var greaterB = Vector512.GreaterThan(a[2 * o + 1], bestB);
                    bestB = Vector512.ConditionalSelect(greaterB, a[2 * o + 1], bestB);
                    indexB = Vector512.ConditionalSelect(greaterB, index, indexB);
                }
                // A hit is an all-ones lane, i.e. −1 as an integer.
                hits -= Vector512.Equals(indexA, Vector512.Create(labels[2 * pair])).AsInt32();
                hits -= Vector512.Equals(indexB, Vector512.Create(labels[2 * pair + 1])).AsInt32();
            }
        }
        for (int lane = 0; lane < 16; lane++) counts[lane] = hits[lane];
    }

    /// <summary>
    /// Outputs of <typeparamref name="TRows"/> consecutive rows (weights at <paramref name="w"/>, row r at
    /// w + r·n_in·16) for the example pair in <paramref name="a"/>: z = Σ_i w_i a_i as a chain of FMAs
    /// from 0 in input order, then LReLU max(z, 0.1 z) on hidden layers.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows512<TRows>(float* w, int nIn, Vector512<float>* a, Vector512<float>* z, bool hidden, Vector512<float> slope)
        where TRows : struct, IRowCount
    {
        // Pointer increments and loop-invariant row offsets keep the loop to loads and FMAs.
        nint stride = nIn * 16;
        nint o1 = stride, o2 = 2 * stride, o3 = 3 * stride, o4 = 4 * stride, o5 = 5 * stride, o6 = 6 * stride, o7 = 7 * stride;
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        Vector512<float> t0 = default, t1 = default, t2 = default, t3 = default, t4 = default, t5 = default, t6 = default, t7 = default;
        float* end = w + stride;
        for (float* p = w; p < end; p += 16, a += 2)
        {
            var xa = a[0];
            var xb = a[1];
            Vector512<float> v = Vector512.Load(p);
            s0 = Vector512.FusedMultiplyAdd(v, xa, s0); t0 = Vector512.FusedMultiplyAdd(v, xb, t0);
            if (TRows.Value > 1) { v = Vector512.Load(p + o1); s1 = Vector512.FusedMultiplyAdd(v, xa, s1); t1 = Vector512.FusedMultiplyAdd(v, xb, t1); }
            if (TRows.Value > 2) { v = Vector512.Load(p + o2); s2 = Vector512.FusedMultiplyAdd(v, xa, s2); t2 = Vector512.FusedMultiplyAdd(v, xb, t2); }
            if (TRows.Value > 3) { v = Vector512.Load(p + o3); s3 = Vector512.FusedMultiplyAdd(v, xa, s3); t3 = Vector512.FusedMultiplyAdd(v, xb, t3); }
            if (TRows.Value > 4) { v = Vector512.Load(p + o4); s4 = Vector512.FusedMultiplyAdd(v, xa, s4); t4 = Vector512.FusedMultiplyAdd(v, xb, t4); }
            if (TRows.Value > 5) { v = Vector512.Load(p + o5); s5 = Vector512.FusedMultiplyAdd(v, xa, s5); t5 = Vector512.FusedMultiplyAdd(v, xb, t5); }
            if (TRows.Value > 6) { v = Vector512.Load(p + o6); s6 = Vector512.FusedMultiplyAdd(v, xa, s6); t6 = Vector512.FusedMultiplyAdd(v, xb, t6); }
            if (TRows.Value > 7) { v = Vector512.Load(p + o7); s7 = Vector512.FusedMultiplyAdd(v, xa, s7); t7 = Vector512.FusedMultiplyAdd(v, xb, t7); }
        }
        // LReLU = max(z, 0.1 z). MaxNative (vmaxps) differs from Max (IEEE maximum) only for NaN operands and
        // for the order of +0 and −0 when the operands compare equal; z and 0.1 z are finite and compare
        // equal only when both are zeros of the same sign, so both give the same bits here.
        if (hidden)
        {
            s0 = Vector512.MaxNative(s0, s0 * slope); t0 = Vector512.MaxNative(t0, t0 * slope);
            if (TRows.Value > 1) { s1 = Vector512.MaxNative(s1, s1 * slope); t1 = Vector512.MaxNative(t1, t1 * slope); }
            if (TRows.Value > 2) { s2 = Vector512.MaxNative(s2, s2 * slope); t2 = Vector512.MaxNative(t2, t2 * slope); }
            if (TRows.Value > 3) { s3 = Vector512.MaxNative(s3, s3 * slope); t3 = Vector512.MaxNative(t3, t3 * slope); }
            if (TRows.Value > 4) { s4 = Vector512.MaxNative(s4, s4 * slope); t4 = Vector512.MaxNative(t4, t4 * slope); }
            if (TRows.Value > 5) { s5 = Vector512.MaxNative(s5, s5 * slope); t5 = Vector512.MaxNative(t5, t5 * slope); }
            if (TRows.Value > 6) { s6 = Vector512.MaxNative(s6, s6 * slope); t6 = Vector512.MaxNative(t6, t6 * slope); }
            if (TRows.Value > 7) { s7 = Vector512.MaxNative(s7, s7 * slope); t7 = Vector512.MaxNative(t7, t7 * slope); }
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

    /// <summary>Forward pass and argmax of one configuration group (W[k][lane]) on example pairs [firstPair, lastPair).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Group256(float[] weightArray, int firstPair, int lastPair, Span<int> counts)
    {
        var widths = _architecture.Widths;
        int layers = widths.Count - 1, width0 = widths[0], outputs = widths[layers];
        // Activities of the two examples interleaved: a[2i] example A, a[2i + 1] example B.
        Vector256<float>* a = stackalloc Vector256<float>[2 * _maxWidth];
        Vector256<float>* z = stackalloc Vector256<float>[2 * _maxWidth];
        var slope = Vector256.Create((float)BinaryNetwork.LeakySlope);
        var hits = Vector256<int>.Zero;
        fixed (float* weights = weightArray, rows = _rows, labels = _rowLabels)
        {
            for (int pair = firstPair; pair < lastPair; pair++)
            {
                float* xa = rows + 2 * pair * width0, xb = xa + width0;
                for (int i = 0; i < width0; i++)
                {
                    a[2 * i] = Vector256.Create(xa[i]);
                    a[2 * i + 1] = Vector256.Create(xb[i]);
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
                            case 8: Rows256<R8>(w, nIn, a, output, hidden, slope); break;
                            case 7: Rows256<R7>(w, nIn, a, output, hidden, slope); break;
                            case 6: Rows256<R6>(w, nIn, a, output, hidden, slope); break;
                            case 5: Rows256<R5>(w, nIn, a, output, hidden, slope); break;
                            case 4: Rows256<R4>(w, nIn, a, output, hidden, slope); break;
                            case 3: Rows256<R3>(w, nIn, a, output, hidden, slope); break;
                            case 2: Rows256<R2>(w, nIn, a, output, hidden, slope); break;
                            default: Rows256<R1>(w, nIn, a, output, hidden, slope); break;
                        }
                        w += block * nIn * 8;
                        output += 2 * block;
                    }
                    var swap = a; a = z; z = swap;
                }
                // First maximum wins, as in argmax; the padding example's label −1 never matches.
                var bestA = a[0]; var bestB = a[1];
                var indexA = Vector256<float>.Zero; var indexB = Vector256<float>.Zero;
                for (int o = 1; o < outputs; o++)
                {
                    var index = Vector256.Create((float)o);
                    var greaterA = Vector256.GreaterThan(a[2 * o], bestA);
                    bestA = Vector256.ConditionalSelect(greaterA, a[2 * o], bestA);
                    indexA = Vector256.ConditionalSelect(greaterA, index, indexA);
                    var greaterB = Vector256.GreaterThan(a[2 * o + 1], bestB);
                    bestB = Vector256.ConditionalSelect(greaterB, a[2 * o + 1], bestB);
                    indexB = Vector256.ConditionalSelect(greaterB, index, indexB);
                }
                // A hit is an all-ones lane, i.e. −1 as an integer.
                hits -= Vector256.Equals(indexA, Vector256.Create(labels[2 * pair])).AsInt32();
                hits -= Vector256.Equals(indexB, Vector256.Create(labels[2 * pair + 1])).AsInt32();
            }
        }
        for (int lane = 0; lane < 8; lane++) counts[lane] = hits[lane];
    }

    /// <summary>
    /// Outputs of <typeparamref name="TRows"/> consecutive rows (weights at <paramref name="w"/>, row r at
    /// w + r·n_in·8) for the example pair in <paramref name="a"/>: z = Σ_i w_i a_i as a chain of FMAs
    /// from 0 in input order, then LReLU max(z, 0.1 z) on hidden layers.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows256<TRows>(float* w, int nIn, Vector256<float>* a, Vector256<float>* z, bool hidden, Vector256<float> slope)
        where TRows : struct, IRowCount
    {
        // Pointer increments and loop-invariant row offsets keep the loop to loads and FMAs.
        nint stride = nIn * 8;
        nint o1 = stride, o2 = 2 * stride, o3 = 3 * stride, o4 = 4 * stride, o5 = 5 * stride, o6 = 6 * stride, o7 = 7 * stride;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        Vector256<float> t0 = default, t1 = default, t2 = default, t3 = default, t4 = default, t5 = default, t6 = default, t7 = default;
        float* end = w + stride;
        for (float* p = w; p < end; p += 8, a += 2)
        {
            var xa = a[0];
            var xb = a[1];
            Vector256<float> v = Vector256.Load(p);
            s0 = Vector256.FusedMultiplyAdd(v, xa, s0); t0 = Vector256.FusedMultiplyAdd(v, xb, t0);
            if (TRows.Value > 1) { v = Vector256.Load(p + o1); s1 = Vector256.FusedMultiplyAdd(v, xa, s1); t1 = Vector256.FusedMultiplyAdd(v, xb, t1); }
            if (TRows.Value > 2) { v = Vector256.Load(p + o2); s2 = Vector256.FusedMultiplyAdd(v, xa, s2); t2 = Vector256.FusedMultiplyAdd(v, xb, t2); }
            if (TRows.Value > 3) { v = Vector256.Load(p + o3); s3 = Vector256.FusedMultiplyAdd(v, xa, s3); t3 = Vector256.FusedMultiplyAdd(v, xb, t3); }
            if (TRows.Value > 4) { v = Vector256.Load(p + o4); s4 = Vector256.FusedMultiplyAdd(v, xa, s4); t4 = Vector256.FusedMultiplyAdd(v, xb, t4); }
            if (TRows.Value > 5) { v = Vector256.Load(p + o5); s5 = Vector256.FusedMultiplyAdd(v, xa, s5); t5 = Vector256.FusedMultiplyAdd(v, xb, t5); }
            if (TRows.Value > 6) { v = Vector256.Load(p + o6); s6 = Vector256.FusedMultiplyAdd(v, xa, s6); t6 = Vector256.FusedMultiplyAdd(v, xb, t6); }
            if (TRows.Value > 7) { v = Vector256.Load(p + o7); s7 = Vector256.FusedMultiplyAdd(v, xa, s7); t7 = Vector256.FusedMultiplyAdd(v, xb, t7); }
        }
        if (hidden)
        {
            s0 = Vector256.MaxNative(s0, s0 * slope); t0 = Vector256.MaxNative(t0, t0 * slope);
            if (TRows.Value > 1) { s1 = Vector256.MaxNative(s1, s1 * slope); t1 = Vector256.MaxNative(t1, t1 * slope); }
            if (TRows.Value > 2) { s2 = Vector256.MaxNative(s2, s2 * slope); t2 = Vector256.MaxNative(t2, t2 * slope); }
            if (TRows.Value > 3) { s3 = Vector256.MaxNative(s3, s3 * slope); t3 = Vector256.MaxNative(t3, t3 * slope); }
            if (TRows.Value > 4) { s4 = Vector256.MaxNative(s4, s4 * slope); t4 = Vector256.MaxNative(t4, t4 * slope); }
            if (TRows.Value > 5) { s5 = Vector256.MaxNative(s5, s5 * slope); t5 = Vector256.MaxNative(t5, t5 * slope); }
            if (TRows.Value > 6) { s6 = Vector256.MaxNative(s6, s6 * slope); t6 = Vector256.MaxNative(t6, t6 * slope); }
            if (TRows.Value > 7) { s7 = Vector256.MaxNative(s7, s7 * slope); t7 = Vector256.MaxNative(t7, t7 * slope); }
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
