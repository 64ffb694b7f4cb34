using System.Diagnostics;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Randomness;

namespace FunctionSpace.Ising.Benchmarks;

/// <summary>Settings of the BP benchmark (<c>fsi bench bp</c>).</summary>
/// <param name="Steps">Learning-like steps timed per model.</param>
/// <param name="Step">Size of the random change of J and h between evaluations (a learning step).</param>
/// <param name="Tolerance">BP convergence tolerance.</param>
/// <param name="Damping">BP damping.</param>
/// <param name="Anderson">Anderson-acceleration depth (0 = plain damped BP; null = BP's default).</param>
/// <param name="Landscape">Also time the landscape workloads (x-sweep and TAP from random starts).</param>
/// <param name="Points">x values of the landscape sweep (the target is for 200).</param>
/// <param name="TapStarts">Random TAP starts (the target is for 1,000).</param>
/// <param name="Seed">Seed of the perturbations, the synthetic model, the reference and the TAP starts.</param>
public sealed record BenchBpSettings(int Steps = 30, double Step = 1e-4, double Tolerance = 1e-10, double Damping = 0.5, int? Anderson = null,
    bool Landscape = false, int Points = 200, int TapStarts = 1000, ulong Seed = 1)
{
    /// <summary>The Anderson depth used: <see cref="Anderson"/>, or BP's own default.</summary>
    public int AndersonDepth => Anderson ?? new BpOptions().AndersonDepth;

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        if (Steps is < 1 or > 100000) throw new InputException($"--steps: {Steps} is outside 1..100000");
        if (!(Step >= 0 && Step <= 1)) throw new InputException($"--step: {Step} is outside 0..1");
        if (!(Tolerance >= 1e-15 && Tolerance <= 1)) throw new InputException($"--tolerance: {Tolerance} is outside 1e-15..1");
        if (!(Damping >= 0 && Damping <= 0.99)) throw new InputException($"--damping: {Damping} is outside 0..0.99");
        if (AndersonDepth is < 0 or > 20) throw new InputException($"--anderson: {AndersonDepth} is outside 0..20");
        if (Points is < 2 or > 100000) throw new InputException($"--points: {Points} is outside 2..100000");
        if (TapStarts is < 1 or > 1000000) throw new InputException($"--tap-starts: {TapStarts} is outside 1..1000000");
    }
}

/// <summary>The landscape workloads on one model.</summary>
/// <param name="Points">x values of the sweep (each visited forward and backward).</param>
/// <param name="Sweeps">BP sweeps of the whole path.</param>
/// <param name="Unconverged">Points whose BP did not converge.</param>
/// <param name="SweepSeconds">Wall time of the path.</param>
/// <param name="TapStarts">Random TAP starts.</param>
/// <param name="TapConverged">Starts that converged.</param>
/// <param name="TapMeanIterations">Mean iterations per start.</param>
/// <param name="TapSeconds">Wall time of the TAP solves.</param>
public sealed record BpLandscapeTiming(int Points, long Sweeps, int Unconverged, double SweepSeconds, int TapStarts, int TapConverged, double TapMeanIterations, double TapSeconds);

/// <summary>The timings of one model.</summary>
/// <param name="Name">Which model.</param>
/// <param name="Size">N.</param>
/// <param name="Sweeps">BP sweeps of all timed evaluations.</param>
/// <param name="Seconds">Wall time of the timed evaluations.</param>
/// <param name="CpuSeconds">Process CPU time of the timed evaluations.</param>
/// <param name="SweepSeconds">Time inside the message sweeps.</param>
/// <param name="Landscape">The landscape workloads, when asked for.</param>
public sealed record BenchBpModel(string Name, int Size, long Sweeps, double Seconds, double CpuSeconds, double SweepSeconds, BpLandscapeTiming? Landscape);

/// <summary>Result of the BP benchmark.</summary>
/// <param name="Settings">The settings.</param>
/// <param name="Models">The published model, then the synthetic dense one.</param>
/// <param name="LoadAverage">Load averages (1, 5, 15 min) at the end.</param>
public sealed record BenchBpResult(BenchBpSettings Settings, IReadOnlyList<BenchBpModel> Models, string LoadAverage);

/// <summary>
/// Milliseconds per warm-started BP evaluation (BP run + moments, i.e. one Boltzmann-learning step's inference) at
/// N = 675, against the study's numpy BP (0.19 s per step), split into the message sweeps and the work around them.
/// </summary>
public static class BenchBp
{
    // The streams of the bench's seed tree: the learning-like perturbations, the synthetic model, the landscape's reference and TAP starts.
    private const int PerturbationStream = 0, SyntheticModelStream = 1, LandscapeStream = 2;

    /// <summary>The study's numpy BP: seconds per learning step.</summary>
    public const double BaselineSeconds = 0.19;

