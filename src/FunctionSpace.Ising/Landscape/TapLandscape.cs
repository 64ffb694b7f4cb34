using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Landscape;

/// <summary>Settings of the TAP free-energy census.</summary>
/// <param name="Starts">Random initial points.</param>
/// <param name="Seed">Seed of the initial points (start k uses a generator derived from Seed and k).</param>
/// <param name="Tap">TAP solver options.</param>
/// <param name="Bins">Histogram bins.</param>
/// <param name="InitialScale">Initial m_i drawn uniformly from [−InitialScale, InitialScale].</param>
/// <param name="DistinctTolerance">Two fixed points with max_i |Δm_i| below this count as the same state.</param>
public sealed record TapCensusSettings(int Starts = 1000, ulong Seed = 1, TapOptions? Tap = null, int Bins = 40,
    double InitialScale = 1.0, double DistinctTolerance = 1e-5);

/// <summary>The TAP fixed points found from many starts and the distribution of their free energies.</summary>
/// <param name="Size">N.</param>
/// <param name="Starts">Starts attempted.</param>
/// <param name="FreeEnergies">TAP free-energy density F/N of each converged start (start order).</param>
/// <param name="StartIndices">The start index of each converged solution.</param>
/// <param name="DistinctStates">Number of distinct fixed points among the converged ones.</param>
/// <param name="Histogram">Histogram of <paramref name="FreeEnergies"/>.</param>
/// <param name="Peaks">Locations of the modes of the free-energy distribution.</param>
/// <param name="Seed">The seed used.</param>
public sealed record TapCensus(int Size, int Starts, double[] FreeEnergies, int[] StartIndices, int DistinctStates,
    Histogram Histogram, double[] Peaks, ulong Seed)
{
    /// <summary>Converged starts.</summary>
    public int Converged => FreeEnergies.Length;
}

/// <summary>
/// The TAP free-energy landscape (Zou &amp; Huang App. I): TAP iterations (Tap.Solve: Onsager term with the
/// previous-previous iterate) from many random initial magnetisations; the free energies of the converged fixed
/// points are histogrammed and the modes counted (the study: one for deep nets, two for the shallow net).
/// </summary>
public static class TapLandscape
{
    /// <summary>Runs the census: all starts batched through <see cref="Tap.SolveMany"/>; each start stops on its own.</summary>
    public static TapCensus Run(IsingModel model, TapCensusSettings settings, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        if (settings.Starts < 1) throw new InputException($"--starts: need at least 1, got {settings.Starts}");
        if (settings.Bins < 1) throw new InputException($"--bins: need at least 1, got {settings.Bins}");
        int n = model.Size;
        var options = settings.Tap ?? new TapOptions();
        // Start k draws its initial magnetisations from its own generator, so results do not depend on batching.
        var starts = new double[(long)settings.Starts * n];
        for (int k = 0; k < settings.Starts; k++)
        {
            var random = new Random(unchecked((int)SeedMix.Mix(settings.Seed, (ulong)k)));
            for (int i = 0; i < n; i++) starts[(long)k * n + i] = settings.InitialScale * (2 * random.NextDouble() - 1);
        }
        var results = Tap.SolveMany(model, starts, settings.Starts, options, progress, ct);
        var freeEnergies = new double[settings.Starts];
        var magnetisations = new double[settings.Starts][];
        var converged = new bool[settings.Starts];
        for (int k = 0; k < settings.Starts; k++)
        {
            converged[k] = results[k].Converged && double.IsFinite(results[k].FreeEnergy);
            freeEnergies[k] = results[k].FreeEnergy / n;
            magnetisations[k] = results[k].Magnetisations;
        }
        var indices = Enumerable.Range(0, settings.Starts).Where(k => converged[k]).ToArray();
        var energies = indices.Select(k => freeEnergies[k]).ToArray();
        int distinct = CountDistinct(indices.Select(k => magnetisations[k]).ToArray(), energies, settings.DistinctTolerance);
        var histogram = Histogram.Of(energies, settings.Bins);
        var peaks = PeakCounting.Modes(energies);
        return new TapCensus(n, settings.Starts, energies, indices, distinct, histogram, peaks, settings.Seed);
    }

    /// <summary>Distinct fixed points: sorted by free energy, each compared with the representatives of nearby free energy.</summary>
    internal static int CountDistinct(double[][] states, double[] freeEnergies, double tolerance)
    {
        var order = Enumerable.Range(0, states.Length).OrderBy(k => freeEnergies[k]).ToArray();
        var representatives = new List<int>();
        foreach (int k in order)
        {
            bool seen = false;
            for (int r = representatives.Count - 1; r >= 0; r--)
            {
                int other = representatives[r];
                if (freeEnergies[k] - freeEnergies[other] > 1e-6) break;   // sorted: older representatives are further away
                if (MaxDifference(states[k], states[other]) < tolerance) { seen = true; break; }
            }
            if (!seen) representatives.Add(k);
        }
        return representatives.Count;
    }

    private static double MaxDifference(double[] a, double[] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
