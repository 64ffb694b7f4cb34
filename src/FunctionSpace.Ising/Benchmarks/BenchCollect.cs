using System.Diagnostics;
using FunctionSpace.Ising.Data;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Benchmarks;

/// <summary>Settings of the collection benchmark (<c>fsi bench collect</c>).</summary>
/// <param name="Networks">Networks trained as one batch (K).</param>
/// <param name="Epochs">Epochs timed (the figure is scaled to 50).</param>
/// <param name="Configurations">Configurations evaluated on the test set.</param>
/// <param name="EvalBatch">Configurations per batched product in the evaluator.</param>
public sealed record BenchCollectSettings(int Networks = 64, int Epochs = 2, int Configurations = 2048, int EvalBatch = 64)
{
    /// <summary>Throws an <see cref="InputException"/> naming the options when a value is out of range.</summary>
    public void Validate()
    {
        if (Networks < 1 || Epochs < 1 || Configurations < 1 || EvalBatch < 1)
            throw new InputException("bench collect: --networks, --epochs, --configurations and --eval-batch must be positive");
    }
}

/// <summary>The earlier evaluation kernel (one configuration per pass) on the same configurations.</summary>
/// <param name="Count">Configurations timed.</param>
/// <param name="WallSeconds">Its wall time.</param>
/// <param name="CpuSeconds">Its process CPU time.</param>
/// <param name="Differing">Configurations whose correct count differs from the batched kernel's.</param>
/// <param name="LoadAverage">Load average after it.</param>
public sealed record PreviousEvaluation(int Count, double WallSeconds, double CpuSeconds, int Differing, string LoadAverage);

/// <summary>Result of the collection benchmark.</summary>
/// <param name="Settings">The settings.</param>
/// <param name="TorchThreads">Torch intra-op threads.</param>
/// <param name="LoadAtStart">Load average at the start.</param>
/// <param name="TrainCount">Training images.</param>
/// <param name="TestCount">Test images.</param>
/// <param name="TrainWallSeconds">Wall time of the timed training.</param>
/// <param name="TrainCpuSeconds">Process CPU time of the timed training.</param>
/// <param name="MeanFinalLoss">Mean final loss of the trained networks.</param>
/// <param name="LoadBeforeTraining">Load average before the timed training.</param>
/// <param name="LoadAfterTraining">Load average after it.</param>
/// <param name="FastestStepSeconds">Fastest 10-step window of one network on one thread, per step.</param>
/// <param name="MedianStepSeconds">Median window, per step.</param>
/// <param name="LoadAfterSteps">Load average after the step timing.</param>
/// <param name="EvalWallSeconds">Wall time of the batched evaluation.</param>
/// <param name="EvalCpuSeconds">Its process CPU time.</param>
/// <param name="SimdEvaluation">Whether the evaluator ran its SIMD kernel (else torch products).</param>
/// <param name="Previous">The earlier kernel, where the evaluator has it.</param>
/// <param name="TorchCount">Configurations of the torch batched timing.</param>
/// <param name="TorchRate">Torch batched products: configurations per second.</param>
/// <param name="SingleRate">Torch one configuration at a time: configurations per second.</param>
/// <param name="PeakMemory">Peak resident memory.</param>
public sealed record BenchCollectResult(BenchCollectSettings Settings, int TorchThreads, string LoadAtStart, int TrainCount, int TestCount,
    double TrainWallSeconds, double TrainCpuSeconds, double MeanFinalLoss, string LoadBeforeTraining, string LoadAfterTraining,
    double FastestStepSeconds, double MedianStepSeconds, string LoadAfterSteps, double EvalWallSeconds, double EvalCpuSeconds, bool SimdEvaluation,
    PreviousEvaluation? Previous, int TorchCount, double TorchRate, double SingleRate, string PeakMemory);

/// <summary>
/// Throughput of batched mean-field training (networks/s at the study's 50 epochs of 60k images) and of batched
/// evaluation (configurations/s on the 10k test set), with the ratio to the study's numpy code (6.5 s per network;
/// configurations one at a time).
/// </summary>
public static class BenchCollect
{
    /// <summary>The study's numpy code, our target per network, and the evaluation target.</summary>
    public const double BaselineSecondsPerNetwork = 6.5, TargetSecondsPerNetwork = 0.33, TargetConfigsPerSecond = 5000;

    /// <summary>Times training and evaluation on the 20-15-15-10 network.</summary>
    public static BenchCollectResult Run(ReducedDataset data, BenchCollectSettings settings)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        int k = settings.Networks, epochs = settings.Epochs, configs = settings.Configurations, evalBatch = settings.EvalBatch;
        var arch = Architecture.Deep;
        var process = Process.GetCurrentProcess();
        string loadAtStart = MachineState.LoadAverage();

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
        string loadAfter = MachineState.LoadAverage();

