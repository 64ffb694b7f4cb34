using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Theory;

/// <summary>Distribution of the weights of the simulated dense networks.</summary>
public enum WeightDistribution
{
    /// <summary>w ~ N(0, 1), fields scaled by 1/√N (sign) or √(2/N) (ReLU).</summary>
    Gaussian,
    /// <summary>w = ±1 with equal probability; fields left unscaled (integer sums, exact in double below 2^53; the
    /// sign of a field does not depend on its scale and ReLU is positively homogeneous).</summary>
    Binary,
}

/// <summary>Settings of a finite-size simulation of the functions computed by dense random networks.</summary>
/// <param name="Setting">Activation, number of inputs n, constants.</param>
/// <param name="Weights">Gaussian or ±1 weights.</param>
/// <param name="Width">Units per layer N (layer 0 included). Binary weights need N odd, so that the N-term
/// ±1 sums of a sign network never vanish.</param>
/// <param name="Layers">Depth L; the functions of every layer 1..L are tabulated.</param>
/// <param name="Networks">Independent networks (the standard errors come from their spread).</param>
/// <param name="Recurrent">Reuse one N×N weight matrix in every layer instead of drawing a fresh one per layer.</param>
/// <param name="Seed">Seed of every random draw.</param>
public sealed record DenseBooleanSimulationSettings(DenseBooleanSetting Setting, WeightDistribution Weights, int Width, int Layers, int Networks, bool Recurrent, ulong Seed)
{
    /// <summary>Rejects out-of-range settings with a one-line message naming the option.</summary>
    public void Validate()
    {
        Setting.Validate();
        int elements = DenseBooleanFunctions.InputElements(Setting.Inputs, Setting.Constants).Length;
        if (Width < elements || Width > 100_000) throw new InputException($"--width: {Width} must be in {elements}..100000 (every layer-0 element at least once)");
        if (Weights == WeightDistribution.Binary && Width % 2 == 0) throw new InputException($"--width: {Width} must be odd with binary weights (an even number of ±1 terms can sum to zero)");
        if (Layers < 1 || Layers > 1000) throw new InputException($"--layers: {Layers} must be in 1..1000");
        if (Networks < 2) throw new InputException($"--networks: {Networks} must be at least 2 (the error bars come from the spread)");
    }

    /// <summary>Weight draws of the run (N² per layer per network; once per network when recurrent).</summary>
    public double WeightDraws => (double)Width * Width * (Recurrent ? 1 : Layers) * Networks;
}

/// <summary>Simulated function statistics at one depth: means over networks with standard errors.</summary>
/// <param name="Probabilities">Fraction of layer-l units computing each function, averaged over networks.</param>
/// <param name="StandardErrors">Standard error of each fraction (spread over networks / √networks).</param>
/// <param name="Entropy">Jackknife (over networks) bias-corrected plug-in entropy of the pooled distribution (nats).</param>
/// <param name="EntropyError">Jackknife standard error of <paramref name="Entropy"/>.</param>
/// <param name="ConstantProbability">Fraction of units computing FALSE or TRUE.</param>
/// <param name="ConstantError">Its standard error.</param>
/// <param name="ParityProbability">Fraction computing parity or its negation.</param>
/// <param name="ParityError">Its standard error.</param>
/// <param name="Sensitivity">Mean fraction of output flips under one-bit input flips.</param>
/// <param name="SensitivityError">Its standard error.</param>
/// <param name="ClassProbabilities">Fraction computing a member of each class of <see cref="DenseBooleanFunctions.FunctionClasses"/>.</param>
/// <param name="ClassErrors">Their standard errors (from the per-network class fractions, so correlations within a class are included).</param>
public sealed record FunctionEstimate(double[] Probabilities, double[] StandardErrors, double Entropy, double EntropyError,
    double ConstantProbability, double ConstantError, double ParityProbability, double ParityError, double Sensitivity, double SensitivityError,
    double[] ClassProbabilities, double[] ClassErrors);

/// <summary>Result of a simulation: one estimate per layer 1..L.</summary>
/// <param name="Settings">What was simulated.</param>
/// <param name="Layers">Estimates for layers 1..L (index l − 1).</param>
public sealed record DenseBooleanSimulationResult(DenseBooleanSimulationSettings Settings, FunctionEstimate[] Layers);

