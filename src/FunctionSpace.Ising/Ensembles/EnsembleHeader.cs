using System.Globalization;
using System.Text;
using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>
/// The header of an ensemble file: what the configurations are (architecture, its sub-network slices),
/// where they came from (scenario, PCA components, seed, selection threshold) and the collection
/// parameters needed to resume or merge a run (<see cref="Parameters"/>).
/// </summary>
/// <param name="FormatVersion">Version of the file format (<see cref="EnsembleFormat.CurrentVersion"/>).</param>
/// <param name="Architecture">Network widths; the spins are its weights in the study's order.</param>
/// <param name="Scenario">Collection scenario (under, over, shallow, or free text for other sources).</param>
/// <param name="PcaComponents">Number of PCA components of the inputs (the input width).</param>
/// <param name="Threshold">Test-accuracy threshold of the selection (0 when none).</param>
/// <param name="Seed">Master seed of the collection; every network's seed derives from it.</param>
/// <param name="CreatedUtc">Creation time (from SOURCE_DATE_EPOCH or an option when reproducible files are wanted).</param>
public sealed record EnsembleHeader(int FormatVersion, Architecture Architecture, string Scenario,
    int PcaComponents, double Threshold, ulong Seed, DateTime CreatedUtc)
{
    /// <summary>
    /// Further collection parameters as key/value text (e.g. networks, samples, epochs, learning-rate,
    /// block, shard). Stored sorted by key so that equal headers serialise to equal bytes.
    /// </summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The parameter <paramref name="key"/>, or null when absent.</summary>
    public string? Parameter(string key) => Parameters.TryGetValue(key, out var v) ? v : null;

    /// <summary>A copy with parameter <paramref name="key"/> set to <paramref name="value"/>.</summary>
    public EnsembleHeader WithParameter(string key, string value)
    {
        var copy = new SortedDictionary<string, string>(Parameters.ToDictionary(), StringComparer.Ordinal) { [key] = value };
        return this with { Parameters = copy };
    }

    /// <summary>Number of spins per configuration.</summary>
    public int SpinCount => Architecture.WeightCount;

    /// <summary>Serialises the header as UTF-8 "key=value" lines (the header block of the file format).</summary>
    public byte[] ToBytes()
    {
        var text = new StringBuilder();
        void Line(string key, string value)
        {
            if (key.Contains('=') || key.Contains('\n') || value.Contains('\n'))
                throw new InputException($"ensemble header: parameter '{key}' contains '=' or a newline");
            text.Append(key).Append('=').Append(value).Append('\n');
        }
        Line("format_version", FormatVersion.ToString(CultureInfo.InvariantCulture));
        Line("architecture", Architecture.ToString());
        Line("slices", string.Join(",", Architecture.Parts().Select(p => $"{p.Name}:{p.Start}:{p.End}")));
        Line("scenario", Scenario);
        Line("pca_components", PcaComponents.ToString(CultureInfo.InvariantCulture));
        Line("threshold", Threshold.ToString("R", CultureInfo.InvariantCulture));
        Line("seed", Seed.ToString(CultureInfo.InvariantCulture));
        Line("created_utc", CreatedUtc.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        foreach (var (key, value) in Parameters.OrderBy(p => p.Key, StringComparer.Ordinal)) Line(key, value);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Parses a header block; <paramref name="source"/> names the file in error messages.</summary>
    public static EnsembleHeader Parse(ReadOnlySpan<byte> bytes, string source)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = line.IndexOf('=');
            if (eq <= 0) throw new InputException($"{source}: malformed ensemble header line '{IO.MessageText.Excerpt(line)}'");
            fields[line[..eq]] = line[(eq + 1)..];
        }
        string Get(string key) => fields.TryGetValue(key, out var v) ? v : throw new InputException($"{source}: ensemble header lacks '{key}'");
        int version = ParseInt(Get("format_version"), "format_version");
        if (version != EnsembleFormat.CurrentVersion)
            throw new InputException($"{source}: ensemble format version {version} is not supported (expected {EnsembleFormat.CurrentVersion})");
        var architecture = Architecture.Parse(Get("architecture"));
        int pca = ParseInt(Get("pca_components"), "pca_components");
        if (!double.TryParse(Get("threshold"), NumberStyles.Float, CultureInfo.InvariantCulture, out double threshold))
            throw new InputException($"{source}: ensemble header threshold '{Get("threshold")}' is not a number");
        if (!ulong.TryParse(Get("seed"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed))
            throw new InputException($"{source}: ensemble header seed '{Get("seed")}' is not an unsigned integer");
        if (!DateTime.TryParse(Get("created_utc"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var created))
            throw new InputException($"{source}: ensemble header created_utc '{Get("created_utc")}' is not a time");
        string[] known = ["format_version", "architecture", "slices", "scenario", "pca_components", "threshold", "seed", "created_utc"];
        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in fields) if (!known.Contains(key)) parameters[key] = value;
        return new EnsembleHeader(version, architecture, Get("scenario"), pca, threshold, seed, DateTime.SpecifyKind(created, DateTimeKind.Utc))
        {
            Parameters = parameters,
        };

        int ParseInt(string text, string key) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v : throw new InputException($"{source}: ensemble header {key} '{text}' is not an integer");
    }

    /// <summary>Headers are equal when their serialised bytes are equal.</summary>
    public bool Equals(EnsembleHeader? other) => other is not null && ToBytes().AsSpan().SequenceEqual(other.ToBytes());

    /// <inheritdoc />
    public override int GetHashCode() => (int)Crc32.Compute(ToBytes());
}
