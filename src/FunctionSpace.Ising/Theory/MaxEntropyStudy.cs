using FunctionSpace.Ising.Reporting;
using static FunctionSpace.Ising.Theory.TheoryText;

namespace FunctionSpace.Ising.Theory;

/// <summary>Settings of the dense max-entropy job (<c>fsi theory dense</c>).</summary>
/// <param name="Layers">Depth L (1..12).</param>
/// <param name="Beta">Inverse temperature of the stochastic sign units (+∞: deterministic).</param>
/// <param name="Errors">Number of ε values in [1e-8, 0.5]: half log-spaced below 0.01, half linear above (8..400).</param>
/// <param name="Grid">Grid points of the dynamic programme over 1 − q (41..4001).</param>
public sealed record MaxEntropyStudySettings(int Layers = 4, double Beta = double.PositiveInfinity, int Errors = 96, int Grid = 501)
{
    /// <summary>The defaults (the CLI's option defaults read them).</summary>
    public static MaxEntropyStudySettings Default { get; } = new();

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        RequireRange("--layers", Layers, 1, 12);
        RequireBeta(Beta);
        RequireRange("--errors", Errors, 8, 400);
        RequireRange("--grid", Grid, 41, 4001);
    }

    /// <summary>The ε table: half log-spaced on [1e-8, 1e-2) (the large-α tail), half linear on [1e-2, 0.5] (where the binary profile jumps).</summary>
    public double[] ErrorTable()
    {
        int logCount = Errors / 2, linearCount = Errors - logCount;
        return [.. Enumerable.Range(0, logCount).Select(i => Math.Pow(10, -8 + 6.0 * i / logCount)),
            .. Enumerable.Range(0, linearCount).Select(i => 0.01 + 0.49 * i / (linearCount - 1))];
    }
}

/// <summary>The max-entropy profiles of one weight kind and the annealed generalisation curve built on them.</summary>
/// <param name="Kind">Continuous or binary weights.</param>
/// <param name="Profiles">One profile per ε of the table (each with why its polishing stopped).</param>
/// <param name="OptimalErrors">ε*(α) at each α of <see cref="MaxEntropyStudyResult.Alphas"/> (NaN: below the table).</param>
public sealed record MaxEntropyCurve(PerturbationKind Kind, MaxEntropyProfile[] Profiles, double[] OptimalErrors)
{
    /// <summary>S*(ε) along the table.</summary>
    public double[] Entropy => Profiles.Select(r => r.Entropy).ToArray();

    /// <summary>"continuous" or "binary": the files' suffix.</summary>
    public string Name => Kind.ToString().ToLowerInvariant();

    /// <summary>The strength's symbol in the files: η (continuous) or p (binary).</summary>
    public string Symbol => Kind == PerturbationKind.Continuous ? "eta" : "p";
}

/// <summary>Everything the dense max-entropy job computed.</summary>
/// <param name="Settings">What was asked.</param>
/// <param name="Errors">The ε table.</param>
/// <param name="Alphas">α values of the generalisation curves (0.1 … 10⁴, 51 log-spaced).</param>
/// <param name="Curves">Continuous, then binary weights.</param>
/// <param name="Correlations">c values of the layer map (0 … 1, 51 points).</param>
/// <param name="MapBetas">β values of the layer-map curves.</param>
/// <param name="LayerMap">q = F_β(c), one column per β of <paramref name="MapBetas"/>.</param>
public sealed record MaxEntropyStudyResult(MaxEntropyStudySettings Settings, double[] Errors, double[] Alphas, MaxEntropyCurve[] Curves,
    double[] Correlations, double[] MapBetas, double[][] LayerMap);

