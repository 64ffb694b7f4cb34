using FunctionSpace.Ising.Randomness;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Theory;

/// <summary>A measured per-layer quantity: mean over independent repeats and its standard error.</summary>
/// <param name="Mean">Mean over repeats, layers 0..L.</param>
/// <param name="StandardError">Standard deviation over repeats / √repeats.</param>
public sealed record LayerEstimate(double[] Mean, double[] StandardError)
{
    internal static LayerEstimate From(double[,] samples)
    {
        int repeats = samples.GetLength(0), layers = samples.GetLength(1);
        var mean = new double[layers];
        var se = new double[layers];
        for (int l = 0; l < layers; l++)
        {
            double sum = 0, sumSq = 0;
            for (int r = 0; r < repeats; r++) sum += samples[r, l];
            double m = sum / repeats;
            for (int r = 0; r < repeats; r++) sumSq += (samples[r, l] - m) * (samples[r, l] - m);
            mean[l] = m;
            se[l] = repeats > 1 ? Math.Sqrt(sumSq / (repeats - 1) / repeats) : double.NaN;
        }
        return new LayerEstimate(mean, se);
    }
}

/// <summary>Settings of a finite-size simulation of two coupled dense networks.</summary>
/// <param name="Width">Units per layer N (inputs included).</param>
/// <param name="Kind">Gaussian weights perturbed as √(1−η²) ŵ + η δw, or ±1 weights flipped with probability p.</param>
/// <param name="Strengths">η_l or p_l, one per layer (the depth L is their count).</param>
/// <param name="Beta">Inverse temperature of the stochastic sign units (+∞: deterministic, ties broken at random).</param>
/// <param name="InputsPerNetwork">Random ±1 inputs pushed through each network pair.</param>
/// <param name="Repeats">Independent network pairs (the standard errors come from their spread).</param>
/// <param name="Seed">Seed of every random draw.</param>
public sealed record DenseSimulationSettings(int Width, PerturbationKind Kind, double[] Strengths, double Beta, int InputsPerNetwork, int Repeats, ulong Seed)
{
    /// <summary>Multiply-adds of the run: 2 copies × L layers × N² × inputs × repeats.</summary>
    public double MultiplyAdds => 2.0 * Strengths.Length * Width * (double)Width * InputsPerNetwork * Repeats;

    /// <summary>Rejects out-of-range settings with a one-line message naming the option.</summary>
    public void Validate()
    {
        if (Width < 2) throw new InputException($"--width: {Width} must be at least 2");
        if (Strengths.Length < 1) throw new InputException("--layers: need at least one layer");
        if (InputsPerNetwork < 1) throw new InputException($"--inputs: {InputsPerNetwork} must be at least 1");
        if (Repeats < 2) throw new InputException($"--repeats: {Repeats} must be at least 2 (the error bars come from the spread)");
        if (!(Beta > 0)) throw new InputException($"--beta: {Beta} must be positive");
        foreach (double s in Strengths)
            if (Kind == PerturbationKind.Continuous ? !(s >= 0 && s <= 1) : !(s >= 0 && s <= 0.5))
                throw new InputException($"--strength: {s} is outside {(Kind == PerturbationKind.Continuous ? "[0, 1] (η)" : "[0, 0.5] (p)")}");
    }
}

/// <summary>Simulated and predicted overlaps of the coupled dense networks.</summary>
/// <param name="Overlap">Measured q^l, l = 0..L.</param>
/// <param name="Magnetisation">Measured m^l of the perturbed copy.</param>
/// <param name="Theory">q^l from the recursion q^l = F_β(ρ_l q^{l−1}) with the measured q^0.</param>
public sealed record DenseSimulationResult(LayerEstimate Overlap, LayerEstimate Magnetisation, double[] Theory);

/// <summary>Settings of a finite-size simulation of coupled sparse MAJ-k networks.</summary>
/// <param name="Width">Units per layer N.</param>
/// <param name="FanIn">k (odd): distinct random parents per unit.</param>
/// <param name="Layers">Depth L.</param>
/// <param name="FlipProbability">Weight-flip probability p of the perturbed copy.</param>
/// <param name="InputMagnetisation">Mean m^0 of the random ±1 input.</param>
/// <param name="InputsPerNetwork">Random inputs per network pair.</param>
/// <param name="Repeats">Independent network pairs.</param>
/// <param name="Seed">Seed of every random draw.</param>
public sealed record SparseSimulationSettings(int Width, int FanIn, int Layers, double FlipProbability, double InputMagnetisation, int InputsPerNetwork, int Repeats, ulong Seed)
{
    /// <summary>Gate evaluations of the run: 2 copies × L × N × k × inputs × repeats.</summary>
    public double Operations => 2.0 * Layers * Width * (double)FanIn * InputsPerNetwork * Repeats;
}

