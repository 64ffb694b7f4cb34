using FunctionSpace.Ising.IO;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>
/// Several ensemble files read as one ensemble: the shards of one collection (or one file). Every command that reads
/// more than one ensemble goes through <see cref="Open"/>, which refuses what would bias the result without a word:
/// the same file twice, files of different collections (another seed, threshold, architecture, …), overlapping
/// shards (a merged file beside one of its shards, a shard twice), and — unless asked for explicitly — an incomplete
/// set of shards, judged from the headers' shard fields.
/// </summary>
public sealed class EnsembleSet
{
    private EnsembleSet(IReadOnlyList<string> paths, EnsembleHeader header, ShardCoverage shards)
    {
        Paths = paths;
        Header = header;
        Shards = shards;
    }

    /// <summary>The files, in the order given.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>The header of the set: the files' common header with the shards held together and the earliest creation time.</summary>
    public EnsembleHeader Header { get; }

    /// <summary>The shards the files hold together.</summary>
    public ShardCoverage Shards { get; }

    /// <summary>True when the files hold the whole collection.</summary>
    public bool IsComplete => Shards.IsComplete;

    /// <summary>
    /// Opens the headers of <paramref name="paths"/> and checks them as a set (see the class remarks). With
    /// <paramref name="allowMissingShards"/> an incomplete set is accepted (its header then says which shards it holds);
    /// everything else is an <see cref="InputException"/> naming the file at fault.
    /// </summary>
    public static EnsembleSet Open(IReadOnlyList<string> paths, bool allowMissingShards = false)
    {
        if (paths.Count == 0) throw new InputException("no ensemble files given");
        var headers = new List<(string Path, EnsembleHeader Header, ShardCoverage Shards, FileStatus Status, string Full)>();
        foreach (string path in paths)
        {
            EnsembleHeader header;
            ShardCoverage shards;
            using (var reader = EnsembleReader.Open(path))
            {
                header = reader.Header;
                shards = reader.Shards;
            }
            var status = FileStatus.Of(path);
            string full = OutputTarget.Canonical(path);
            foreach (var earlier in headers)
            {
                if (earlier.Full == full || status.SameFileAs(earlier.Status))
                    throw new InputException($"{path}: given twice (the same file as {earlier.Path}); each ensemble file may appear once");
                var difference = Difference(Normal(earlier.Header), Normal(header));
                if (difference != null)
                    throw new InputException($"{path}: not a shard of the same collection as {earlier.Path} ({difference})");
                if (earlier.Shards.Count != shards.Count)
                    throw new InputException($"{path}: holds {shards.Describe()}, but {earlier.Path} holds {earlier.Shards.Describe()}: " +
                                             "the two overlap or come from different splits; give the shards of one split once each");
                if (earlier.Shards.Overlap(shards) is { Count: > 0 } both)
                    throw new InputException(shards.Count == 1
                        ? $"{path}: holds the whole collection, as does {earlier.Path} (overlapping inputs would count every block twice)"
                        : $"{path}: holds {Plural("shard", both)} {string.Join(", ", both)} of {shards.Count}, as does {earlier.Path} (overlapping inputs would count those blocks twice)");
            }
            headers.Add((path, header, shards, status, full));
        }
        var union = headers.Skip(1).Aggregate(headers[0].Shards, (a, h) => a.Union(h.Shards));
        if (!union.IsComplete && !allowMissingShards)
        {
            var missing = union.Missing.ToArray();
            throw new InputException($"{string.Join(", ", paths)}: incomplete collection: {Plural("shard", missing)} {string.Join(", ", missing)} of {union.Count} " +
                                     $"{(missing.Length > 1 ? "are" : "is")} missing (the files hold {union.Describe()}); give every shard, or allow missing shards explicitly to analyse a part");
        }
        var first = headers[0].Header;
        var combined = first.WithParameter("shard", union.ToString()) with { CreatedUtc = headers.Min(h => h.Header.CreatedUtc) };
        return new EnsembleSet(paths.ToArray(), combined, union);
    }

    /// <summary>
    /// Every chunk of every file, file after file, each file checked chunk by chunk (<see cref="EnsembleReader.ReadChunks"/>)
    /// and no block allowed in two files.
    /// </summary>
    public IEnumerable<(string Path, EnsembleChunk Chunk)> ReadChunks(CancellationToken ct = default)
    {
        var blocks = new Dictionary<int, string>();
        foreach (string path in Paths)
        {
            using var reader = EnsembleReader.Open(path);
            foreach (var chunk in reader.ReadChunks(ct))
            {
                if (!blocks.TryAdd(chunk.Block, path))
                    throw new InputException($"{path}: block {chunk.Block} is also in {blocks[chunk.Block]} (overlapping inputs)");
                yield return (path, chunk);
            }
        }
    }

    /// <summary>A one-line "which files hold what" for warnings about an incomplete set.</summary>
    public string DescribeCoverage() => IsComplete
        ? "the whole collection"
        : $"{Shards.Describe()} (missing: {string.Join(", ", Shards.Missing)})";

    // What must agree between shards: everything but the shard field and the creation time.
    private static EnsembleHeader Normal(EnsembleHeader h) => h.WithParameter("shard", "0/1") with { CreatedUtc = DateTime.UnixEpoch };

    private static string Plural(string word, IReadOnlyCollection<int> items) => items.Count == 1 ? word : word + "s";

    /// <summary>Null when the headers are equal, else the differing fields ("seed 1 vs 2, threshold …").</summary>
    internal static string? Difference(EnsembleHeader a, EnsembleHeader b)
    {
        if (a.Equals(b)) return null;
        static Dictionary<string, string> Fields(EnsembleHeader h) => System.Text.Encoding.UTF8.GetString(h.ToBytes())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "", StringComparer.Ordinal);
        var fa = Fields(a);
        var fb = Fields(b);
        var keys = fa.Keys.Union(fb.Keys).Order(StringComparer.Ordinal)
            .Where(k => fa.GetValueOrDefault(k) != fb.GetValueOrDefault(k))
            .Select(k => $"{k} {MessageText.Excerpt(fb.GetValueOrDefault(k) ?? "(none)", 24)} vs {MessageText.Excerpt(fa.GetValueOrDefault(k) ?? "(none)", 24)}")
            .ToArray();
        return keys.Length == 0 ? "headers differ" : "different " + string.Join(", ", keys.Take(4)) + (keys.Length > 4 ? ", …" : "");
    }
}
