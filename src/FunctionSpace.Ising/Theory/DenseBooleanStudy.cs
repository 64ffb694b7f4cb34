using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Training;

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
    /// <summary>Rejects out-of-range settings with a one-line message naming the option.</summary>
    public void Validate()
    {
        new DenseBooleanSetting(Activation.Sign, Inputs, true).Validate();
        if (Layers < 1 || Layers > 100) throw new InputException($"--layers: {Layers} must be in 1..100 for the dense model");
        if (Networks == 1 || Networks < 0) throw new InputException($"--networks: {Networks} must be 0 (theory only) or at least 2");
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
                        SplitMix64.Mix(settings.Seed, index * 64 + layered.Count, 11)), progress, cancel));
                if (settings.Recurrent)
                    recurrent = DenseBooleanSimulation.Run(new DenseBooleanSimulationSettings(setting, settings.Weights, settings.Widths.Max(), settings.Layers, settings.Networks, true,
                        SplitMix64.Mix(settings.Seed, index, 12)), progress, cancel);
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
}
