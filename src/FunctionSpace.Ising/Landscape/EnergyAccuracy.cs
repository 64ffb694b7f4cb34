using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Landscape;

/// <summary>Energy and accuracy of collected configurations (Zou &amp; Huang Fig. 3c).</summary>
/// <param name="Labels">Configuration labels.</param>
/// <param name="Energy">Model energy density E(s_part)/N_part of each configuration.</param>
/// <param name="Accuracy">Its test accuracy.</param>
/// <param name="Correlation">Pearson correlation of energy and accuracy (NaN for fewer than 3 points or no spread).</param>
public sealed record EnergyAccuracyTable(string[] Labels, double[] Energy, double[] Accuracy, double Correlation)
{
    /// <summary>Each configuration's <see cref="ReferenceConfiguration.Source"/> (empty when only the label is known).</summary>
    public string[] Sources { get; init; } = [];

    /// <summary>Each configuration's <see cref="ReferenceConfiguration.Index"/> (−1 when unknown).</summary>
    public long[] Indices { get; init; } = [];
}

/// <summary>Histogram of a model's parameters.</summary>
/// <param name="Couplings">Histogram of J_ij, i &lt; j.</param>
/// <param name="Fields">Histogram of h_i.</param>
/// <param name="CouplingMean">Mean J_ij.</param>
/// <param name="CouplingStd">Standard deviation of J_ij.</param>
/// <param name="FieldMean">Mean h_i.</param>
/// <param name="FieldStd">Standard deviation of h_i.</param>
public sealed record ParameterHistograms(Histogram Couplings, Histogram Fields, double CouplingMean, double CouplingStd, double FieldMean, double FieldStd);

/// <summary>Energy–accuracy relation of configurations and model-parameter statistics.</summary>
public static class EnergyAccuracy
{
    /// <summary>Evaluates the part model's energy density of every configuration (full-length spins) beside its accuracy.</summary>
    public static EnergyAccuracyTable Evaluate(IsingModel model, SpinSlice part, IReadOnlyList<ReferenceConfiguration> configurations)
    {
        var energy = new double[configurations.Count];
        for (int k = 0; k < configurations.Count; k++)
        {
            var spins = configurations[k].Spins;
            if (spins.Length < part.End) throw new InputException($"{configurations[k].Label}: {spins.Length} spins, part {part.Name} needs {part.End}");
            energy[k] = model.Energy(spins.AsSpan(part.Start, part.Length)) / part.Length;
        }
        var accuracy = configurations.Select(c => c.Accuracy).ToArray();
        return new EnergyAccuracyTable(configurations.Select(c => c.Label).ToArray(), energy, accuracy, Pearson(energy, accuracy))
        {
            Sources = configurations.Select(c => c.Source).ToArray(),
            Indices = configurations.Select(c => c.Index).ToArray(),
        };
    }

    /// <summary>Histograms of the couplings (upper triangle) and fields.</summary>
    public static ParameterHistograms Parameters(IsingModel model, int bins = 60)
    {
        int n = model.Size;
        var couplings = new List<double>(n * (n - 1) / 2);
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) couplings.Add(model.Couplings[i * n + j]);
        var (cm, cs) = MeanStd(couplings);
        var (fm, fs) = MeanStd(model.Fields);
        return new ParameterHistograms(Histogram.Of(couplings, bins), Histogram.Of(model.Fields, bins), cm, cs, fm, fs);
    }

    internal static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count < 3) return double.NaN;
        var (ma, sa) = MeanStd(a);
        var (mb, sb) = MeanStd(b);
        if (sa == 0 || sb == 0) return double.NaN;
        double c = 0;
        for (int k = 0; k < a.Count; k++) c += (a[k] - ma) * (b[k] - mb);
        return c / (a.Count - 1) / (sa * sb);
    }

    private static (double Mean, double Std) MeanStd(IReadOnlyList<double> values)
    {
        double m = values.Average();
        double v = values.Sum(x => (x - m) * (x - m)) / Math.Max(1, values.Count - 1);
        return (m, Math.Sqrt(v));
    }
}
