using TorchSharp;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Networks;

/// <summary>
/// Deterministic evaluation of ±1 weight configurations of a bias-free network (Zou &amp; Huang 2021;
/// Shayer et al. 2018): z = W a, hidden a' = LReLU(z)/sqrt(n_in) with LReLU(x) = max(x, 0.1x), output
/// linear, prediction = argmax of the output.
/// </summary>
public static class BinaryNetwork
{
    /// <summary>Slope of the leaky ReLU for negative inputs.</summary>
    public const double LeakySlope = 0.1;

    /// <summary>
    /// Test accuracy of each of <paramref name="count"/> configurations.
    /// </summary>
    /// <param name="architecture">Network widths.</param>
    /// <param name="spins">count × WeightCount values ±1, the study's spin order.</param>
    /// <param name="count">Number of configurations.</param>
    /// <param name="inputs">n × Widths[0] inputs, row-major.</param>
    /// <param name="labels">n labels in 0..Widths[^1]−1.</param>
    public static float[] Accuracy(Architecture architecture, ReadOnlySpan<sbyte> spins, int count,
        double[] inputs, byte[] labels)
    {
        using var evaluator = new BinaryEvaluator(architecture, inputs, labels);
        return evaluator.Accuracy(spins, count);
    }

    /// <summary>
    /// Reference implementation in plain loops (one configuration, one example at a time) of the network's
    /// output z_out for one input; used to check the batched evaluator.
    /// </summary>
    public static double[] Forward(Architecture architecture, ReadOnlySpan<sbyte> spins, ReadOnlySpan<double> input)
    {
        double[] a = input.ToArray();
        for (int layer = 0; layer < architecture.Layers; layer++)
        {
            int nIn = architecture.Widths[layer], nOut = architecture.Widths[layer + 1], offset = architecture.LayerOffset(layer);
            var z = new double[nOut];
            for (int o = 0; o < nOut; o++)
            {
                double sum = 0;
                for (int i = 0; i < nIn; i++) sum += spins[offset + o * nIn + i] * a[i];
                z[o] = sum;
            }
            if (layer < architecture.Layers - 1)
                for (int o = 0; o < nOut; o++) z[o] = Math.Max(z[o], LeakySlope * z[o]) / Math.Sqrt(nIn);
            a = z;
        }
        return a;
    }
}

/// <summary>
/// Batched evaluator of ±1 configurations on a fixed input set, in float32 with TorchSharp: many
/// configurations × all inputs as a few matrix products per layer. Exact for ±1 weights up to float
/// rounding (argmax ties have measure zero).
/// </summary>
/// <remarks>
/// Layout for accuracies: examples in blocks of 1000; the first layer is one GEMM X[b, n0] · W1ᵀ[n0, C·n1]
/// for all C configurations, the others batched products A[C, b, n_l] · W_lᵀ[C, n_l, n_l+1]. The 1/sqrt(n_in) scale
/// of the hidden activity is left out of <see cref="Accuracy"/>: LReLU is positively homogeneous, so the
/// scale multiplies the output by a positive constant and cannot change the argmax.
/// </remarks>
public sealed class BinaryEvaluator : IDisposable
{
    private readonly Tensor _inputs;
    private readonly Tensor _inputsT;

    /// <summary>Examples per block of the accuracy products (keeps a batch's activities in cache).</summary>
    internal const int ExampleBlock = 1000;
    private readonly Tensor _labels;

