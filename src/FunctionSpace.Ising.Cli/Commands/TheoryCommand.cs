using System.CommandLine;
using System.Diagnostics;
using FunctionSpace.Ising.Theory;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi theory dense|sparse|boolean|signal|simulate</c>: the generating-functional theory of random deep
/// networks (Li &amp; Saad 2018; Mozeika, Saad &amp; Raymond; Poole et al. 2016) and its finite-size check.
/// Each subcommand maps its options onto the job's settings, runs it and writes CSV + PNG figures to --out;
/// the key numbers go to stdout.
/// </summary>
internal static class TheoryCommand
{
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

    private static Option<string> Beta(double defaultBeta) => new("--beta")
    {
        Description = "Inverse temperature of the stochastic sign units (a positive number, or 'inf' for deterministic sign units)",
        DefaultValueFactory = _ => TheoryText.BetaText(defaultBeta),
    };

    private static Option<double[]> DoubleList(string name, string description, double[] defaults) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaults,
        AllowMultipleArgumentsPerToken = true,
    };

    private static Option<int> Int(string name, string description, int defaultValue) => new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    private static Option<double> Double(string name, string description, double defaultValue) => new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    private static ConsoleProgress Progress(ParseResult parse) => new(Console.Error, parse.GetValue(CliApp.Quiet));

    // Runs the job, writes its files into --out, prints its summary, where the files went and how long it took.
    private static int Execute<TResult>(ParseResult parse, Option<string> output, Func<IProgress<ProgressReport>, TResult> run,
        Action<TResult, string> write, Func<TResult, IEnumerable<string>> summary)
    {
        var watch = Stopwatch.StartNew();
        string directory = parse.GetValue(output)!;
        var result = run(Progress(parse));
        write(result, directory);
        var text = parse.InvocationConfiguration.Output;
        foreach (string line in summary(result)) text.WriteLine(line);
        text.WriteLine($"wrote {Path.GetFullPath(directory)} in {watch.Elapsed.TotalSeconds:F1} s");
        return CliApp.ExitOk;
    }

    private static Command Dense()
    {
        var d = MaxEntropyStudySettings.Default;
        var output = Out("dense");
        var layers = Int("--layers", "Depth L (1..12)", d.Layers);
        var beta = Beta(d.Beta);
        var errors = Int("--errors", "Number of ε values in [1e-8, 0.5] (half log-spaced below 0.01, half linear above; 8..400)", d.Errors);
        var grid = Int("--grid", "Grid points of the dynamic programme over 1 − q (41..4001)", d.Grid);
        var command = new Command("dense", "Dense networks: max-entropy perturbation profiles η*(ε), p*(ε), entropy S*(ε), annealed generalisation ε*(α), layer map F_β")
        {
            output, layers, beta, errors, grid,
        };
        command.SetAction(parse =>
        {
            var settings = new MaxEntropyStudySettings(parse.GetValue(layers), TheoryText.ParseBeta(parse.GetValue(beta)!), parse.GetValue(errors), parse.GetValue(grid));
            return Execute(parse, output, progress => MaxEntropyStudy.Run(settings, progress), MaxEntropyStudy.Write, MaxEntropyStudy.Summary);
        });
        return command;
    }

    private static Command Sparse()
    {
        var d = SparseMajorityStudySettings.Default;
        var output = Out("sparse");
        var k = Int("--k", "Fan-in of the MAJ-k gates (odd, ≥ 3)", d.FanIn);
        var m0 = Double("--m0", "Magnetisation of the random ±1 input (0 = unbiased; a small bias selects the m > 0 branch)", d.InputMagnetisation);
        var layers = Int("--layers", "Layers of the δ(l) curves", d.Layers);
        var points = Int("--points", "Flip probabilities p in [0, 0.5] for the stationary-state curves", d.Points);
        var ps = DoubleList("--p", "Flip probabilities of the δ(l) curves", d.Probabilities);
        var command = new Command("sparse", "Sparse MAJ-k networks: stationary m^∞, q^∞ and ε vs p (transition at p_c), internal error δ(l) along the layers")
        {
            output, k, m0, layers, points, ps,
        };
        command.SetAction(parse =>
        {
            var settings = d with
            {
                FanIn = parse.GetValue(k), InputMagnetisation = parse.GetValue(m0), Layers = parse.GetValue(layers),
                Points = parse.GetValue(points), Probabilities = parse.GetValue(ps)!,
            };
            return Execute(parse, output, _ => SparseMajorityStudy.Run(settings), SparseMajorityStudy.Write, SparseMajorityStudy.Summary);
        });
        return command;
    }

    private static Command Boolean()
    {
        var sparse = BooleanFunctionStudySettings.Default;
        var dense = DenseBooleanStudySettings.Default;
        var output = Out("boolean");
        var model = new Option<string>("--model") { Description = "sparse (layered gate networks) or dense (random sign and ReLU networks)", DefaultValueFactory = _ => "sparse" };
        model.AcceptOnlyFromAmong("sparse", "dense");
        var gate = new Option<string>("--gate") { Description = "sparse: gate α: maj, and, or, xor, nand, nor", DefaultValueFactory = _ => sparse.Gate };
        var k = Int("--k", "sparse: gate fan-in k (≤ 6: the recursion enumerates 16^k parent tuples)", sparse.FanIn);
        var layers = new Option<int?>("--layers") { Description = $"Depth L [default: {sparse.Layers} (sparse), {dense.Layers} (dense)]" };
        var ps = DoubleList("--p", "sparse: wire-negation (weight-flip) probabilities, one curve each", sparse.Probabilities);
        var negations = new Option<bool>("--negations") { Description = "sparse: layer-0 units are x1, x2, ¬x1, ¬x2 [default: x1, x2 only]" };
        var inputs = Int("--inputs", $"dense: number of binary inputs n (2^n patterns, 2^(2^n) functions; 1..{DenseBooleanSetting.MaxInputs})", dense.Inputs);
        var widths = new Option<int[]>("--width")
        {
            Description = "dense: widths N of the simulated networks, one simulation each (odd for binary weights)",
            DefaultValueFactory = _ => dense.Widths,
            AllowMultipleArgumentsPerToken = true,
        };
        var networks = Int("--networks", "dense: independent networks per simulation (error bars from their spread); 0 = theory only", dense.Networks);
        var weights = new Option<string>("--weights") { Description = "dense: weights of the simulated networks, gaussian or binary (±1); the N → ∞ theory is the same", DefaultValueFactory = _ => dense.Weights.ToString().ToLowerInvariant() };
        weights.AcceptOnlyFromAmong("gaussian", "binary");
        var orthantPoints = Int("--orthant-points", $"dense, n = 3: lattice points per shift of the orthant integration ({dense.Orthant.Shifts} shifts)", dense.Orthant.PointsPerShift);
        var seed = CommonOptions.Seed();
        var command = new Command("boolean", "Distribution P^L(f) of the Boolean functions computed by random networks and its entropy H^L vs depth: sparse layered gate networks (2 inputs) or dense sign/ReLU networks (n inputs, with and without constants, with finite-size simulations)")
        {
            output, model, gate, k, layers, ps, negations, inputs, widths, networks, weights, orthantPoints, seed,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(model) == "dense")
            {
                var settings = dense with
                {
                    Inputs = parse.GetValue(inputs), Layers = parse.GetValue(layers) ?? dense.Layers, Widths = parse.GetValue(widths)!, Networks = parse.GetValue(networks),
                    Weights = parse.GetValue(weights) == "binary" ? WeightDistribution.Binary : WeightDistribution.Gaussian, Seed = parse.GetValue(seed),
                    Orthant = dense.Orthant with { PointsPerShift = parse.GetValue(orthantPoints) },
                };
                return Execute(parse, output, progress => DenseBooleanStudy.Run(settings, progress), DenseBooleanStudy.Write, DenseBooleanStudy.Summary);
            }
            var gates = sparse with
            {
                Gate = parse.GetValue(gate)!, FanIn = parse.GetValue(k), Layers = parse.GetValue(layers) ?? sparse.Layers,
                Probabilities = parse.GetValue(ps)!, Negations = parse.GetValue(negations),
            };
            return Execute(parse, output, _ => BooleanFunctionStudy.Run(gates), BooleanFunctionStudy.Write, BooleanFunctionStudy.Summary);
        });
        return command;
    }

    private static Command Signal()
    {
        var d = SignalPropagationStudySettings.Default;
        var output = Out("signal");
        var sigmaB = DoubleList("--sigma-b", "Bias standard deviations σ_b of the χ₁ and correlation-map curves", d.SigmaB);
        var points = Int("--points", "Points along σ_b of the order/chaos boundary (3..1001)", d.Points);
        var command = new Command("signal", "Mean-field signal propagation (tanh, ReLU, sign): q*, χ₁, correlation map, the order/chaos boundary χ₁ = 1 in (σ_w, σ_b)")
        {
            output, sigmaB, points,
        };
        command.SetAction(parse => Execute(parse, output, _ => SignalPropagationStudy.Run(d with { SigmaB = parse.GetValue(sigmaB)!, Points = parse.GetValue(points) }),
            SignalPropagationStudy.Write, SignalPropagationStudy.Summary));
        return command;
    }

    private static Command Simulate()
    {
        var d = SimulationStudySettings.Default;
        var output = Out("simulate");
        var model = new Option<string>("--model") { Description = "dense (coupled sign networks) or sparse (MAJ-k)", DefaultValueFactory = _ => SimulationStudy.ModelName(d.Model) };
        model.AcceptOnlyFromAmong("dense", "sparse");
        var width = Int("--width", "Units per layer N (3..1000000)", d.Width);
        var layers = Int("--layers", "Depth L (1..1000)", d.Layers);
        var kind = new Option<string>("--kind") { Description = "dense weights: binary (flipped with probability p) or continuous (Gaussian, η)", DefaultValueFactory = _ => d.Kind.ToString().ToLowerInvariant() };
        kind.AcceptOnlyFromAmong("binary", "continuous");
        var strength = Double("--strength", "Per-layer perturbation: p (binary, sparse) or η (continuous)", d.Strength);
        var beta = Beta(d.Beta);
        var k = Int("--k", "sparse: fan-in k (odd)", d.FanIn);
        var m0 = Double("--m0", "sparse: input magnetisation", d.InputMagnetisation);
        var inputs = Int("--inputs", "Random inputs per network pair", d.Inputs);
        var repeats = Int("--repeats", "Independent network pairs (error bars from their spread)", d.Repeats);
        var seed = CommonOptions.Seed();
        var command = new Command("simulate", "Finite-size simulation: build random networks, perturb, push random ±1 inputs through both copies; measured q^l, m^l vs theory with error bars")
        {
            output, model, width, layers, kind, strength, beta, k, m0, inputs, repeats, seed,
        };
        command.SetAction(parse =>
        {
            var settings = d with
            {
                Model = parse.GetValue(model) == "sparse" ? SimulatedModel.Sparse : SimulatedModel.Dense,
                Width = parse.GetValue(width), Layers = parse.GetValue(layers),
                Kind = parse.GetValue(kind) == "continuous" ? PerturbationKind.Continuous : PerturbationKind.Binary,
                Strength = parse.GetValue(strength), Beta = TheoryText.ParseBeta(parse.GetValue(beta)!), FanIn = parse.GetValue(k),
                InputMagnetisation = parse.GetValue(m0), Inputs = parse.GetValue(inputs), Repeats = parse.GetValue(repeats), Seed = parse.GetValue(seed),
            };
            settings.Validate();
            var text = parse.InvocationConfiguration.Output;
            string estimate = SimulationStudy.EstimateCost(settings);
            text.WriteLine(SimulationStudy.Header(settings));
            text.WriteLine(estimate);
            var result = SimulationStudy.Run(settings, Progress(parse));
            SimulationStudy.Write(result, parse.GetValue(output)!);
            foreach (string line in SimulationStudy.Summary(result)) text.WriteLine(line);
            text.WriteLine($"  done in {result.Seconds:F1} s");
            text.WriteLine($"wrote {Path.GetFullPath(parse.GetValue(output)!)}");
            return CliApp.ExitOk;
        });
        return command;
    }
}
