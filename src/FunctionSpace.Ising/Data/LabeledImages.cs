namespace FunctionSpace.Ising.Data;

/// <summary>Images with one class label each.</summary>
/// <param name="Images">The images.</param>
/// <param name="Labels">One label per image, in [0, 10).</param>
public sealed record LabeledImages(IdxImages Images, byte[] Labels)
{
    /// <summary>Number of examples.</summary>
    public int Count => Labels.Length;

    /// <summary>How many examples carry each label 0..classes-1.</summary>
    public int[] ClassCounts(int classes = 10)
    {
        var counts = new int[classes];
        foreach (byte label in Labels) counts[label]++;
        return counts;
    }
}
