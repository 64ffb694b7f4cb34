using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Reporting;
using FunctionSpace.Ising.Training;
using static FunctionSpace.Ising.Theory.TheoryText;

namespace FunctionSpace.Ising.Theory;

/// <summary>Settings of the dense Boolean-function study: theory for sign and ReLU, with and without constants, and simulations beside it.</summary>
/// <param name="Inputs">Number of binary inputs n (1..3).</param>
/// <param name="Layers">Depth L.</param>
/// <param name="Widths">Widths N of the layered simulations (empty with <paramref name="Networks"/> = 0).</param>
/// <param name="Networks">Networks per simulation; 0 = theory only.</param>
/// <param name="Weights">Weight distribution of the simulated networks.</param>
/// <param name="Seed">Seed of every simulation draw.</param>
/// <param name="Orthant">Accuracy of the orthant integration (matters for n = 3).</param>
/// <param name="Recurrent">Also simulate, at the largest width, the network that reuses one weight matrix in every layer.</param>
public sealed record DenseBooleanStudySettings(int Inputs, int Layers, int[] Widths, int Networks, WeightDistribution Weights, ulong Seed, OrthantSettings Orthant, bool Recurrent = true)
{
    /// <summary>The defaults (the CLI's option defaults read them): n = 2, L = 12, widths 65 and 257, 200 Gaussian networks each, seed 1.</summary>
    public static DenseBooleanStudySettings Default { get; } = new(2, 12, [65, 257], 200, WeightDistribution.Gaussian, 1, new OrthantSettings());

    /// <summary>Rejects out-of-range settings with a one-line message naming the option.</summary>
    public void Validate()
    {
        new DenseBooleanSetting(Activation.Sign, Inputs, true).Validate();
        if (Layers < 1 || Layers > 100) throw new InputException($"--layers: {Layers} must be in 1..100 for the dense model");
        if (Networks == 1 || Networks < 0) throw new InputException($"--networks: {Networks} must be 0 (theory only) or at least 2");
        RequireRange("--networks", Networks, 0, 1_000_000);
        RequireRange("--orthant-points", Orthant.PointsPerShift, 16, 10_000_000);
        if (Networks > 0 && Widths.Length == 0) throw new InputException("--width: give at least one width");
        Orthant.Validate();
        foreach (int width in Widths)
            foreach (bool constants in new[] { false, true })
                new DenseBooleanSimulationSettings(new DenseBooleanSetting(Activation.Sign, Inputs, constants), Weights, width, Layers, Math.Max(Networks, 2), false, Seed).Validate();
    }

    /// <summary>The four settings studied: sign and ReLU, each without and with constants.</summary>
    public DenseBooleanSetting[] Settings =>
        [new(Activation.Sign, Inputs, false), new(Activation.Sign, Inputs, true), new(Activation.ReLU, Inputs, false), new(Activation.ReLU, Inputs, true)];
}

/// <summary>Theory and simulations of one setting.</summary>
/// <param name="Setting">Activation, inputs, constants.</param>
/// <param name="Theory">P^l(f) and summaries, l = 1..L.</param>
/// <param name="Layered">One layered simulation per width.</param>
/// <param name="Recurrent">The weight-sharing simulation at the largest width (null when not run).</param>
public sealed record DenseBooleanCase(DenseBooleanSetting Setting, DenseFunctionLayer[] Theory, DenseBooleanSimulationResult[] Layered, DenseBooleanSimulationResult? Recurrent);

/// <summary>Everything the study computed.</summary>
/// <param name="Settings">What was asked.</param>
/// <param name="Classes">The function classes (see <see cref="DenseBooleanFunctions.FunctionClasses"/>).</param>
/// <param name="Cases">One per setting (sign/ReLU × without/with constants).</param>
public sealed record DenseBooleanStudyResult(DenseBooleanStudySettings Settings, int[][] Classes, DenseBooleanCase[] Cases);

