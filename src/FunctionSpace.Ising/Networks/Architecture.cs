namespace FunctionSpace.Ising.Networks;

/// <summary>
/// Layer widths of a bias-free fully connected network, e.g. 20-15-15-10. Its weights are the spins of
/// the effective model, in the study's order: layer by layer from input to output, each layer's
/// W[out, in] flattened row by row (spin index = offset + out * n_in + in).
/// </summary>
public sealed record Architecture
{
    /// <summary>Creates an architecture from its widths (input first); at least two, all positive.</summary>
    public Architecture(IReadOnlyList<int> widths)
    {
        if (widths.Count < 2) throw new InputException($"architecture: need at least input and output widths, got '{string.Join("-", widths)}'");
        if (widths.Any(w => w < 1)) throw new InputException($"architecture: widths must be positive, got '{IO.MessageText.Excerpt(string.Join("-", widths))}'");
        long weights = 0;
        for (int l = 0; l + 1 < widths.Count; l++) weights += (long)widths[l] * widths[l + 1];
        if (weights > MaxWeights)
            throw new InputException($"architecture: {IO.MessageText.Excerpt(string.Join("-", widths))} has {weights} weights, more than the {MaxWeights} one configuration may hold");
        Widths = widths.ToArray();
    }

    /// <summary>
    /// Most weights (spins) of one network: a configuration of N spins is stored, packed and indexed with 32-bit
    /// offsets scaled by up to 8 bytes per spin, so N · 8 must stay below 2^31.
    /// </summary>
    public const int MaxWeights = int.MaxValue / 8;

    /// <summary>The study's deep network, 20-15-15-10 (675 weights).</summary>
    public static Architecture Deep => new([20, 15, 15, 10]);

    /// <summary>The study's shallow network, 20-10 (200 weights).</summary>
    public static Architecture Shallow => new([20, 10]);

    /// <summary>Widths from input to output.</summary>
    public IReadOnlyList<int> Widths { get; }

    /// <summary>Number of weight layers.</summary>
    public int Layers => Widths.Count - 1;

    /// <summary>Total number of weights (spins).</summary>
    public int WeightCount => Enumerable.Range(0, Layers).Sum(l => Widths[l] * Widths[l + 1]);

    /// <summary>First spin index of weight layer <paramref name="layer"/> (0 = input layer).</summary>
    public int LayerOffset(int layer) => Enumerable.Range(0, layer).Sum(l => Widths[l] * Widths[l + 1]);

    /// <summary>Spin index of W_layer[out, in].</summary>
    public int SpinIndex(int layer, int output, int input) => LayerOffset(layer) + output * Widths[layer] + input;

    /// <summary>The contiguous spin range of one weight layer.</summary>
    public SpinSlice LayerSlice(int layer) => new($"L{layer}", LayerOffset(layer), Widths[layer] * Widths[layer + 1]);

    /// <summary>
    /// The study's sub-networks: FULL (all weights); for networks with hidden layers also LB (input layer,
    /// the left boundary), ITER (all hidden-to-hidden layers, the interior; only with two or more hidden
    /// layers) and RB (output layer, the right boundary).
    /// </summary>
    public IReadOnlyList<SpinSlice> Parts()
    {
        var parts = new List<SpinSlice> { new("FULL", 0, WeightCount) };
        if (Layers >= 2)
        {
            parts.Add(LayerSlice(0) with { Name = "LB" });
            if (Layers >= 3)
            {
                int start = LayerOffset(1);
                parts.Add(new SpinSlice("ITER", start, LayerOffset(Layers - 1) - start));
            }
            parts.Add(LayerSlice(Layers - 1) with { Name = "RB" });
        }
        return parts;
    }

    /// <summary>The part named <paramref name="name"/> (FULL, LB, ITER, RB; case-insensitive) or a slice "start:end" (end exclusive).</summary>
    public SpinSlice Part(string name)
    {
        var match = Parts().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
        if (match != null) return match;
        string[] range = name.Split(':');
        if (range.Length == 2 && int.TryParse(range[0], out int a) && int.TryParse(range[1], out int b) && 0 <= a && a < b && b <= WeightCount)
            return new SpinSlice($"{a}:{b}", a, b - a);
        throw new InputException($"--part: '{name}' is not one of {string.Join(", ", Parts().Select(p => p.Name))} or a range start:end within 0..{WeightCount} for {this}");
    }

    /// <summary>Parses "20-15-15-10".</summary>
    public static Architecture Parse(string text)
    {
        var fields = text.Split('-', StringSplitOptions.TrimEntries);
        var widths = new List<int>();
        foreach (string field in fields)
        {
            if (!int.TryParse(field, out int w)) throw new InputException($"architecture: '{IO.MessageText.Excerpt(text)}' is not of the form 20-15-15-10");
            widths.Add(w);
        }
        return new Architecture(widths);
    }

    /// <summary>Equality by widths.</summary>
    public bool Equals(Architecture? other) => other is not null && Widths.SequenceEqual(other.Widths);

    /// <inheritdoc />
    public override int GetHashCode() => Widths.Aggregate(17, (h, w) => h * 31 + w);

    /// <summary>"20-15-15-10".</summary>
    public override string ToString() => string.Join("-", Widths);
}

/// <summary>A contiguous range of spins: a named sub-network.</summary>
/// <param name="Name">FULL, LB, ITER, RB, or "start:end".</param>
/// <param name="Start">First spin index.</param>
/// <param name="Length">Number of spins.</param>
public sealed record SpinSlice(string Name, int Start, int Length)
{
    /// <summary>One past the last spin index.</summary>
    public int End => Start + Length;
}
