namespace FunctionSpace.Ising.Ensembles;

/// <summary>
/// One stored chunk: <paramref name="Count"/> configurations of <paramref name="SpinCount"/> ±1 spins
/// (row-major, the study's spin order) with per-configuration records.
/// </summary>
/// <param name="Count">Number of configurations.</param>
/// <param name="SpinCount">Spins per configuration.</param>
/// <param name="Spins">Count × SpinCount values, each −1 or +1.</param>
/// <param name="Accuracies">Test accuracy of each configuration.</param>
/// <param name="NetworkIds">Global index of the trained network each configuration was sampled from.</param>
/// <param name="TrainingLosses">Final training loss (mean-field cross-entropy) of that network.</param>
public sealed record EnsembleChunk(int Count, int SpinCount, sbyte[] Spins, float[] Accuracies,
    int[] NetworkIds, float[] TrainingLosses)
{
    /// <summary>Seed of the network each configuration came from (zeros when the source has none).</summary>
    public ulong[] Seeds { get; init; } = new ulong[Count];

    /// <summary>
    /// Index of the unit of work that produced the chunk (a collection block of networks); chunks of a file
    /// are in increasing block order, which is what merge restores.
    /// </summary>
    public int Block { get; init; }

    /// <summary>The spins of configuration <paramref name="index"/>.</summary>
    public ReadOnlySpan<sbyte> Configuration(int index) => Spins.AsSpan(index * SpinCount, SpinCount);

    /// <summary>The configurations whose network id <paramref name="keepNetwork"/> accepts, in their order.</summary>
    public EnsembleChunk Where(Func<int, bool> keepNetwork)
    {
        ArgumentNullException.ThrowIfNull(keepNetwork);
        var rows = Enumerable.Range(0, Count).Where(c => keepNetwork(NetworkIds[c])).ToArray();
        if (rows.Length == Count) return this;
        var spins = new sbyte[(long)rows.Length * SpinCount];
        for (int r = 0; r < rows.Length; r++) Configuration(rows[r]).CopyTo(spins.AsSpan(r * SpinCount, SpinCount));
        return new EnsembleChunk(rows.Length, SpinCount, spins, rows.Select(c => Accuracies[c]).ToArray(), rows.Select(c => NetworkIds[c]).ToArray(),
            rows.Select(c => TrainingLosses[c]).ToArray())
        {
            Seeds = rows.Select(c => Seeds[c]).ToArray(),
            Block = Block,
        };
    }

    /// <summary>Checks array lengths and spin values; throws <see cref="ArgumentException"/> when inconsistent.</summary>
    public void Validate()
    {
        if (Count < 0 || SpinCount < 1) throw new ArgumentException($"chunk: bad count {Count} or spin count {SpinCount}");
        if (Spins.Length != (long)Count * SpinCount || Accuracies.Length != Count || NetworkIds.Length != Count ||
            TrainingLosses.Length != Count || Seeds.Length != Count)
            throw new ArgumentException("chunk: array lengths do not match Count × SpinCount");
        foreach (sbyte s in Spins)
            if (s is not (1 or -1)) throw new ArgumentException($"chunk: spin value {s} is not ±1");
    }
}
