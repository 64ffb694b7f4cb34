using System.Diagnostics;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Studies;

/// <summary>θ after a given number of epochs, and the wall time training took to get there.</summary>
/// <param name="Epoch">Epochs trained.</param>
/// <param name="Seconds">Wall-clock seconds of the run that trained them (all K networks together).</param>
/// <param name="CpuSeconds">CPU seconds the process used during that run (all threads): steadier than wall time on a shared machine.</param>
/// <param name="Result">The trainer's result.</param>
public sealed record MeanFieldCheckpoint(int Epoch, double Seconds, double CpuSeconds, MeanFieldResult Result);

/// <summary>
/// Per-epoch snapshots of mean-field training built on <see cref="MeanFieldTrainer.Train"/>, which has no
/// per-epoch callback: one fresh run per checkpoint epoch e with the same seeds and Epochs = e.
/// </summary>
/// <remarks>
/// Exact, not an approximation: the trainer's initialisation, data order (per-network generators) and
/// noise (one generator) are drawn epoch by epoch and Adam's bias correction depends only on the step
/// count, so a run of e epochs is the first e epochs of any longer run with the same seeds. The price is
/// Σ e epochs instead of max e; a callback in the trainer would remove it.
/// </remarks>
public static class MeanFieldCheckpoints
{
    /// <summary>Trains to each epoch of <paramref name="epochs"/> (ascending, distinct, ≥ 1).</summary>
    public static IReadOnlyList<MeanFieldCheckpoint> Train(Architecture architecture, float[] inputs, byte[] labels,
        IReadOnlyList<ulong> networkSeeds, ulong noiseSeed, MeanFieldOptions options, IReadOnlyList<int> epochs,
        Action<MeanFieldCheckpoint>? onCheckpoint = null, CancellationToken ct = default)
    {
        if (epochs.Count == 0 || epochs[0] < 1 || epochs.Zip(epochs.Skip(1)).Any(p => p.Second <= p.First))
            throw new InputException($"--epochs: checkpoints '{string.Join(",", epochs)}' must be ascending, distinct and at least 1");
        var result = new List<MeanFieldCheckpoint>();
        foreach (int e in epochs)
        {
            ct.ThrowIfCancellationRequested();
            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var trained = MeanFieldTrainer.Train(architecture, inputs, labels, networkSeeds, noiseSeed, options with { Epochs = e }, null, ct);
            double wall = clock.Elapsed.TotalSeconds;
            process.Refresh();
            var checkpoint = new MeanFieldCheckpoint(e, wall, (process.TotalProcessorTime - cpuBefore).TotalSeconds, trained);
            result.Add(checkpoint);
            onCheckpoint?.Invoke(checkpoint);
        }
        return result;
    }
}
