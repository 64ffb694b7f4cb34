using FunctionSpace.Ising.Reporting;
using static FunctionSpace.Ising.Theory.TheoryText;

namespace FunctionSpace.Ising.Theory;

/// <summary>Settings of the sparse Boolean-function job (<c>fsi theory boolean --model sparse</c>).</summary>
public sealed record BooleanFunctionStudySettings
{
    /// <summary>The defaults (the CLI's option defaults read them).</summary>
    public static BooleanFunctionStudySettings Default { get; } = new();

    /// <summary>Gate α: maj, and, or, xor, nand, nor.</summary>
    public string Gate { get; init; } = "maj";

    /// <summary>Gate fan-in k (≤ 6: the recursion enumerates 16^k parent tuples).</summary>
    public int FanIn { get; init; } = 3;

    /// <summary>Depth L (1..10000).</summary>
    public int Layers { get; init; } = 12;

    /// <summary>Wire-negation (weight-flip) probabilities, one curve each.</summary>
    public double[] Probabilities { get; init; } = [0, 0.05, 0.1, 0.2, 0.5];

    /// <summary>Layer-0 units are x1, x2, ¬x1, ¬x2 (otherwise x1, x2 only).</summary>
    public bool Negations { get; init; }

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        _ = BooleanGate.Create(Gate, FanIn);
        RequireRange("--layers", Layers, 1, 10000);
        foreach (double p in Probabilities)
            if (!(p >= 0 && p <= 1)) throw new InputException($"--p: {p} must lie in [0, 1]");
    }
}

/// <summary>The distribution P^l(f) over the 16 two-input functions along the layers at one flip probability.</summary>
/// <param name="FlipProbability">p.</param>
/// <param name="Layers">P^l(f), l = 0..L.</param>
/// <param name="Entropy">H^l in bits, l = 0..L.</param>
public sealed record BooleanFunctionCurve(double FlipProbability, double[][] Layers, double[] Entropy);

/// <summary>Everything the sparse Boolean-function job computed.</summary>
/// <param name="Settings">What was asked.</param>
/// <param name="Curves">One per flip probability.</param>
public sealed record BooleanFunctionStudyResult(BooleanFunctionStudySettings Settings, BooleanFunctionCurve[] Curves);

/// <summary>
/// The distribution of the Boolean functions computed by sparse layered gate networks of two inputs and its entropy
/// against depth (Mozeika, Saad &amp; Raymond), from <see cref="BooleanFunctionDistribution"/>.
/// </summary>
public static class BooleanFunctionStudy
{
    /// <summary>Runs the recursion for every flip probability.</summary>
    public static BooleanFunctionStudyResult Run(BooleanFunctionStudySettings settings, CancellationToken ct = default)
    {
        settings.Validate();
        var gate = BooleanGate.Create(settings.Gate, settings.FanIn);
        var curves = new List<BooleanFunctionCurve>();
        foreach (double p in settings.Probabilities)
        {
            ct.ThrowIfCancellationRequested();
            var layers = BooleanFunctionDistribution.Layers(gate, settings.Layers, p, settings.Negations);
            curves.Add(new BooleanFunctionCurve(p, layers, layers.Select(BooleanFunctionDistribution.Entropy).ToArray()));
        }
        return new BooleanFunctionStudyResult(settings, [.. curves]);
    }

    /// <summary>Writes distribution.csv and entropy.png into <paramref name="directory"/>.</summary>
    public static void Write(BooleanFunctionStudyResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        var s = result.Settings;
        double[] ls = Enumerable.Range(0, s.Layers + 1).Select(l => (double)l).ToArray();
        var rows = result.Curves.SelectMany(c => Enumerable.Range(0, s.Layers + 1).Select(l =>
            (IReadOnlyList<object?>)[c.FlipProbability, l, c.Entropy[l], .. c.Layers[l].Cast<object?>()]));
        CsvTable.Write(Path.Combine(directory, "distribution.csv"), ["p", "layer", "entropy_bits", .. BooleanFunctionDistribution.FunctionNames.Select(n => $"P[{n}]")], rows);
        TheoryFigures.Lines(Path.Combine(directory, "entropy.png"), $"Entropy of the function distribution, {s.Gate}-{s.FanIn} gates", "layer l", "H^l (bits)",
            result.Curves.Select(c => new Curve($"p = {F(c.FlipProbability)}", ls, c.Entropy)));
    }

    /// <summary>The key numbers: H^0 → H^L and the three most likely functions at depth L, per flip probability.</summary>
    public static IEnumerable<string> Summary(BooleanFunctionStudyResult result)
    {
        var s = result.Settings;
        yield return $"boolean: gate {s.Gate}-{s.FanIn}, inputs {(s.Negations ? "x1, x2, ¬x1, ¬x2" : "x1, x2")}, L = {s.Layers}";
        foreach (var c in result.Curves)
        {
            var last = c.Layers[^1];
            var top = Enumerable.Range(0, BooleanFunctionDistribution.FunctionCount).OrderByDescending(f => last[f]).Take(3)
                .Select(f => $"{BooleanFunctionDistribution.FunctionNames[f]} {F(last[f], "F3")}");
            yield return $"  p = {F(c.FlipProbability)}: H^0 = {F(c.Entropy[0], "F3")} → H^{s.Layers} = {F(c.Entropy[^1], "F4")} bits; most likely: {string.Join(", ", top)}";
        }
    }
}
