using FunctionSpace.Ising.IO;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>
/// Appends whole checksummed chunks to an ensemble file. The header is written atomically when the file is
/// created; each chunk is written in one call and flushed to disk before <see cref="Write"/> returns, so a
/// crash leaves at most one torn chunk at the end, which readers detect and <see cref="OpenForResume(string, EnsembleHeader, Action{EnsembleChunk})"/> cuts off.
/// </summary>
public sealed class EnsembleWriter : IDisposable
{
    private readonly FileStream _stream;

    private EnsembleWriter(string path, FileStream stream, EnsembleHeader header, long count)
    {
        Path = path;
        _stream = stream;
        Header = header;
        Count = count;
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    /// <summary>The file's header.</summary>
    public EnsembleHeader Header { get; }

    /// <summary>Configurations in the file so far.</summary>
    public long Count { get; private set; }

    /// <summary>Chunks written through this writer (not counting those a resumed file already had).</summary>
    public int Chunks { get; private set; }

    /// <summary>Creates (or replaces) <paramref name="path"/> with <paramref name="header"/> and no chunks.</summary>
    public static EnsembleWriter Create(string path, EnsembleHeader header)
    {
        byte[] preamble = EnsembleFormat.EncodeHeader(header);
        // At once even inside an output set: the chunks are appended to this file as they are collected.
        AtomicFile.WriteAllBytesImmediately(path, preamble);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
        stream.Seek(0, SeekOrigin.End);
        return new EnsembleWriter(path, stream, header, 0);
    }

    /// <summary>
    /// Reopens an interrupted file for appending: keeps its verified chunks (returned in
    /// <paramref name="kept"/>), truncates a torn or corrupt tail, and checks that its header equals
    /// <paramref name="expected"/> except for the creation time; a mismatch is an <see cref="InputException"/>.
    /// </summary>
    public static EnsembleWriter OpenForResume(string path, EnsembleHeader expected, out IReadOnlyList<EnsembleChunk> kept)
    {
        var chunks = new List<EnsembleChunk>();
        var writer = OpenForResume(path, expected, chunks.Add);
        kept = chunks;
        return writer;
    }

    /// <summary>
    /// As <see cref="OpenForResume(string, EnsembleHeader, out IReadOnlyList{EnsembleChunk})"/>, but hands each
    /// verified chunk to <paramref name="onKept"/> without keeping it, so that resuming a large file holds one
    /// chunk in memory, not all its configurations.
    /// </summary>
    public static EnsembleWriter OpenForResume(string path, EnsembleHeader expected, Action<EnsembleChunk> onKept)
    {
        EnsembleHeader header;
        long validLength, count = 0;
        using (var reader = EnsembleReader.Open(path))
        {
            header = reader.Header;
            if (!header.Equals(expected with { CreatedUtc = header.CreatedUtc }))
                throw new InputException($"{path}: --resume: the file was collected with different parameters ({Difference(header, expected)})");
            reader.ReadValidChunks(chunk => { count += chunk.Count; onKept(chunk); }, out validLength, out _);
        }
        var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
        stream.SetLength(validLength);
        stream.Flush(flushToDisk: true);
        stream.Seek(0, SeekOrigin.End);
        return new EnsembleWriter(path, stream, header, count);
    }

    private static string Difference(EnsembleHeader a, EnsembleHeader b)
    {
        var la = System.Text.Encoding.UTF8.GetString(a.ToBytes()).Split('\n');
        var lb = System.Text.Encoding.UTF8.GetString(b.ToBytes()).Split('\n');
        var diff = la.Except(lb).Where(l => !l.StartsWith("created_utc=", StringComparison.Ordinal)).ToList();
        return diff.Count == 0 ? "header differs" : "file has " + string.Join(", ", diff);
    }

    /// <summary>Appends one chunk (one write, then flush to disk).</summary>
    public void Write(EnsembleChunk chunk)
    {
        if (chunk.SpinCount != Header.SpinCount)
            throw new ArgumentException($"chunk has {chunk.SpinCount} spins per configuration, the file {Header.SpinCount}");
        byte[] bytes = EnsembleFormat.EncodeChunk(chunk);
        _stream.Write(bytes);
        _stream.Flush(flushToDisk: true);
        Count += chunk.Count;
        Chunks++;
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
