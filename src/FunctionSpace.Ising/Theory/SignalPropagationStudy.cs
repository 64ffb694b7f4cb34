using FunctionSpace.Ising.Reporting;
using static FunctionSpace.Ising.Theory.TheoryText;

namespace FunctionSpace.Ising.Theory;

/// <summary>Settings of the signal-propagation job (<c>fsi theory signal</c>).</summary>
public sealed record SignalPropagationStudySettings
{
    /// <summary>The defaults (the CLI's option defaults read them).</summary>
    public static SignalPropagationStudySettings Default { get; } = new();

    /// <summary>Bias standard deviations σ_b of the χ₁ and fixed-point curves.</summary>
    public double[] SigmaB { get; init; } = [0, 0.3, 1];

    /// <summary>Points along σ_b ∈ [0, 2] of the order/chaos boundary (3..1001).</summary>
    public int Points { get; init; } = 21;

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        foreach (double b in SigmaB) if (!(b >= 0)) throw new InputException($"--sigma-b: {b} must be non-negative");
        RequireRange("--points", Points, 3, 1001);
    }
}

/// <summary>The length-map fixed point at one (activation, σ_w, σ_b).</summary>
/// <param name="Activation">tanh, ReLU or sign.</param>
/// <param name="SigmaW">σ_w.</param>
/// <param name="SigmaB">σ_b.</param>
/// <param name="FixedPoint">q*, χ₁ and why the search stopped.</param>
public sealed record SignalPoint(Activation Activation, double SigmaW, double SigmaB, SignalFixedPoint FixedPoint);

/// <summary>The correlation map c → c′ at the fixed point of one example network.</summary>
/// <param name="Label">e.g. "Tanh, σ_w = 1.2, σ_b = 0.3".</param>
/// <param name="Values">c′ at each c of <see cref="SignalPropagationStudyResult.Correlations"/>.</param>
public sealed record CorrelationMapCurve(string Label, double[] Values);

/// <summary>Everything the signal-propagation job computed.</summary>
/// <param name="Settings">What was asked.</param>
/// <param name="Biases">σ_b along the boundary (0 … 2).</param>
/// <param name="CriticalTanh">σ_w where χ₁ = 1 for tanh at each σ_b.</param>
/// <param name="CriticalRelu">The same for ReLU.</param>
/// <param name="SigmaW">σ_w of the fixed-point curves (0.5 … 4, 61 points).</param>
/// <param name="FixedPoints">One per activation × σ_b × σ_w.</param>
/// <param name="Correlations">c values of the correlation maps (0 … 1, 41 points).</param>
/// <param name="CorrelationMaps">Four example maps.</param>
/// <param name="Example">The tanh fixed point at (σ_w, σ_b) = (1.5, 0.3), quoted in the summary.</param>
public sealed record SignalPropagationStudyResult(SignalPropagationStudySettings Settings, double[] Biases, double[] CriticalTanh, double[] CriticalRelu,
    double[] SigmaW, SignalPoint[] FixedPoints, double[] Correlations, CorrelationMapCurve[] CorrelationMaps, SignalFixedPoint Example);

/// <summary>
/// Mean-field signal propagation (Poole et al., NeurIPS 2016): the length-map fixed point q*, χ₁, the correlation map and
/// the order/chaos boundary χ₁ = 1 in (σ_w, σ_b), for tanh, ReLU and sign units, from <see cref="SignalPropagation"/>.
/// </summary>
public static class SignalPropagationStudy
{
    private static readonly Activation[] Activations = [Activation.Tanh, Activation.ReLU, Activation.Sign];

    /// <summary>Computes the boundary, the fixed-point curves and the example correlation maps.</summary>
    public static SignalPropagationStudyResult Run(SignalPropagationStudySettings settings, CancellationToken ct = default)
    {
        settings.Validate();
        double[] biases = Enumerable.Range(0, settings.Points).Select(i => 2.0 * i / (settings.Points - 1)).ToArray();
        double[] tanhLine = biases.Select(b => SignalPropagation.CriticalSigmaW(Activation.Tanh, b)).ToArray();
        double[] reluLine = biases.Select(b => SignalPropagation.CriticalSigmaW(Activation.ReLU, b)).ToArray();
        double[] sigmaW = Enumerable.Range(0, 61).Select(i => 0.5 + 3.5 * i / 60).ToArray();
        var points = new List<SignalPoint>();
        foreach (var activation in Activations)
            foreach (double b in settings.SigmaB)
            {
                ct.ThrowIfCancellationRequested();
                points.AddRange(sigmaW.Select(w => new SignalPoint(activation, w, b, new SignalPropagation(activation, w, b).FixedPoint())));
            }
        double[] cs = Enumerable.Range(0, 41).Select(i => i / 40.0).ToArray();
        var maps = new List<CorrelationMapCurve>();
        foreach (var (activation, w, b) in new[] { (Activation.Tanh, 1.2, 0.3), (Activation.Tanh, 2.5, 0.3), (Activation.ReLU, 1.4, 0.3), (Activation.Sign, 1.0, 0.3) })
        {
            var model = new SignalPropagation(activation, w, b);
            double q = model.FixedPoint().FixedPoint;
            maps.Add(new CorrelationMapCurve($"{activation}, σ_w = {F(w)}, σ_b = {F(b)}", cs.Select(c => model.CorrelationMap(c, q)).ToArray()));
        }
        var example = new SignalPropagation(Activation.Tanh, 1.5, 0.3).FixedPoint();
        return new SignalPropagationStudyResult(settings, biases, tanhLine, reluLine, sigmaW, [.. points], cs, [.. maps], example);
    }

