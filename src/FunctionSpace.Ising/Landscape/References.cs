using System.Globalization;

namespace FunctionSpace.Ising.Landscape;

/// <summary>A reference weight configuration σ* around which a landscape is computed.</summary>
/// <param name="Label">Where it came from, e.g. "refs_El.txt row 3" or "ensemble #1204".</param>
/// <param name="Spins">All N weights as ±1 (the study's spin order).</param>
/// <param name="Energy">The energy recorded with it (published files: the full model's Ising energy; ensembles: the fitted model's).</param>
/// <param name="Accuracy">Its test accuracy when known, else NaN.</param>
public sealed record ReferenceConfiguration(string Label, sbyte[] Spins, double Energy, double Accuracy)
{
    /// <summary>
    /// Where it came from as a plain word without '#' (tables read by numpy treat '#' as a comment): "ensemble" or
    /// the reference file's name; empty when only the label is known.
    /// </summary>
    public string Source { get; init; } = "";

    /// <summary>Its position in <see cref="Source"/> (ensemble position or file row), or −1 when unknown.</summary>
    public long Index { get; init; } = -1;

    /// <summary>The configuration at <paramref name="position"/> of an ensemble, labelled "ensemble #position".</summary>
    public static ReferenceConfiguration FromEnsemble(long position, sbyte[] spins, double energy, double accuracy) =>
        new($"ensemble #{position}", spins, energy, accuracy) { Source = "ensemble", Index = position };

    /// <summary>The spins of the range [start, start+length) (a part's reference).</summary>
    public sbyte[] Slice(int start, int length) => Spins.AsSpan(start, length).ToArray();
}

/// <summary>How to pick the reference: by energy rank or by index.</summary>
public enum ReferenceRank
{
    /// <summary>The lowest energy.</summary>
    Lowest,
    /// <summary>The median energy.</summary>
    Median,
    /// <summary>The highest energy.</summary>
    Highest,
    /// <summary>A given index.</summary>
    Index,
}

/// <summary>A parsed <c>--reference</c> value: lowest | median | highest | INDEX.</summary>
/// <param name="Rank">The kind of choice.</param>
/// <param name="Index">The index for <see cref="ReferenceRank.Index"/>.</param>
public sealed record ReferenceChoice(ReferenceRank Rank, int Index = 0)
{
    /// <summary>Parses lowest, median, highest (case-insensitive) or a non-negative integer.</summary>
    public static ReferenceChoice Parse(string text, string option = "--reference")
    {
        string t = text.Trim().ToLowerInvariant();
        return t switch
        {
            "lowest" => new ReferenceChoice(ReferenceRank.Lowest),
            "median" => new ReferenceChoice(ReferenceRank.Median),
            "highest" => new ReferenceChoice(ReferenceRank.Highest),
            _ when int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int i) => new ReferenceChoice(ReferenceRank.Index, i),
            _ => throw new InputException($"{option}: '{text}' is not lowest, median, highest or a non-negative index"),
        };
    }

    /// <summary>"lowest", "median", "highest" or the index.</summary>
    public override string ToString() => Rank == ReferenceRank.Index ? Index.ToString(CultureInfo.InvariantCulture) : Rank.ToString().ToLowerInvariant();
}

/// <summary>Selects references from a list of candidates with energies.</summary>
public static class ReferenceSelection
{
    /// <summary>
    /// Picks from <paramref name="energies"/> (candidate order): the lowest, the median (lower median for an even
    /// count) or the highest energy, or the candidate at an index. Returns the candidate's position.
    /// </summary>
    public static int Select(IReadOnlyList<double> energies, ReferenceChoice choice, string source)
    {
        if (energies.Count == 0) throw new InputException($"{source}: no reference configurations");
        if (choice.Rank == ReferenceRank.Index)
        {
            if (choice.Index >= energies.Count)
                throw new InputException($"--reference: index {choice.Index} is out of range; {source} has {energies.Count} configurations (0..{energies.Count - 1})");
            return choice.Index;
        }
        var order = Enumerable.Range(0, energies.Count).OrderBy(i => energies[i]).ThenBy(i => i).ToArray();
        return choice.Rank switch
        {
            ReferenceRank.Lowest => order[0],
            ReferenceRank.Highest => order[^1],
            _ => order[(order.Length - 1) / 2],
        };
    }

    /// <summary>
    /// Reads a published reference file (refs_El/Em/Eh.txt): each row is energy, test accuracy, then the N spins.
    /// Spins must be ±1.
    /// </summary>
    public static IReadOnlyList<ReferenceConfiguration> ReadPublished(string path)
    {
        var (values, rows, columns) = IO.TextMatrix.Read(path);
        if (columns < 3) throw new InputException($"{path}: expected energy, accuracy and spins per row, found {columns} columns");
        int n = columns - 2;
        var list = new List<ReferenceConfiguration>(rows);
        for (int r = 0; r < rows; r++)
        {
            var spins = new sbyte[n];
            for (int i = 0; i < n; i++)
            {
                double v = values[r * columns + 2 + i];
                if (v == 1) spins[i] = 1;
                else if (v == -1) spins[i] = -1;
                else throw new InputException($"{path}: row {r + 1}, spin {i}: value {v.ToString(CultureInfo.InvariantCulture)} is not ±1");
            }
            list.Add(new ReferenceConfiguration($"{Path.GetFileName(path)} row {r}", spins, values[r * columns], values[r * columns + 1])
                { Source = Path.GetFileName(path), Index = r });
        }
        return list;
    }
}
