using System.Diagnostics;
using FunctionSpace.Ising.Reporting;
using static FunctionSpace.Ising.Theory.TheoryText;

namespace FunctionSpace.Ising.Theory;

/// <summary>Which coupled networks the finite-size simulation builds.</summary>
public enum SimulatedModel
{
    /// <summary>Dense sign networks with Gaussian or ±1 weights.</summary>
    Dense,
    /// <summary>Sparse MAJ-k networks.</summary>
    Sparse,
}

/// <summary>Settings of the finite-size simulation job (<c>fsi theory simulate</c>).</summary>
public sealed record SimulationStudySettings
{
    /// <summary>The defaults (the CLI's option defaults read them).</summary>
    public static SimulationStudySettings Default { get; } = new();

    /// <summary>Dense (coupled sign networks) or sparse (MAJ-k).</summary>
    public SimulatedModel Model { get; init; } = SimulatedModel.Dense;

    /// <summary>Units per layer N (3..1 000 000).</summary>
    public int Width { get; init; } = 1001;

    /// <summary>Depth L (1..1000).</summary>
    public int Layers { get; init; } = 4;

    /// <summary>Dense weights: binary (flipped with probability p) or continuous (Gaussian, η).</summary>
    public PerturbationKind Kind { get; init; } = PerturbationKind.Binary;

    /// <summary>Per-layer perturbation: p (binary, sparse) or η (continuous).</summary>
    public double Strength { get; init; } = 0.05;

    /// <summary>Dense: inverse temperature of the stochastic sign units (+∞: deterministic).</summary>
    public double Beta { get; init; } = double.PositiveInfinity;

    /// <summary>Sparse: fan-in k (odd).</summary>
    public int FanIn { get; init; } = 3;

    /// <summary>Sparse: input magnetisation m⁰.</summary>
    public double InputMagnetisation { get; init; } = 0.1;

    /// <summary>Random inputs per network pair (1..100000).</summary>
    public int Inputs { get; init; } = 32;

    /// <summary>Independent network pairs (2..100000; error bars from their spread).</summary>
    public int Repeats { get; init; } = 16;

    /// <summary>Seed of every random draw.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        RequireRange("--width", Width, 3, 1_000_000);
        RequireRange("--layers", Layers, 1, 1000);
        RequireRange("--strength", Strength, 0, 1);
        RequireRange("--m0", InputMagnetisation, -1, 1);
        RequireRange("--inputs", Inputs, 1, 100000);
        RequireRange("--repeats", Repeats, 2, 100000);
        if (Model == SimulatedModel.Dense) DenseSettings().Validate();
        else
        {
            if (Strength > 0.5) throw new InputException($"--strength: {Strength} must lie in [0, 0.5] for the sparse model (p)");
            _ = new SparseMajority(FanIn, Strength);  // checks k
        }
    }

    /// <summary>The dense simulation these settings describe (the same strength in every layer).</summary>
    public DenseSimulationSettings DenseSettings() => new(Width, Kind, Enumerable.Repeat(Strength, Layers).ToArray(), Beta, Inputs, Repeats, Seed);

    /// <summary>The sparse simulation these settings describe.</summary>
    public SparseSimulationSettings SparseSettings() => new(Width, FanIn, Layers, Strength, InputMagnetisation, Inputs, Repeats, Seed);
}

/// <summary>One measured series against its theory, layers 0..L.</summary>
/// <param name="Name">q, m or m_hat (the CSV's column prefix).</param>
/// <param name="Measured">Mean over network pairs and its standard error.</param>
/// <param name="Theory">The recursion's value.</param>
public sealed record SimulatedSeries(string Name, LayerEstimate Measured, double[] Theory);

/// <summary>Everything the finite-size simulation measured.</summary>
/// <param name="Settings">What was asked.</param>
/// <param name="Series">q first, then m (and m̂ for the sparse model).</param>
/// <param name="Seconds">Wall time of the simulation (not written to the files).</param>
public sealed record SimulationStudyResult(SimulationStudySettings Settings, SimulatedSeries[] Series, double Seconds)
{
    /// <summary>The layer with the largest |measured − theory| of q in standard errors, and that deviation.</summary>
    public (int Layer, double Z) WorstOverlapDeviation()
    {
        var q = Series[0];
        int worstLayer = 0; double worst = 0;
        for (int l = 1; l < q.Theory.Length; l++)
        {
            double z = OverlapDeviation(l);
            if (z > worst) { worst = z; worstLayer = l; }
        }
        return (worstLayer, worst);
    }

    /// <summary>|measured − theory| / standard error of q at layer l.</summary>
    public double OverlapDeviation(int layer) => Math.Abs(Series[0].Measured.Mean[layer] - Series[0].Theory[layer]) / Series[0].Measured.StandardError[layer];
}

/// <summary>
/// The finite-size check of the theory: builds random network pairs, perturbs one copy, pushes random ±1 inputs through
/// both and compares the measured q^l, m^l with the recursions (<see cref="FiniteSizeSimulation"/>).
/// </summary>
public static class SimulationStudy
{
    /// <summary>"simulate dense: N = …": what will run.</summary>
    public static string Header(SimulationStudySettings s) => s.Model == SimulatedModel.Dense
        ? $"simulate dense: N = {s.Width}, L = {s.Layers}, {s.Kind.ToString().ToLowerInvariant()} weights, strength {F(s.Strength)}, β = {F(s.Beta)}, {s.Inputs} inputs × {s.Repeats} network pairs, seed {s.Seed}"
        : $"simulate sparse: MAJ-{s.FanIn}, N = {s.Width}, L = {s.Layers}, p = {F(s.Strength)}, m⁰ = {F(s.InputMagnetisation)}, {s.Inputs} inputs × {s.Repeats} network pairs, seed {s.Seed}";