    /// <summary>Times the evaluations (and the landscape workloads) on both models.</summary>
    public static BenchBpResult Run(BenchBpSettings settings, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var models = new List<BenchBpModel>();
        foreach (var (name, model) in Models(settings.Seed))
        {
            ct.ThrowIfCancellationRequested();
            var options = new BpOptions(settings.Damping, settings.Tolerance) { AndersonDepth = settings.AndersonDepth };
            var first = BeliefPropagation.Run(model, options);
            if (!first.Converged) throw new InputException($"bench bp: {name}: {first.Describe()}");
            var rng = new SeedTree(settings.Seed).Child(PerturbationStream).Generator();
            var messages = first.Messages;
            var current = model;
            long sweeps = 0;
            double seconds = 0, cpuSeconds = 0, sweepSeconds = 0;
            var process = Process.GetCurrentProcess();
            // As in the learning loop: the arrays of the evaluation before last (messages) and of the last (pair moments)
            // are dead and are handed back for reuse (fresh 3.6 MB arrays cost page faults on every call).
            BpMessages? spareMessages = null;
            Moments? sparePairs = null;
            for (int s = 0; s < settings.Steps; s++)
            {
                current = Perturb(current, settings.Step, ref rng);
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var timer = Stopwatch.StartNew();
                var (result, moments) = BeliefPropagation.RunWithMoments(current, options, messages, spareMessages, sparePairs);
                seconds += timer.Elapsed.TotalSeconds;
                sweepSeconds += result.SweepTime.TotalSeconds;
                process.Refresh();
                cpuSeconds += (process.TotalProcessorTime - cpuBefore).TotalSeconds;
                GC.KeepAlive(moments);
                if (!result.Converged) throw new InputException($"bench bp: {name}: {result.Describe()}");
                spareMessages = s > 0 ? messages : null;   // the first warm start is `first`'s, used again below
                sparePairs = moments;
                messages = result.Messages;
                sweeps += result.Iterations;
            }
            var landscape = settings.Landscape ? Landscape(model, options, first.Messages, settings) : null;
            models.Add(new BenchBpModel(name, model.Size, sweeps, seconds, cpuSeconds, sweepSeconds, landscape));
        }
        return new BenchBpResult(settings, models, MachineState.LoadAverage(3));
    }

    // Landscape workloads: BP along fields h + x·σ* for the x values in [0, 1], forward then backward, each point
    // warm-started from the previous (target ≤ 10 s for 200), and TAP from random starts (target ≤ 30 s for 1,000).
    private static BpLandscapeTiming Landscape(IsingModel model, BpOptions options, BpMessages start, BenchBpSettings settings)
    {
        int n = model.Size;
        var rng = new SeedTree(settings.Seed).Child(LandscapeStream).Generator();
        var reference = Enumerable.Range(0, n).Select(_ => rng.NextInt(2) == 0 ? 1.0 : -1.0).ToArray();
        int points = settings.Points;
        var xs = Enumerable.Range(0, points).Select(k => k / (double)(points - 1)).ToList();
        var path = xs.Concat(Enumerable.Reverse(xs)).ToList();
        var messages = start;
        int failed = 0;
        long sweeps = 0;
        var timer = Stopwatch.StartNew();
        foreach (double x in path)
        {
            var tilted = model.WithFields(model.Fields.Select((h, i) => h + x * reference[i]).ToArray());
            var result = BeliefPropagation.Run(tilted, options, messages);
            if (!result.Converged) failed++;
            else messages = result.Messages;
            sweeps += result.Iterations;
        }
        double sweepSeconds = timer.Elapsed.TotalSeconds;
        int startCount = settings.TapStarts;
        var starts = new double[startCount * n];
        for (int k = 0; k < starts.Length; k++) starts[k] = 2 * rng.NextDouble() - 1;
        timer.Restart();
        var tap = Tap.SolveMany(model, starts, startCount, new TapOptions(MaxIterations: 2000));
        double tapSeconds = timer.Elapsed.TotalSeconds;
        return new BpLandscapeTiming(points, sweeps, failed, sweepSeconds, startCount, tap.Count(r => r.Converged), tap.Average(r => r.Iterations), tapSeconds);
    }

