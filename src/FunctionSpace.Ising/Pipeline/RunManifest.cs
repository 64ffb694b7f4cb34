using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FunctionSpace.Ising.Pipeline;

/// <summary>What one stage of a run did: its input key, its outputs' hashes, whether it ran, how long.</summary>
public sealed class StageRecord
{
    /// <summary>Stage name.</summary>
    public string Name { get; set; } = "";
    /// <summary>SHA-256 of the stage's parameters and its inputs' content hashes.</summary>
    public string InputKey { get; set; } = "";
    /// <summary>Output file (relative to the run directory) → SHA-256.</summary>
    public Dictionary<string, string> Outputs { get; set; } = new();
    /// <summary>"ran" or "skipped (cached)" in the latest invocation.</summary>
    public string Status { get; set; } = "";
    /// <summary>Wall-clock seconds of the latest computation of this stage.</summary>
    public double Seconds { get; set; }
    /// <summary>UTC time the outputs were produced.</summary>
    public DateTime CompletedUtc { get; set; }
}

/// <summary>
/// <c>manifest.json</c> of a run directory: parameters, seeds, tool and package versions, git commit,
/// machine, and per-stage input keys, output hashes and timings. The stage records are what makes a rerun
/// skip unchanged stages.
/// </summary>
public sealed class RunManifest
{
    /// <summary>The format version written: 2 has snake_case keys and enums as names (1 had the .NET property names).</summary>
    public const int CurrentFormatVersion = 2;

    /// <summary>Manifest format version.</summary>
    public int FormatVersion { get; set; } = CurrentFormatVersion;
    /// <summary>The resolved run configuration (feed it back with --config to reproduce the run).</summary>
    public JsonNode? Config { get; set; }
    /// <summary>Versions of the tool, runtime and packages.</summary>
    public Dictionary<string, string> Versions { get; set; } = new();
    /// <summary>The machine the latest invocation ran on.</summary>
    public Dictionary<string, string> Machine { get; set; } = new();
    /// <summary>Stage records in pipeline order.</summary>
    public List<StageRecord> Stages { get; set; } = new();
    /// <summary>UTC start of the latest invocation.</summary>
    public DateTime StartedUtc { get; set; }
    /// <summary>Total wall-clock seconds of the latest invocation.</summary>
    public double TotalSeconds { get; set; }

    // snake_case keys and enum names, as every other JSON output, so Python reads manifest["stages"][0]["input_key"].
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    // Format 1 (the .NET property names); read so that a run made before format 2 still skips its cached stages.
    private static readonly JsonSerializerOptions Version1Json = new() { WriteIndented = true };

    /// <summary>Reads a manifest; a missing or unreadable one yields a fresh manifest (everything reruns).</summary>
    public static RunManifest LoadOrNew(string path)
    {
        if (!File.Exists(path)) return new RunManifest();
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path));
            var manifest = node is JsonObject o && !o.ContainsKey("format_version") && !o.ContainsKey("stages")
                ? node.Deserialize<RunManifest>(Version1Json)
                : node.Deserialize<RunManifest>(Json);
            // A manifest edited into nulls (no stage list, a null record or output table) is as unreadable as a corrupt one.
            if (manifest?.Stages is null || manifest.Versions is null || manifest.Machine is null || manifest.Stages.Any(s => s is null || s.Name is null || s.InputKey is null || s.Outputs is null || s.Outputs.Values.Any(v => v is null)))
                return new RunManifest();
            manifest.FormatVersion = CurrentFormatVersion;
            return manifest;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException)
        {
            return new RunManifest();
        }
    }

    /// <summary>Writes the manifest atomically.</summary>
    public void Save(string path) => IO.AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    /// <summary>Fills <see cref="Versions"/> and <see cref="Machine"/> from the running process.</summary>
    public void DescribeEnvironment()
    {
        Versions["fsi"] = ToolVersion();
        Versions["dotnet"] = RuntimeInformation.FrameworkDescription;
        foreach (var (name, type) in new (string, Type)[]
                 {
                     ("TorchSharp", typeof(TorchSharp.torch)), ("MathNet.Numerics", typeof(MathNet.Numerics.Control)),
                     ("CsvHelper", typeof(CsvHelper.CsvWriter)), ("ScottPlot", typeof(ScottPlot.Plot)),
                 })
        {
            Versions[name] = InformationalVersion(type.Assembly);
        }
        Machine["os"] = RuntimeInformation.OSDescription;
        Machine["architecture"] = RuntimeInformation.OSArchitecture.ToString();
        Machine["cores"] = Environment.ProcessorCount.ToString();
        Machine["mkl_cbwr"] = MklReproducibility.Current ?? "unset";
        Machine["memory_gib"] = (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024)).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        Machine["host"] = Environment.MachineName;
    }

    /// <summary>The tool's version, including the git commit it was built from when known.</summary>
    public static string ToolVersion() => InformationalVersion(typeof(RunManifest).Assembly);

    private static string InformationalVersion(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString() ?? "unknown";
}