/// <summary>Simulated and predicted state of the coupled sparse networks, layers 0..L.</summary>
/// <param name="ReferenceMagnetisation">Measured m̂^l.</param>
/// <param name="Magnetisation">Measured m^l.</param>
/// <param name="Overlap">Measured q^l.</param>
/// <param name="Theory">The (m̂, m, q) recursion from the same m^0.</param>
public sealed record SparseSimulationResult(LayerEstimate ReferenceMagnetisation, LayerEstimate Magnetisation, LayerEstimate Overlap, SparseState[] Theory);

/// <summary>
/// Finite-size cross-check of the theory: builds actual random networks, perturbs them, pushes random ±1
/// inputs through both copies and measures the per-layer overlap and magnetisation, with error bars from
/// independent repeats (fresh networks and inputs each).
/// </summary>
public static class FiniteSizeSimulation
{
    /// <summary>Runs the dense simulation (TorchSharp matrix products, seeded generator).</summary>
    public static DenseSimulationResult RunDense(DenseSimulationSettings settings, IProgress<ProgressReport>? progress = null, CancellationToken cancel = default)
    {
        settings.Validate();
        int n = settings.Width, layers = settings.Strengths.Length, batch = settings.InputsPerNetwork;
        var overlap = new double[settings.Repeats, layers + 1];
        var magnet = new double[settings.Repeats, layers + 1];
        using var generator = new Generator(settings.Seed);
        double scale = 1 / Math.Sqrt(n);
        for (int r = 0; r < settings.Repeats; r++)
        {
            cancel.ThrowIfCancellationRequested();
            using (NewDisposeScope())
            {
                var input = RandomSpins(new long[] { n, batch }, 0, generator);
                Tensor reference = input, perturbed = input;
                overlap[r, 0] = 1; magnet[r, 0] = input.to_type(ScalarType.Float64).mean().item<double>();
                for (int l = 0; l < layers; l++)
                {
                    double strength = settings.Strengths[l];
                    Tensor wHat, w;
                    if (settings.Kind == PerturbationKind.Continuous)
                    {
                        wHat = randn(new long[] { n, n }, dtype: ScalarType.Float32, generator: generator);
                        var noise = randn(new long[] { n, n }, dtype: ScalarType.Float32, generator: generator);
                        w = wHat.Times((float)Math.Sqrt(1 - strength * strength)).Plus(noise.Times((float)strength));
                    }
                    else
                    {
                        wHat = RandomSpins(new long[] { n, n }, 0, generator);
                        var flip = rand(new long[] { n, n }, dtype: ScalarType.Float32, generator: generator).LessThan((float)strength);
                        w = where(flip, -wHat, wHat);
                    }
                    reference = Units(matmul(wHat, reference).TimesInPlace((float)scale), settings.Beta, generator);
                    perturbed = Units(matmul(w, perturbed).TimesInPlace((float)scale), settings.Beta, generator);
                    overlap[r, l + 1] = (reference * perturbed).to_type(ScalarType.Float64).mean().item<double>();
                    magnet[r, l + 1] = perturbed.to_type(ScalarType.Float64).mean().item<double>();
                }
            }
            progress?.Report(new ProgressReport("simulate dense", r + 1, settings.Repeats, "network pairs"));
        }
        var q = LayerEstimate.From(overlap);
        double[] theory = DenseOverlap.Overlaps(settings.Kind, settings.Strengths, settings.Beta, 1);
        return new DenseSimulationResult(q, LayerEstimate.From(magnet), theory);
    }

    // ±1 spins with mean m: +1 with probability (1 + m)/2.
    private static Tensor RandomSpins(long[] shape, double mean, Generator generator) =>
        rand(shape, dtype: ScalarType.Float32, generator: generator).LessThan((float)(0.5 * (1 + mean))).to_type(ScalarType.Float32).TimesInPlace(2).PlusInPlace(-1);

    // Stochastic sign units: s = +1 with probability (1 + tanh βh)/2; at β = ∞ this is sgn h with ties (h = 0,
    // possible for ±1 weights) broken by a fair coin, the β → ∞ limit of the same rule.
    private static Tensor Units(Tensor field, double beta, Generator generator)
    {
        var up = double.IsPositiveInfinity(beta) ? field.sign().PlusInPlace(1).TimesInPlace(0.5f) : field.Times((float)beta).tanh_().PlusInPlace(1).TimesInPlace(0.5f);
        return rand(field.shape, dtype: ScalarType.Float32, generator: generator).lt(up).to_type(ScalarType.Float32).TimesInPlace(2).PlusInPlace(-1);
    }