/// <summary>
/// Runs the dense Boolean-function theory for the four settings and the finite-size simulations beside it; the
/// verdicts compare class probabilities (sums of P(f) over a class, which the symmetry makes equal within
/// the class at any N) in standard errors.
/// </summary>
public static class DenseBooleanStudy
{
    // Seed streams of the simulations: one per layered (setting, width) case, one per recurrent case.
    private const int LayeredStream = 11;
    private const int RecurrentStream = 12;

    /// <summary>Runs everything (pure: no files, progress through <paramref name="progress"/>).</summary>
    public static DenseBooleanStudyResult Run(DenseBooleanStudySettings settings, IProgress<ProgressReport>? progress = null, CancellationToken cancel = default)
    {
        settings.Validate();
        var classes = DenseBooleanFunctions.FunctionClasses(settings.Inputs);
        var cases = new List<DenseBooleanCase>();
        int index = 0;
        foreach (var setting in settings.Settings)
        {
            cancel.ThrowIfCancellationRequested();
            var theory = DenseBooleanFunctions.Layers(setting, settings.Layers, settings.Orthant);
            var layered = new List<DenseBooleanSimulationResult>();
            DenseBooleanSimulationResult? recurrent = null;
            if (settings.Networks > 0)
            {
                // Each simulation gets its own seed (independent draws, so differences have independent errors).
                foreach (int width in settings.Widths)
                    layered.Add(DenseBooleanSimulation.Run(new DenseBooleanSimulationSettings(setting, settings.Weights, width, settings.Layers, settings.Networks, false,
                        SplitMix64.Mix(settings.Seed, index * 64 + layered.Count, LayeredStream)), progress, cancel));
                if (settings.Recurrent)
                    recurrent = DenseBooleanSimulation.Run(new DenseBooleanSimulationSettings(setting, settings.Weights, settings.Widths.Max(), settings.Layers, settings.Networks, true,
                        SplitMix64.Mix(settings.Seed, index, RecurrentStream)), progress, cancel);
            }
            cases.Add(new DenseBooleanCase(setting, theory, [.. layered], recurrent));
            index++;
        }
        return new DenseBooleanStudyResult(settings, classes, [.. cases]);
    }

    /// <summary>Σ_{f ∈ class} P(f) for each class.</summary>
    public static double[] ClassProbabilities(int[][] classes, IReadOnlyList<double> p) => classes.Select(c => c.Sum(f => p[f])).ToArray();

    /// <summary>
    /// Largest |simulated − theory| / error over the classes, the error combining the simulation's standard error,
    /// floored at the binomial √(p(1 − p)/units) of the theory's p (a class never seen in a finite sample has a
    /// spread-based error of 0, which says nothing about a rare class), and the theory's numerical error (the
    /// sum over the class: errors within an orbit are copies).
    /// </summary>
    /// <param name="classes">The function classes.</param>
    /// <param name="theory">The theory layer.</param>
    /// <param name="simulated">The simulated layer.</param>
    /// <param name="units">Units tabulated for the estimate: networks × width.</param>
    public static (double Z, int Class) WorstClass(int[][] classes, DenseFunctionLayer theory, FunctionEstimate simulated, double units)
    {
        double[] expected = ClassProbabilities(classes, theory.Probabilities);
        double worst = 0; int at = 0;
        for (int c = 0; c < classes.Length; c++)
        {
            double binomial = Math.Sqrt(expected[c] * (1 - expected[c]) / units);
            double sampling = Math.Max(simulated.ClassErrors[c], binomial), numerical = classes[c].Sum(f => theory.Errors[f]);
            double z = Deviation(simulated.ClassProbabilities[c] - expected[c], Math.Sqrt(sampling * sampling + numerical * numerical));
            if (z > worst) { worst = z; at = c; }
        }
        return (worst, at);
    }

    /// <summary><see cref="WorstClass(int[][], DenseFunctionLayer, FunctionEstimate, double)"/> for layer l (1-based) of a simulation.</summary>
    public static (double Z, int Class) WorstClass(int[][] classes, DenseFunctionLayer theory, DenseBooleanSimulationResult simulation, int layer) =>
        WorstClass(classes, theory, simulation.Layers[layer - 1], (double)simulation.Settings.Networks * simulation.Settings.Width);