/// <summary>
/// Builds random dense networks of width N, feeds every one of the 2^n input patterns and tabulates the truth
/// table computed by each unit of each layer (f_γ = sgn h_γ of its pre-activation). Layer 0 holds ⌊N/|S|⌋ copies
/// of each element of S (or S′); the N mod |S| remaining units are distinct elements drawn at random per network,
/// so each element's expected share is exactly 1/|S|. A field exactly 0 (possible only with binary weights in ReLU
/// networks) takes the unit's own random sign, drawn once per unit and layer.
/// </summary>
public static class DenseBooleanSimulation
{
    // Seed streams: each network's seed, then within it the layer inputs' draws and each layer's weights.
    private const int NetworkStream = 1;
    private const int InputStream = 2;
    private const int WeightStream = 3;

    /// <summary>Runs the simulation (networks in parallel, each from its own seed: the result does not depend on scheduling).</summary>
    public static DenseBooleanSimulationResult Run(DenseBooleanSimulationSettings settings, IProgress<ProgressReport>? progress = null, CancellationToken cancel = default)
    {
        settings.Validate();
        int networks = settings.Networks, layers = settings.Layers;
        var fractions = new double[networks][][];
        long done = 0;
        Parallel.For(0, networks, new ParallelOptions { CancellationToken = cancel }, net =>
        {
            fractions[net] = FunctionFractions(settings, net);
            long count = Interlocked.Increment(ref done);
            progress?.Report(new ProgressReport($"simulate {settings.Setting.Label}, N = {settings.Width}{(settings.Recurrent ? ", recurrent" : "")}", count, networks, "networks"));
        });
        var estimates = new FunctionEstimate[layers];
        var classes = DenseBooleanFunctions.FunctionClasses(settings.Setting.Inputs);
        for (int l = 0; l < layers; l++) estimates[l] = Estimate(settings.Setting.Inputs, classes, fractions.Select(f => f[l]).ToArray());
        return new DenseBooleanSimulationResult(settings, estimates);
    }

    /// <summary>Fraction of units computing each function, per layer 1..L, for network <paramref name="network"/>.</summary>
    public static double[][] FunctionFractions(DenseBooleanSimulationSettings settings, int network)
    {
        var setting = settings.Setting;
        int n = settings.Width, patterns = DenseBooleanFunctions.Patterns(setting.Inputs), functions = DenseBooleanFunctions.FunctionCount(setting.Inputs);
        bool binary = settings.Weights == WeightDistribution.Binary, sign = setting.Activation == Activation.Sign;
        ulong networkSeed = SplitMix64.Mix(settings.Seed, network, NetworkStream);
        var layerRandom = new SplitMix64(SplitMix64.Mix(networkSeed, 0, InputStream));

        // Layer 0: balanced copies of the elements, the remainder distinct elements at random.
        var elements = DenseBooleanFunctions.InputElements(setting.Inputs, setting.Constants);
        int m = elements.Length, balanced = n / m * m;
        var order = new int[m];
        layerRandom.Permutation(order.AsSpan());
        var x = new double[n * patterns];
        for (int j = 0; j < n; j++)
        {
            int[] element = elements[j < balanced ? j % m : order[j - balanced]];
            for (int g = 0; g < patterns; g++) x[j * patterns + g] = element[g];
        }

        var h = new double[n * patterns];
        var rowWeights = new double[n];
        var result = new double[settings.Layers][];
        double scale = binary ? 1 : sign ? 1 / Math.Sqrt(n) : Math.Sqrt(2.0 / n);
        for (int l = 1; l <= settings.Layers; l++)
        {
            // The recurrent network replays the same weight stream in every layer.
            var weights = new SplitMix64(SplitMix64.Mix(networkSeed, settings.Recurrent ? 0 : l, WeightStream));
            for (int i = 0; i < n; i++)
            {
                var row = h.AsSpan(i * patterns, patterns);
                if (binary) BinaryRow(ref weights, x, row, n, patterns, rowWeights);
                else GaussianRow(ref weights, x, row, n, patterns, rowWeights);
                for (int g = 0; g < patterns; g++) row[g] *= scale;
            }
            var counts = new double[functions];
            for (int i = 0; i < n; i++)
            {
                bool tieUp = (layerRandom.NextUInt64() >> 63) != 0;
                int code = 0;
                for (int g = 0; g < patterns; g++)
                {
                    double field = h[i * patterns + g];
                    bool up = field > 0 || (field == 0 && tieUp);
                    if (up) code |= 1 << g;
                    x[i * patterns + g] = sign ? (up ? 1 : -1) : Math.Max(field, 0);
                }
                counts[code]++;
            }
            for (int f = 0; f < functions; f++) counts[f] /= n;
            result[l - 1] = counts;
        }
        return result;
    }