    /// <summary>Runs the sparse MAJ-k simulation (plain loops; gates are cheap).</summary>
    public static SparseSimulationResult RunSparse(SparseSimulationSettings settings, IProgress<ProgressReport>? progress = null, CancellationToken cancel = default)
    {
        int n = settings.Width, k = settings.FanIn, layers = settings.Layers;
        var recursion = new SparseMajority(k, settings.FlipProbability);  // validates k and p
        if (n < k) throw new InputException($"--width: {n} must be at least k = {k}");
        if (layers < 1) throw new InputException($"--layers: {layers} must be at least 1");
        if (settings.Repeats < 2) throw new InputException($"--repeats: {settings.Repeats} must be at least 2 (the error bars come from the spread)");
        if (settings.InputsPerNetwork < 1) throw new InputException($"--inputs: {settings.InputsPerNetwork} must be at least 1");
        if (!(Math.Abs(settings.InputMagnetisation) <= 1)) throw new InputException($"--m0: {settings.InputMagnetisation} must lie in [−1, 1]");
        var mh = new double[settings.Repeats, layers + 1];
        var m = new double[settings.Repeats, layers + 1];
        var q = new double[settings.Repeats, layers + 1];
        var seeds = new SeedTree(settings.Seed);
        var parents = new int[layers][];
        var flipped = new bool[layers][];
        var reference = new sbyte[layers + 1][];
        var perturbed = new sbyte[layers + 1][];
        for (int l = 0; l <= layers; l++) { reference[l] = new sbyte[n]; perturbed[l] = new sbyte[n]; }
        var chosen = new int[k];
        for (int r = 0; r < settings.Repeats; r++)
        {
            cancel.ThrowIfCancellationRequested();
            // Each network pair (and its inputs) from its own stream: pair r is the same whatever the number of pairs.
            var random = seeds.Child(r).Generator();
            for (int l = 0; l < layers; l++)
            {
                parents[l] = new int[n * k];
                flipped[l] = new bool[n * k];
                for (int i = 0; i < n; i++)
                {
                    // k distinct parents, drawn uniformly.
                    for (int j = 0; j < k; j++)
                    {
                        int candidate;
                        do candidate = random.NextInt(n); while (Array.IndexOf(chosen, candidate, 0, j) >= 0);
                        chosen[j] = candidate;
                        parents[l][i * k + j] = candidate;
                        flipped[l][i * k + j] = random.NextDouble() < settings.FlipProbability;
                    }
                }
            }
            for (int b = 0; b < settings.InputsPerNetwork; b++)
            {
                double plus = 0.5 * (1 + settings.InputMagnetisation);
                for (int i = 0; i < n; i++) reference[0][i] = perturbed[0][i] = random.NextDouble() < plus ? (sbyte)1 : (sbyte)-1;
                for (int l = 0; l < layers; l++)
                {
                    int[] par = parents[l]; bool[] flip = flipped[l];
                    sbyte[] src = reference[l], srcP = perturbed[l], dst = reference[l + 1], dstP = perturbed[l + 1];
                    for (int i = 0; i < n; i++)
                    {
                        int sum = 0, sumP = 0;
                        for (int j = 0; j < k; j++)
                        {
                            int parent = par[i * k + j];
                            sum += src[parent];
                            sumP += flip[i * k + j] ? -srcP[parent] : srcP[parent];
                        }
                        dst[i] = sum > 0 ? (sbyte)1 : (sbyte)-1;   // k odd: sums never vanish
                        dstP[i] = sumP > 0 ? (sbyte)1 : (sbyte)-1;
                    }
                }
                for (int l = 0; l <= layers; l++)
                {
                    long a = 0, bb = 0, c = 0;
                    for (int i = 0; i < n; i++) { a += reference[l][i]; bb += perturbed[l][i]; c += reference[l][i] * perturbed[l][i]; }
                    mh[r, l] += (double)a / n / settings.InputsPerNetwork;
                    m[r, l] += (double)bb / n / settings.InputsPerNetwork;
                    q[r, l] += (double)c / n / settings.InputsPerNetwork;
                }
            }
            progress?.Report(new ProgressReport("simulate sparse", r + 1, settings.Repeats, "network pairs"));
        }
        return new SparseSimulationResult(LayerEstimate.From(mh), LayerEstimate.From(m), LayerEstimate.From(q),
            recursion.Layers(layers, settings.InputMagnetisation));
    }
}
