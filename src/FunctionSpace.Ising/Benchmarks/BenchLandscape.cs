using System.Diagnostics;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Benchmarks;

/// <summary>Settings of the landscape benchmark (<c>fsi bench landscape</c>).</summary>
/// <param name="ReferenceDirectory">Published deep scenario folder (null: the shared under-para one).</param>
/// <param name="Points">Sweep grid points (the targets are for 200).</param>
/// <param name="Starts">TAP starts (the target is for 1,000).</param>
/// <param name="Dense">Also time both workloads on a dense model (the blocks plus weak random couplings between parts).</param>
/// <param name="CompareAdditive">Also run each sweep with BP in the additive form and compare speed and results.</param>
public sealed record BenchLandscapeSettings(string? ReferenceDirectory = null, int Points = 200, int Starts = 1000, bool Dense = true, bool CompareAdditive = false)
{
    /// <summary>Standard deviation of the weak couplings of the dense model.</summary>
    public const double CrossCouplingScale = 0.004;

    /// <summary>Seed of the weak couplings of the dense model.</summary>
    public const ulong CrossCouplingSeed = 1;

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        if (Points is < 2 or > 100_000) throw new InputException($"--points: {Points} is outside 2..100000");
        if (Starts is < 1 or > 10_000_000) throw new InputException($"--starts: {Starts} is outside 1..10000000");
    }
}

/// <summary>The additive-form rerun of a sweep.</summary>
/// <param name="Iterations">BP sweeps of its kept points.</param>
/// <param name="Seconds">Its wall time.</param>
/// <param name="MaxDistanceDifference">Largest |Δd| against the exponential form, over the points.</param>
/// <param name="MaxEntropyDifference">Largest |Δs| against the exponential form.</param>
public sealed record AdditiveComparison(int Iterations, double Seconds, double MaxDistanceDifference, double MaxEntropyDifference);

/// <summary>One model's timings.</summary>
/// <param name="Label">Which model.</param>
/// <param name="Sweep">The forward + backward sweep.</param>
/// <param name="SweepSeconds">Its wall time.</param>
/// <param name="Additive">The additive-form rerun, when asked for.</param>
/// <param name="Census">The TAP census.</param>
/// <param name="TapSeconds">Its wall time.</param>
public sealed record BenchLandscapeCase(string Label, LandscapeSweep Sweep, double SweepSeconds, AdditiveComparison? Additive, TapCensus Census, double TapSeconds);

/// <summary>Result of the landscape benchmark.</summary>
/// <param name="Scenario">The published scenario.</param>
/// <param name="Size">N of the joined model.</param>
/// <param name="ReferenceLabel">The lowest-energy reference the sweeps start from.</param>
/// <param name="Sweep">The sweep settings.</param>
/// <param name="Cases">The block-diagonal model, then the dense one when asked for.</param>
/// <param name="LoadAverage">Load averages (1, 5, 15 min) at the end.</param>
public sealed record BenchLandscapeResult(string Scenario, int Size, string ReferenceLabel, LandscapeSettings Sweep, IReadOnlyList<BenchLandscapeCase> Cases, string LoadAverage);

/// <summary>
/// A 200-point forward + backward sweep and a 1,000-start TAP census on N = 675 (baselines 10 s and 30 s). The N = 675
/// model joins the published under-para LB, ITER and RB models block-diagonally.
/// </summary>
public static class BenchLandscape
{
    /// <summary>Wall-time targets of the sweep and of the census.</summary>
    public const double SweepBaselineSeconds = 10, TapBaselineSeconds = 30;

    /// <summary>Times the workloads.</summary>
    public static BenchLandscapeResult Run(BenchLandscapeSettings settings, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        string folder = settings.ReferenceDirectory ?? Path.Combine(IO.SharedData.ReferenceDirectory(), "under-para");
        var scenario = PublishedScenario.Open(folder);
        var model = BenchModels.BlockDiagonal(PartModels.FromPublished(scenario, ["LB", "ITER", "RB"]), scenario.Architecture.WeightCount);
        var reference = scenario.SelectReference(new ReferenceChoice(ReferenceRank.Lowest));
        var sweep = new LandscapeSettings(-2, 2, settings.Points);
        var cases = new List<BenchLandscapeCase>
        {
            Time("block-diagonal (zero couplings between parts are skipped)", model, reference.Spins, sweep, settings, ct),
        };
        if (settings.Dense)
            cases.Add(Time($"dense (blocks + N(0, {BenchLandscapeSettings.CrossCouplingScale}²) couplings between parts, seed {BenchLandscapeSettings.CrossCouplingSeed}; nothing to skip)",
                BenchModels.WithWeakCrossCouplings(model, BenchLandscapeSettings.CrossCouplingScale, BenchLandscapeSettings.CrossCouplingSeed),
                reference.Spins, sweep, settings, ct));
        return new BenchLandscapeResult(scenario.Name, model.Size, reference.Label, sweep, cases, MachineState.LoadAverage(3));
    }

