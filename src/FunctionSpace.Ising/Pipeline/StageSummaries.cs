using System.Text.Json;

namespace FunctionSpace.Ising.Pipeline;

/// <summary>What the TAP stage records in tap.json (and the report reads back).</summary>
/// <param name="Starts">Random starts of the census.</param>
/// <param name="Converged">Starts that converged in some pass.</param>
/// <param name="DistinctStates">Distinct converged states.</param>
/// <param name="Peaks">Peaks of the free-energy histogram of the converged states.</param>
/// <param name="Passes">Per damping pass: starts attempted and converged.</param>
/// <param name="Summary">The census in words.</param>
public sealed record TapStageSummary(int Starts, int Converged, int DistinctStates, int Peaks, IReadOnlyList<TapPassSummary> Passes, string Summary);

/// <summary>One damping pass of the TAP census.</summary>
/// <param name="Damping">The pass's damping.</param>
/// <param name="Attempted">Starts still open at the pass.</param>
/// <param name="Converged">Of those, the ones that converged.</param>
public sealed record TapPassSummary(double Damping, int Attempted, int Converged);

/// <summary>What the dynamics stage records in dynamics.json (and the report reads back).</summary>
/// <param name="References">Low-energy references the trajectories start from.</param>
/// <param name="Sweeps">Metropolis sweeps per trajectory.</param>
/// <param name="Summary">The trajectories in words.</param>
/// <param name="EnergyAccuracyCorrelation">Correlation of model energy and test accuracy over the ensemble (null if undefined).</param>
/// <param name="EnergyAccuracySummary">The energy–accuracy table in words.</param>
public sealed record DynamicsStageSummary(int References, int Sweeps, string Summary, double? EnergyAccuracyCorrelation, string EnergyAccuracySummary);

/// <summary>A stage summary's file format: indented JSON with snake_case keys, written atomically, read back into its record.</summary>
internal static class StageJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static void Write<T>(string path, T summary) => IO.AtomicFile.WriteAllText(path, JsonSerializer.Serialize(summary, Options));

    /// <summary>The summary at <paramref name="path"/>, or null when the stage has not written one.</summary>
    public static T? Read<T>(string path) where T : class =>
        File.Exists(path) ? JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options) : null;
}
