using System.Buffers.Binary;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>
/// Streaming reader of an ensemble file (<see cref="EnsembleFormat"/>): the header on open, then chunk by
/// chunk, each verified against its checksum. Memory is bounded by one chunk.
/// </summary>
public sealed class EnsembleReader : IDisposable
{
    private readonly FileStream _stream;
    private readonly long _firstChunk;

    private EnsembleReader(string path, FileStream stream, EnsembleHeader header, long firstChunk)
    {
        Path = path;
        _stream = stream;
        Header = header;
        _firstChunk = firstChunk;
        (Count, ChunkCount, IntactLength) = Scan();
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The file's header.</summary>
    public EnsembleHeader Header { get; }

    /// <summary>
    /// Configurations in the structurally intact chunks (complete magic, length and body); checksums are
    /// verified when the chunks are read.
    /// </summary>
    public long Count { get; }

    /// <summary>Number of structurally intact chunks.</summary>
    public int ChunkCount { get; }

    /// <summary>Byte length of the header and the structurally intact chunks; anything after is a torn tail.</summary>
    public long IntactLength { get; }

    /// <summary>Opens <paramref name="path"/>; a missing file or a bad header raises an <see cref="InputException"/>.</summary>
    public static EnsembleReader Open(string path)
    {
        IO.InputFile.Require(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        try
        {
            Span<byte> preamble = stackalloc byte[12];
            if (stream.ReadAtLeast(preamble, 12, throwOnEndOfStream: false) < 12 || !preamble[..8].SequenceEqual(EnsembleFormat.FileMagic))
                throw new InputException($"{path}: not an fsi ensemble file (bad magic)");
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(preamble[8..]);
            if (length > 1 << 20 || stream.Length < 12 + length + 4) throw new InputException($"{path}: ensemble header is truncated");
            var body = new byte[length + 4];
            stream.ReadExactly(body);
            if (Crc32.Compute(body.AsSpan(0, (int)length)) != BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan((int)length)))
                throw new InputException($"{path}: ensemble header checksum mismatch (file corrupt)");
            var header = EnsembleHeader.Parse(body.AsSpan(0, (int)length), path);
            _ = new ChunkRules(header, path);   // a malformed shard, networks or block_size field fails here, not at the first chunk
            return new EnsembleReader(path, stream, header, stream.Position);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private (long Count, int Chunks, long Intact) Scan()
    {
        long count = 0, position = _firstChunk, fileLength = _stream.Length;
        int chunks = 0;
        Span<byte> head = stackalloc byte[20];
        while (position + 8 + 12 + 4 <= fileLength)
        {
            _stream.Position = position;
            _stream.ReadExactly(head);
            if (!head[..4].SequenceEqual(EnsembleFormat.ChunkMagic)) break;
            long payload = BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
            if (position + 8 + payload + 4 > fileLength) break;
            count += Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(head[12..]));
            chunks++;
            position += 8 + payload + 4;
        }
        return (count, chunks, position);
    }

    /// <summary>The shards of the collection this file holds (its header's shard field).</summary>
    public ShardCoverage Shards => new ChunkRules(Header, Path).Shards;

    /// <summary>
    /// Reads the chunks in file order. A chunk whose checksum or fields are wrong, a torn tail, or a chunk that breaks
    /// the header's promises (<see cref="ChunkRules"/>: a repeated or out-of-range block, a NaN accuracy, a network of
    /// another block) raises an <see cref="InputException"/> naming the file and the chunk index; earlier chunks were
    /// already yielded.
    /// </summary>
    public IEnumerable<EnsembleChunk> ReadChunks(CancellationToken ct = default)
    {
        long position = _firstChunk;
        var rules = new ChunkRules(Header, Path);
        for (int index = 0; ; index++)
        {
            ct.ThrowIfCancellationRequested();
            var (chunk, next, error) = ReadChunkAt(position);
            if (error == "end") yield break;
            error ??= rules.Check(chunk!);
            if (error != null) throw new InputException($"{Path}: chunk {index} at byte {position} is {error}");
            yield return chunk!;
            position = next;
        }
    }

    /// <summary>
    /// Reads the verified chunks up to the first bad one, without throwing: what a resumed collection keeps.
    /// <paramref name="validLength"/> is the byte length of the header plus those chunks.
    /// </summary>
    public List<EnsembleChunk> ReadValidChunks(out long validLength, out string? problem)
    {
        var chunks = new List<EnsembleChunk>();
        ReadValidChunks(chunks.Add, out validLength, out problem);
        return chunks;
    }

    /// <summary>
    /// As <see cref="ReadValidChunks(out long, out string?)"/>, but hands each verified chunk to
    /// <paramref name="onChunk"/> and keeps none: memory is one chunk, not the whole file.
    /// </summary>
    /// <remarks>A torn or checksum-corrupt chunk ends the valid part (what a crash leaves); a whole chunk that breaks the
    /// header's promises (<see cref="ChunkRules"/>) is not a crash's doing, and raises an <see cref="InputException"/>:
    /// continuing after a duplicated block would count it twice.</remarks>
    public void ReadValidChunks(Action<EnsembleChunk> onChunk, out long validLength, out string? problem)
    {
        long position = _firstChunk;
        var rules = new ChunkRules(Header, Path);
        problem = null;
        for (int index = 0; ; index++)
        {
            var (chunk, next, error) = ReadChunkAt(position);
            if (error == "end") break;
            if (error != null) { problem = $"chunk {index} at byte {position} is {error}"; break; }
            if (rules.Check(chunk!) is { } inconsistency)
                throw new InputException($"{Path}: chunk {index} at byte {position} is {inconsistency}; the file cannot be continued");
            onChunk(chunk!);
            position = next;
        }
        validLength = position;
    }

    /// <summary>All spins of all configurations, Count × SpinCount row-major (for small ensembles and tests).</summary>
    public sbyte[] ReadAllSpins(CancellationToken ct = default)
    {
        var all = new List<sbyte>();
        foreach (var chunk in ReadChunks(ct)) all.AddRange(chunk.Spins);
        return all.ToArray();
    }

    private (EnsembleChunk? Chunk, long Next, string? Error) ReadChunkAt(long position)
    {
        long fileLength = _stream.Length;
        if (position == fileLength) return (null, position, "end");
        if (position + 8 > fileLength) return (null, position, "truncated (torn write)");
        _stream.Position = position;
        Span<byte> head = stackalloc byte[8];
        _stream.ReadExactly(head);
        if (!head[..4].SequenceEqual(EnsembleFormat.ChunkMagic)) return (null, position, "corrupt (bad chunk magic)");
        long payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
        if (position + 8 + payloadLength + 4 > fileLength) return (null, position, "truncated (torn write)");
        var body = new byte[payloadLength + 4];
        _stream.ReadExactly(body);
        var payload = body.AsSpan(0, (int)payloadLength);
        if (Crc32.Compute(payload) != BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan((int)payloadLength)))
            return (null, position, "corrupt (checksum mismatch)");
        var chunk = EnsembleFormat.DecodePayload(payload, Header.SpinCount);
        if (chunk == null) return (null, position, "corrupt (inconsistent chunk fields)");
        return (chunk, position + 8 + payloadLength + 4, null);
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
