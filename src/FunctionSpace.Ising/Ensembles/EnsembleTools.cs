using FunctionSpace.Ising.IO;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>Summary of an ensemble file (<c>fsi ensemble info</c>).</summary>
/// <param name="Header">The header.</param>
/// <param name="Chunks">Verified chunks.</param>
/// <param name="Configurations">Configurations in verified chunks.</param>
/// <param name="Networks">Distinct network ids.</param>
/// <param name="Accuracies">Test accuracy of every configuration, file order.</param>
/// <param name="Problem">The first unreadable chunk, or null when the whole file verified.</param>
public sealed record EnsembleSummary(EnsembleHeader Header, int Chunks, long Configurations, int Networks, float[] Accuracies, string? Problem)
{
    /// <summary>Effective sample size and within/between-network overlaps of the verified chunks (null when there are none).</summary>
    public EnsembleStatistics? Statistics { get; init; }
}

/// <summary>Whole-file operations on ensembles: summary, merge of shards, export to NumPy.</summary>
public static class EnsembleTools
{
    /// <summary>
    /// Reads and verifies every chunk of <paramref name="path"/>; stops at the first bad one and says so. Also the
    /// ensemble's statistics over networks (<see cref="EnsembleStatistics"/>).
    /// </summary>
    public static EnsembleSummary Summarize(string path, CancellationToken ct = default)
    {
        using var reader = EnsembleReader.Open(path);
        var accuracies = new List<float>();
        var networks = new HashSet<int>();
        var overlaps = new EnsembleStatistics.Accumulator(reader.Header.SpinCount);
        int chunks = 0;
        string? problem = null;
        try
        {
            foreach (var chunk in reader.ReadChunks(ct))
            {
                chunks++;
                accuracies.AddRange(chunk.Accuracies);
                networks.UnionWith(chunk.NetworkIds);
                overlaps.Add(chunk.Spins, chunk.NetworkIds, chunk.Count);
            }
        }
        catch (InputException e)
        {
            problem = e.Message;
        }
        return new EnsembleSummary(reader.Header, chunks, accuracies.Count, networks.Count, accuracies.ToArray(), problem)
        {
            Statistics = accuracies.Count > 0 ? overlaps.Result(reader.Header.Architecture.Parts()) : null,
        };
    }

    /// <summary>
    /// Merges shard files of one collection into <paramref name="output"/>. The inputs are checked as an
    /// <see cref="EnsembleSet"/> (one collection, each shard once, none missing unless <paramref name="allowMissingShards"/>);
    /// chunks are written in increasing block order (the order of a single run), the shard field becomes 0/1 for a
    /// complete set (else the shards held, e.g. 0+2/4) and the creation time the earliest of the inputs, so merging all
    /// shards reproduces the single run's file byte for byte. Streams: one chunk per input in memory. A block present
    /// twice is an error. Written to a temporary file and renamed at the end; the output may not be one of the inputs.
    /// </summary>
    public static long Merge(IReadOnlyList<string> inputs, string output, CancellationToken ct = default, bool allowMissingShards = false)
    {
        var set = EnsembleSet.Open(inputs, allowMissingShards);
        OutputTarget.RequireDistinct(inputs, ("merge output", output));
        var readers = new List<EnsembleReader>();
        try
        {
            foreach (string path in inputs) readers.Add(EnsembleReader.Open(path));
            var header = set.Header;
            long count = 0;
            AtomicFile.Write(output, stream =>
            {
                stream.Write(EnsembleFormat.EncodeHeader(header));
                var cursors = readers.Select(r => r.ReadChunks(ct).GetEnumerator()).ToList();
                var current = cursors.Select(c => c.MoveNext() ? c.Current : null).ToList();
                int lastBlock = int.MinValue;
                while (true)
                {
                    int pick = -1;
                    for (int i = 0; i < current.Count; i++)
                        if (current[i] != null && (pick < 0 || current[i]!.Block < current[pick]!.Block)) pick = i;
                    if (pick < 0) break;
                    var chunk = current[pick]!;
                    if (chunk.Block == lastBlock) throw new InputException($"{inputs[pick]}: block {chunk.Block} is also in another input (overlapping shards)");
                    if (chunk.Block < lastBlock) throw new InputException($"{inputs[pick]}: chunks are not in increasing block order");
                    lastBlock = chunk.Block;
                    stream.Write(EnsembleFormat.EncodeChunk(chunk));
                    count += chunk.Count;
                    current[pick] = cursors[pick].MoveNext() ? cursors[pick].Current : null;
                }
            });
            return count;
        }
        finally
        {
            foreach (var r in readers) r.Dispose();
        }
    }

    /// <summary>
    /// Exports the spins to <paramref name="npyPath"/> (int8, shape M × N, the study's spin order) and, when
    /// <paramref name="accuracyPath"/> is given, the accuracies (float32, M). Streams chunk by chunk.
    /// </summary>
    /// <remarks>Neither output may be the ensemble file, nor the two the same file; both appear together or not at all.</remarks>
    public static long ExportNpy(string ensemblePath, string npyPath, string? accuracyPath = null, CancellationToken ct = default)
    {
        OutputTarget.RequireDistinct([ensemblePath], [("spins output", npyPath), .. accuracyPath is null ? Array.Empty<(string, string)>() : [("accuracies output", accuracyPath)]]);
        using var outputs = OutputSet.Scope();
        using var reader = EnsembleReader.Open(ensemblePath);
        long total = reader.Count;
        int n = reader.Header.SpinCount;
        var accuracies = new List<float>();
        long written = 0;
        AtomicFile.Write(npyPath, stream =>
        {
            if (total > int.MaxValue) throw new InputException($"{ensemblePath}: {total} configurations are more rows than one .npy export holds");
            Npy.WriteHeader(stream, "|i1", [(int)total, n]);
            foreach (var chunk in reader.ReadChunks(ct))
            {
                stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(chunk.Spins.AsSpan()));
                accuracies.AddRange(chunk.Accuracies);
                written += chunk.Count;
            }
        });
        if (accuracyPath != null) Npy.Write<float>(accuracyPath, accuracies.ToArray());
        outputs.Commit();
        return written;
    }
}