    /// <summary>Largest |a − b| / √(se_a² + se_b²) over the classes of two independent simulations.</summary>
    public static (double Z, int Class) WorstClassDifference(FunctionEstimate a, FunctionEstimate b)
    {
        double worst = 0; int at = 0;
        for (int c = 0; c < a.ClassProbabilities.Length; c++)
        {
            double z = Deviation(a.ClassProbabilities[c] - b.ClassProbabilities[c], Math.Sqrt(a.ClassErrors[c] * a.ClassErrors[c] + b.ClassErrors[c] * b.ClassErrors[c]));
            if (z > worst) { worst = z; at = c; }
        }
        return (worst, at);
    }

    /// <summary>|difference| / error, with 0/0 = 0 (a class absent from both) and x/0 = ∞.</summary>
    public static double Deviation(double difference, double error)
    {
        if (error > 0) return Math.Abs(difference) / error;
        return Math.Abs(difference) <= 1e-12 ? 0 : double.PositiveInfinity;
    }

    private static string Key(DenseBooleanSetting g) => g.Activation == Activation.Sign ? "sign" : "relu";

    // One colour per setting (theory line and its simulated points), one marker per width.
    private static string Colour(DenseBooleanSetting g) => (g.Activation, g.Constants) switch
    {
        (Activation.Sign, false) => "#1f77b4", (Activation.Sign, true) => "#2ca02c", (_, false) => "#d62728", _ => "#ff7f0e",
    };

    private static readonly ScottPlot.MarkerShape[] Markers = [ScottPlot.MarkerShape.OpenCircle, ScottPlot.MarkerShape.FilledSquare, ScottPlot.MarkerShape.OpenTriangleUp, ScottPlot.MarkerShape.FilledDiamond];

    // The simulated widths (none when theory only) and the width of the recurrent simulation (the largest).
    private static (int[] Widths, int RecurrentWidth) SimulatedWidths(DenseBooleanStudySettings s)
    {
        int[] widths = s.Networks > 0 ? s.Widths : [];
        return (widths, widths.Length > 0 ? widths.Max() : 0);
    }