    // row[γ] = Σ_j w_j x[j, γ]: the weights of one unit are drawn in blocks and applied by Accumulate.
    private static void GaussianRow(ref SplitMix64 random, double[] x, Span<double> row, int n, int patterns, double[] weights)
    {
        // w_j ~ N(0, 1) by Marsaglia's polar method, both deviates used.
        for (int j = 0; j < n; j += 2)
        {
            double u, v, s;
            do
            {
                u = 2 * random.NextDouble() - 1;
                v = 2 * random.NextDouble() - 1;
                s = u * u + v * v;
            } while (s >= 1 || s == 0);
            double factor = Math.Sqrt(-2 * Math.Log(s) / s);
            weights[j] = u * factor;
            if (j + 1 < n) weights[j + 1] = v * factor;
        }
        Accumulate(x, row, patterns, weights.AsSpan(0, n));
    }

    private static void BinaryRow(ref SplitMix64 random, double[] x, Span<double> row, int n, int patterns, double[] weights)
    {
        ulong bits = 0;
        for (int j = 0; j < n; j++)
        {
            if ((j & 63) == 0) bits = random.NextUInt64();
            weights[j] = (bits & 1) != 0 ? 1.0 : -1.0;
            bits >>= 1;
        }
        Accumulate(x, row, patterns, weights.AsSpan(0, n));
    }

    private static void Accumulate(double[] x, Span<double> row, int patterns, ReadOnlySpan<double> w)
    {
        if (patterns == 4)
        {
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int j = 0, k = 0; j < w.Length; j++, k += 4)
            {
                double wj = w[j];
                a0 += wj * x[k]; a1 += wj * x[k + 1]; a2 += wj * x[k + 2]; a3 += wj * x[k + 3];
            }
            row[0] = a0; row[1] = a1; row[2] = a2; row[3] = a3;
            return;
        }
        row.Clear();
        for (int j = 0; j < w.Length; j++)
        {
            double wj = w[j];
            var source = x.AsSpan(j * patterns, patterns);
            for (int g = 0; g < patterns; g++) row[g] += wj * source[g];
        }
    }

    /// <summary>Means and standard errors over networks of one layer's function fractions and their summaries.</summary>
    public static FunctionEstimate Estimate(int inputs, int[][] classes, double[][] perNetwork)
    {
        int networks = perNetwork.Length, functions = perNetwork[0].Length;
        var mean = new double[functions];
        var se = new double[functions];
        for (int f = 0; f < functions; f++)
        {
            var (m, e) = MeanAndError(perNetwork.Select(p => p[f]).ToArray());
            mean[f] = m; se[f] = e;
        }
        var (constant, constantError) = MeanAndError(perNetwork.Select(p => DenseBooleanFunctions.ConstantProbability(inputs, p)).ToArray());
        var (parity, parityError) = MeanAndError(perNetwork.Select(p => DenseBooleanFunctions.ParityProbability(inputs, p)).ToArray());
        var (sensitivity, sensitivityError) = MeanAndError(perNetwork.Select(p => DenseBooleanFunctions.MeanSensitivity(inputs, p)).ToArray());
        var classMean = new double[classes.Length];
        var classError = new double[classes.Length];
        for (int c = 0; c < classes.Length; c++)
            (classMean[c], classError[c]) = MeanAndError(perNetwork.Select(p => classes[c].Sum(f => p[f])).ToArray());
        // Delete-one-network jackknife of the plug-in entropy: corrects its O(1/samples) downward bias and gives
        // an error bar that includes the correlation between units of one network.
        double full = DenseBooleanFunctions.Entropy(mean);
        var leaveOut = new double[networks];
        var rest = new double[functions];
        for (int k = 0; k < networks; k++)
        {
            for (int f = 0; f < functions; f++) rest[f] = (networks * mean[f] - perNetwork[k][f]) / (networks - 1);
            leaveOut[k] = DenseBooleanFunctions.Entropy(rest);
        }
        double leaveOutMean = leaveOut.Average();
        double entropy = networks * full - (networks - 1) * leaveOutMean;
        double entropyError = Math.Sqrt((networks - 1.0) / networks * leaveOut.Sum(v => (v - leaveOutMean) * (v - leaveOutMean)));
        return new FunctionEstimate(mean, se, entropy, entropyError, constant, constantError, parity, parityError, sensitivity, sensitivityError, classMean, classError);
    }

    private static (double Mean, double Error) MeanAndError(double[] values)
    {
        double mean = values.Average();
        double variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
        return (mean, Math.Sqrt(variance / values.Length));
    }
}
