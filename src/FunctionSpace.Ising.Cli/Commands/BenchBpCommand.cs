using System.CommandLine;
using System.Diagnostics;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi bench bp</c>: milliseconds per warm-started BP evaluation (BP run + moments, i.e. one
/// Boltzmann-learning step's inference) at N = 675, against the study's numpy BP (0.19 s per step), split into
/// the message sweeps and the work around them.
/// </summary>
internal static class BenchBpCommand
{
    private const double BaselineSeconds = 0.19;

    private sealed record Settings(int Steps, double Step, double Tolerance, double Damping, int Anderson, bool Landscape, int Points, int TapStarts, ulong Seed);

    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Learning-like steps timed per model", DefaultValueFactory = _ => 30 }.InRange(1, 100000);
        var step = new Option<double>("--step") { Description = "Size of the random change of J and h between evaluations (a learning step)", DefaultValueFactory = _ => 1e-4 }.InRange(0, 1);
        var tolerance = new Option<double>("--tolerance") { Description = "BP convergence tolerance", DefaultValueFactory = _ => 1e-10 }.InRange(1e-15, 1);
        var damping = new Option<double>("--damping") { Description = "BP damping", DefaultValueFactory = _ => 0.5 }.InRange(0, 0.99);
        var anderson = new Option<int>("--anderson") { Description = "Anderson-acceleration depth (0 = plain damped BP)", DefaultValueFactory = _ => new BpOptions().AndersonDepth }.InRange(0, 20);
        var landscape = new Option<bool>("--landscape") { Description = "Also time the landscape workloads: a 200-point forward+backward x-sweep (fields h + x·σ*) and TAP from 1,000 random starts" };
        var points = new Option<int>("--points") { Description = "x values of the landscape sweep (each visited forward and backward); the target is for 200", DefaultValueFactory = _ => 200 }.InRange(2, 100000);
        var tapStarts = new Option<int>("--tap-starts") { Description = "Random TAP starts; the target is for 1,000", DefaultValueFactory = _ => 1000 }.InRange(1, 1000000);
        var seed = CommonOptions.Seed();
        var command = new Command("bp", "Time warm-started belief propagation + moments at N = 675 (the Boltzmann-learning inner loop); baseline: numpy BP 0.19 s/step")
        {
            steps, step, tolerance, damping, anderson, landscape, points, tapStarts, seed,
        };
        command.SetAction(parse => Run(new Settings(parse.GetValue(steps), parse.GetValue(step), parse.GetValue(tolerance),
            parse.GetValue(damping), parse.GetValue(anderson), parse.GetValue(landscape), parse.GetValue(points), parse.GetValue(tapStarts), parse.GetValue(seed)), parse.InvocationConfiguration.Output));
        return command;
    }

    private static int Run(Settings settings, TextWriter output)
    {
        output.WriteLine($"BP bench: {settings.Steps} warm-started evaluations per model, each after a random change of size {settings.Step:G2} to J and h; " +
                         $"damping {settings.Damping}, Anderson depth {settings.Anderson}, tolerance {settings.Tolerance:G2}, {Environment.ProcessorCount} cores, seed {settings.Seed}");
        foreach (var (name, model) in Models(settings.Seed))
        {
            var options = new BpOptions(settings.Damping, settings.Tolerance) { AndersonDepth = settings.Anderson };
            var first = BeliefPropagation.Run(model, options);
            if (!first.Converged) throw new InputException($"bench bp: {name}: {first.Describe()}");
            var rng = new Random((int)(settings.Seed & 0x7fffffff));
            var messages = first.Messages;
            var current = model;
            long sweeps = 0;
            double seconds = 0, cpuSeconds = 0, sweepSeconds = 0;
            var process = System.Diagnostics.Process.GetCurrentProcess();
            // As in the learning loop: the arrays of the evaluation before last (messages) and of the last (pair moments)
            // are dead and are handed back for reuse (fresh 3.6 MB arrays cost page faults on every call).
            BpMessages? spareMessages = null;
            Moments? sparePairs = null;
            for (int s = 0; s < settings.Steps; s++)
            {
                current = Perturb(current, settings.Step, rng);
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
            double ms = 1000 * seconds / settings.Steps;
            double perSweep = 1000 * seconds / Math.Max(1, sweeps);
            double cpuMs = 1000 * cpuSeconds / settings.Steps;
            double sweepMs = 1000 * sweepSeconds / settings.Steps;
            output.WriteLine($"  {name,-32} N={model.Size}: {ms,8:F2} ms wall, {cpuMs,8:F2} ms CPU per evaluation ({(double)sweeps / settings.Steps:F1} sweeps, {perSweep:F3} ms/sweep wall); " +
                             $"baseline {BaselineSeconds * 1000:F0} ms ⇒ {BaselineSeconds * 1000 / ms:F2}x (wall)");
            output.WriteLine($"  {"",-32}        of which sweeps {sweepMs,8:F2} ms ({sweepMs / Math.Max(1, (double)sweeps / settings.Steps):F3} ms/sweep), " +
                             $"outside the sweeps {ms - sweepMs,8:F2} ms (tanh J, copy of the start, final pass: magnetisations, Bethe F and E, pair moments)");
            if (settings.Landscape) Landscape(name, model, options, first.Messages, settings, output);
        }
        output.WriteLine($"load average during the run: {MachineState.LoadAverage(3)} on {Environment.ProcessorCount} cores (wall times scale with contention)");
        return CliApp.ExitOk;
    }

    // Landscape workloads: BP along fields h + x·σ* for 200 values of x in [0, 1], forward then backward, each
    // point warm-started from the previous (target ≤ 10 s), and TAP from 1,000 random starts (target ≤ 30 s).
    private static void Landscape(string name, IsingModel model, BpOptions options, BpMessages start, Settings settings, TextWriter output)
    {
        int n = model.Size;
        var rng = new Random((int)(settings.Seed & 0x7fffffff) + 2);
        var reference = Enumerable.Range(0, n).Select(_ => rng.Next(2) == 0 ? 1.0 : -1.0).ToArray();
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
        double per200 = sweepSeconds * 200 / points;
        output.WriteLine($"    x-sweep 2×{points} points: {sweepSeconds:F2} s ({(double)sweeps / path.Count:F1} sweeps/point, {failed} unconverged) ⇒ {per200:F1} s per 200 points; target 10 s ⇒ {10 / per200:F2}x");

        int startCount = settings.TapStarts;
        var starts = new double[startCount * n];
        for (int k = 0; k < starts.Length; k++) starts[k] = 2 * rng.NextDouble() - 1;
        timer.Restart();
        var tap = Tap.SolveMany(model, starts, startCount, new TapOptions(MaxIterations: 2000));
        double tapSeconds = timer.Elapsed.TotalSeconds;
        double per1000 = tapSeconds * 1000 / startCount;
        output.WriteLine($"    TAP {startCount} random starts: {tapSeconds:F2} s ({tap.Count(r => r.Converged)} converged, mean {tap.Average(r => r.Iterations):F0} iterations) ⇒ {per1000:F1} s per 1,000; target 30 s ⇒ {30 / per1000:F2}x");
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

        var rng = new Random((int)(seed & 0x7fffffff) + 1);
        var js = new double[n * n];
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
            {
                // Mean 0.005 and spread 0.5/√N: dense, weakly frustrated, paramagnetic like the fitted models.
                double v = 0.005 + 0.5 / Math.Sqrt(n) * Gaussian(rng);
                js[a * n + b] = v;
                js[b * n + a] = v;
            }
        yield return ("synthetic dense (SK, beta 0.5)", new IsingModel(Enumerable.Range(0, n).Select(_ => 0.2 * (2 * rng.NextDouble() - 1)).ToArray(), js));
    }

    private static IsingModel Perturb(IsingModel model, double size, Random rng)
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
        var h = model.Fields.Select(x => x + size * (2 * rng.NextDouble() - 1)).ToArray();
        return new IsingModel(h, j);
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