    // The published under-para ITER model (J_ITER, h_ITER, n = 225) embedded block-diagonally in the 675 spins of
    // the FULL network with the published h_FULL fields (only h_FULL is published for under-para), plus a
    // synthetic dense N = 675 model with couplings of the same scale.
    private static IEnumerable<(string, IsingModel)> Models(ulong seed)
    {
        string dir = Path.Combine(SharedData.ReferenceDirectory(), "under-para");
        var iter = ModelFile.LoadText(Path.Combine(dir, "J_ITER.txt"), Path.Combine(dir, "h_ITER.txt"));
        var lb = ModelFile.LoadText(Path.Combine(dir, "J_LB.txt"), Path.Combine(dir, "h_LB.txt"));
        var rb = ModelFile.LoadText(Path.Combine(dir, "J_RB.txt"), Path.Combine(dir, "h_RB.txt"));
        double[] hFull = TextMatrix.ReadVector(Path.Combine(dir, "h_FULL.txt"));
        int n = hFull.Length;
        var j = new double[n * n];
        int offset = 0;
        foreach (var part in new[] { lb, iter, rb })
        {
            for (int a = 0; a < part.Size; a++)
                part.Couplings.AsSpan(a * part.Size, part.Size).CopyTo(j.AsSpan((offset + a) * n + offset, part.Size));
            offset += part.Size;
        }
        yield return ("under-para LB+ITER+RB, h_FULL", new IsingModel(hFull, j));

        var rng = new SeedTree(seed).Child(SyntheticModelStream).Generator();
        var js = new double[n * n];
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
            {
                // Mean 0.005 and spread 0.5/√N: dense, weakly frustrated, paramagnetic like the fitted models.
                double v = 0.005 + 0.5 / Math.Sqrt(n) * rng.NextGaussian();
                js[a * n + b] = v;
                js[b * n + a] = v;
            }
        yield return ("synthetic dense (SK, beta 0.5)", new IsingModel(Enumerable.Range(0, n).Select(_ => 0.2 * (2 * rng.NextDouble() - 1)).ToArray(), js));
    }

    private static IsingModel Perturb(IsingModel model, double size, ref SplitMix64 rng)
    {
        int n = model.Size;
        var j = (double[])model.Couplings.Clone();
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
            {
                if (j[a * n + b] == 0) continue;   // keep the sparsity pattern (blocks stay blocks)
                double v = j[a * n + b] + size * (2 * rng.NextDouble() - 1);
                j[a * n + b] = v;
                j[b * n + a] = v;
            }
        var h = new double[n];
        for (int i = 0; i < n; i++) h[i] = model.Fields[i] + size * (2 * rng.NextDouble() - 1);
        return new IsingModel(h, j);
    }

    /// <summary>Prints the result as <c>fsi bench bp</c> does.</summary>
    public static void Write(BenchBpResult result, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(output);
        var settings = result.Settings;
        output.WriteLine($"BP bench: {settings.Steps} warm-started evaluations per model, each after a random change of size {settings.Step:G2} to J and h; " +
                         $"damping {settings.Damping}, Anderson depth {settings.AndersonDepth}, tolerance {settings.Tolerance:G2}, {Environment.ProcessorCount} cores, seed {settings.Seed}");
        foreach (var model in result.Models)
        {
            double ms = 1000 * model.Seconds / settings.Steps;
            double perSweep = 1000 * model.Seconds / Math.Max(1, model.Sweeps);
            double cpuMs = 1000 * model.CpuSeconds / settings.Steps;
            double sweepMs = 1000 * model.SweepSeconds / settings.Steps;
            output.WriteLine($"  {model.Name,-32} N={model.Size}: {ms,8:F2} ms wall, {cpuMs,8:F2} ms CPU per evaluation ({(double)model.Sweeps / settings.Steps:F1} sweeps, {perSweep:F3} ms/sweep wall); " +
                             $"baseline {BaselineSeconds * 1000:F0} ms ⇒ {BaselineSeconds * 1000 / ms:F2}x (wall)");
            output.WriteLine($"  {"",-32}        of which sweeps {sweepMs,8:F2} ms ({sweepMs / Math.Max(1, (double)model.Sweeps / settings.Steps):F3} ms/sweep), " +
                             $"outside the sweeps {ms - sweepMs,8:F2} ms (tanh J, copy of the start, final pass: magnetisations, Bethe F and E, pair moments)");
            if (model.Landscape is { } l)
            {
                double per200 = l.SweepSeconds * 200 / l.Points;
                output.WriteLine($"    x-sweep 2×{l.Points} points: {l.SweepSeconds:F2} s ({(double)l.Sweeps / (2 * l.Points):F1} sweeps/point, {l.Unconverged} unconverged) ⇒ {per200:F1} s per 200 points; target 10 s ⇒ {10 / per200:F2}x");
                double per1000 = l.TapSeconds * 1000 / l.TapStarts;
                output.WriteLine($"    TAP {l.TapStarts} random starts: {l.TapSeconds:F2} s ({l.TapConverged} converged, mean {l.TapMeanIterations:F0} iterations) ⇒ {per1000:F1} s per 1,000; target 30 s ⇒ {30 / per1000:F2}x");
            }
        }
        output.WriteLine($"load average during the run: {result.LoadAverage} on {Environment.ProcessorCount} cores (wall times scale with contention)");
    }
}