    /// <summary>
    /// Writes dense_distribution.csv (P^l(f)), dense_classes.csv (class probabilities and their deviations in standard
    /// errors), dense_summary.csv and the figures (entropy, constant, parity, sensitivity vs depth; classes at the first and
    /// last depth; layered vs recurrent) into <paramref name="directory"/>.
    /// </summary>
    public static void Write(DenseBooleanStudyResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        var s = result.Settings;
        int n = s.Inputs, functions = DenseBooleanFunctions.FunctionCount(n);
        var classes = result.Classes;
        var (widths, recurrentWidth) = SimulatedWidths(s);
        double[] ls = Enumerable.Range(1, s.Layers).Select(l => (double)l).ToArray();

        // P^l(f): one row per setting, layer and function; simulations side by side.
        var distributionRows = new List<IReadOnlyList<object?>>();
        var classRows = new List<IReadOnlyList<object?>>();
        var summaryRows = new List<IReadOnlyList<object?>>();
        foreach (var c in result.Cases)
        {
            for (int l = 0; l < s.Layers; l++)
            {
                var theory = c.Theory[l];
                for (int f = 0; f < functions; f++)
                {
                    var row = new List<object?> { Key(c.Setting), c.Setting.Constants, l + 1, f, DenseBooleanFunctions.Name(n, f), theory.Probabilities[f], theory.Errors[f] };
                    foreach (var sim in c.Layered) { row.Add(sim.Layers[l].Probabilities[f]); row.Add(sim.Layers[l].StandardErrors[f]); }
                    if (c.Recurrent is { } rec) { row.Add(rec.Layers[l].Probabilities[f]); row.Add(rec.Layers[l].StandardErrors[f]); }
                    distributionRows.Add(row);
                }
                double[] theoryClasses = ClassProbabilities(classes, theory.Probabilities);
                for (int k = 0; k < classes.Length; k++)
                {
                    var row = new List<object?> { Key(c.Setting), c.Setting.Constants, l + 1, DenseBooleanFunctions.Name(n, classes[k][0]), classes[k].Length, theoryClasses[k] };
                    foreach (var sim in c.Layered)
                    {
                        var e = sim.Layers[l];
                        double units = (double)sim.Settings.Networks * sim.Settings.Width;
                        double sampling = Math.Max(e.ClassErrors[k], Math.Sqrt(theoryClasses[k] * (1 - theoryClasses[k]) / units)), numerical = classes[k].Sum(f => theory.Errors[f]);
                        row.Add(e.ClassProbabilities[k]); row.Add(e.ClassErrors[k]); row.Add(Deviation(e.ClassProbabilities[k] - theoryClasses[k], Math.Sqrt(sampling * sampling + numerical * numerical)));
                    }
                    if (c.Recurrent is { } rec)
                    {
                        var e = rec.Layers[l];
                        var layered = c.Layered[Array.IndexOf(widths, recurrentWidth)].Layers[l];
                        row.Add(e.ClassProbabilities[k]); row.Add(e.ClassErrors[k]);
                        row.Add(Deviation(e.ClassProbabilities[k] - layered.ClassProbabilities[k], Math.Sqrt(e.ClassErrors[k] * e.ClassErrors[k] + layered.ClassErrors[k] * layered.ClassErrors[k])));
                    }
                    classRows.Add(row);
                }
                summaryRows.Add([Key(c.Setting), c.Setting.Constants, l + 1, "theory", 0, theory.Entropy, 0.0, theory.ConstantProbability, 0.0, theory.ParityProbability, 0.0,
                    theory.Sensitivity, 0.0, "", theory.Errors.Max(), theory.Method.ToString(), ""]);
                foreach (var sim in c.Layered.Append(c.Recurrent).OfType<DenseBooleanSimulationResult>())
                {
                    var e = sim.Layers[l];
                    summaryRows.Add([Key(c.Setting), c.Setting.Constants, l + 1, sim.Settings.Recurrent ? "recurrent" : "layered", sim.Settings.Width,
                        e.Entropy, e.EntropyError, e.ConstantProbability, e.ConstantError, e.ParityProbability, e.ParityError, e.Sensitivity, e.SensitivityError,
                        WorstClass(classes, theory, sim, l + 1).Z, "", "", sim.Settings.Seed]);
                }
            }
        }
        bool recurrent = result.Cases[0].Recurrent is not null;
        string[] SimulationHeaders(string what) => [.. widths.SelectMany(w => new[] { $"{what}_N{w}", $"{what}_stderr_N{w}" }),
            .. (recurrent ? [$"{what}_recurrent_N{recurrentWidth}", $"{what}_recurrent_stderr_N{recurrentWidth}"] : Array.Empty<string>())];
        CsvTable.Write(Path.Combine(directory, "dense_distribution.csv"), ["activation", "constants", "layer", "function", "name", "p_theory", "p_theory_error", .. SimulationHeaders("p")], distributionRows);
        CsvTable.Write(Path.Combine(directory, "dense_classes.csv"), ["activation", "constants", "layer", "class", "size", "p_theory",
            .. widths.SelectMany(w => new[] { $"p_N{w}", $"stderr_N{w}", $"z_N{w}" }),
            .. (recurrent ? [$"p_recurrent_N{recurrentWidth}", $"stderr_recurrent_N{recurrentWidth}", "z_recurrent_vs_layered"] : Array.Empty<string>())], classRows);
        CsvTable.Write(Path.Combine(directory, "dense_summary.csv"), ["activation", "constants", "layer", "source", "width", "entropy_nats", "entropy_stderr",
            "p_constant", "p_constant_stderr", "p_parity", "p_parity_stderr", "sensitivity", "sensitivity_stderr", "max_class_z", "theory_max_error", "method", "seed"], summaryRows);

        // Figures: each summary vs depth, theory lines with simulated points (± 1 s.e.) beside them.
        void SummaryFigure(string file, string title, string yLabel, Func<DenseFunctionLayer, double> theory, Func<FunctionEstimate, (double, double)> simulated)
        {
            var curves = new List<Curve>();
            foreach (var c in result.Cases)
            {
                curves.Add(new Curve($"{c.Setting.Label}: theory", ls, c.Theory.Select(theory).ToArray(), Color: Colour(c.Setting)));
                for (int w = 0; w < c.Layered.Length; w++)
                    curves.Add(new Curve($"{c.Setting.Label}: N = {c.Layered[w].Settings.Width}", ls, c.Layered[w].Layers.Select(e => simulated(e).Item1).ToArray(),
                        c.Layered[w].Layers.Select(e => simulated(e).Item2).ToArray(), MarkersOnly: true, Color: Colour(c.Setting), Marker: Markers[w % Markers.Length]));
            }
            TheoryFigures.Lines(Path.Combine(directory, file), title, "depth L", yLabel, curves, legendOutside: true);
        }
        string sims = widths.Length > 0 ? $" (points: {s.Networks} networks, ± 1 s.e.)" : "";
        SummaryFigure("dense_entropy.png", $"Entropy of P^L(f), n = {n}, max ln {functions} = {F(Math.Log(functions), "F3")}{sims}", "H^L (nats)", t => t.Entropy, e => (e.Entropy, e.EntropyError));
        SummaryFigure("dense_constant.png", $"P^L(FALSE) + P^L(TRUE), n = {n}{sims}", "probability", t => t.ConstantProbability, e => (e.ConstantProbability, e.ConstantError));
        SummaryFigure("dense_parity.png", $"P^L(parity) + P^L(¬parity), n = {n}{sims}", "probability", t => t.ParityProbability, e => (e.ParityProbability, e.ParityError));
        SummaryFigure("dense_sensitivity.png", $"Input sensitivity (output flips per one-bit input flip), n = {n}{sims}", "sensitivity", t => t.Sensitivity, e => (e.Sensitivity, e.SensitivityError));
        // Class probabilities at the first and last depth, the largest width beside the theory.
        foreach (int depth in new[] { 1, s.Layers }.Distinct())
        {
            double[] xs = Enumerable.Range(0, classes.Length).Select(k => (double)k).ToArray();
            var curves = new List<Curve>();
            foreach (var c in result.Cases)
            {
                curves.Add(new Curve($"{c.Setting.Label}: theory", xs, ClassProbabilities(classes, c.Theory[depth - 1].Probabilities), Color: Colour(c.Setting)));
                if (c.Layered.Length > 0)
                {
                    var e = c.Layered[^1].Layers[depth - 1];
                    curves.Add(new Curve($"{c.Setting.Label}: N = {c.Layered[^1].Settings.Width}", xs, e.ClassProbabilities, e.ClassErrors, MarkersOnly: true,
                        Color: Colour(c.Setting), Marker: Markers[(c.Layered.Length - 1) % Markers.Length]));
                }
            }
            string legend = string.Join(", ", classes.Select((cl, k) => $"{k} {DenseBooleanFunctions.Name(n, cl[0])}{(cl.Length > 1 ? $"×{cl.Length}" : "")}"));
            if (legend.Length > 60) legend = "classes as in dense_classes.csv";
            TheoryFigures.Lines(Path.Combine(directory, $"dense_classes_L{depth}.png"), $"P(class), depth {depth}, n = {n}: {legend}", "class", "probability", curves, legendOutside: true);
        }
        if (recurrent)
        {
            var curves = new List<Curve>();
            foreach (var c in result.Cases)
            {
                curves.Add(new Curve($"{c.Setting.Label}: theory", ls, c.Theory.Select(t => t.Entropy).ToArray(), Color: Colour(c.Setting)));
                var layered = c.Layered[Array.IndexOf(widths, recurrentWidth)];
                curves.Add(new Curve($"{c.Setting.Label}: layered", ls, layered.Layers.Select(e => e.Entropy).ToArray(), layered.Layers.Select(e => e.EntropyError).ToArray(),
                    MarkersOnly: true, Color: Colour(c.Setting), Marker: ScottPlot.MarkerShape.OpenCircle));
                curves.Add(new Curve($"{c.Setting.Label}: recurrent", ls, c.Recurrent!.Layers.Select(e => e.Entropy).ToArray(), c.Recurrent.Layers.Select(e => e.EntropyError).ToArray(),
                    MarkersOnly: true, Color: Colour(c.Setting), Marker: ScottPlot.MarkerShape.FilledTriangleUp));
            }
            TheoryFigures.Lines(Path.Combine(directory, "dense_recurrent.png"), $"Layered vs recurrent (one N×N matrix in every layer), N = {recurrentWidth}, n = {n}", "depth L", "H^L (nats)", curves, legendOutside: true);
        }
    }

