using System.Globalization;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>
/// What a file's header promises about its chunks, checked chunk by chunk after the checksum: a checksum proves a
/// chunk was written whole, not that it belongs where it is. A collection writes one chunk per block of networks, in
/// increasing block order, each block once, only blocks of its shard and within its network count; every
/// configuration comes from a network of its chunk's block and has a test accuracy in [0, 1]. A duplicated chunk, a
/// block out of range or repeated, or a NaN accuracy would otherwise be counted as data (twice, or as garbage).
/// </summary>
internal sealed class ChunkRules
{
    private readonly int? _networks, _blockSize;
    private int _lastBlock = -1;

    /// <summary>The rules of a header; a malformed shard, networks or block_size field is an <see cref="InputException"/>.</summary>
    public ChunkRules(EnsembleHeader header, string source)
    {
        Shards = ShardCoverage.Parse(header.Parameter("shard"), source);
        _networks = PositiveOrNull(header.Parameter("networks"), "networks", source);
        _blockSize = PositiveOrNull(header.Parameter("block_size"), "block_size", source);
    }

    /// <summary>The shards the file holds.</summary>
    public ShardCoverage Shards { get; }

    /// <summary>Number of blocks of the whole collection, when the header says (networks and block_size).</summary>
    public int? BlockCount => _networks is int n && _blockSize is int b ? (int)(((long)n + b - 1) / b) : null;

    /// <summary>Null when <paramref name="chunk"/> may follow the chunks checked so far, else what is wrong with it.</summary>
    public string? Check(EnsembleChunk chunk)
    {
        int block = chunk.Block;
        if (block < 0) return $"inconsistent (block number {block} is negative)";
        if (block == _lastBlock) return $"inconsistent (repeats block {block}: a duplicated chunk)";
        if (block < _lastBlock) return $"inconsistent (block {block} after block {_lastBlock}: blocks are written in increasing order)";
        if (BlockCount is int blocks && block >= blocks)
            return $"inconsistent (block {block} is outside 0..{blocks - 1}: the header has {_networks} networks in blocks of {_blockSize})";
        if (!Shards.Holds(block)) return $"inconsistent (block {block} does not belong to {Shards.Describe()})";
        // With the header's networks and block size, block b holds networks b·size .. min((b+1)·size, networks) − 1.
        long first = 0, end = int.MaxValue + 1L;
        if (BlockCount is not null)
        {
            first = (long)block * _blockSize!.Value;
            end = Math.Min(first + _blockSize.Value, _networks!.Value);
        }
        for (int k = 0; k < chunk.Count; k++)
        {
            float accuracy = chunk.Accuracies[k];
            if (!(accuracy >= 0 && accuracy <= 1))
                return $"inconsistent (configuration {k} has test accuracy {accuracy.ToString(CultureInfo.InvariantCulture)}, outside 0..1)";
            int id = chunk.NetworkIds[k];
            if (id < first || id >= end)
                return BlockCount is null
                    ? $"inconsistent (configuration {k} has network id {id}, which is negative)"
                    : $"inconsistent (configuration {k} comes from network {id}, which is not in block {block}: networks {first}..{end - 1})";
        }
        _lastBlock = block;
        return null;
    }

    private static int? PositiveOrNull(string? text, string key, string source)
    {
        if (text is null) return null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= 1) return value;
        throw new InputException($"{source}: ensemble header {key} '{IO.MessageText.Excerpt(text)}' is not a positive integer");
    }
}
