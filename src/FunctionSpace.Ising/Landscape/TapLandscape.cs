using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Landscape;

/// <summary>Settings of the TAP free-energy census.</summary>
/// <param name="Starts">Random initial points.</param>
/// <param name="Seed">Seed of the initial points (start k uses a generator derived from Seed and k).</param>
/// <param name="Tap">TAP solver options of the first pass (default: undamped, given up after
/// <see cref="DefaultStallIterations"/> iterations without a new low of the change).</param>
/// <param name="Bins">Histogram bins.</param>
/// <param name="InitialScale">Initial m_i drawn uniformly from [−InitialScale, InitialScale].</param>
/// <param name="DistinctTolerance">Two fixed points with max_i |Δm_i| below this count as the same state.</param>
public sealed record TapCensusSettings(int Starts = 1000, ulong Seed = 1, TapOptions? Tap = null, int Bins = 40,
    double InitialScale = 1.0, double DistinctTolerance = 1e-5)
{
    /// <summary>
    /// Stall window of the first pass. A start that cycles (the undamped iteration's period-2 orbits) sets no new low
    /// and is handed to the next damping instead of running the 10,000-iteration cap; the damped passes scale the
    /// window by 1/(1 − damping), the iteration's slower time scale, up to four times this.
    /// </summary>
    /// <remarks>On the N = 675 benchmark models a window of 500 gave up 6–8 of 1,000 undamped starts that would have
    /// converged later; they now converge in the next pass instead of being lost.</remarks>
    public const int DefaultStallIterations = 500;

    /// <summary>
    /// Dampings tried, in order, on the starts the previous pass did not converge (a damped iteration has the same
    /// fixed points and converges where the undamped one oscillates); values not above the first pass's are skipped.
    /// </summary>
    public IReadOnlyList<double> FallbackDampings { get; init; } = [0.5, 0.8, 0.95];

    /// <summary>
    /// Starts (the first ones) run through the whole schedule before the others: the others then begin at the smallest
    /// damping that converged at least half of them, and do not spend passes that the model defeats.
    /// </summary>
    public int PilotStarts { get; init; } = 16;

    /// <summary>The first pass's options.</summary>
    public TapOptions FirstPass => Tap ?? new TapOptions { StallIterations = DefaultStallIterations };

    /// <summary>Throws InputException for an unusable setting.</summary>
    public void Validate()
    {
        if (Starts < 1) throw new InputException($"--starts: need at least 1, got {Starts}");
        if (Bins < 1) throw new InputException($"--bins: need at least 1, got {Bins}");
        if (PilotStarts < 1) throw new InputException($"tap pilot starts: need at least 1, got {PilotStarts}");
        FirstPass.Validate();
        foreach (double d in FallbackDampings)
            if (!(d >= 0 && d < 1)) throw new InputException($"--fallback-dampings: {d} is outside [0, 1)");
    }

    /// <summary>The dampings of the passes: the first pass's, then the fallbacks above it, ascending.</summary>
    public IReadOnlyList<double> Schedule() => [FirstPass.Damping, .. FallbackDampings.Where(d => d > FirstPass.Damping).Distinct().Order()];
}

/// <summary>One pass of the census: its damping and stall window, how many starts it was given and how many converged.</summary>
/// <param name="Damping">The damping.</param>
/// <param name="Attempted">Starts iterated in this pass (those no earlier pass converged).</param>
/// <param name="Converged">Of those, the converged ones.</param>
/// <param name="StallIterations">The pass's stall window (0: none).</param>
public sealed record TapPass(double Damping, int Attempted, int Converged, int StallIterations);

/// <summary>The TAP fixed points found from many starts and the distribution of their free energies.</summary>
/// <param name="Size">N.</param>
/// <param name="Starts">Starts attempted.</param>
/// <param name="FreeEnergies">TAP free-energy density F/N of each converged start (start order).</param>
/// <param name="StartIndices">The start index of each converged solution.</param>
/// <param name="DistinctStates">Number of distinct fixed points among the converged ones.</param>
/// <param name="Histogram">Histogram of <paramref name="FreeEnergies"/>.</param>
/// <param name="Peaks">Locations of the modes of the free-energy distribution (none when no start converged).</param>
/// <param name="Seed">The seed used.</param>
public sealed record TapCensus(int Size, int Starts, double[] FreeEnergies, int[] StartIndices, int DistinctStates,
    Histogram Histogram, double[] Peaks, ulong Seed)
{
    /// <summary>Converged starts.</summary>
    public int Converged => FreeEnergies.Length;

    /// <summary>The passes of the damping schedule, in order.</summary>
    public IReadOnlyList<TapPass> Passes { get; init; } = [];

    /// <summary>The damping at which each converged start (same order as <see cref="FreeEnergies"/>) converged.</summary>
    public double[] Dampings { get; init; } = [];
}

