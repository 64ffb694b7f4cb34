namespace FunctionSpace.Ising.Theory;

/// <summary>A k-input Boolean gate α, applied to the units' truth tables row by row.</summary>
/// <param name="Name">Short name (maj, and, or, xor, nand, nor).</param>
/// <param name="FanIn">Number of inputs k.</param>
/// <param name="Table">α on each k-bit input pattern (bit j of the index = input j; true = +1).</param>
public sealed record BooleanGate(string Name, int FanIn, bool[] Table)
{
    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static readonly string[] Names = ["maj", "and", "or", "xor", "nand", "nor"];

    /// <summary>Builds gate <paramref name="name"/> with <paramref name="fanIn"/> inputs (MAJ needs odd k).</summary>
    public static BooleanGate Create(string name, int fanIn)
    {
        if (fanIn < 2 || fanIn > 9) throw new InputException($"--k: {fanIn} must be in 2..9");
        if (name == "maj" && fanIn % 2 == 0) throw new InputException($"--k: MAJ-k needs odd k, got {fanIn}");
        var table = new bool[1 << fanIn];
        for (int pattern = 0; pattern < table.Length; pattern++)
        {
            int ones = System.Numerics.BitOperations.PopCount((uint)pattern);
            table[pattern] = name switch
            {
                "maj" => 2 * ones > fanIn,
                "and" => ones == fanIn,
                "or" => ones > 0,
                "xor" => ones % 2 == 1,
                "nand" => ones != fanIn,
                "nor" => ones == 0,
                _ => throw new InputException($"--gate: '{name}' is not one of {string.Join(", ", Names)}"),
            };
        }
        return new BooleanGate(name, fanIn, table);
    }
}

/// <summary>
/// Distribution over the 16 Boolean functions of n = 2 inputs computed by units of a sparse layered
/// network: P^{l+1}(f) = Σ_{f_1..f_k} Π_j P̃^l(f_j) δ[f, α(f_1, …, f_k)], where P̃ includes the wire
/// negation with probability p (a flipped ±1 weight), P̃(f) = (1−p) P(f) + p P(¬f).
/// A function is its truth table, a 4-bit code: bit r is f on input row r, with x1 = bit 0 and x2 = bit 1 of r.
/// </summary>
/// <remarks>Mozeika, Saad &amp; Raymond, "Computing with noise" / noisy Boolean formulas: function distributions of layered random circuits.</remarks>
public static class BooleanFunctionDistribution
{
    /// <summary>Number of Boolean functions of two inputs.</summary>
    public const int FunctionCount = 16;

    /// <summary>Truth table of x1 (1010b) and x2 (1100b).</summary>
    public const int X1 = 0b1010, X2 = 0b1100;

    /// <summary>Readable names of the 16 functions (by truth-table code).</summary>
    public static readonly string[] FunctionNames =
    [
        "FALSE", "NOR", "x1&!x2", "!x2", "x2&!x1", "!x1", "XOR", "NAND",
        "AND", "XNOR", "x1", "x1|!x2", "x2", "!x1|x2", "OR", "TRUE",
    ];

    /// <summary>
    /// Layer-0 distribution: each unit is x1 or x2 with equal probability (with <paramref name="withNegations"/>,
    /// uniform over x1, x2, ¬x1, ¬x2).
    /// </summary>
    public static double[] Inputs(bool withNegations)
    {
        var p = new double[FunctionCount];
        if (withNegations) { p[X1] = p[X2] = p[15 - X1] = p[15 - X2] = 0.25; }
        else { p[X1] = p[X2] = 0.5; }
        return p;
    }

    /// <summary>Applies gate α to k truth tables, row by row.</summary>
    public static int Apply(BooleanGate gate, ReadOnlySpan<int> functions)
    {
        int result = 0;
        for (int row = 0; row < 4; row++)
        {
            int pattern = 0;
            for (int j = 0; j < functions.Length; j++) pattern |= ((functions[j] >> row) & 1) << j;
            if (gate.Table[pattern]) result |= 1 << row;
        }
        return result;
    }

    /// <summary>One layer of the recursion (exact enumeration of the 16^k parent tuples).</summary>
    public static double[] Next(double[] distribution, BooleanGate gate, double flipProbability)
    {
        if (distribution.Length != FunctionCount) throw new ArgumentException("need 16 probabilities");
        var effective = new double[FunctionCount];
        for (int f = 0; f < FunctionCount; f++) effective[f] = (1 - flipProbability) * distribution[f] + flipProbability * distribution[15 - f];
        int[] support = Enumerable.Range(0, FunctionCount).Where(f => effective[f] > 0).ToArray();
        var next = new double[FunctionCount];
        int k = gate.FanIn;
        var tuple = new int[k];
        Recurse(0, 1.0);
        return next;

        void Recurse(int depth, double weight)
        {
            if (depth == k) { next[Apply(gate, tuple)] += weight; return; }
            foreach (int f in support)
            {
                tuple[depth] = f;
                Recurse(depth + 1, weight * effective[f]);
            }
        }
    }

    /// <summary>P^0..P^L.</summary>
    public static double[][] Layers(BooleanGate gate, int layers, double flipProbability, bool withNegations)
    {
        if (Math.Pow(FunctionCount, gate.FanIn) > 5e7) throw new InputException($"--k: {gate.FanIn} makes 16^k parent tuples, too many to enumerate (use k ≤ 6)");
        var result = new double[layers + 1][];
        result[0] = Inputs(withNegations);
        for (int l = 1; l <= layers; l++) result[l] = Next(result[l - 1], gate, flipProbability);
        return result;
    }

    /// <summary>Shannon entropy H = −Σ P log₂ P in bits (at most 4).</summary>
    public static double Entropy(IReadOnlyList<double> distribution)
    {
        double h = 0;
        foreach (double p in distribution) if (p > 0) h -= p * Math.Log2(p);
        return h;
    }
}