    /// <summary>
    /// The run's work and its expected wall time, timed on a calibration run at the same width (one layer, two pairs: the
    /// same code path and sizes, so overheads scale alike), scaled by the work: "  estimated cost: …, about … s".
    /// </summary>
    public static string EstimateCost(SimulationStudySettings settings)
    {
        settings.Validate();
        if (settings.Model == SimulatedModel.Dense)
        {
            var dense = settings.DenseSettings();
            var calibration = dense with { Strengths = [settings.Strength], Repeats = 2 };
            FiniteSizeSimulation.RunDense(dense with { Width = 16, Strengths = [settings.Strength], InputsPerNetwork = 1, Repeats = 2 });  // warm-up (libtorch load)
            var watch = Stopwatch.StartNew();
            FiniteSizeSimulation.RunDense(calibration);
            double perMac = watch.Elapsed.TotalSeconds / calibration.MultiplyAdds;
            return $"  estimated cost: {dense.MultiplyAdds / 1e9:F2} G multiply-adds, about {perMac * dense.MultiplyAdds:F1} s";
        }
        var sparse = settings.SparseSettings();
        var sparseCalibration = sparse with { Layers = 1, Repeats = 2 };
        var clock = Stopwatch.StartNew();
        FiniteSizeSimulation.RunSparse(sparseCalibration);
        double perOp = clock.Elapsed.TotalSeconds / sparseCalibration.Operations;
        return $"  estimated cost: {sparse.Operations / 1e6:F1} M gate inputs, about {perOp * sparse.Operations:F1} s";
    }

    /// <summary>Runs the simulation; progress in network pairs.</summary>
    public static SimulationStudyResult Run(SimulationStudySettings settings, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        settings.Validate();
        var watch = Stopwatch.StartNew();
        SimulatedSeries[] series;
        if (settings.Model == SimulatedModel.Dense)
        {
            var result = FiniteSizeSimulation.RunDense(settings.DenseSettings(), progress, ct);
            series = [new("q", result.Overlap, result.Theory), new("m", result.Magnetisation, new double[settings.Layers + 1])];
        }
        else
        {
            var result = FiniteSizeSimulation.RunSparse(settings.SparseSettings(), progress, ct);
            series =
            [
                new("q", result.Overlap, result.Theory.Select(x => x.Overlap).ToArray()),
                new("m", result.Magnetisation, result.Theory.Select(x => x.Magnetisation).ToArray()),
                new("m_hat", result.ReferenceMagnetisation, result.Theory.Select(x => x.ReferenceMagnetisation).ToArray()),
            ];
        }
        return new SimulationStudyResult(settings, series, watch.Elapsed.TotalSeconds);
    }

    /// <summary>The files' name: "dense" or "sparse".</summary>
    public static string ModelName(SimulatedModel model) => model.ToString().ToLowerInvariant();

    /// <summary>Writes &lt;model&gt;.csv (measured, standard error and theory per layer, with the seed) and &lt;model&gt;.png into <paramref name="directory"/>.</summary>
    public static void Write(SimulationStudyResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        var s = result.Settings;
        string model = ModelName(s.Model);
        double[] ls = Enumerable.Range(0, s.Layers + 1).Select(l => (double)l).ToArray();
        string[] headers = ["layer", .. result.Series.SelectMany(x => new[] { $"{x.Name}_measured", $"{x.Name}_stderr", $"{x.Name}_theory" }), "seed"];
        CsvTable.Write(Path.Combine(directory, $"{model}.csv"), headers, ls.Select((l, i) => (IReadOnlyList<object?>)
            [(int)l, .. result.Series.SelectMany(x => new object?[] { x.Measured.Mean[i], x.Measured.StandardError[i], x.Theory[i] }), s.Seed]));
        var curves = new List<Curve>();
        foreach (var (name, measured, theory) in result.Series)
        {
            curves.Add(new Curve($"{name} simulated (N = {s.Width})", ls, measured.Mean, measured.StandardError, MarkersOnly: true));
            curves.Add(new Curve($"{name} theory", ls, theory));
        }
        TheoryFigures.Lines(Path.Combine(directory, $"{model}.png"), $"Theory vs simulation ({model}), ± 1 s.e. over {s.Repeats} network pairs", "layer l", "value", curves);
    }

    /// <summary>The measured q per layer against the theory, in standard errors, and the largest deviation.</summary>
    public static IEnumerable<string> Summary(SimulationStudyResult result)
    {
        var q = result.Series[0];
        for (int l = 1; l < q.Theory.Length; l++)
            yield return $"  layer {l}: q = {F(q.Measured.Mean[l], "F4")} ± {F(q.Measured.StandardError[l], "F4")}, theory {F(q.Theory[l], "F4")} ({F(result.OverlapDeviation(l), "F1")} s.e.)";
        var (layer, z) = result.WorstOverlapDeviation();
        yield return $"  largest deviation of q: {F(z, "F2")} s.e. (layer {layer})";
    }
}
