namespace FunctionSpace.Ising.Studies;

/// <summary>The classification task a study trains on.</summary>
public enum StudyTask
{
    /// <summary>The ten digit classes; C = 10 outputs, softmax cross-entropy, prediction argmax.</summary>
    TenClass,

    /// <summary>
    /// Digit parity (odd/even, <see cref="ParityTask"/>): for real-valued weights one output unit f(x)
    /// trained with the hinge loss max(0, 1 − y·f(x)); for binary weights the mean-field trainer's softmax
    /// cross-entropy over two classes (even, odd), since that trainer has no hinge loss.
    /// </summary>
    Parity,
}

/// <summary>
/// The parity task of the study's double-descent appendix: label y = +1 for an odd digit, −1 for an even
/// one (y = 2·(digit mod 2) − 1), learned with the single-output hinge loss max(0, 1 − y·f(x)).
/// </summary>
public static class ParityTask
{
    /// <summary>y = 2·(digit mod 2) − 1: +1 odd, −1 even.</summary>
    public static sbyte Sign(byte digit) => (sbyte)(digit % 2 == 1 ? 1 : -1);

    /// <summary><see cref="Sign"/> of every label.</summary>
    public static sbyte[] Signs(IReadOnlyList<byte> digits)
    {
        var signs = new sbyte[digits.Count];
        for (int i = 0; i < signs.Length; i++) signs[i] = Sign(digits[i]);
        return signs;
    }

    /// <summary>Two-class labels for the softmax trainer: 0 even, 1 odd (digit mod 2).</summary>
    public static byte[] ClassLabels(IReadOnlyList<byte> digits)
    {
        var labels = new byte[digits.Count];
        for (int i = 0; i < labels.Length; i++) labels[i] = (byte)(digits[i] % 2);
        return labels;
    }

    /// <summary>Hinge loss of one example: max(0, 1 − y·f).</summary>
    public static double Hinge(double output, sbyte sign) => Math.Max(0.0, 1.0 - sign * output);

    /// <summary>Mean hinge loss over examples.</summary>
    public static double MeanHinge(ReadOnlySpan<float> outputs, ReadOnlySpan<sbyte> signs)
    {
        if (outputs.Length != signs.Length) throw new ArgumentException($"{outputs.Length} outputs for {signs.Length} labels");
        if (outputs.Length == 0) return 0;
        double sum = 0;
        for (int i = 0; i < outputs.Length; i++) sum += Hinge(outputs[i], signs[i]);
        return sum / outputs.Length;
    }

    /// <summary>
    /// An example counts as misclassified unless y·f(x) &gt; 0 (an output of exactly zero is an error: it
    /// decides nothing).
    /// </summary>
    public static bool IsError(double output, sbyte sign) => !(sign * output > 0);
}
