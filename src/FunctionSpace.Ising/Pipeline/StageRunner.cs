using System.Diagnostics;

namespace FunctionSpace.Ising.Pipeline;

/// <summary>How a stage was resolved by <see cref="StageRunner.Run"/>.</summary>
public enum StageOutcome
{
    /// <summary>Outputs present, inputs unchanged, nothing upstream reran: skipped.</summary>
    Skipped,
    /// <summary>Computed in this invocation.</summary>
    Ran,
}

/// <summary>
/// Runs a pipeline's stages in order inside one run directory, skipping a stage when its recorded input
/// key (parameters + upstream output hashes) is unchanged, all its outputs exist with their recorded
/// hashes, and no earlier stage reran in this invocation. A stage that reruns makes every later stage
/// rerun. The manifest is saved after every stage, so a crash loses at most the stage in progress.
/// </summary>
public sealed class StageRunner
{
    private readonly string _manifestPath;
    private bool _upstreamRan;

    /// <summary>Opens (or starts) the manifest of <paramref name="runDirectory"/>.</summary>
    public StageRunner(string runDirectory) : this(runDirectory, readOnly: false) { }

    private StageRunner(string runDirectory, bool readOnly)
    {
        RunDirectory = Path.GetFullPath(runDirectory);
        ReadOnly = readOnly;
        if (!readOnly) Directory.CreateDirectory(RunDirectory);
        _manifestPath = Path.Combine(RunDirectory, "manifest.json");
        Manifest = RunManifest.LoadOrNew(_manifestPath);
    }

    /// <summary>
    /// Opens the manifest of <paramref name="runDirectory"/> (absent: an empty one) to ask which stages are cached,
    /// without creating or writing anything: <see cref="Run"/> and <see cref="Save"/> refuse.
    /// </summary>
    public static StageRunner OpenReadOnly(string runDirectory) => new(runDirectory, readOnly: true);

    /// <summary>Whether this runner only reads (see <see cref="OpenReadOnly"/>).</summary>
    public bool ReadOnly { get; }

    /// <summary>
    /// Whether <see cref="Run"/> would skip stage <paramref name="name"/> now: no earlier stage ran, the manifest
    /// records the same input key, and every recorded output is present with its recorded hash.
    /// </summary>
    public bool IsCached(string name, string inputKey)
    {
        var previous = Manifest.Stages.FirstOrDefault(s => s.Name == name);
        return !_upstreamRan && previous != null && previous.InputKey == inputKey && OutputsIntact(previous);
    }

    /// <summary>The run directory.</summary>
    public string RunDirectory { get; }

    /// <summary>The manifest being maintained.</summary>
    public RunManifest Manifest { get; }

    /// <summary>Absolute path of a run-relative output.</summary>
    public string PathOf(string relative) => Path.Combine(RunDirectory, relative);

    /// <summary>
    /// Runs or skips stage <paramref name="name"/>. <paramref name="compute"/> must write exactly the files
    /// it returns (run-relative paths).
    /// </summary>
    /// <param name="name">Stage name.</param>
    /// <param name="inputKey">Key of everything the stage depends on (see <see cref="Key"/>).</param>
    /// <param name="compute">Does the work; returns the output files it wrote.</param>
    public StageOutcome Run(string name, string inputKey, Func<IReadOnlyList<string>> compute)
    {
        if (ReadOnly) throw new InvalidOperationException("a read-only stage runner plans; it does not run stages");
        var previous = Manifest.Stages.FirstOrDefault(s => s.Name == name);
        if (previous != null && IsCached(name, inputKey))
        {
            previous.Status = "skipped (cached)";
            Manifest.Save(_manifestPath);
            return StageOutcome.Skipped;
        }
        var clock = Stopwatch.StartNew();
        IReadOnlyList<string> outputs = compute();
        var record = new StageRecord
        {
            Name = name,
            InputKey = inputKey,
            Status = "ran",
            Seconds = clock.Elapsed.TotalSeconds,
            CompletedUtc = DateTime.UtcNow,
            Outputs = outputs.ToDictionary(o => o, o => IO.FileHash.Sha256(PathOf(o))),
        };
        int index = previous is null ? -1 : Manifest.Stages.IndexOf(previous);
        if (index >= 0) Manifest.Stages[index] = record; else Manifest.Stages.Add(record);
        _upstreamRan = true;
        Manifest.Save(_manifestPath);
        return StageOutcome.Ran;
    }

    /// <summary>The recorded SHA-256 of an earlier stage's outputs, concatenated (a downstream input key part).</summary>
    public string OutputsKey(string stage)
    {
        var record = Manifest.Stages.FirstOrDefault(s => s.Name == stage)
                     ?? throw new InvalidOperationException($"stage '{stage}' has not run");
        return string.Join(";", record.Outputs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
    }

    /// <summary>Saves the manifest now (e.g. after updating its config or totals).</summary>
    public void Save()
    {
        if (ReadOnly) throw new InvalidOperationException("a read-only stage runner does not save its manifest");
        Manifest.Save(_manifestPath);
    }

    /// <summary>A stable key from parts (parameters as JSON, upstream output keys).</summary>
    public static string Key(params string[] parts) => IO.FileHash.Sha256OfText(string.Join("\n", parts));

    private bool OutputsIntact(StageRecord record) =>
        record.Outputs.Count > 0 && record.Outputs.All(o => File.Exists(PathOf(o.Key)) && IO.FileHash.Sha256(PathOf(o.Key)) == o.Value);
}
