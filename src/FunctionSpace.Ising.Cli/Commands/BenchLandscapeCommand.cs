using System.CommandLine;
using System.Diagnostics;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi bench landscape</c>: a 200-point forward + backward sweep and a 1,000-start TAP census on N = 675 (issue
/// baselines 10 s and 30 s). The N = 675 model joins the published under-para LB, ITER and RB models block-diagonally.
/// </summary>
internal static class BenchLandscapeCommand
{
    public const double SweepBaselineSeconds = 10, TapBaselineSeconds = 30;

    public static Command Create()
    {
        var dir = new Option<string?>("--reference-dir") { Description = "Published deep scenario folder [default: shared/reference/under-para]" };
        var points = new Option<int>("--points") { Description = "Sweep grid points", DefaultValueFactory = _ => 200 }.InRange(2, 100_000);
        var starts = new Option<int>("--starts") { Description = "TAP starts", DefaultValueFactory = _ => 1000 }.InRange(1, 10_000_000);
        var command = new Command("landscape", "Time a 200-point forward+backward landscape sweep and a 1,000-start TAP census on N = 675") { dir, points, starts };
        var dense = new Option<bool>("--dense") { Description = "Also time both workloads on a dense N = 675 model (the blocks plus weak random couplings between parts)", DefaultValueFactory = _ => true };
        command.Add(dense);
        var additive = new Option<bool>("--compare-additive") { Description = "Also run each sweep with BP in the additive form (exp and log per message) and print the speed ratio and the largest difference in d and s" };
        command.Add(additive);
        command.SetAction(parse =>
        {
            string folder = parse.GetValue(dir) ?? Path.Combine(IO.SharedData.ReferenceDirectory(), "under-para");
            var scenario = PublishedScenario.Open(folder);
            var model = BlockDiagonal(PartModels.FromPublished(scenario, ["LB", "ITER", "RB"]), scenario.Architecture.WeightCount);
            var reference = scenario.SelectReference(new ReferenceChoice(ReferenceRank.Lowest));
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"model: {scenario.Name} LB ⊕ ITER ⊕ RB, N = {model.Size}; reference {reference.Label}; {Environment.ProcessorCount} cores");
            var settings = new LandscapeSettings(-2, 2, parse.GetValue(points));
            output.WriteLine($"sweep BP: damping {settings.BpOptionsOrDefault.Damping}, tolerance {settings.BpOptionsOrDefault.Tolerance:G2} on the cavity fields; " +
                             $"each point warm-started by extrapolation through the last {settings.PredictorPoints} converged points; " +
                             $"{(settings.BpOptionsOrDefault.ExponentialForm ? "exponential" : "additive")} form of the undamped sweep");
            bool compare = parse.GetValue(additive);
            Time("block-diagonal (zero couplings between parts are skipped)", model, reference.Spins, settings, parse.GetValue(starts), compare, output);
            if (parse.GetValue(dense))
                Time("dense (blocks + N(0, 0.004²) couplings between parts, seed 1; nothing to skip)", WithWeakCrossCouplings(model, 0.004, 1),
                    reference.Spins, settings, parse.GetValue(starts), compare, output);
            output.WriteLine($"load average: {MachineState.LoadAverage(3)} on {Environment.ProcessorCount} cores (wall times scale with contention)");
            return CliApp.ExitOk;
        });
        return command;
    }

    private static void Time(string label, IsingModel model, sbyte[] reference, LandscapeSettings settings, int starts, bool compare, TextWriter output)
    {
        output.WriteLine($"{label}:");
        var clock = Stopwatch.StartNew();
        var sweep = EntropyLandscape.Sweep("FULL", model, reference, settings);
        double sweepSeconds = clock.Elapsed.TotalSeconds;
        int failed = sweep.FailedPoints.Count();
        int iterations = sweep.Forward.Concat(sweep.Backward).Sum(p => p.Iterations);
        output.WriteLine($"  sweep: {sweep.BpSolves} BP solves ({sweep.BpSweeps} sweeps) for {sweep.Forward.Count + sweep.Backward.Count} points ({iterations} sweeps of the kept points, {failed} not converged, " +
                         $"{sweep.Jumps.Count} jump(s), {sweep.SteepStretches.Count} steep stretch(es)) in {sweepSeconds:F2} s; " +
                         $"target {SweepBaselineSeconds} s; ratio {sweepSeconds / SweepBaselineSeconds:F3}");
        if (compare)
        {
            var additiveSettings = settings with { Bp = settings.BpOptionsOrDefault with { ExponentialForm = false } };
            clock.Restart();
            var additive = EntropyLandscape.Sweep("FULL", model, reference, additiveSettings);
            double additiveSeconds = clock.Elapsed.TotalSeconds;
            int additiveIterations = additive.Forward.Concat(additive.Backward).Sum(p => p.Iterations);
            var pairs = sweep.Forward.Concat(sweep.Backward).Zip(additive.Forward.Concat(additive.Backward)).ToArray();
            double dd = pairs.Max(p => Math.Abs(p.First.Distance - p.Second.Distance));
            double ds = pairs.Max(p => Math.Abs(p.First.Entropy - p.Second.Entropy));
            output.WriteLine($"  same sweep, BP in the additive form: {additiveIterations} iterations in {additiveSeconds:F2} s " +
                             $"(exponential form {additiveSeconds / sweepSeconds:F2}x faster); max |Δd| {dd:G2}, max |Δs| {ds:G2}");
        }
        clock.Restart();
        var census = TapLandscape.Run(model, new TapCensusSettings(starts));
        double tapSeconds = clock.Elapsed.TotalSeconds;
        output.WriteLine($"  tap: {census.Starts} starts ({census.Converged} converged: {string.Join(", ", census.Passes.Where(p => p.Attempted > 0).Select(p => $"{p.Converged}/{p.Attempted} at damping {p.Damping}"))}; " +
                         $"{census.DistinctStates} distinct, {census.Peaks.Length} peak(s)) in {tapSeconds:F2} s; " +
                         $"target {TapBaselineSeconds} s; ratio {tapSeconds / TapBaselineSeconds:F3}");
    }

    /// <summary>The model plus Gaussian couplings N(0, scale²) on every pair the model leaves at exactly zero (seeded).</summary>
    internal static IsingModel WithWeakCrossCouplings(IsingModel model, double scale, int seed)
    {
        int n = model.Size;
        var j = (double[])model.Couplings.Clone();
        var rng = new Random(seed);
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
            {
                if (j[a * n + b] != 0) continue;
                double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
                double v = scale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                j[a * n + b] = v;
                j[b * n + a] = v;
            }
        return new IsingModel((double[])model.Fields.Clone(), j);
    }

    /// <summary>Joins part models into one model over all weights (no couplings between parts).</summary>
    internal static IsingModel BlockDiagonal(IReadOnlyList<PartModel> parts, int size)
    {
        var h = new double[size];
        var j = new double[size * size];
        foreach (var part in parts)
        {
            int s = part.Part.Start, n = part.Part.Length;
            part.Model.Fields.CopyTo(h, s);
            for (int a = 0; a < n; a++)
                part.Model.Couplings.AsSpan(a * n, n).CopyTo(j.AsSpan((s + a) * size + s, n));
        }
        return new IsingModel(h, j);
    }
}