/// <summary>
/// The dense-network job of the generating-functional theory: max-entropy perturbation profiles η*(ε), p*(ε), the
/// entropy S*(ε), the annealed generalisation ε*(α) and the layer map F_β (Li &amp; Saad, PRL 120, 248301, 2018).
/// </summary>
public static class MaxEntropyStudy
{
    /// <summary>Solves every ε of the table for both weight kinds; progress from the solver.</summary>
    public static MaxEntropyStudyResult Run(MaxEntropyStudySettings settings, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        settings.Validate();
        var map = new LayerMap(settings.Beta);
        double[] errors = settings.ErrorTable();
        var alphas = Enumerable.Range(0, 51).Select(i => Math.Pow(10, -1 + 5.0 * i / 50)).ToArray();  // 0.1 … 10⁴
        var curves = new List<MaxEntropyCurve>();
        foreach (var kind in new[] { PerturbationKind.Continuous, PerturbationKind.Binary })
        {
            ct.ThrowIfCancellationRequested();
            var solver = new MaxEntropySolver(new MaxEntropySettings(kind, settings.Layers, settings.Grid), map);
            var profiles = solver.SolveAll(errors, progress, ct);
            double[] entropy = profiles.Select(r => r.Entropy).ToArray();
            curves.Add(new MaxEntropyCurve(kind, profiles, alphas.Select(a => AnnealedGeneralisation.OptimalError(errors, entropy, a)).ToArray()));
        }
        double[] cs = Enumerable.Range(0, 51).Select(i => i / 50.0).ToArray();
        double[] betas = [0.5, 1, 2, 5, double.PositiveInfinity];
        var mapColumns = betas.Select(b => cs.Select(c => DenseOverlap.OverlapMap(b, c)).ToArray()).ToArray();
        return new MaxEntropyStudyResult(settings, errors, alphas, [.. curves], cs, betas, mapColumns);
    }

    /// <summary>
    /// Writes profiles_&lt;kind&gt;.csv/png, generalisation_&lt;kind&gt;.csv, entropy.csv, entropy_&lt;kind&gt;.png,
    /// generalisation.png and layer_map.csv/png into <paramref name="directory"/>.
    /// </summary>
    public static void Write(MaxEntropyStudyResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        int layers = result.Settings.Layers;
        double[] errors = result.Errors, alphas = result.Alphas;
        var entropyCurves = new List<Curve>();
        var alphaCurves = new List<Curve>();
        foreach (var curve in result.Curves)
        {
            string name = curve.Name, symbol = curve.Symbol;
            var profiles = curve.Profiles;
            string[] headers = ["epsilon", "feasible", "entropy", .. Enumerable.Range(1, layers).Select(l => $"{symbol}{l}"),
                .. Enumerable.Range(1, layers).Select(l => $"one_minus_q{l}"), "polish_sweeps", "polish_stop"];
            CsvTable.Write(Path.Combine(directory, $"profiles_{name}.csv"), headers, profiles.Select(r => (IReadOnlyList<object?>)
                [r.Error, r.Feasible, r.Entropy, .. r.Strengths.Cast<object?>(), .. r.Disagreements.Skip(1).Cast<object?>(), r.PolishSweeps, r.Stop.ToString()]));
            TheoryFigures.Lines(Path.Combine(directory, $"profiles_{name}.png"), $"Max-entropy perturbation profile ({name} weights, L = {layers})",
                "ε", curve.Kind == PerturbationKind.Continuous ? "η*ˡ(ε)" : "p*ˡ(ε)",
                Enumerable.Range(0, layers).Select(l => new Curve($"layer {l + 1}", errors, profiles.Select(r => r.Strengths[l]).ToArray())));
            entropyCurves.Add(new Curve(name, errors, curve.Entropy));
            double[] optimal = curve.OptimalErrors;
            alphaCurves.Add(new Curve(name, alphas.Select(Math.Log10).ToArray(), optimal.Select(Math.Log10).ToArray()));
            // NaN ε*: the maximum sits at the smallest tabulated ε (ε* below the table).
            CsvTable.Write(Path.Combine(directory, $"generalisation_{name}.csv"), ["alpha", "epsilon_star", "below_table"],
                alphas.Select((a, i) => (IReadOnlyList<object?>)[a, optimal[i], double.IsNaN(optimal[i])]));
        }
        CsvTable.WriteColumns(Path.Combine(directory, "entropy.csv"), ["epsilon", "entropy_continuous", "entropy_binary"], errors, entropyCurves[0].Y, entropyCurves[1].Y);
        TheoryFigures.Lines(Path.Combine(directory, "entropy_binary.png"), $"Entropy per weight S*(ε), binary weights, L = {layers}", "ε", "S* (nats)", [entropyCurves[1]]);
        TheoryFigures.Lines(Path.Combine(directory, "entropy_continuous.png"), $"Entropy per weight S*(ε) = ⟨ln η⟩, continuous weights, L = {layers}", "ε", "S*", [entropyCurves[0]]);
        TheoryFigures.Lines(Path.Combine(directory, "generalisation.png"), "Annealed generalisation: ε*(α) = argmax [S*(ε) + α ln(1 − ε)]", "log10 α", "log10 ε*",
            [.. alphaCurves, new Curve("slope −1", [2, 3], [alphaCurves[0].Y[30], alphaCurves[0].Y[30] - 1])]);
        CsvTable.WriteColumns(Path.Combine(directory, "layer_map.csv"), ["c", .. result.MapBetas.Select(b => $"q_beta_{F(b)}")],
            [result.Correlations, .. result.LayerMap]);
        TheoryFigures.Lines(Path.Combine(directory, "layer_map.png"), "Layer map q = E[tanh βĥ tanh βh] at field correlation c", "c = ρ q^{l−1}", "q^l",
            result.MapBetas.Select((b, i) => new Curve($"β = {F(b)}", result.Correlations, result.LayerMap[i])));
    }

