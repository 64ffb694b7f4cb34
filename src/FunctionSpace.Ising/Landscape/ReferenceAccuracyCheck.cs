using System.Globalization;

namespace FunctionSpace.Ising.Landscape;

/// <summary>
/// Compares the test accuracy recorded with each reference configuration (a published refs file, an ensemble) with the
/// accuracy the dynamics computes for it at time 0 on the data given. They agree when the data, its PCA reduction and
/// the network evaluation are those the references were recorded with; a difference means one of them is not (e.g. a
/// principal component of the opposite sign), and every accuracy along the trajectories is then off as well.
/// </summary>
public static class ReferenceAccuracyCheck
{
    /// <summary>
    /// Largest |recorded − computed| taken as agreement: ten test images in 10,000, well above float32 rounding of a
    /// recorded accuracy (1e-7) and a near-tie argmax that flips one image (1e-4).
    /// </summary>
    public const double Tolerance = 1e-3;

    /// <summary>The references whose recorded accuracy (when known) differs from the computed one by more than <paramref name="tolerance"/>.</summary>
    public static IReadOnlyList<(string Label, double Recorded, double Computed)> Mismatches(IReadOnlyList<ReferenceConfiguration> references,
        DynamicsResult result, double tolerance = Tolerance)
    {
        var mismatches = new List<(string, double, double)>();
        for (int r = 0; r < references.Count && r < result.Trajectories.Count; r++)
        {
            double recorded = references[r].Accuracy, computed = result.Trajectories[r].Accuracy[0];
            if (double.IsFinite(recorded) && !(Math.Abs(recorded - computed) <= tolerance)) mismatches.Add((references[r].Label, recorded, computed));
        }
        return mismatches;
    }

    /// <summary>A one-line warning about the mismatches, or null when there are none.</summary>
    public static string? Warning(IReadOnlyList<ReferenceConfiguration> references, DynamicsResult result, double tolerance = Tolerance)
    {
        var mismatches = Mismatches(references, result, tolerance);
        if (mismatches.Count == 0) return null;
        var (label, recorded, computed) = mismatches.MaxBy(m => Math.Abs(m.Recorded - m.Computed));
        return string.Create(CultureInfo.InvariantCulture,
            $"{mismatches.Count} of {references.Count} references: the test accuracy recorded with them differs from the one computed here by more than {tolerance} " +
            $"(largest: {label}, recorded {recorded:F4}, computed {computed:F4}); the data or its PCA reduction are not those the references were evaluated on, so the accuracies along the trajectories are not comparable with the recorded ones");
    }
}
