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
    public static T? Read<T>(string path) where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options);
        }
        catch (JsonException e)
        {
            throw new InputException($"{path}: not a stage summary written by fsi ({e.Message.Split('.')[0]})", e);
        }
    }
}

/// <summary>What the split-half stage records in split_half.json (and the report reads back).</summary>
/// <param name="NetworksA">Networks in half A.</param>
/// <param name="NetworksB">Networks in half B.</param>
/// <param name="Reference">The reference both halves' landscapes are around.</param>
/// <param name="Agree">The halves agree: the same transitions per part, fits that reproduce in both, the same ranking.</param>
/// <param name="RankingsAgree">The halves put the same parts at the ends of the ranking.</param>
/// <param name="RankingResolved">The ends are separated by more than twice their split-half error.</param>
/// <param name="MostLiquid">Per half (A, B), the part closest to the bound, or null where withheld.</param>
/// <param name="MostConstrained">Per half (A, B), the part furthest from the bound, or null where withheld.</param>
/// <param name="Parts">Per part, the halves' numbers.</param>
/// <param name="Sentence">The check in one sentence.</param>
public sealed record SplitHalfSummary(int NetworksA, int NetworksB, string Reference, bool Agree, bool RankingsAgree, bool RankingResolved,
    IReadOnlyList<string?> MostLiquid, IReadOnlyList<string?> MostConstrained, IReadOnlyList<SplitHalfPartSummary> Parts, string Sentence);

/// <summary>One part of the split-half check.</summary>
/// <param name="Part">The part.</param>
/// <param name="Size">Its spins.</param>
/// <param name="MaxGapA">Largest gap to the entropy bound (d ≤ 0.5), half A (null if no converged point).</param>
/// <param name="MaxGapB">The same, half B.</param>
/// <param name="SplitHalfError">|gap_A − gap_B| / 2.</param>
/// <param name="JumpsA">Proven first-order jumps, half A.</param>
/// <param name="JumpsB">The same, half B.</param>
/// <param name="HysteresisA">Hysteresis loops, half A.</param>
/// <param name="HysteresisB">The same, half B.</param>
/// <param name="TransitionsAgree">Both halves show the same transitions (jumps and hysteresis, or none).</param>
/// <param name="CoverageA">BP coverage of d ∈ [0, 0.5], half A.</param>
/// <param name="CoverageB">The same, half B.</param>
/// <param name="FitA">Half A's fit verdict.</param>
/// <param name="FitB">Half B's fit verdict.</param>
/// <param name="FitsReproduce">Both halves' fits reproduce their data.</param>
public sealed record SplitHalfPartSummary(string Part, int Size, double? MaxGapA, double? MaxGapB, double? SplitHalfError, int JumpsA, int JumpsB,
    int HysteresisA, int HysteresisB, bool TransitionsAgree, double CoverageA, double CoverageB, string? FitA, string? FitB, bool FitsReproduce)
{
    /// <summary>The largest gap of half "a" or "b".</summary>
    public double? MaxGap(string half) => half == "a" ? MaxGapA : MaxGapB;
}