    /// <summary>The key numbers, one line each: S*(ε) at 0.01, 0.1, 0.4, ε*(α = 100), the large-α exponent, the profile at ε = 0.1.</summary>
    public static IEnumerable<string> Summary(MaxEntropyStudyResult result)
    {
        var s = result.Settings;
        double[] errors = result.Errors, alphas = result.Alphas;
        yield return $"dense: L = {s.Layers}, β = {F(s.Beta)}, {errors.Length} ε values in [1e-8, 0.5], DP grid {s.Grid}";
        foreach (var curve in result.Curves)
        {
            double[] entropy = curve.Entropy, optimal = curve.OptimalErrors;
            // Large-α exponent from the last decade of α.
            double slope = Math.Log(optimal[^1] / optimal[^11]) / Math.Log(alphas[^1] / alphas[^11]);
            int below = Array.FindIndex(optimal, double.IsNaN);
            yield return $"  {curve.Name,-10}: S*(0.01) = {F(Interpolate(errors, entropy, 0.01))}, S*(0.1) = {F(Interpolate(errors, entropy, 0.1))}, S*(0.4) = {F(Interpolate(errors, entropy, 0.4))}; " +
                $"ε*(α=100) = {F(optimal[30])}, d ln ε*/d ln α (α ∈ [10³, 10⁴]) = {F(slope, "F3")}" +
                (below >= 0 ? $"; from α = {F(alphas[below], "G3")} the maximum sits at the smallest feasible ε on the table ({F(errors[Array.FindIndex(entropy, v => !double.IsNaN(v))])})" +
                  (curve.Kind == PerturbationKind.Binary && double.IsPositiveInfinity(s.Beta) ? " — binary S*(ε) = O(ε² ln 1/ε), so ε* jumps to 0 (first-order transition to perfect generalisation)" : "") : "");
            var atTen = curve.Profiles.First(r => r.Error >= 0.1);
            yield return $"  {"",-10}  profile at ε = {F(atTen.Error, "F3")}: {curve.Symbol} = {string.Join(", ", atTen.Strengths.Select(v => F(v, "G4")))}";
        }
    }
}
