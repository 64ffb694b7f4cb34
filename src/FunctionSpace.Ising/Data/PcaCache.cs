using System.Security.Cryptography;
using System.Text;

namespace FunctionSpace.Ising.Data;

/// <summary>How <see cref="PcaCache.LoadOrCompute"/> obtained the reduced data.</summary>
public enum PcaCacheOutcome
{
    /// <summary>Read from a valid cache file.</summary>
    Hit,
    /// <summary>No cache file: computed and stored.</summary>
    Computed,
    /// <summary>The cache file failed its checksum or format check: recomputed and replaced.</summary>
    RecomputedCorrupt,
    /// <summary>Computed, but the cache could not be written (read-only or full file system, no permission): used uncached.</summary>
    ComputedNotCached,
}

/// <summary>
/// Caches the PCA projection of a dataset on disk, keyed by the SHA-256 of the four data files, k and the
/// convention (<see cref="Convention"/>), so a second run does not refit. The file ends with a SHA-256 of its content; a file that fails the
/// check is treated as absent and rewritten.
/// </summary>
public static class PcaCache
{
    private const string Magic = "FSIPCA02";

    /// <summary>
    /// The study's convention, which the reduced data follow: components oriented as its eigensolver returned them
    /// (<see cref="PcaOrientation.StudyEigensolver"/>); training images centred on the training mean, test images on
    /// the test mean. With it the study's published reference configurations reach their recorded test accuracies.
    /// </summary>
    public const string Convention = "orientation=dgeev;train-centre=train-mean;test-centre=test-mean";

    /// <summary>Default cache directory: $FSI_CACHE_DIR, else $XDG_CACHE_HOME/fsi, else ~/.cache/fsi.</summary>
    public static string DefaultDirectory()
    {
        string? explicitDir = Environment.GetEnvironmentVariable("FSI_CACHE_DIR");
        if (!string.IsNullOrEmpty(explicitDir)) return explicitDir;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "fsi");
    }

    /// <summary>The cache key of a dataset and component count.</summary>
    public static string Key(IdxDataset data, int components)
    {
        var text = new StringBuilder(Magic).Append(";k=").Append(components).Append(';').Append(Convention);
        foreach (var pair in data.FileHashes.OrderBy(p => p.Key, StringComparer.Ordinal))
            text.Append(';').Append(pair.Key).Append('=').Append(pair.Value);
        return IO.FileHash.Sha256OfText(text.ToString());
    }

    /// <summary>The cache file for a key.</summary>
    public static string PathFor(string cacheDirectory, string key) => Path.Combine(cacheDirectory, $"pca-{key[..16]}.bin");

    /// <summary>Reads the reduced dataset from the cache, or fits, projects (by <see cref="Convention"/>) and stores it.</summary>
    public static ReducedDataset LoadOrCompute(IdxDataset data, int components, string cacheDirectory, out PcaCacheOutcome outcome)
    {
        string key = Key(data, components);
        string path = PathFor(cacheDirectory, key);
        outcome = PcaCacheOutcome.Computed;
        if (File.Exists(path))
        {
            var cached = TryRead(path, key, data);
            if (cached != null) { outcome = PcaCacheOutcome.Hit; return cached; }
            outcome = PcaCacheOutcome.RecomputedCorrupt;
        }
        var basis = Pca.Fit(data.Train.Images, components, PcaOrientation.StudyEigensolver);
        var reduced = new ReducedDataset(basis, Pca.Project(basis, data.Train.Images), data.Train.Labels,
            Pca.Project(basis, data.Test.Images, ownMean: true), data.Test.Labels, key);
        try
        {
            Write(path, key, reduced);
        }
        catch (InputException)
        {
            // The cache only saves time: a cache directory that cannot be written costs the next command a refit, not this one its result.
            outcome = PcaCacheOutcome.ComputedNotCached;
        }
        return reduced;
    }

    /// <summary>Writes the cache file atomically, with a trailing SHA-256 of its content.</summary>
    public static void Write(string path, string key, ReducedDataset reduced)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            var p = reduced.Pca;
            writer.Write(Encoding.ASCII.GetBytes(Magic));
            writer.Write(key);
            writer.Write(p.InputDimension);
            writer.Write(p.Components);
            writer.Write(reduced.TrainCount);
            writer.Write(reduced.TestCount);
            writer.Write(p.TotalVariance);
            WriteDoubles(writer, p.Mean);
            WriteDoubles(writer, p.Basis);
            WriteDoubles(writer, p.Variances);
            WriteDoubles(writer, reduced.TrainInputs);
            WriteDoubles(writer, reduced.TestInputs);
        }
        byte[] body = buffer.ToArray();
        byte[] hash = SHA256.HashData(body);
        // At once even inside a command's output set: the cache is shared by commands, not an output of this one.
        IO.AtomicFile.WriteImmediately(path, stream => { stream.Write(body); stream.Write(hash); });
    }

    private static ReducedDataset? TryRead(string path, string key, IdxDataset data)
    {
        try
        {
            byte[] all = File.ReadAllBytes(path);
            if (all.Length < 32) return null;
            var body = all.AsSpan(0, all.Length - 32);
            if (!SHA256.HashData(body).AsSpan().SequenceEqual(all.AsSpan(all.Length - 32))) return null;
            using var reader = new BinaryReader(new MemoryStream(all, 0, all.Length - 32));
            if (Encoding.ASCII.GetString(reader.ReadBytes(Magic.Length)) != Magic) return null;
            if (reader.ReadString() != key) return null;
            int d = reader.ReadInt32(), k = reader.ReadInt32(), nTrain = reader.ReadInt32(), nTest = reader.ReadInt32();
            if (nTrain != data.Train.Count || nTest != data.Test.Count) return null;
            double total = reader.ReadDouble();
            var basis = new PcaBasis(d, k, ReadDoubles(reader, d), ReadDoubles(reader, k * d), ReadDoubles(reader, k), total);
            return new ReducedDataset(basis, ReadDoubles(reader, nTrain * k), data.Train.Labels,
                ReadDoubles(reader, nTest * k), data.Test.Labels, key);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or FormatException)
        {
            return null;
        }
    }

    private static void WriteDoubles(BinaryWriter writer, double[] values)
    {
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static double[] ReadDoubles(BinaryReader reader, int expected)
    {
        int length = reader.ReadInt32();
        if (length != expected) throw new FormatException($"array of {length}, expected {expected}");
        byte[] bytes = reader.ReadBytes(length * sizeof(double));
        if (bytes.Length != length * sizeof(double)) throw new EndOfStreamException();
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes).ToArray();
    }
}
