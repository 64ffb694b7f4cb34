using System.Globalization;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>
/// Which shards of a collection a file holds: the header's <c>shard</c> field. A collection split into
/// <see cref="Count"/> shards gives shard i the blocks b with b mod Count = i. One shard is written <c>i/n</c>;
/// an incomplete merge of several <c>i+j/n</c>; a complete collection (a single run, or all shards merged) <c>0/1</c>.
/// </summary>
/// <param name="Indices">The shards held, ascending and distinct, each in 0..Count−1.</param>
/// <param name="Count">Number of shards of the split.</param>
public sealed record ShardCoverage(IReadOnlyList<int> Indices, int Count)
{
    /// <summary>The whole collection.</summary>
    public static ShardCoverage Whole { get; } = new([0], 1);

    /// <summary>True when every shard is held (then the blocks are all of the collection's).</summary>
    public bool IsComplete => Indices.Count == Count;

    /// <summary>The shards of the split not held.</summary>
    public IEnumerable<int> Missing => Enumerable.Range(0, Count).Except(Indices);

    /// <summary>True when block <paramref name="block"/> belongs to a held shard.</summary>
    public bool Holds(int block) => IsComplete || Indices.Contains(block % Count);

    /// <summary>
    /// Parses a header's shard field; absent means the whole collection. <paramref name="source"/> names the file in
    /// the error of a malformed field.
    /// </summary>
    public static ShardCoverage Parse(string? text, string source)
    {
        if (text is null) return Whole;
        int slash = text.IndexOf('/');
        if (slash > 0
            && int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count >= 1)
        {
            var indices = new List<int>();
            foreach (string part in text[..slash].Split('+'))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= count) { indices = null; break; }
                indices.Add(index);
            }
            if (indices is { Count: > 0 } && indices.Distinct().Count() == indices.Count)
                return Normalize(indices, count);
        }
        throw new InputException($"{source}: ensemble header shard '{IO.MessageText.Excerpt(text)}' is not i/n (or i+j+…/n) with 0 <= i < n");
    }

    /// <summary>The shards held by both; empty when they are disjoint. The splits must agree.</summary>
    public IReadOnlyList<int> Overlap(ShardCoverage other) => Indices.Intersect(other.Indices).ToArray();

    /// <summary>The union of two coverages of the same split.</summary>
    public ShardCoverage Union(ShardCoverage other) => Normalize(Indices.Union(other.Indices), Count);

    /// <summary>The header field: <c>0/1</c> when complete, else the held indices joined by '+', then '/' and the count.</summary>
    public override string ToString() => IsComplete
        ? "0/1"
        : $"{string.Join("+", Indices.Select(i => i.ToString(CultureInfo.InvariantCulture)))}/{Count.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>"shard 0 of 2" or "shards 0, 2 of 4", for messages.</summary>
    public string Describe() => IsComplete ? "the whole collection" : $"shard{(Indices.Count > 1 ? "s" : "")} {string.Join(", ", Indices)} of {Count}";

    private static ShardCoverage Normalize(IEnumerable<int> indices, int count)
    {
        var sorted = indices.Distinct().Order().ToArray();
        return sorted.Length == count ? new ShardCoverage(Enumerable.Range(0, count).ToArray(), count) : new ShardCoverage(sorted, count);
    }

    /// <summary>Equal when the same shards of the same split are held.</summary>
    public bool Equals(ShardCoverage? other) => other is not null && Count == other.Count && Indices.SequenceEqual(other.Indices);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Count, Indices.Count, Indices.Count > 0 ? Indices[0] : -1);
}