    /// <summary>Prepares the input set (n × Widths[0] row-major) and its labels.</summary>
    public BinaryEvaluator(Architecture architecture, double[] inputs, byte[] labels, int batchSize = 64)
    {
        Architecture = architecture;
        int width = architecture.Widths[0];
        if (inputs.Length != (long)labels.Length * width)
            throw new InputException($"evaluator: {inputs.Length} input values do not make {labels.Length} rows of width {width}");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize));
        ExampleCount = labels.Length;
        BatchSize = batchSize;
        var floats = new float[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) floats[i] = (float)inputs[i];
        _inputs = tensor(floats, [ExampleCount, width]);
        _inputsT = _inputs.t().contiguous();
        _labels = tensor(labels.Select(l => (long)l).ToArray());
        _simd = SimdEvaluator.IsSupported ? new SimdEvaluator(architecture, inputs, labels) : null;
        _narrowSimd = SimdEvaluator.IsSupported ? new SimdEvaluator(architecture, inputs, labels, wide: false) : null;
    }

    private readonly SimdEvaluator? _simd;
    private readonly SimdEvaluator? _narrowSimd;

    /// <summary>
    /// Correct counts of the earlier per-configuration SIMD kernel (configurations one at a time on vectors
    /// of examples): the reference the batched kernel must equal exactly; null without 256-bit vectors.
    /// </summary>
    public int[]? CorrectCountsPerConfiguration(ReadOnlySpan<sbyte> spins, int count) =>
        _simd?.CorrectCountsPerConfiguration(spins, count);

    /// <summary>Correct counts of the batched SIMD kernel; null without 256-bit vectors.</summary>
    public int[]? CorrectCountsBatched(ReadOnlySpan<sbyte> spins, int count) => _simd?.CorrectCounts(spins, count);

    /// <summary>The 256-bit kernel even on AVX-512 hardware (so that both widths are tested).</summary>
    internal float[] AccuracyNarrowKernel(ReadOnlySpan<sbyte> spins, int count) =>
        _narrowSimd!.CorrectCounts(spins, count).Select(c => (float)((double)c / ExampleCount)).ToArray();

    /// <summary>Both SIMD kernels at 8 lanes even on AVX-512 hardware; null without 256-bit vectors.</summary>
    internal SimdEvaluator? NarrowKernels => _narrowSimd;

    /// <summary>The network widths.</summary>
    public Architecture Architecture { get; }

    /// <summary>Number of input examples.</summary>
    public int ExampleCount { get; }

    /// <summary>Configurations evaluated per batch of products (bounds memory: about BatchSize × 1.2 MB for 10k inputs).</summary>
    public int BatchSize { get; }

    /// <summary>
    /// Fraction of the inputs each configuration classifies correctly: the vectorised CPU kernel
    /// (<see cref="SimdEvaluator"/>) when the hardware has 256-bit vectors, else batched torch products.
    /// </summary>
    public float[] Accuracy(ReadOnlySpan<sbyte> spins, int count)
    {
        if (_simd == null) return AccuracyTorch(spins, count);
        int n = Architecture.WeightCount;
        if (spins.Length != (long)count * n)
            throw new ArgumentException($"{spins.Length} spins are not {count} configurations of {n}");
        int[] correct = _simd.CorrectCounts(spins, count);
        return correct.Select(c => (float)((double)c / ExampleCount)).ToArray();
    }

    /// <summary>The torch path of <see cref="Accuracy"/> (batched matrix products).</summary>
    public float[] AccuracyTorch(ReadOnlySpan<sbyte> spins, int count)
    {
        int n = Architecture.WeightCount;
        if (spins.Length != (long)count * n)
            throw new ArgumentException($"{spins.Length} spins are not {count} configurations of {n}");
        var result = new float[count];
        for (int start = 0; start < count; start += BatchSize)
        {
            int c = Math.Min(BatchSize, count - start);
            using var scope = NewDisposeScope();
            var weights = tensor(spins.Slice(start * n, c * n).ToArray(), [c, n]).to_type(ScalarType.Float32);
            var correct = CorrectCounts(weights);
            var counts = correct.data<long>().ToArray();
            for (int i = 0; i < c; i++) result[start + i] = (float)((double)counts[i] / ExampleCount);
        }
        return result;
    }

    /// <summary>Number of correctly classified inputs per configuration; <paramref name="weights"/> is [C, WeightCount] float ±1.</summary>
    internal Tensor CorrectCounts(Tensor weights)
    {
        using var scope = NewDisposeScope();
        var widths = Architecture.Widths;
        long c = weights.shape[0];
        int layers = Architecture.Layers;
        // Weights transposed once per batch: W_lᵀ as [C, n_in, n_out]; layer 0 as one [n0, C·n1] matrix.
        var transposed = new Tensor[layers];
        for (int l = 0; l < layers; l++)
        {
            var w = weights.narrow(1, Architecture.LayerOffset(l), widths[l] * widths[l + 1]).view(c, widths[l + 1], widths[l]);
            transposed[l] = l == 0 ? w.reshape(c * widths[1], widths[0]).t().contiguous() : w.transpose(1, 2).contiguous();
        }
        var correct = zeros(c, dtype: ScalarType.Int64);
        // Examples in blocks so that the activities of a batch stay in cache.
        for (long start = 0; start < ExampleCount; start += ExampleBlock)
        {
            using var blockScope = NewDisposeScope();
            long size = Math.Min(ExampleBlock, ExampleCount - start);
            var activity = matmul(_inputs.narrow(0, start, size), transposed[0]);            // [b, C·n1]
            Tensor z = activity.view(size, c, widths[1]).transpose(0, 1);                      // [C, b, n1]
            for (int l = 1; l < layers; l++)
            {
                z.LeakyReluInPlace(BinaryNetwork.LeakySlope);
                z = bmm(z, transposed[l]);                                                     // [C, b, n_l+1]
            }
            correct.PlusInPlace(z.argmax(2).eq(_labels.narrow(0, start, size)).sum(1));
        }
        return correct.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean pre-activation z of every hidden unit over the input set, per configuration: count ×
    /// (sum of hidden widths), hidden layers in order (the key of the node ordering of Appendix J).
    /// </summary>
    public float[] MeanHiddenPreActivations(ReadOnlySpan<sbyte> spins, int count)
    {
        int n = Architecture.WeightCount;
        int hidden = Architecture.Widths.Skip(1).SkipLast(1).Sum();
        var result = new float[(long)count * hidden];
        for (int start = 0; start < count; start += BatchSize)
        {
            int c = Math.Min(BatchSize, count - start);
            using var scope = NewDisposeScope();
            var weights = tensor(spins.Slice(start * n, c * n).ToArray(), [c, n]).to_type(ScalarType.Float32);
            var means = new List<Tensor>();
            Propagate(weights, scaleHidden: true, preActivations: means);
            if (means.Count == 0) continue;
            var all = cat(means, 1).contiguous();
            all.data<float>().ToArray().CopyTo(result.AsSpan(start * hidden, c * hidden));
        }
        return result;
    }

    private Tensor Propagate(Tensor weights, bool scaleHidden, List<Tensor>? preActivations)
    {
        var widths = Architecture.Widths;
        long c = weights.shape[0];
        Tensor activity = _inputsT;
        for (int layer = 0; layer < Architecture.Layers; layer++)
        {
            int nIn = widths[layer], nOut = widths[layer + 1], offset = Architecture.LayerOffset(layer);
            var w = weights.narrow(1, offset, nIn * nOut).view(c, nOut, nIn);
            // Layer 0: one GEMM [C·nOut, nIn]·[nIn, n]; then batched [C] products.
            var z = layer == 0 ? matmul(w, activity) : bmm(w, activity);
            if (layer == Architecture.Layers - 1) return z;
            preActivations?.Add(z.mean([2]));
            activity = z.LeakyReluInPlace(BinaryNetwork.LeakySlope);
            if (scaleHidden) activity.OverInPlace(Math.Sqrt(nIn));
        }
        return activity;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _inputs.Dispose();
        _inputsT.Dispose();
        _labels.Dispose();
    }
}
