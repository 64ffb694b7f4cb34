using FunctionSpace.Ising.Randomness;
using System.CommandLine;
using System.Diagnostics;
using FunctionSpace.Ising.Data;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi bench collect</c>: throughput of batched mean-field training (networks/s at the study's 50
/// epochs of 60k images) and of batched evaluation (configurations/s on the 10k test set), with the ratio
/// to the issue's baseline (the study's numpy code: 6.5 s per network; configurations one at a time).
/// </summary>
internal static class BenchCollectCommand
{
    private const double BaselineSecondsPerNetwork = 6.5, TargetSecondsPerNetwork = 0.33, TargetConfigsPerSecond = 5000;

    public static Command Create()
    {
        var dataDir = CommonOptions.DataDir();
        var cacheDir = CommonOptions.CacheDir();
        var networks = new Option<int>("--networks") { Description = "Networks trained as one batch (K)", DefaultValueFactory = _ => 64 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs timed (the figure is scaled to 50)", DefaultValueFactory = _ => 2 };
        var configs = new Option<int>("--configurations") { Description = "Configurations evaluated on the 10k test set", DefaultValueFactory = _ => 2048 }.WithHiddenAlias("--configs");
        var evalBatch = new Option<int>("--eval-batch") { Description = "Configurations per batched product in the evaluator", DefaultValueFactory = _ => 64 };
        var threads = CollectCommand.ThreadsOption();
        var command = new Command("collect", "Measure batched training (networks/s) and evaluation (configs/s) against the study's numpy baseline")
        {
            dataDir, cacheDir, networks, epochs, configs, evalBatch, threads,
        };
        command.SetAction(parse =>
        {
            CollectCommand.ApplyThreads(parse.GetValue(threads));
            var data = DatasetLoader.Load(parse.GetValue(dataDir), 20, parse.GetValue(cacheDir)).Reduced;
            Run(Console.Out, data, parse.GetValue(networks), parse.GetValue(epochs), parse.GetValue(configs), parse.GetValue(evalBatch));
            return CliApp.ExitOk;
        });
        return command;
    }

    private static void Run(TextWriter output, ReducedDataset data, int k, int epochs, int configs, int evalBatch)
    {
        if (k < 1 || epochs < 1 || configs < 1 || evalBatch < 1) throw new InputException("bench collect: --networks, --epochs, --configurations and --eval-batch must be positive");
        var arch = Architecture.Deep;
        var process = Process.GetCurrentProcess();
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, torch threads {TorchSharp.torch.get_num_threads()}, load average {MachineState.LoadAverage()}");

        var inputs = data.TrainInputs.Select(v => (float)v).ToArray();
        var seeds = Enumerable.Range(0, k).Select(i => EnsembleCollection.NetworkSeed(1, i)).ToArray();
        // Warm-up (JIT of the kernel) on one epoch of a small batch.
        MeanFieldTrainer.Train(arch, inputs.AsSpan(0, 2000 * 20).ToArray(), data.TrainLabels.AsSpan(0, 2000).ToArray(), seeds.Take(2).ToArray(), 1, new MeanFieldOptions(Epochs: 1));
        string loadBefore = MachineState.LoadAverage();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var trained = MeanFieldTrainer.Train(arch, inputs, data.TrainLabels, seeds, 1, new MeanFieldOptions(Epochs: epochs));
        double trainWall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double trainCpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        double perNetwork = trainWall / (k * epochs) * 50;
        double cpuPerNetwork = trainCpu / (k * epochs) * 50;
        output.WriteLine($"training (fused SIMD kernel, one network per task on {Environment.ProcessorCount} cores): {k} networks x {epochs} epochs of {data.TrainCount} images " +
                         $"(20-15-15-10, batch 200) in {trainWall:F2} s wall, {trainCpu:F2} s CPU; mean final loss {trained.FinalLosses.Average():F4}; " +
                         $"load average {loadBefore} before, {MachineState.LoadAverage()} after");
        output.WriteLine($"  {perNetwork:F3} s per network at 50 epochs = {1 / perNetwork:F2} networks/s " +
                         $"(baseline {BaselineSecondsPerNetwork} s: {BaselineSecondsPerNetwork / perNetwork:F1}x; target <= {TargetSecondsPerNetwork} s: " +
                         $"{(perNetwork <= TargetSecondsPerNetwork ? "met" : "NOT met")}); CPU time {cpuPerNetwork:F3} s per network " +
                         $"(on {Environment.ProcessorCount} idle cores: ~{cpuPerNetwork / Environment.ProcessorCount:F3} s per network, target " +
                         $"{(cpuPerNetwork / Environment.ProcessorCount <= TargetSecondsPerNetwork ? "met" : "NOT met")})");

        // On a shared machine the loaded CPU time is inflated by cache and core sharing; the fastest 10-step
        // window of one network on one thread shows the kernel's own speed (steps per network: 50 epochs × ⌊n/200⌋).
        var (fastest, median) = MeanFieldTrainer.StepSeconds(arch, inputs, data.TrainLabels, new MeanFieldOptions());
        double stepsPerNetwork = 50.0 * (data.TrainCount / 200);
        double uncontended = fastest * stepsPerNetwork / Environment.ProcessorCount;
        output.WriteLine($"  one mini-batch step (one network, one thread, 300 windows of 10 steps): fastest {fastest * 1e6:F1} us, median {median * 1e6:F1} us; " +
                         $"fastest x {stepsPerNetwork:F0} steps / {Environment.ProcessorCount} cores = ~{uncontended:F3} s per network on idle cores " +
                         $"(target {(uncontended <= TargetSecondsPerNetwork ? "met" : "NOT met")}); load average {MachineState.LoadAverage()}");

        var random = new SplitMix64(7);
        var spins = new sbyte[(long)configs * arch.WeightCount];
        for (int i = 0; i < spins.Length; i++) spins[i] = random.NextDouble() < 0.5 ? (sbyte)-1 : (sbyte)1;
        using var evaluator = new BinaryEvaluator(arch, data.TestInputs, data.TestLabels, evalBatch);
        evaluator.Accuracy(spins.AsSpan(0, Math.Min(configs, evalBatch) * arch.WeightCount), Math.Min(configs, evalBatch));
        process.Refresh();
        cpu0 = process.TotalProcessorTime;
        clock.Restart();
        evaluator.Accuracy(spins, configs);
        double evalWall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double evalCpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        double rate = configs / evalWall;
        output.WriteLine($"evaluation ({(SimdAvailable ? "batched SIMD kernel, configurations in the vector lanes" : "torch batched products")}): {configs} configurations x {data.TestCount} test images in {evalWall:F2} s wall, {evalCpu:F2} s CPU");
        output.WriteLine($"  {rate:F0} configs/s (target >= {TargetConfigsPerSecond}: {rate / TargetConfigsPerSecond:F2}x); {configs / evalCpu:F0} configs per CPU-second");
        // The earlier kernel (one configuration at a time on vectors of examples), timed back to back on the
        // same configurations: the speed-up, and the check that every configuration's count is identical.
        int referenceCount = Math.Min(configs, 1024);
        var referenceSpins = spins.AsSpan(0, referenceCount * arch.WeightCount);
        process.Refresh();
        cpu0 = process.TotalProcessorTime;
        clock.Restart();
        int[]? reference = evaluator.CorrectCountsPerConfiguration(referenceSpins, referenceCount);
        double referenceWall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double referenceCpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        if (reference != null)
        {
            int[] batched = evaluator.CorrectCountsBatched(referenceSpins, referenceCount)!;
            int differing = Enumerable.Range(0, referenceCount).Count(c => batched[c] != reference[c]);
            double referenceRate = referenceCount / referenceWall;
            output.WriteLine($"  previous kernel (one configuration per pass): {referenceRate:F0} configs/s, {referenceCount / referenceCpu:F0} per CPU-second " +
                             $"(batched / previous: {rate / referenceRate:F2}x wall, {configs / evalCpu / (referenceCount / referenceCpu):F2}x CPU); " +
                             $"correct counts identical for {referenceCount - differing} of {referenceCount} configurations; load average {MachineState.LoadAverage()}");
        }

        // The torch paths: batched products, and one configuration at a time (the baseline's way).
        int torchCount = Math.Min(configs, 512), singles = Math.Min(configs, 32);
        clock.Restart();
        evaluator.AccuracyTorch(spins.AsSpan(0, torchCount * arch.WeightCount), torchCount);
        double torchRate = torchCount / clock.Elapsed.TotalSeconds;
        using var single = new BinaryEvaluator(arch, data.TestInputs, data.TestLabels, 1);
        clock.Restart();
        single.AccuracyTorch(spins.AsSpan(0, singles * arch.WeightCount), singles);
        double singleRate = singles / clock.Elapsed.TotalSeconds;
        output.WriteLine($"  torch batched ({evalBatch} per product): {torchRate:F0} configs/s; torch one at a time: {singleRate:F0} configs/s " +
                         $"(kernel / one-at-a-time: {rate / singleRate:F1}x)");
        output.WriteLine($"peak resident memory: {MachineState.PeakResidentMemory()}");
    }

    private static bool SimdAvailable => System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated;
}
