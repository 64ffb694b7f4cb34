using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Landscape;

/// <summary>Reference configurations drawn from a collected ensemble file, ranked by their energy under a fitted model.</summary>
public static class EnsembleReferences
{
    /// <summary>
    /// Streams the ensemble once to rank configurations by E(s_part) of <paramref name="model"/>, then once more to
    /// fetch the chosen ones: the <paramref name="count"/> lowest, highest, or nearest the median energy, or the
    /// configurations at indices INDEX .. INDEX+count−1. Labels are "ensemble #index".
    /// </summary>
    public static IReadOnlyList<ReferenceConfiguration> Select(string ensemblePath, IsingModel model, SpinSlice part,
        ReferenceChoice choice, int count = 1, CancellationToken ct = default)
    {
        if (count < 1) throw new InputException($"--count: need at least 1, got {count}");
        var energies = new List<double>();
        int spinCount = 0;
        using (var reader = EnsembleReader.Open(ensemblePath))
        {
            foreach (var chunk in reader.ReadChunks(ct))
            {
                spinCount = chunk.SpinCount;
                if (chunk.SpinCount < part.End)
                    throw new InputException($"{ensemblePath}: configurations have {chunk.SpinCount} spins, part {part.Name} needs {part.End}");
                for (int k = 0; k < chunk.Count; k++)
                    energies.Add(model.Energy(chunk.Spins.AsSpan(k * chunk.SpinCount + part.Start, part.Length)));
            }
        }
        if (energies.Count == 0) throw new InputException($"{ensemblePath}: the ensemble holds no configurations");
        int[] chosen = Choose(energies, choice, count, ensemblePath);
        var wanted = chosen.Select((index, rank) => (index, rank)).ToDictionary(p => (long)p.index, p => p.rank);
        var result = new ReferenceConfiguration[chosen.Length];
        long position = 0;
        using (var reader = EnsembleReader.Open(ensemblePath))
        {
            foreach (var chunk in reader.ReadChunks(ct))
            {
                for (int k = 0; k < chunk.Count; k++, position++)
                {
                    if (!wanted.TryGetValue(position, out int rank)) continue;
                    var spins = chunk.Spins.AsSpan(k * spinCount, spinCount).ToArray();
                    result[rank] = ReferenceConfiguration.FromEnsemble(position, spins, energies[(int)position], chunk.Accuracies[k]);
                }
            }
        }
        if (result.Any(r => r is null)) throw new InputException($"{ensemblePath}: the ensemble changed while it was read");
        return result;
    }

    /// <summary>The chosen candidate positions (pure; energies in candidate order).</summary>
    internal static int[] Choose(IReadOnlyList<double> energies, ReferenceChoice choice, int count, string source)
    {
        count = Math.Min(count, energies.Count);
        if (choice.Rank == ReferenceRank.Index)
        {
            if (choice.Index + count > energies.Count)
                throw new InputException($"--reference: index {choice.Index} (+{count - 1}) is out of range; {source} has {energies.Count} configurations");
            return Enumerable.Range(choice.Index, count).ToArray();
        }
        var order = Enumerable.Range(0, energies.Count).OrderBy(i => energies[i]).ThenBy(i => i).ToArray();
        int first = choice.Rank switch
        {
            ReferenceRank.Lowest => 0,
            ReferenceRank.Highest => order.Length - count,
            _ => Math.Clamp((order.Length - 1) / 2 - (count - 1) / 2, 0, order.Length - count),
        };
        return order.Skip(first).Take(count).ToArray();
    }

    /// <summary>Loads every configuration of an ensemble with its accuracy (for the energy–accuracy table), up to <paramref name="limit"/>.</summary>
    public static IReadOnlyList<ReferenceConfiguration> ReadAll(string ensemblePath, int limit = int.MaxValue, CancellationToken ct = default)
    {
        var list = new List<ReferenceConfiguration>();
        using var reader = EnsembleReader.Open(ensemblePath);
        long position = 0;
        foreach (var chunk in reader.ReadChunks(ct))
        {
            for (int k = 0; k < chunk.Count && list.Count < limit; k++, position++)
                list.Add(ReferenceConfiguration.FromEnsemble(position, chunk.Spins.AsSpan(k * chunk.SpinCount, chunk.SpinCount).ToArray(),
                    double.NaN, chunk.Accuracies[k]));
            if (list.Count >= limit) break;
        }
        return list;
    }
}