/// <summary>
/// The TAP free-energy landscape (Zou &amp; Huang App. I): TAP iterations (Tap.Solve: Onsager term with the
/// previous-previous iterate) from many random initial magnetisations; the free energies of the converged fixed
/// points are histogrammed and the modes counted (the study: one for deep nets, two for the shallow net).
/// </summary>
public static class TapLandscape
{
    /// <summary>Part of the run's cache key: changed whenever the same inputs and settings would give other outputs.</summary>
    public const string AlgorithmVersion = "tap-v3";

    /// <summary>
    /// Runs the census: all starts batched through <see cref="Tap.SolveMany"/>, each stopping on its own; starts that
    /// do not converge are retried from their own initial point with the next damping of the schedule
    /// (<see cref="TapCensusSettings.Schedule"/>), the pilot starts first (<see cref="TapCensusSettings.PilotStarts"/>);
    /// those no damping converged get a last pass at the first damping with a four times longer stall window.
    /// </summary>
    public static TapCensus Run(IsingModel model, TapCensusSettings settings, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        settings.Validate();
        int n = model.Size;
        var first = settings.FirstPass;
        var schedule = settings.Schedule();
        // Start k draws its initial magnetisations from its own generator, so results do not depend on batching.
        var starts = new double[(long)settings.Starts * n];
        for (int k = 0; k < settings.Starts; k++)
        {
            var random = new SplitMix64(SplitMix64.Element(settings.Seed, (ulong)k));
            for (int i = 0; i < n; i++) starts[(long)k * n + i] = settings.InitialScale * (2 * random.NextDouble() - 1);
        }
        // The passes: the schedule, then the first damping again with a window four times longer for the starts no pass
        // converged (a slowly converging plain iteration can take longer than the first window; on the N = 675 benchmark
        // models 3 of 1,000 starts needed it).
        // A damped pass's window grows with its slower time scale, 1/(1 − damping), up to four times the first.
        var passes = schedule.Select(d => (Damping: d, Stall: first.StallIterations == 0 ? 0
                : (int)Math.Min(first.MaxIterations, Math.Min(4.0 * first.StallIterations, Math.Round(first.StallIterations / (1 - d)))))).ToList();
        if (first.StallIterations > 0) passes.Add((first.Damping, (int)Math.Min(first.MaxIterations, 4L * first.StallIterations)));
        var results = new TapResult?[settings.Starts];
        var convergedAt = new int[settings.Starts];
        var attempted = new int[passes.Count];
        var converged = new int[passes.Count];

        // Runs the given starts from pass `level` on, each pass taking those still unconverged.
        void RunFrom(int[] indices, int level)
        {
            var pending = indices;
            for (int p = level; p < passes.Count && pending.Length > 0; p++)
            {
                var options = first with { Damping = passes[p].Damping, StallIterations = passes[p].Stall };
                var batch = new double[(long)pending.Length * n];
                for (int k = 0; k < pending.Length; k++) Array.Copy(starts, (long)pending[k] * n, batch, (long)k * n, n);
                var solved = Tap.SolveMany(model, batch, pending.Length, options, progress, ct);
                attempted[p] += pending.Length;
                var next = new List<int>();
                for (int k = 0; k < pending.Length; k++)
                {
                    results[pending[k]] = solved[k];
                    if (solved[k].Converged && double.IsFinite(solved[k].FreeEnergy)) { converged[p]++; convergedAt[pending[k]] = p; }
                    else next.Add(pending[k]);
                }
                pending = next.ToArray();
            }
        }

        int pilot = Math.Min(settings.Starts, settings.PilotStarts);
        RunFrom(Enumerable.Range(0, pilot).ToArray(), 0);
        // The smallest damping at which (with the lighter ones before it) at least half the pilot converged.
        int startLevel = schedule.Count - 1, sum = 0;
        for (int p = 0; p < schedule.Count; p++)
        {
            sum += converged[p];
            if (2 * sum >= pilot) { startLevel = p; break; }
        }
        if (pilot < settings.Starts) RunFrom(Enumerable.Range(pilot, settings.Starts - pilot).ToArray(), startLevel);

        var indices = Enumerable.Range(0, settings.Starts).Where(k => results[k] is { Converged: true } r && double.IsFinite(r.FreeEnergy)).ToArray();
        var energies = indices.Select(k => results[k]!.FreeEnergy / n).ToArray();
        int distinct = CountDistinct(indices.Select(k => results[k]!.Magnetisations).ToArray(), energies, settings.DistinctTolerance);
        var histogram = Histogram.Of(energies, settings.Bins);
        var peaks = PeakCounting.Modes(energies);
        return new TapCensus(n, settings.Starts, energies, indices, distinct, histogram, peaks, settings.Seed)
        {
            Passes = passes.Select((q, p) => new TapPass(q.Damping, attempted[p], converged[p], q.Stall)).ToArray(),
            Dampings = indices.Select(k => passes[convergedAt[k]].Damping).ToArray(),
        };
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
