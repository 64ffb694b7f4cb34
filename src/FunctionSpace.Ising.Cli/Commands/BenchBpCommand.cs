using System.CommandLine;
using System.Diagnostics;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi bench bp</c>: milliseconds per warm-started BP evaluation (BP run + moments, i.e. one
/// Boltzmann-learning step's inference) at N = 675, against the study's numpy BP (0.19 s per step).
/// </summary>
internal static class BenchBpCommand
{
    private const double BaselineSeconds = 0.19;

    private sealed record Settings(int Steps, double Step, double Tolerance, double Damping, ulong Seed);

    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Learning-like steps timed per model", DefaultValueFactory = _ => 30 }.InRange(1, 100000);
        var step = new Option<double>("--step") { Description = "Size of the random change of J and h between evaluations (a learning step)", DefaultValueFactory = _ => 1e-4 }.InRange(0, 1);
        var tolerance = new Option<double>("--tolerance") { Description = "BP convergence tolerance", DefaultValueFactory = _ => 1e-10 }.InRange(1e-15, 1);
        var damping = new Option<double>("--damping") { Description = "BP damping", DefaultValueFactory = _ => 0.5 }.InRange(0, 0.99);
        var seed = CommonOptions.Seed();
        var command = new Command("bp", "Time warm-started belief propagation + moments at N = 675 (the Boltzmann-learning inner loop); baseline: numpy BP 0.19 s/step")
        {
            steps, step, tolerance, damping, seed,
        };
        command.SetAction(parse => Run(new Settings(parse.GetValue(steps), parse.GetValue(step), parse.GetValue(tolerance),
            parse.GetValue(damping), parse.GetValue(seed)), Console.Out));
        return command;
    }

    private static int Run(Settings settings, TextWriter output)
    {
        output.WriteLine($"BP bench: {settings.Steps} warm-started evaluations per model, each after a random change of size {settings.Step:G2} to J and h; " +
                         $"damping {settings.Damping}, tolerance {settings.Tolerance:G2}, {Environment.ProcessorCount} cores, seed {settings.Seed}");
        foreach (var (name, model) in Models(settings.Seed))
        {
            var options = new BpOptions(settings.Damping, settings.Tolerance);
            var first = BeliefPropagation.Run(model, options);
            if (!first.Converged) throw new InputException($"bench bp: {name}: {first.Describe()}");
            var rng = new Random((int)(settings.Seed & 0x7fffffff));
            var messages = first.Messages;
            var current = model;
            long sweeps = 0;
            double seconds = 0;
            for (int s = 0; s < settings.Steps; s++)
            {
                current = Perturb(current, settings.Step, rng);
                var timer = Stopwatch.StartNew();
                var result = BeliefPropagation.Run(current, options, messages);
                var moments = BeliefPropagation.Moments(current, result);
                seconds += timer.Elapsed.TotalSeconds;
                GC.KeepAlive(moments);
                if (!result.Converged) throw new InputException($"bench bp: {name}: {result.Describe()}");
                messages = result.Messages;
                sweeps += result.Iterations;
            }
            double ms = 1000 * seconds / settings.Steps;
            double perSweep = 1000 * seconds / Math.Max(1, sweeps);
            output.WriteLine($"  {name,-34} N={model.Size}: {ms,8:F2} ms per evaluation ({(double)sweeps / settings.Steps:F1} sweeps, {perSweep:F3} ms/sweep); " +
                             $"baseline {BaselineSeconds * 1000:F0} ms ⇒ {BaselineSeconds * 1000 / ms:F1}x faster");
        }
        return CliApp.ExitOk;
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
