namespace FunctionSpace.Ising.Data;

/// <summary>The dataset a command runs on, reduced by PCA, with where it came from.</summary>
/// <param name="Raw">The images and labels as read.</param>
/// <param name="Reduced">The PCA-reduced inputs.</param>
/// <param name="Cache">Whether the PCA came from the cache.</param>
/// <param name="CachePath">The cache file.</param>
public sealed record LoadedDataset(IdxDataset Raw, ReducedDataset Reduced, PcaCacheOutcome Cache, string CachePath);

/// <summary>Entry point used by every command: read (and verify) the IDX files, reduce by cached PCA.</summary>
public static class DatasetLoader
{
    /// <summary>
    /// Loads <paramref name="dataDirectory"/> (null: the embedded MNIST, checksum-verified) and its
    /// projection on the top <paramref name="components"/> principal components.
    /// </summary>
    public static LoadedDataset Load(string? dataDirectory, int components, string? cacheDirectory)
    {
        var raw = LoadRaw(dataDirectory, components);
        string cacheDir = cacheDirectory ?? PcaCache.DefaultDirectory();
        var reduced = PcaCache.LoadOrCompute(raw, components, cacheDir, out var outcome);
        return new LoadedDataset(raw, reduced, outcome, PcaCache.PathFor(cacheDir, reduced.SourceKey));
    }

    /// <summary>The key of the reduced data <see cref="Load"/> would return (the PCA cache's key), computing and writing nothing.</summary>
    public static string SourceKey(string? dataDirectory, int components) => PcaCache.Key(LoadRaw(dataDirectory, components), components);

    private static IdxDataset LoadRaw(string? dataDirectory, int components)
    {
        IdxDataset raw = dataDirectory is null ? IdxDataset.LoadEmbeddedMnist() : IdxDataset.Load(dataDirectory);
        if (components < 1 || components > raw.Train.Images.PixelsPerImage)
            throw new InputException($"--components: {components} is outside 1..{raw.Train.Images.PixelsPerImage}");
        return raw;
    }
}
