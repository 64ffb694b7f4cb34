using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FunctionSpace.Ising.Reporting;
using FunctionSpace.Ising.Theory;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi theory dense|sparse|boolean|signal|simulate</c>: the generating-functional theory of random deep
/// networks (Li &amp; Saad 2018; Mozeika, Saad &amp; Raymond; Poole et al. 2016) and its finite-size check.
/// Each subcommand writes CSV + PNG figures to --out and prints the key numbers.
/// </summary>
internal static class TheoryCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed record DenseSettings(string Out, int Layers, double Beta, int Errors, int Grid);
    private sealed record SparseSettings(string Out, int FanIn, double InputMagnetisation, int Layers, int Points, double[] Probabilities);
    private sealed record BooleanSettings(string Out, string Gate, int FanIn, int Layers, double[] Probabilities, bool Negations);
    private sealed record SignalSettings(string Out, double[] SigmaB, int Points);
    private sealed record SimulateSettings(string Out, string Model, int Width, int Layers, string Kind, double Strength, double Beta,
        int FanIn, double InputMagnetisation, int Inputs, int Repeats, ulong Seed, bool Quiet);

    public static Command Create()
    {
        var command = new Command("theory", "Generating-functional theory of random deep networks: max-entropy perturbations, sparse MAJ-k networks, Boolean functions, signal propagation, finite-size simulation");
        command.Subcommands.Add(Dense());
        command.Subcommands.Add(Sparse());
        command.Subcommands.Add(Boolean());
        command.Subcommands.Add(Signal());
        command.Subcommands.Add(Simulate());
        return command;
    }

    private static Option<string> Out(string sub) => new("--out", "-o")
    {
        Description = "Output folder (CSV and PNG figures)",
        DefaultValueFactory = _ => Path.Combine("models", "theory", sub),
    };

    private static Option<string> Beta() => new("--beta")
    {
        Description = "Inverse temperature of the stochastic sign units (a positive number, or 'inf' for deterministic sign units)",
        DefaultValueFactory = _ => "inf",
    };

    private static double ParseBeta(string text)
    {
        if (text is "inf" or "infinity" or "∞") return double.PositiveInfinity;
        if (double.TryParse(text, NumberStyles.Float, Inv, out double beta) && beta > 0 && !double.IsNaN(beta)) return beta;
        throw new InputException($"--beta: '{text}' is not a positive number or 'inf'");
    }

    private static Option<double[]> DoubleList(string name, string description, double[] defaults) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaults,
        AllowMultipleArgumentsPerToken = true,
    };

    private static string F(double value, string format = "G6") => value.ToString(format, Inv);

    // ---------------------------------------------------------------- dense
    private static Command Dense()
    {
        var output = Out("dense");
        var layers = new Option<int>("--layers") { Description = "Depth L", DefaultValueFactory = _ => 4 }.InRange(1, 12);
        var beta = Beta();
        var errors = new Option<int>("--errors") { Description = "Number of ε values in [1e-8, 0.5] (half log-spaced below 0.01, half linear above)", DefaultValueFactory = _ => 96 }.InRange(8, 400);
        var grid = new Option<int>("--grid") { Description = "Grid points of the dynamic programme over 1 − q", DefaultValueFactory = _ => 501 }.InRange(41, 4001);
        var command = new Command("dense", "Dense networks: max-entropy perturbation profiles η*(ε), p*(ε), entropy S*(ε), annealed generalisation ε*(α), layer map F_β")
        {
            output, layers, beta, errors, grid,
        };
        command.SetAction(parse => RunDense(new DenseSettings(parse.GetValue(output)!, parse.GetValue(layers), ParseBeta(parse.GetValue(beta)!),
            parse.GetValue(errors), parse.GetValue(grid)), Progress(parse), parse.InvocationConfiguration.Output));
        return command;
    }

    private static ConsoleProgress Progress(ParseResult parse) => new(Console.Error, parse.GetValue(CliApp.Quiet));

    private static int RunDense(DenseSettings s, IProgress<ProgressReport> progress, TextWriter output)
    {
        var watch = Stopwatch.StartNew();
        Directory.CreateDirectory(s.Out);
        var map = new LayerMap(s.Beta);
        // Half the ε values log-spaced on [1e-8, 1e-2) (the large-α tail), half linear on [1e-2, 0.5] (where the
        // binary profile jumps).
        int logCount = s.Errors / 2, linearCount = s.Errors - logCount;
        double[] errors = [.. Enumerable.Range(0, logCount).Select(i => Math.Pow(10, -8 + 6.0 * i / logCount)),
            .. Enumerable.Range(0, linearCount).Select(i => 0.01 + 0.49 * i / (linearCount - 1))];
        var alphas = Enumerable.Range(0, 51).Select(i => Math.Pow(10, -1 + 5.0 * i / 50)).ToArray();  // 0.1 … 10⁴
        var entropyCurves = new List<Curve>();
        var alphaCurves = new List<Curve>();
        output.WriteLine($"dense: L = {s.Layers}, β = {F(s.Beta)}, {errors.Length} ε values in [1e-8, 0.5], DP grid {s.Grid}");
        foreach (var kind in new[] { PerturbationKind.Continuous, PerturbationKind.Binary })
        {
            string name = kind.ToString().ToLowerInvariant(), symbol = kind == PerturbationKind.Continuous ? "eta" : "p";
            var solver = new MaxEntropySolver(new MaxEntropySettings(kind, s.Layers, s.Grid), map);
            var results = solver.SolveAll(errors, progress);
            string[] headers = ["epsilon", "feasible", "entropy", .. Enumerable.Range(1, s.Layers).Select(l => $"{symbol}{l}"),
                .. Enumerable.Range(1, s.Layers).Select(l => $"one_minus_q{l}"), "polish_sweeps", "polish_stop"];
            CsvTable.Write(Path.Combine(s.Out, $"profiles_{name}.csv"), headers, results.Select(r => (IReadOnlyList<object?>)
                [r.Error, r.Feasible, r.Entropy, .. r.Strengths.Cast<object?>(), .. r.Disagreements.Skip(1).Cast<object?>(), r.PolishSweeps, r.Stop.ToString()]));
            TheoryFigures.Lines(Path.Combine(s.Out, $"profiles_{name}.png"), $"Max-entropy perturbation profile ({name} weights, L = {s.Layers})",
                "ε", kind == PerturbationKind.Continuous ? "η*ˡ(ε)" : "p*ˡ(ε)",
                Enumerable.Range(0, s.Layers).Select(l => new Curve($"layer {l + 1}", errors, results.Select(r => r.Strengths[l]).ToArray())));
            double[] entropy = results.Select(r => r.Entropy).ToArray();
            entropyCurves.Add(new Curve(name, errors, entropy));
            double[] optimal = alphas.Select(a => AnnealedGeneralisation.OptimalError(errors, entropy, a)).ToArray();
            alphaCurves.Add(new Curve(name, alphas.Select(Math.Log10).ToArray(), optimal.Select(Math.Log10).ToArray()));
            // NaN ε*: the maximum sits at the smallest tabulated ε (ε* below the table).
            CsvTable.Write(Path.Combine(s.Out, $"generalisation_{name}.csv"), ["alpha", "epsilon_star", "below_table"],
                alphas.Select((a, i) => (IReadOnlyList<object?>)[a, optimal[i], double.IsNaN(optimal[i])]));
            // Large-α exponent from the last decade of α.
            double slope = Math.Log(optimal[^1] / optimal[^11]) / Math.Log(alphas[^1] / alphas[^11]);
            int below = Array.FindIndex(optimal, double.IsNaN);
            output.WriteLine($"  {name,-10}: S*(0.01) = {F(Interp(errors, entropy, 0.01))}, S*(0.1) = {F(Interp(errors, entropy, 0.1))}, S*(0.4) = {F(Interp(errors, entropy, 0.4))}; " +
                $"ε*(α=100) = {F(optimal[30])}, d ln ε*/d ln α (α ∈ [10³, 10⁴]) = {F(slope, "F3")}" +
                (below >= 0 ? $"; from α = {F(alphas[below], "G3")} the maximum sits at the smallest feasible ε on the table ({F(errors[Array.FindIndex(entropy, v => !double.IsNaN(v))])})" +
                  (kind == PerturbationKind.Binary && double.IsPositiveInfinity(s.Beta) ? " — binary S*(ε) = O(ε² ln 1/ε), so ε* jumps to 0 (first-order transition to perfect generalisation)" : "") : ""));
            var atTen = results.First(r => r.Error >= 0.1);
            output.WriteLine($"  {"",-10}  profile at ε = {F(atTen.Error, "F3")}: {symbol} = {string.Join(", ", atTen.Strengths.Select(v => F(v, "G4")))}");
        }
        CsvTable.WriteColumns(Path.Combine(s.Out, "entropy.csv"), ["epsilon", "entropy_continuous", "entropy_binary"], errors, entropyCurves[0].Y, entropyCurves[1].Y);
        TheoryFigures.Lines(Path.Combine(s.Out, "entropy_binary.png"), $"Entropy per weight S*(ε), binary weights, L = {s.Layers}", "ε", "S* (nats)", [entropyCurves[1]]);
        TheoryFigures.Lines(Path.Combine(s.Out, "entropy_continuous.png"), $"Entropy per weight S*(ε) = ⟨ln η⟩, continuous weights, L = {s.Layers}", "ε", "S*", [entropyCurves[0]]);
        TheoryFigures.Lines(Path.Combine(s.Out, "generalisation.png"), "Annealed generalisation: ε*(α) = argmax [S*(ε) + α ln(1 − ε)]", "log10 α", "log10 ε*",
            [.. alphaCurves, new Curve("slope −1", [2, 3], [alphaCurves[0].Y[30], alphaCurves[0].Y[30] - 1])]);
        double[] cs = Enumerable.Range(0, 51).Select(i => i / 50.0).ToArray();
        var betas = new[] { 0.5, 1, 2, 5, double.PositiveInfinity };
        var mapColumns = betas.Select(b => (IReadOnlyList<double>)cs.Select(c => DenseOverlap.OverlapMap(b, c)).ToArray()).ToArray();
        CsvTable.WriteColumns(Path.Combine(s.Out, "layer_map.csv"), ["c", .. betas.Select(b => $"q_beta_{F(b)}")], [cs, .. mapColumns]);
        TheoryFigures.Lines(Path.Combine(s.Out, "layer_map.png"), "Layer map q = E[tanh βĥ tanh βh] at field correlation c", "c = ρ q^{l−1}", "q^l",
            betas.Select((b, i) => new Curve($"β = {F(b)}", cs, mapColumns[i])));
        output.WriteLine($"wrote {Path.GetFullPath(s.Out)} in {watch.Elapsed.TotalSeconds:F1} s");
        return CliApp.ExitOk;
    }

    private static double Interp(double[] xs, double[] ys, double x)
    {
        int i = Array.FindIndex(xs, v => v >= x);
        if (i <= 0) return ys[Math.Max(i, 0)];
        double t = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
        return ys[i - 1] + t * (ys[i] - ys[i - 1]);
    }

    // ---------------------------------------------------------------- sparse
    private static Command Sparse()
    {
        var output = Out("sparse");
        var k = new Option<int>("--k") { Description = "Fan-in of the MAJ-k gates (odd, ≥ 3)", DefaultValueFactory = _ => 3 };
        var m0 = new Option<double>("--m0") { Description = "Magnetisation of the random ±1 input (0 = unbiased; a small bias selects the m > 0 branch)", DefaultValueFactory = _ => 0.1 }.InRange(-1, 1);
        var layers = new Option<int>("--layers") { Description = "Layers of the δ(l) curves", DefaultValueFactory = _ => 40 }.InRange(1, 100000);
        var points = new Option<int>("--points") { Description = "Flip probabilities p in [0, 0.5] for the stationary-state curves", DefaultValueFactory = _ => 101 }.InRange(3, 10001);
        var ps = DoubleList("--p", "Flip probabilities of the δ(l) curves", [0.02, 0.05, 0.1, 0.15, 0.2, 0.3]);
        var command = new Command("sparse", "Sparse MAJ-k networks: stationary m^∞, q^∞ and ε vs p (transition at p_c), internal error δ(l) along the layers")
        {
            output, k, m0, layers, points, ps,
        };
        command.SetAction(parse => RunSparse(new SparseSettings(parse.GetValue(output)!, parse.GetValue(k), parse.GetValue(m0), parse.GetValue(layers),
            parse.GetValue(points), parse.GetValue(ps)!), parse.InvocationConfiguration.Output));
        return command;
    }

    private static int RunSparse(SparseSettings s, TextWriter output)
    {
        var watch = Stopwatch.StartNew();
        Directory.CreateDirectory(s.Out);
        double pc = SparseMajority.CriticalFlipProbability(s.FanIn);
        double[] ps = Enumerable.Range(0, s.Points).Select(i => 0.5 * i / (s.Points - 1)).ToArray();
        var rows = new List<IReadOnlyList<object?>>();
        double[] mInf = new double[ps.Length], qInf = new double[ps.Length], eps = new double[ps.Length], closed = new double[ps.Length];
        for (int i = 0; i < ps.Length; i++)
        {
            var sparse = new SparseMajority(s.FanIn, ps[i]);
            var stationary = sparse.Stationary(s.InputMagnetisation, 1e-12, 20_000);
            mInf[i] = stationary.State.Magnetisation;
            qInf[i] = stationary.State.Overlap;
            eps[i] = stationary.State.InternalError;
            closed[i] = s.FanIn == 3 ? Math.Sign(s.InputMagnetisation) * SparseMajority.Maj3StationaryMagnetisation(ps[i]) : Math.Sign(s.InputMagnetisation) * sparse.StationaryMagnetisation();
            rows.Add([ps[i], stationary.State.ReferenceMagnetisation, mInf[i], qInf[i], eps[i], closed[i], stationary.Layers, stationary.Stop.ToString()]);
        }
        CsvTable.Write(Path.Combine(s.Out, "stationary.csv"), ["p", "m_hat_inf", "m_inf", "q_inf", "epsilon", s.FanIn == 3 ? "m_inf_closed_form" : "m_inf_fixed_point", "layers", "stop"], rows);
        TheoryFigures.Lines(Path.Combine(s.Out, "stationary.png"), $"MAJ-{s.FanIn}: stationary state (m⁰ = {F(s.InputMagnetisation)}), p_c = {F(pc, "F4")}", "p", "value",
        [
            new Curve("m^∞ (recursion)", ps, mInf, MarkersOnly: true),
            new Curve(s.FanIn == 3 ? "±√((1−6p)/(1−2p)³)" : "fixed point of m-map", ps, closed),
            new Curve("q^∞", ps, qInf),
            new Curve("ε = (1 − q^∞)/2", ps, eps),
        ]);
        var deltaCurves = new List<Curve>();
        var deltaRows = new List<IReadOnlyList<object?>>();
        double[] ls = Enumerable.Range(0, s.Layers + 1).Select(l => (double)l).ToArray();
        foreach (double p in s.Probabilities)
        {
            var states = new SparseMajority(s.FanIn, p).Layers(s.Layers, s.InputMagnetisation);
            double[] delta = states.Select(x => x.InternalError).ToArray();
            deltaCurves.Add(new Curve($"p = {F(p)}", ls, delta));
            for (int l = 0; l <= s.Layers; l++) deltaRows.Add([p, l, states[l].ReferenceMagnetisation, states[l].Magnetisation, states[l].Overlap, delta[l]]);
        }
        CsvTable.Write(Path.Combine(s.Out, "internal_error.csv"), ["p", "layer", "m_hat", "m", "q", "delta"], deltaRows);
        TheoryFigures.Lines(Path.Combine(s.Out, "internal_error.png"), $"MAJ-{s.FanIn}: internal error δ(l) = (1 − qˡ)/2, m⁰ = {F(s.InputMagnetisation)}", "layer l", "δ(l)", deltaCurves);
        output.WriteLine($"sparse MAJ-{s.FanIn}: p_c = {F(pc, "F6")}, input magnetisation m⁰ = {F(s.InputMagnetisation)}");
        foreach (double p in new[] { 0.05, 0.1, 0.15, 0.2 })
        {
            var st = new SparseMajority(s.FanIn, p).Stationary(s.InputMagnetisation, 1e-12, 20_000);
            output.WriteLine($"  p = {F(p, "F2")}: m^∞ = {F(st.State.Magnetisation, "F6")}, q^∞ = {F(st.State.Overlap, "F6")}, ε = {F(st.State.InternalError, "F6")} ({st.Stop.ToString().ToLowerInvariant()} after {st.Layers} layers)");
        }
        foreach (var curve in deltaCurves)
        {
            int peak = Array.IndexOf(curve.Y.ToArray(), curve.Y.Max());
            output.WriteLine($"  δ(l), {curve.Label}: peak {F(curve.Y[peak], "F4")} at l = {peak}, δ(L = {s.Layers}) = {F(curve.Y[^1], "F4")}");
        }
        output.WriteLine($"wrote {Path.GetFullPath(s.Out)} in {watch.Elapsed.TotalSeconds:F1} s");
        return CliApp.ExitOk;
    }

    // ---------------------------------------------------------------- boolean
    private static Command Boolean()
    {
        var output = Out("boolean");
        var model = new Option<string>("--model") { Description = "sparse (layered gate networks) or dense (random sign and ReLU networks)", DefaultValueFactory = _ => "sparse" };
        model.AcceptOnlyFromAmong("sparse", "dense");
        var gate = new Option<string>("--gate") { Description = "sparse: gate α: maj, and, or, xor, nand, nor", DefaultValueFactory = _ => "maj" };
        var k = new Option<int>("--k") { Description = "sparse: gate fan-in k (≤ 6: the recursion enumerates 16^k parent tuples)", DefaultValueFactory = _ => 3 };
        var layers = new Option<int>("--layers") { Description = "Depth L", DefaultValueFactory = _ => 12 }.InRange(1, 10000);
        var ps = DoubleList("--p", "sparse: wire-negation (weight-flip) probabilities, one curve each", [0, 0.05, 0.1, 0.2, 0.5]);
        var negations = new Option<bool>("--negations") { Description = "sparse: layer-0 units are x1, x2, ¬x1, ¬x2 [default: x1, x2 only]" };
        var inputs = new Option<int>("--inputs") { Description = "dense: number of binary inputs n (2^n patterns, 2^(2^n) functions)", DefaultValueFactory = _ => 2 }.InRange(1, DenseBooleanSetting.MaxInputs);
        var widths = new Option<int[]>("--width")
        {
            Description = "dense: widths N of the simulated networks, one simulation each (odd for binary weights)",
            DefaultValueFactory = _ => [65, 257],
            AllowMultipleArgumentsPerToken = true,
        };
        var networks = new Option<int>("--networks") { Description = "dense: independent networks per simulation (error bars from their spread); 0 = theory only", DefaultValueFactory = _ => 200 }.InRange(0, 1_000_000);
        var weights = new Option<string>("--weights") { Description = "dense: weights of the simulated networks, gaussian or binary (±1); the N → ∞ theory is the same", DefaultValueFactory = _ => "gaussian" };
        weights.AcceptOnlyFromAmong("gaussian", "binary");
        var orthantPoints = new Option<int>("--orthant-points") { Description = "dense, n = 3: lattice points per shift of the orthant integration (10 shifts)", DefaultValueFactory = _ => 4096 }.InRange(16, 10_000_000);
        var seed = CommonOptions.Seed();
        var command = new Command("boolean", "Distribution P^L(f) of the Boolean functions computed by random networks and its entropy H^L vs depth: sparse layered gate networks (2 inputs) or dense sign/ReLU networks (n inputs, with and without constant inputs, with finite-size simulations)")
        {
            output, model, gate, k, layers, ps, negations, inputs, widths, networks, weights, orthantPoints, seed,
        };
        command.SetAction(parse => parse.GetValue(model) == "dense"
            ? RunDenseBoolean(new DenseBooleanStudySettings(parse.GetValue(inputs), parse.GetValue(layers), parse.GetValue(widths)!, parse.GetValue(networks),
                parse.GetValue(weights) == "binary" ? WeightDistribution.Binary : WeightDistribution.Gaussian, parse.GetValue(seed),
                new OrthantSettings(PointsPerShift: parse.GetValue(orthantPoints))), parse.GetValue(output)!, Progress(parse), parse.InvocationConfiguration.Output)
            : RunBoolean(new BooleanSettings(parse.GetValue(output)!, parse.GetValue(gate)!, parse.GetValue(k), parse.GetValue(layers),
                parse.GetValue(ps)!, parse.GetValue(negations)), parse.InvocationConfiguration.Output));
        return command;
    }

    private static int RunBoolean(BooleanSettings s, TextWriter output)
    {
        var watch = Stopwatch.StartNew();
        var gate = BooleanGate.Create(s.Gate, s.FanIn);
        foreach (double p in s.Probabilities)
            if (!(p >= 0 && p <= 1)) throw new InputException($"--p: {p} must lie in [0, 1]");
        Directory.CreateDirectory(s.Out);
        var rows = new List<IReadOnlyList<object?>>();
        var curves = new List<Curve>();
        double[] ls = Enumerable.Range(0, s.Layers + 1).Select(l => (double)l).ToArray();
        output.WriteLine($"boolean: gate {s.Gate}-{s.FanIn}, inputs {(s.Negations ? "x1, x2, ¬x1, ¬x2" : "x1, x2")}, L = {s.Layers}");
        foreach (double p in s.Probabilities)
        {
            var layers = BooleanFunctionDistribution.Layers(gate, s.Layers, p, s.Negations);
            double[] entropy = layers.Select(BooleanFunctionDistribution.Entropy).ToArray();
            curves.Add(new Curve($"p = {F(p)}", ls, entropy));
            for (int l = 0; l <= s.Layers; l++) rows.Add([p, l, entropy[l], .. layers[l].Cast<object?>()]);
            var last = layers[^1];
            var top = Enumerable.Range(0, 16).OrderByDescending(f => last[f]).Take(3).Select(f => $"{BooleanFunctionDistribution.FunctionNames[f]} {F(last[f], "F3")}");
            output.WriteLine($"  p = {F(p)}: H^0 = {F(entropy[0], "F3")} → H^{s.Layers} = {F(entropy[^1], "F4")} bits; most likely: {string.Join(", ", top)}");
        }
        CsvTable.Write(Path.Combine(s.Out, "distribution.csv"), ["p", "layer", "entropy_bits", .. BooleanFunctionDistribution.FunctionNames.Select(n => $"P[{n}]")], rows);
        TheoryFigures.Lines(Path.Combine(s.Out, "entropy.png"), $"Entropy of the function distribution, {s.Gate}-{s.FanIn} gates", "layer l", "H^l (bits)", curves);
        output.WriteLine($"wrote {Path.GetFullPath(s.Out)} in {watch.Elapsed.TotalSeconds:F1} s");
        return CliApp.ExitOk;
    }

    private static int RunDenseBoolean(DenseBooleanStudySettings s, string outDir, IProgress<ProgressReport> progress, TextWriter output)
    {
        var watch = Stopwatch.StartNew();
        s.Validate();
        var result = DenseBooleanStudy.Run(s, progress);
        Directory.CreateDirectory(outDir);
        int n = s.Inputs, functions = DenseBooleanFunctions.FunctionCount(n);
        var classes = result.Classes;
        int[] widths = s.Networks > 0 ? s.Widths : [];
        int recurrentWidth = widths.Length > 0 ? widths.Max() : 0;
        double[] ls = Enumerable.Range(1, s.Layers).Select(l => (double)l).ToArray();
        static string Key(DenseBooleanSetting g) => $"{(g.Activation == Activation.Sign ? "sign" : "relu")}";
        // One colour per setting (theory line and its simulated points), one marker per width.
        static string Colour(DenseBooleanSetting g) => (g.Activation, g.Constants) switch
        {
            (Activation.Sign, false) => "#1f77b4", (Activation.Sign, true) => "#2ca02c", (_, false) => "#d62728", _ => "#ff7f0e",
        };
        ScottPlot.MarkerShape[] markers = [ScottPlot.MarkerShape.OpenCircle, ScottPlot.MarkerShape.FilledSquare, ScottPlot.MarkerShape.OpenTriangleUp, ScottPlot.MarkerShape.FilledDiamond];

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
                double[] theoryClasses = DenseBooleanStudy.ClassProbabilities(classes, theory.Probabilities);
                for (int k = 0; k < classes.Length; k++)
                {
                    var row = new List<object?> { Key(c.Setting), c.Setting.Constants, l + 1, DenseBooleanFunctions.Name(n, classes[k][0]), classes[k].Length, theoryClasses[k] };
                    foreach (var sim in c.Layered)
                    {
                        var e = sim.Layers[l];
                        double units = (double)sim.Settings.Networks * sim.Settings.Width;
                        double sampling = Math.Max(e.ClassErrors[k], Math.Sqrt(theoryClasses[k] * (1 - theoryClasses[k]) / units)), numerical = classes[k].Sum(f => theory.Errors[f]);
                        row.Add(e.ClassProbabilities[k]); row.Add(e.ClassErrors[k]); row.Add(DenseBooleanStudy.Deviation(e.ClassProbabilities[k] - theoryClasses[k], Math.Sqrt(sampling * sampling + numerical * numerical)));
                    }
                    if (c.Recurrent is { } rec)
                    {
                        var e = rec.Layers[l];
                        var layered = c.Layered[Array.IndexOf(widths, recurrentWidth)].Layers[l];
                        row.Add(e.ClassProbabilities[k]); row.Add(e.ClassErrors[k]);
                        row.Add(DenseBooleanStudy.Deviation(e.ClassProbabilities[k] - layered.ClassProbabilities[k], Math.Sqrt(e.ClassErrors[k] * e.ClassErrors[k] + layered.ClassErrors[k] * layered.ClassErrors[k])));
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
                        DenseBooleanStudy.WorstClass(classes, theory, sim, l + 1).Z, "", "", sim.Settings.Seed]);
                }
            }
        }
        string[] simulationHeaders(string what) => [.. widths.SelectMany(w => new[] { $"{what}_N{w}", $"{what}_stderr_N{w}" }),
            .. (result.Cases[0].Recurrent is null ? Array.Empty<string>() : [$"{what}_recurrent_N{recurrentWidth}", $"{what}_recurrent_stderr_N{recurrentWidth}"])];
        CsvTable.Write(Path.Combine(outDir, "dense_distribution.csv"), ["activation", "constants", "layer", "function", "name", "p_theory", "p_theory_error", .. simulationHeaders("p")], distributionRows);
        CsvTable.Write(Path.Combine(outDir, "dense_classes.csv"), ["activation", "constants", "layer", "class", "size", "p_theory",
            .. widths.SelectMany(w => new[] { $"p_N{w}", $"stderr_N{w}", $"z_N{w}" }),
            .. (result.Cases[0].Recurrent is null ? Array.Empty<string>() : [$"p_recurrent_N{recurrentWidth}", $"stderr_recurrent_N{recurrentWidth}", "z_recurrent_vs_layered"])], classRows);
        CsvTable.Write(Path.Combine(outDir, "dense_summary.csv"), ["activation", "constants", "layer", "source", "width", "entropy_nats", "entropy_stderr",
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
                        c.Layered[w].Layers.Select(e => simulated(e).Item2).ToArray(), MarkersOnly: true, Color: Colour(c.Setting), Marker: markers[w % markers.Length]));
            }
            TheoryFigures.Lines(Path.Combine(outDir, file), title, "depth L", yLabel, curves, legendOutside: true);
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
                curves.Add(new Curve($"{c.Setting.Label}: theory", xs, DenseBooleanStudy.ClassProbabilities(classes, c.Theory[depth - 1].Probabilities), Color: Colour(c.Setting)));
                if (c.Layered.Length > 0)
                {
                    var e = c.Layered[^1].Layers[depth - 1];
                    curves.Add(new Curve($"{c.Setting.Label}: N = {c.Layered[^1].Settings.Width}", xs, e.ClassProbabilities, e.ClassErrors, MarkersOnly: true,
                        Color: Colour(c.Setting), Marker: markers[(c.Layered.Length - 1) % markers.Length]));
                }
            }
            string legend = string.Join(", ", classes.Select((cl, k) => $"{k} {DenseBooleanFunctions.Name(n, cl[0])}{(cl.Length > 1 ? $"×{cl.Length}" : "")}"));
            if (legend.Length > 60) legend = "classes as in dense_classes.csv";
            TheoryFigures.Lines(Path.Combine(outDir, $"dense_classes_L{depth}.png"), $"P(class), depth {depth}, n = {n}: {legend}", "class", "probability", curves, legendOutside: true);
        }
        if (result.Cases[0].Recurrent is not null)
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
            TheoryFigures.Lines(Path.Combine(outDir, "dense_recurrent.png"), $"Layered vs recurrent (one N×N matrix in every layer), N = {recurrentWidth}, n = {n}", "depth L", "H^L (nats)", curves, legendOutside: true);
        }

        output.WriteLine($"boolean (dense): n = {n} inputs ({DenseBooleanFunctions.Patterns(n)} patterns, {functions} functions, {classes.Length} classes), L = {s.Layers}" +
            (widths.Length > 0 ? $", {s.Weights.ToString().ToLowerInvariant()} weights, widths {string.Join(", ", widths)}, {s.Networks} networks each, seed {s.Seed}" : ", theory only"));
        foreach (var c in result.Cases)
        {
            var first = c.Theory[0]; var last = c.Theory[^1];
            double sum = last.Probabilities.Sum();
            output.WriteLine($"  {c.Setting.Label}: H = {F(first.Entropy, "F4")} → {F(last.Entropy, "F4")} nats, P(const) = {F(first.ConstantProbability, "F4")} → {F(last.ConstantProbability, "F4")}, " +
                $"P(parity) = {F(first.ParityProbability, "F4")} → {F(last.ParityProbability, "F4")}, sensitivity = {F(first.Sensitivity, "F4")} → {F(last.Sensitivity, "F4")} " +
                $"(Σ P = {F(sum, "F8")}, {last.Method}, max error {F(c.Theory.Max(t => t.Errors.Max()), "G2")})");
            foreach (var sim in c.Layered.Append(c.Recurrent).OfType<DenseBooleanSimulationResult>())
            {
                var worst = Enumerable.Range(0, s.Layers).Select(l => (DenseBooleanStudy.WorstClass(classes, c.Theory[l], sim, l + 1), Layer: l + 1)).MaxBy(x => x.Item1.Z);
                output.WriteLine($"    {(sim.Settings.Recurrent ? "recurrent" : "layered"),-9} N = {sim.Settings.Width}: H^L = {F(sim.Layers[^1].Entropy, "F4")} ± {F(sim.Layers[^1].EntropyError, "F4")}; " +
                    $"largest class deviation from theory {F(worst.Item1.Z, "F2")} s.e. ({DenseBooleanFunctions.Name(n, classes[worst.Item1.Class][0])}, L = {worst.Layer})");
            }
            if (c.Recurrent is { } recurrent)
            {
                var layered = c.Layered[Array.IndexOf(widths, recurrentWidth)];
                var worst = Enumerable.Range(0, s.Layers).Select(l => (DenseBooleanStudy.WorstClassDifference(recurrent.Layers[l], layered.Layers[l]), Layer: l + 1)).MaxBy(x => x.Item1.Z);
                output.WriteLine($"    recurrent vs layered (N = {recurrentWidth}): largest class difference {F(worst.Item1.Z, "F2")} s.e. ({DenseBooleanFunctions.Name(n, classes[worst.Item1.Class][0])}, L = {worst.Layer})");
            }
        }
        output.WriteLine($"wrote {Path.GetFullPath(outDir)} in {watch.Elapsed.TotalSeconds:F1} s");
        return CliApp.ExitOk;
    }

    // ---------------------------------------------------------------- signal
    private static Command Signal()
    {
        var output = Out("signal");
        var sigmaB = DoubleList("--sigma-b", "Bias standard deviations σ_b of the χ₁ and correlation-map curves", [0, 0.3, 1]);
        var points = new Option<int>("--points") { Description = "Points along σ_b of the order/chaos boundary", DefaultValueFactory = _ => 21 }.InRange(3, 1001);
        var command = new Command("signal", "Mean-field signal propagation (tanh, ReLU, sign): q*, χ₁, correlation map, the order/chaos boundary χ₁ = 1 in (σ_w, σ_b)")
        {
            output, sigmaB, points,
        };
        command.SetAction(parse => RunSignal(new SignalSettings(parse.GetValue(output)!, parse.GetValue(sigmaB)!, parse.GetValue(points)), parse.InvocationConfiguration.Output));
        return command;
    }

    private static int RunSignal(SignalSettings s, TextWriter output)
    {
        var watch = Stopwatch.StartNew();
        foreach (double b in s.SigmaB) if (!(b >= 0)) throw new InputException($"--sigma-b: {b} must be non-negative");
        Directory.CreateDirectory(s.Out);
        double[] biases = Enumerable.Range(0, s.Points).Select(i => 2.0 * i / (s.Points - 1)).ToArray();
        double[] tanhLine = biases.Select(b => SignalPropagation.CriticalSigmaW(Activation.Tanh, b)).ToArray();
        double[] reluLine = biases.Select(b => SignalPropagation.CriticalSigmaW(Activation.ReLU, b)).ToArray();
        CsvTable.WriteColumns(Path.Combine(s.Out, "phase_boundary.csv"), ["sigma_b", "sigma_w_critical_tanh", "sigma_w_critical_relu"], biases, tanhLine, reluLine);
        TheoryFigures.Lines(Path.Combine(s.Out, "phase_boundary.png"), "Order/chaos boundary χ₁ = 1 (ordered left, chaotic right; sign units: chaotic everywhere)", "σ_w", "σ_b",
            [new Curve("tanh", tanhLine, biases), new Curve("ReLU", reluLine, biases)]);
        double[] sigmaW = Enumerable.Range(0, 61).Select(i => 0.5 + 3.5 * i / 60).ToArray();
        var rows = new List<IReadOnlyList<object?>>();
        var chiCurves = new List<Curve>();
        var qCurves = new List<Curve>();
        foreach (var activation in new[] { Activation.Tanh, Activation.ReLU, Activation.Sign })
            foreach (double b in s.SigmaB)
            {
                var fixedPoints = sigmaW.Select(w => new SignalPropagation(activation, w, b).FixedPoint()).ToArray();
                foreach (var (w, fp) in sigmaW.Zip(fixedPoints)) rows.Add([activation.ToString(), w, b, fp.FixedPoint, fp.Chi1, fp.Stop.ToString()]);
                if (activation == Activation.Sign) continue;  // χ₁ = ∞
                chiCurves.Add(new Curve($"{activation}, σ_b = {F(b)}", sigmaW, fixedPoints.Select(fp => fp.Chi1).ToArray()));
                qCurves.Add(new Curve($"{activation}, σ_b = {F(b)}", sigmaW, fixedPoints.Select(fp => fp.FixedPoint).ToArray()));
            }
        CsvTable.Write(Path.Combine(s.Out, "fixed_points.csv"), ["activation", "sigma_w", "sigma_b", "q_star", "chi1", "stop"], rows);
        TheoryFigures.Lines(Path.Combine(s.Out, "chi1.png"), "χ₁ = σ_w² ∫Dz φ′(√q* z)² (χ₁ = 1: edge of chaos)", "σ_w", "χ₁", chiCurves);
        TheoryFigures.Lines(Path.Combine(s.Out, "q_star.png"), "Length-map fixed point q*", "σ_w", "q*", qCurves.Where(c => c.Label.StartsWith("Tanh")));
        double[] cs = Enumerable.Range(0, 41).Select(i => i / 40.0).ToArray();
        var mapCurves = new List<Curve>();
        foreach (var (activation, w, b) in new[] { (Activation.Tanh, 1.2, 0.3), (Activation.Tanh, 2.5, 0.3), (Activation.ReLU, 1.4, 0.3), (Activation.Sign, 1.0, 0.3) })
        {
            var model = new SignalPropagation(activation, w, b);
            double q = model.FixedPoint().FixedPoint;
            mapCurves.Add(new Curve($"{activation}, σ_w = {F(w)}, σ_b = {F(b)}", cs, cs.Select(c => model.CorrelationMap(c, q)).ToArray()));
        }
        mapCurves.Add(new Curve("identity", [0, 1], [0, 1]));
        CsvTable.WriteColumns(Path.Combine(s.Out, "correlation_map.csv"), ["c", .. mapCurves.Take(4).Select(c => c.Label)], [cs, .. mapCurves.Take(4).Select(c => c.Y)]);
        TheoryFigures.Lines(Path.Combine(s.Out, "correlation_map.png"), "Correlation map at the fixed point", "c^{l−1}", "c^l", mapCurves);
        output.WriteLine("signal propagation: order/chaos boundary χ₁ = 1");
        foreach (int i in new[] { 0, s.Points / 4, s.Points / 2, s.Points - 1 })
            output.WriteLine($"  σ_b = {F(biases[i], "F2")}: tanh σ_w* = {F(tanhLine[i], "F5")}, ReLU σ_w* = {F(reluLine[i], "F5")}");
        var tanhExample = new SignalPropagation(Activation.Tanh, 1.5, 0.3).FixedPoint();
        output.WriteLine($"  tanh (σ_w, σ_b) = (1.5, 0.3): q* = {F(tanhExample.FixedPoint, "F6")}, χ₁ = {F(tanhExample.Chi1, "F6")}; sign units: χ₁ = ∞ (always chaotic)");
        output.WriteLine($"wrote {Path.GetFullPath(s.Out)} in {watch.Elapsed.TotalSeconds:F1} s");
        return CliApp.ExitOk;
    }

    // ---------------------------------------------------------------- simulate
    private static Command Simulate()
    {
        var output = Out("simulate");
        var model = new Option<string>("--model") { Description = "dense (coupled sign networks) or sparse (MAJ-k)", DefaultValueFactory = _ => "dense" };
        model.AcceptOnlyFromAmong("dense", "sparse");
        var width = new Option<int>("--width") { Description = "Units per layer N", DefaultValueFactory = _ => 1001 }.InRange(3, 1_000_000);
        var layers = new Option<int>("--layers") { Description = "Depth L", DefaultValueFactory = _ => 4 }.InRange(1, 1000);
        var kind = new Option<string>("--kind") { Description = "dense weights: binary (flipped with probability p) or continuous (Gaussian, η)", DefaultValueFactory = _ => "binary" };
        kind.AcceptOnlyFromAmong("binary", "continuous");
        var strength = new Option<double>("--strength") { Description = "Per-layer perturbation: p (binary, sparse) or η (continuous)", DefaultValueFactory = _ => 0.05 }.InRange(0, 1);
        var beta = Beta();
        var k = new Option<int>("--k") { Description = "sparse: fan-in k (odd)", DefaultValueFactory = _ => 3 };
        var m0 = new Option<double>("--m0") { Description = "sparse: input magnetisation", DefaultValueFactory = _ => 0.1 }.InRange(-1, 1);
        var inputs = new Option<int>("--inputs") { Description = "Random inputs per network pair", DefaultValueFactory = _ => 32 }.InRange(1, 100000);
        var repeats = new Option<int>("--repeats") { Description = "Independent network pairs (error bars from their spread)", DefaultValueFactory = _ => 16 }.InRange(2, 100000);
        var seed = CommonOptions.Seed();
        var command = new Command("simulate", "Finite-size simulation: build random networks, perturb, push random ±1 inputs through both copies; measured q^l, m^l vs theory with error bars")
        {
            output, model, width, layers, kind, strength, beta, k, m0, inputs, repeats, seed,
        };
        command.SetAction(parse => RunSimulate(new SimulateSettings(parse.GetValue(output)!, parse.GetValue(model)!, parse.GetValue(width), parse.GetValue(layers),
            parse.GetValue(kind)!, parse.GetValue(strength), ParseBeta(parse.GetValue(beta)!), parse.GetValue(k), parse.GetValue(m0),
            parse.GetValue(inputs), parse.GetValue(repeats), parse.GetValue(seed), parse.GetValue(CliApp.Quiet)), Progress(parse), parse.InvocationConfiguration.Output));
        return command;
    }

    private static int RunSimulate(SimulateSettings s, IProgress<ProgressReport> progress, TextWriter output)
    {
        Directory.CreateDirectory(s.Out);
        double[] ls = Enumerable.Range(0, s.Layers + 1).Select(l => (double)l).ToArray();
        if (s.Model == "dense")
        {
            var pk = s.Kind == "binary" ? PerturbationKind.Binary : PerturbationKind.Continuous;
            var settings = new DenseSimulationSettings(s.Width, pk, Enumerable.Repeat(s.Strength, s.Layers).ToArray(), s.Beta, s.Inputs, s.Repeats, s.Seed);
            settings.Validate();
            // Cost estimate from a calibration run at the same width (one layer, two pairs: same code path and
            // matrix sizes, so overheads scale alike), scaled by the multiply-adds. Warm-up first (libtorch load).
            var calibration = settings with { Strengths = [s.Strength], Repeats = 2 };
            FiniteSizeSimulation.RunDense(settings with { Width = 16, Strengths = [s.Strength], InputsPerNetwork = 1, Repeats = 2 });
            var watch = Stopwatch.StartNew();
            FiniteSizeSimulation.RunDense(calibration);
            double perMac = watch.Elapsed.TotalSeconds / calibration.MultiplyAdds;
            output.WriteLine($"simulate dense: N = {s.Width}, L = {s.Layers}, {s.Kind} weights, strength {F(s.Strength)}, β = {F(s.Beta)}, {s.Inputs} inputs × {s.Repeats} network pairs, seed {s.Seed}");
            output.WriteLine($"  estimated cost: {settings.MultiplyAdds / 1e9:F2} G multiply-adds, about {perMac * settings.MultiplyAdds:F1} s");
            watch.Restart();
            var result = FiniteSizeSimulation.RunDense(settings, progress);
            WriteSimulation(output, s, "dense", ls, [("q", result.Overlap, result.Theory), ("m", result.Magnetisation, new double[s.Layers + 1])]);
            output.WriteLine($"  done in {watch.Elapsed.TotalSeconds:F1} s");
        }
        else
        {
            var settings = new SparseSimulationSettings(s.Width, s.FanIn, s.Layers, s.Strength, s.InputMagnetisation, s.Inputs, s.Repeats, s.Seed);
            if (s.Strength > 0.5) throw new InputException($"--strength: {s.Strength} must lie in [0, 0.5] for the sparse model (p)");
            // Calibration at the same width and inputs: one layer, two pairs (network building and gate
            // evaluation both scale with layers × pairs).
            var calibration = settings with { Layers = 1, Repeats = 2 };
            var clock = Stopwatch.StartNew();
            FiniteSizeSimulation.RunSparse(calibration);
            double perOp = clock.Elapsed.TotalSeconds / calibration.Operations;
            output.WriteLine($"simulate sparse: MAJ-{s.FanIn}, N = {s.Width}, L = {s.Layers}, p = {F(s.Strength)}, m⁰ = {F(s.InputMagnetisation)}, {s.Inputs} inputs × {s.Repeats} network pairs, seed {s.Seed}");
            output.WriteLine($"  estimated cost: {settings.Operations / 1e6:F1} M gate inputs, about {perOp * settings.Operations:F1} s");
            var watch = Stopwatch.StartNew();
            var result = FiniteSizeSimulation.RunSparse(settings, progress);
            WriteSimulation(output, s, "sparse", ls,
            [
                ("q", result.Overlap, result.Theory.Select(x => x.Overlap).ToArray()),
                ("m", result.Magnetisation, result.Theory.Select(x => x.Magnetisation).ToArray()),
                ("m_hat", result.ReferenceMagnetisation, result.Theory.Select(x => x.ReferenceMagnetisation).ToArray()),
            ]);
            output.WriteLine($"  done in {watch.Elapsed.TotalSeconds:F1} s");
        }
        output.WriteLine($"wrote {Path.GetFullPath(s.Out)}");
        return CliApp.ExitOk;
    }

    private static void WriteSimulation(TextWriter output, SimulateSettings s, string model, double[] ls, (string Name, LayerEstimate Measured, double[] Theory)[] series)
    {
        string[] headers = ["layer", .. series.SelectMany(x => new[] { $"{x.Name}_measured", $"{x.Name}_stderr", $"{x.Name}_theory" }), "seed"];
        CsvTable.Write(Path.Combine(s.Out, $"{model}.csv"), headers, ls.Select((l, i) => (IReadOnlyList<object?>)
            [(int)l, .. series.SelectMany(x => new object?[] { x.Measured.Mean[i], x.Measured.StandardError[i], x.Theory[i] }), s.Seed]));
        var curves = new List<Curve>();
        foreach (var (name, measured, theory) in series)
        {
            curves.Add(new Curve($"{name} simulated (N = {s.Width})", ls, measured.Mean, measured.StandardError, MarkersOnly: true));
            curves.Add(new Curve($"{name} theory", ls, theory));
        }
        TheoryFigures.Lines(Path.Combine(s.Out, $"{model}.png"), $"Theory vs simulation ({model}), ± 1 s.e. over {s.Repeats} network pairs", "layer l", "value", curves);
        int worstLayer = 0; double worst = 0;
        for (int l = 1; l < ls.Length; l++)
        {
            double z = Math.Abs(series[0].Measured.Mean[l] - series[0].Theory[l]) / series[0].Measured.StandardError[l];
            if (z > worst) { worst = z; worstLayer = l; }
            output.WriteLine($"  layer {l}: q = {F(series[0].Measured.Mean[l], "F4")} ± {F(series[0].Measured.StandardError[l], "F4")}, theory {F(series[0].Theory[l], "F4")} ({F(z, "F1")} s.e.)");
        }
        output.WriteLine($"  largest deviation of q: {F(worst, "F2")} s.e. (layer {worstLayer})");
    }
}