    /// <summary>The key numbers per setting: H, P(const), P(parity) and sensitivity from depth 1 to L, and each simulation's largest class deviation.</summary>
    public static IEnumerable<string> Summary(DenseBooleanStudyResult result)
    {
        var s = result.Settings;
        int n = s.Inputs, functions = DenseBooleanFunctions.FunctionCount(n);
        var classes = result.Classes;
        var (widths, recurrentWidth) = SimulatedWidths(s);
        yield return $"boolean (dense): n = {n} inputs ({DenseBooleanFunctions.Patterns(n)} patterns, {functions} functions, {classes.Length} classes), L = {s.Layers}" +
            (widths.Length > 0 ? $", {s.Weights.ToString().ToLowerInvariant()} weights, widths {string.Join(", ", widths)}, {s.Networks} networks each, seed {s.Seed}" : ", theory only");
        foreach (var c in result.Cases)
        {
            var first = c.Theory[0]; var last = c.Theory[^1];
            double sum = last.Probabilities.Sum();
            yield return $"  {c.Setting.Label}: H = {F(first.Entropy, "F4")} → {F(last.Entropy, "F4")} nats, P(const) = {F(first.ConstantProbability, "F4")} → {F(last.ConstantProbability, "F4")}, " +
                $"P(parity) = {F(first.ParityProbability, "F4")} → {F(last.ParityProbability, "F4")}, sensitivity = {F(first.Sensitivity, "F4")} → {F(last.Sensitivity, "F4")} " +
                $"(Σ P = {F(sum, "F8")}, {last.Method}, max error {F(c.Theory.Max(t => t.Errors.Max()), "G2")})";
            foreach (var sim in c.Layered.Append(c.Recurrent).OfType<DenseBooleanSimulationResult>())
            {
                var worst = Enumerable.Range(0, s.Layers).Select(l => (WorstClass(classes, c.Theory[l], sim, l + 1), Layer: l + 1)).MaxBy(x => x.Item1.Z);
                yield return $"    {(sim.Settings.Recurrent ? "recurrent" : "layered"),-9} N = {sim.Settings.Width}: H^L = {F(sim.Layers[^1].Entropy, "F4")} ± {F(sim.Layers[^1].EntropyError, "F4")}; " +
                    $"largest class deviation from theory {F(worst.Item1.Z, "F2")} s.e. ({DenseBooleanFunctions.Name(n, classes[worst.Item1.Class][0])}, L = {worst.Layer})";
            }
            if (c.Recurrent is { } recurrent)
            {
                var layered = c.Layered[Array.IndexOf(widths, recurrentWidth)];
                var worst = Enumerable.Range(0, s.Layers).Select(l => (WorstClassDifference(recurrent.Layers[l], layered.Layers[l]), Layer: l + 1)).MaxBy(x => x.Item1.Z);
                yield return $"    recurrent vs layered (N = {recurrentWidth}): largest class difference {F(worst.Item1.Z, "F2")} s.e. ({DenseBooleanFunctions.Name(n, classes[worst.Item1.Class][0])}, L = {worst.Layer})";
            }
        }
    }
}