        // On a shared machine the loaded CPU time is inflated by cache and core sharing; the fastest 10-step
        // window of one network on one thread shows the kernel's own speed.
        var (fastest, median) = MeanFieldTrainer.StepSeconds(arch, inputs, data.TrainLabels, new MeanFieldOptions());
        string loadAfterSteps = MachineState.LoadAverage();

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
        PreviousEvaluation? previous = null;
        if (reference != null)
        {
            int[] batched = evaluator.CorrectCountsBatched(referenceSpins, referenceCount)!;
            int differing = Enumerable.Range(0, referenceCount).Count(c => batched[c] != reference[c]);
            previous = new PreviousEvaluation(referenceCount, referenceWall, referenceCpu, differing, MachineState.LoadAverage());
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
        return new BenchCollectResult(settings, TorchSharp.torch.get_num_threads(), loadAtStart, data.TrainCount, data.TestCount, trainWall, trainCpu,
            trained.FinalLosses.Average(), loadBefore, loadAfter, fastest, median, loadAfterSteps, evalWall, evalCpu,
            System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated, previous, torchCount, torchRate, singleRate, MachineState.PeakResidentMemory());
    }

    /// <summary>Prints the result as <c>fsi bench collect</c> does.</summary>
    public static void Write(BenchCollectResult result, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(output);
        var s = result.Settings;
        int k = s.Networks, epochs = s.Epochs, configs = s.Configurations, cores = Environment.ProcessorCount;
        output.WriteLine($"machine: {cores} cores, torch threads {result.TorchThreads}, load average {result.LoadAtStart}");
        double perNetwork = result.TrainWallSeconds / (k * epochs) * 50;
        double cpuPerNetwork = result.TrainCpuSeconds / (k * epochs) * 50;
        output.WriteLine($"training (fused SIMD kernel, one network per task on {cores} cores): {k} networks x {epochs} epochs of {result.TrainCount} images " +
                         $"(20-15-15-10, batch 200) in {result.TrainWallSeconds:F2} s wall, {result.TrainCpuSeconds:F2} s CPU; mean final loss {result.MeanFinalLoss:F4}; " +
                         $"load average {result.LoadBeforeTraining} before, {result.LoadAfterTraining} after");
        output.WriteLine($"  {perNetwork:F3} s per network at 50 epochs = {1 / perNetwork:F2} networks/s " +
                         $"(baseline {BaselineSecondsPerNetwork} s: {BaselineSecondsPerNetwork / perNetwork:F1}x; target <= {TargetSecondsPerNetwork} s: " +
                         $"{(perNetwork <= TargetSecondsPerNetwork ? "met" : "NOT met")}); CPU time {cpuPerNetwork:F3} s per network " +
                         $"(on {cores} idle cores: ~{cpuPerNetwork / cores:F3} s per network, target " +
                         $"{(cpuPerNetwork / cores <= TargetSecondsPerNetwork ? "met" : "NOT met")})");
        // Steps per network: 50 epochs × ⌊n/200⌋.
        double stepsPerNetwork = 50.0 * (result.TrainCount / 200);
        double uncontended = result.FastestStepSeconds * stepsPerNetwork / cores;
        output.WriteLine($"  one mini-batch step (one network, one thread, 300 windows of 10 steps): fastest {result.FastestStepSeconds * 1e6:F1} us, median {result.MedianStepSeconds * 1e6:F1} us; " +
                         $"fastest x {stepsPerNetwork:F0} steps / {cores} cores = ~{uncontended:F3} s per network on idle cores " +
                         $"(target {(uncontended <= TargetSecondsPerNetwork ? "met" : "NOT met")}); load average {result.LoadAfterSteps}");
        double rate = configs / result.EvalWallSeconds;
        output.WriteLine($"evaluation ({(result.SimdEvaluation ? "batched SIMD kernel, configurations in the vector lanes" : "torch batched products")}): {configs} configurations x {result.TestCount} test images in {result.EvalWallSeconds:F2} s wall, {result.EvalCpuSeconds:F2} s CPU");
        output.WriteLine($"  {rate:F0} configs/s (target >= {TargetConfigsPerSecond}: {rate / TargetConfigsPerSecond:F2}x); {configs / result.EvalCpuSeconds:F0} configs per CPU-second");
        if (result.Previous is { } p)
        {
            double referenceRate = p.Count / p.WallSeconds;
            output.WriteLine($"  previous kernel (one configuration per pass): {referenceRate:F0} configs/s, {p.Count / p.CpuSeconds:F0} per CPU-second " +
                             $"(batched / previous: {rate / referenceRate:F2}x wall, {configs / result.EvalCpuSeconds / (p.Count / p.CpuSeconds):F2}x CPU); " +
                             $"correct counts identical for {p.Count - p.Differing} of {p.Count} configurations; load average {p.LoadAverage}");
        }
        output.WriteLine($"  torch batched ({s.EvalBatch} per product): {result.TorchRate:F0} configs/s; torch one at a time: {result.SingleRate:F0} configs/s " +
                         $"(kernel / one-at-a-time: {rate / result.SingleRate:F1}x)");
        output.WriteLine($"peak resident memory: {result.PeakMemory}");
    }
}