    private static BenchLandscapeCase Time(string label, IsingModel model, sbyte[] reference, LandscapeSettings sweepSettings, BenchLandscapeSettings settings, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var sweep = EntropyLandscape.Sweep("FULL", model, reference, sweepSettings, ct: ct);
        double sweepSeconds = clock.Elapsed.TotalSeconds;
        AdditiveComparison? additive = null;
        if (settings.CompareAdditive)
        {
            var additiveSettings = sweepSettings with { Bp = sweepSettings.BpOptionsOrDefault with { ExponentialForm = false } };
            clock.Restart();
            var other = EntropyLandscape.Sweep("FULL", model, reference, additiveSettings, ct: ct);
            double seconds = clock.Elapsed.TotalSeconds;
            var pairs = sweep.Forward.Concat(sweep.Backward).Zip(other.Forward.Concat(other.Backward)).ToArray();
            additive = new AdditiveComparison(other.Forward.Concat(other.Backward).Sum(p => p.Iterations), seconds,
                pairs.Max(p => Math.Abs(p.First.Distance - p.Second.Distance)), pairs.Max(p => Math.Abs(p.First.Entropy - p.Second.Entropy)));
        }
        clock.Restart();
        var census = TapLandscape.Run(model, new TapCensusSettings(settings.Starts), ct: ct);
        return new BenchLandscapeCase(label, sweep, sweepSeconds, additive, census, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Prints the result as <c>fsi bench landscape</c> does.</summary>
    public static void Write(BenchLandscapeResult result, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(output);
        var settings = result.Sweep;
        output.WriteLine($"model: {result.Scenario} LB ⊕ ITER ⊕ RB, N = {result.Size}; reference {result.ReferenceLabel}; {Environment.ProcessorCount} cores");
        output.WriteLine($"sweep BP: damping {settings.BpOptionsOrDefault.Damping}, tolerance {settings.BpOptionsOrDefault.Tolerance:G2} on the cavity fields; " +
                         $"each point warm-started by extrapolation through the last {settings.PredictorPoints} converged points; " +
                         $"{(settings.BpOptionsOrDefault.ExponentialForm ? "exponential" : "additive")} form of the undamped sweep");
        foreach (var c in result.Cases)
        {
            var sweep = c.Sweep;
            output.WriteLine($"{c.Label}:");
            int failed = sweep.FailedPoints.Count();
            int iterations = sweep.Forward.Concat(sweep.Backward).Sum(p => p.Iterations);
            output.WriteLine($"  sweep: {sweep.BpSolves} BP solves ({sweep.BpSweeps} sweeps) for {sweep.Forward.Count + sweep.Backward.Count} points ({iterations} sweeps of the kept points, {failed} not converged, " +
                             $"{sweep.Jumps.Count} jump(s), {sweep.SteepStretches.Count} steep stretch(es)) in {c.SweepSeconds:F2} s; " +
                             $"target {SweepBaselineSeconds} s; ratio {c.SweepSeconds / SweepBaselineSeconds:F3}");
            if (c.Additive is { } a)
                output.WriteLine($"  same sweep, BP in the additive form: {a.Iterations} iterations in {a.Seconds:F2} s " +
                                 $"(exponential form {a.Seconds / c.SweepSeconds:F2}x faster); max |Δd| {a.MaxDistanceDifference:G2}, max |Δs| {a.MaxEntropyDifference:G2}");
            var census = c.Census;
            output.WriteLine($"  tap: {census.Starts} starts ({census.Converged} converged: {string.Join(", ", census.Passes.Where(p => p.Attempted > 0).Select(p => $"{p.Converged}/{p.Attempted} at damping {p.Damping}"))}; " +
                             $"{census.DistinctStates} distinct, {census.Peaks.Length} peak(s)) in {c.TapSeconds:F2} s; " +
                             $"target {TapBaselineSeconds} s; ratio {c.TapSeconds / TapBaselineSeconds:F3}");
        }
        output.WriteLine($"load average: {result.LoadAverage} on {Environment.ProcessorCount} cores (wall times scale with contention)");
    }
}