    /// <summary>Writes phase_boundary.csv/png, fixed_points.csv, chi1.png, q_star.png and correlation_map.csv/png into <paramref name="directory"/>.</summary>
    public static void Write(SignalPropagationStudyResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        CsvTable.WriteColumns(Path.Combine(directory, "phase_boundary.csv"), ["sigma_b", "sigma_w_critical_tanh", "sigma_w_critical_relu"], result.Biases, result.CriticalTanh, result.CriticalRelu);
        TheoryFigures.Lines(Path.Combine(directory, "phase_boundary.png"), "Order/chaos boundary χ₁ = 1 (ordered left, chaotic right; sign units: chaotic everywhere)", "σ_w", "σ_b",
            [new Curve("tanh", result.CriticalTanh, result.Biases), new Curve("ReLU", result.CriticalRelu, result.Biases)]);
        CsvTable.Write(Path.Combine(directory, "fixed_points.csv"), ["activation", "sigma_w", "sigma_b", "q_star", "chi1", "stop"],
            result.FixedPoints.Select(p => (IReadOnlyList<object?>)[p.Activation.ToString(), p.SigmaW, p.SigmaB, p.FixedPoint.FixedPoint, p.FixedPoint.Chi1, p.FixedPoint.Stop.ToString()]));
        var chiCurves = new List<Curve>();
        var qCurves = new List<Curve>();
        int perCurve = result.SigmaW.Length;
        for (int a = 0; a < Activations.Length; a++)
            for (int bi = 0; bi < result.Settings.SigmaB.Length; bi++)
            {
                var activation = Activations[a];
                double b = result.Settings.SigmaB[bi];
                if (activation == Activation.Sign) continue;  // χ₁ = ∞
                // FixedPoints runs over activation, then σ_b, then σ_w.
                var curve = result.FixedPoints.Skip((a * result.Settings.SigmaB.Length + bi) * perCurve).Take(perCurve).Select(p => p.FixedPoint).ToArray();
                chiCurves.Add(new Curve($"{activation}, σ_b = {F(b)}", result.SigmaW, curve.Select(fp => fp.Chi1).ToArray()));
                qCurves.Add(new Curve($"{activation}, σ_b = {F(b)}", result.SigmaW, curve.Select(fp => fp.FixedPoint).ToArray()));
            }
        TheoryFigures.Lines(Path.Combine(directory, "chi1.png"), "χ₁ = σ_w² ∫Dz φ′(√q* z)² (χ₁ = 1: edge of chaos)", "σ_w", "χ₁", chiCurves);
        TheoryFigures.Lines(Path.Combine(directory, "q_star.png"), "Length-map fixed point q*", "σ_w", "q*", qCurves.Where(c => c.Label.StartsWith("Tanh")));
        var mapCurves = result.CorrelationMaps.Select(m => new Curve(m.Label, result.Correlations, m.Values)).ToList();
        CsvTable.WriteColumns(Path.Combine(directory, "correlation_map.csv"), ["c", .. mapCurves.Select(c => c.Label)], [result.Correlations, .. mapCurves.Select(c => c.Y)]);
        mapCurves.Add(new Curve("identity", [0, 1], [0, 1]));
        TheoryFigures.Lines(Path.Combine(directory, "correlation_map.png"), "Correlation map at the fixed point", "c^{l−1}", "c^l", mapCurves);
    }

    /// <summary>The key numbers: the critical σ_w at four σ_b and the tanh example.</summary>
    public static IEnumerable<string> Summary(SignalPropagationStudyResult result)
    {
        int points = result.Settings.Points;
        yield return "signal propagation: order/chaos boundary χ₁ = 1";
        foreach (int i in new[] { 0, points / 4, points / 2, points - 1 })
            yield return $"  σ_b = {F(result.Biases[i], "F2")}: tanh σ_w* = {F(result.CriticalTanh[i], "F5")}, ReLU σ_w* = {F(result.CriticalRelu[i], "F5")}";
        yield return $"  tanh (σ_w, σ_b) = (1.5, 0.3): q* = {F(result.Example.FixedPoint, "F6")}, χ₁ = {F(result.Example.Chi1, "F6")}; sign units: χ₁ = ∞ (always chaotic)";
    }
}
