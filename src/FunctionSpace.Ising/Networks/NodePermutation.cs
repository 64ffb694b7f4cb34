using FunctionSpace.Ising.Randomness;
namespace FunctionSpace.Ising.Networks;

/// <summary>
/// The node-permutation symmetry of a network (Zou &amp; Huang 2021, Appendix J): relabelling the units of
/// a hidden layer, together with their incoming row of W_l and outgoing column of W_{l+1}, leaves the
/// function computed by the network unchanged. <see cref="Canonicalize"/> picks one representative per
/// symmetry class by ordering each hidden layer's units by descending mean pre-activation over a fixed input set.
/// </summary>
public static class NodePermutation
{
    /// <summary>Sum of hidden widths (the units that can be permuted).</summary>
    public static int HiddenUnits(Architecture architecture) => architecture.Widths.Skip(1).SkipLast(1).Sum();

    /// <summary>
    /// Applies per-hidden-layer permutations: new unit j of hidden layer h is old unit
    /// <c>permutations[h][j]</c>. Writes the permuted configuration to <paramref name="result"/>.
    /// </summary>
    public static void Apply(Architecture architecture, ReadOnlySpan<sbyte> spins, IReadOnlyList<int[]> permutations, Span<sbyte> result)
    {
        var widths = architecture.Widths;
        int hiddenLayers = widths.Count - 2;
        if (permutations.Count != hiddenLayers) throw new ArgumentException($"need {hiddenLayers} permutations, got {permutations.Count}");
        for (int layer = 0; layer < architecture.Layers; layer++)
        {
            int nIn = widths[layer], nOut = widths[layer + 1], offset = architecture.LayerOffset(layer);
            int[]? rows = layer < hiddenLayers ? permutations[layer] : null;       // this layer's outputs are hidden units
            int[]? columns = layer > 0 ? permutations[layer - 1] : null;           // its inputs are hidden units
            for (int o = 0; o < nOut; o++)
            {
                int sourceRow = rows?[o] ?? o;
                for (int i = 0; i < nIn; i++)
                    result[offset + o * nIn + i] = spins[offset + sourceRow * nIn + (columns?[i] ?? i)];
            }
        }
    }

    /// <summary>
    /// The permutations that order each hidden layer's units by descending key (ties by unit index), given
    /// the keys of one configuration: <see cref="HiddenUnits"/> values, hidden layers in order.
    /// </summary>
    public static int[][] OrderByDescending(Architecture architecture, ReadOnlySpan<float> keys)
    {
        var widths = architecture.Widths;
        var result = new int[widths.Count - 2][];
        int at = 0;
        for (int h = 0; h < result.Length; h++)
        {
            int width = widths[h + 1];
            var layerKeys = keys.Slice(at, width).ToArray();
            result[h] = Enumerable.Range(0, width).OrderByDescending(j => layerKeys[j]).ThenBy(j => j).ToArray();
            at += width;
        }
        return result;
    }

    /// <summary>
    /// Canonicalises <paramref name="count"/> configurations in place: each hidden layer's units sorted by
    /// descending mean pre-activation over the evaluator's input set (e.g. all test images of digit 0).
    /// </summary>
    public static void Canonicalize(BinaryEvaluator evaluator, Span<sbyte> spins, int count)
    {
        var architecture = evaluator.Architecture;
        int n = architecture.WeightCount, hidden = HiddenUnits(architecture);
        if (hidden == 0 || count == 0) return;
        float[] means = evaluator.MeanHiddenPreActivations(spins, count);
        var copy = new sbyte[n];
        for (int c = 0; c < count; c++)
        {
            var permutations = OrderByDescending(architecture, means.AsSpan(c * hidden, hidden));
            var configuration = spins.Slice(c * n, n);
            configuration.CopyTo(copy);
            Apply(architecture, copy, permutations, configuration);
        }
    }

    /// <summary>Uniformly random permutations of every hidden layer, from <paramref name="random"/>.</summary>
    public static int[][] Random(Architecture architecture, ref Randomness.SplitMix64 random)
    {
        var widths = architecture.Widths;
        var result = new int[widths.Count - 2][];
        for (int h = 0; h < result.Length; h++)
        {
            var order = new long[widths[h + 1]];
            random.Permutation(order);
            result[h] = order.Select(v => (int)v).ToArray();
        }
        return result;
    }
}
