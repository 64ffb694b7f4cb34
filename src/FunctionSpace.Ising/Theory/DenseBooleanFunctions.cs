using System.Numerics;

namespace FunctionSpace.Ising.Theory;

/// <summary>One setting of the dense Boolean-function theory: hidden activation, number of binary inputs, constant inputs.</summary>
/// <param name="Activation">Hidden units φ: <see cref="Activation.Sign"/> or <see cref="Activation.ReLU"/>.</param>
/// <param name="Inputs">Number of binary inputs n (the network sees all 2^n input patterns).</param>
/// <param name="Constants">Layer-0 units copy S′ = (s, −s, 1, −1) (inputs, their negations and the two constants) instead of S = s.</param>
public sealed record DenseBooleanSetting(Activation Activation, int Inputs, bool Constants)
{
    /// <summary>Largest n: 2^n = 8 patterns, 256 functions.</summary>
    public const int MaxInputs = 3;

    /// <summary>Rejects unsupported settings with a one-line message naming the option.</summary>
    public void Validate()
    {
        if (Inputs < 1 || Inputs > MaxInputs) throw new InputException($"--inputs: {Inputs} must be in 1..{MaxInputs}");
        if (Activation is not (Activation.Sign or Activation.ReLU)) throw new InputException($"--activation: {Activation} is not supported (sign or relu)");
    }

    /// <summary>Short label, e.g. "sign, with constants".</summary>
    public string Label => $"{(Activation == Activation.Sign ? "sign" : "ReLU")}, {(Constants ? "with constants" : "no constants")}";
}

/// <summary>The distribution of functions at one depth, with its summaries.</summary>
/// <param name="Layer">Depth l (number of weight layers; l = 1 is a single perceptron on the layer-0 units).</param>
/// <param name="Correlation">Correlation matrix c^l of the layer-l pre-activations over the 2^n input patterns.</param>
/// <param name="Probabilities">P^l(f) over the 2^(2^n) functions (truth-table codes).</param>
/// <param name="Errors">Numerical error of each probability (see <see cref="OrthantResult.Errors"/>).</param>
/// <param name="Method">How the orthant probabilities were computed.</param>
/// <param name="Entropy">H^l = −Σ_f P ln P (nats).</param>
/// <param name="ConstantProbability">P(FALSE) + P(TRUE).</param>
/// <param name="ParityProbability">P(parity) + P(¬parity).</param>
/// <param name="Sensitivity">Mean fraction of output flips under a one-bit input flip, from the pairwise correlations (exact).</param>
public sealed record DenseFunctionLayer(int Layer, double[,] Correlation, double[] Probabilities, double[] Errors, OrthantMethod Method,
    double Entropy, double ConstantProbability, double ParityProbability, double Sensitivity);

/// <summary>
/// Distribution P^L(f) of the Boolean functions computed by the units of a dense random network with n binary
/// inputs. Layer-0 units copy, in equal shares, the elements of S = (s₁..s_n) or S′ = (s, −s, 1, −1); each
/// hidden unit has weights of variance ∝ 1/N. As N → ∞ the layer-l pre-activations over the 2^n input patterns γ
/// are jointly Gaussian (for any i.i.d. zero-mean weights, Gaussian or ±1) with correlation
/// c¹_{γγ′} = (1/|S|) Σ_{x∈S} x(γ) x(γ′), c^{l+1} = K_φ(c^l),
/// K_sign(ρ) = (2/π) asin ρ, K_ReLU(ρ) = (√(1−ρ²) + (π − acos ρ) ρ)/π, and the function of a layer-L unit is
/// f_γ = sgn h_γ, so P^L(f) = ∫ dh N(h | 0, c^L) Π_γ δ[f_γ, sgn h_γ] — an orthant probability.
/// A function is its truth table: bit r of the code is f on input row r, input k of row r is +1 iff bit k of r is set.
/// </summary>
/// <remarks>
/// Mozeika, Li &amp; Saad, "Space of functions computed by deep-layered machines" (PRL 125, 168301 (2020));
/// K_sign is the arcsine law of <see cref="DenseOverlap.ArcsineLaw"/>, K_ReLU the degree-1 arc-cosine kernel
/// (Cho &amp; Saul 2009) of <see cref="SignalPropagation.CorrelationMap"/>.
/// </remarks>
public static class DenseBooleanFunctions
{
    /// <summary>Number of input patterns 2^n.</summary>
    public static int Patterns(int inputs) => 1 << inputs;

    /// <summary>Number of Boolean functions 2^(2^n).</summary>
    public static int FunctionCount(int inputs) => 1 << (1 << inputs);

    /// <summary>Value ±1 of input k on row r.</summary>
    public static int InputValue(int row, int k) => ((row >> k) & 1) != 0 ? 1 : -1;

    /// <summary>Truth-table code of the parity x₁ ⊕ ⋯ ⊕ x_n (true on rows with an odd number of true inputs; XOR for n = 2).</summary>
    public static int Parity(int inputs)
    {
        int code = 0;
        for (int r = 0; r < Patterns(inputs); r++) if ((BitOperations.PopCount((uint)r) & 1) != 0) code |= 1 << r;
        return code;
    }

    /// <summary>Readable name of function <paramref name="code"/>: the n = 2 names, otherwise special names or the hex truth table.</summary>
    public static string Name(int inputs, int code)
    {
        if (inputs == 2) return BooleanFunctionDistribution.FunctionNames[code];
        int all = FunctionCount(inputs) - 1, parity = Parity(inputs);
        for (int k = 0; k < inputs; k++)
        {
            int dictator = 0;
            for (int r = 0; r < Patterns(inputs); r++) if (InputValue(r, k) > 0) dictator |= 1 << r;
            if (code == dictator) return $"x{k + 1}";
            if (code == (all ^ dictator)) return $"!x{k + 1}";
        }
        if (code == 0) return "FALSE";
        if (code == all) return "TRUE";
        if (code == parity) return "PARITY";
        if (code == (all ^ parity)) return "!PARITY";
        return $"0x{code.ToString(Patterns(inputs) <= 4 ? "X1" : "X2")}";
    }

    /// <summary>The layer-0 elements as ±1 vectors over the input rows: S = (s₁..s_n) or S′ = (s, −s, 1, −1).</summary>
    public static int[][] InputElements(int inputs, bool constants)
    {
        int patterns = Patterns(inputs);
        var elements = new List<int[]>();
        for (int k = 0; k < inputs; k++) elements.Add(Enumerable.Range(0, patterns).Select(r => InputValue(r, k)).ToArray());
        if (constants)
        {
            for (int k = 0; k < inputs; k++) elements.Add(Enumerable.Range(0, patterns).Select(r => -InputValue(r, k)).ToArray());
            elements.Add(Enumerable.Repeat(1, patterns).ToArray());
            elements.Add(Enumerable.Repeat(-1, patterns).ToArray());
        }
        return [.. elements];
    }

    /// <summary>c¹_{γγ′} = (1/|S|) Σ_{x∈S} x(γ) x(γ′): with S′ this is (n q_{γγ′} + 1)/(n + 1), q the input overlap.</summary>
    public static double[,] InputCorrelation(int inputs, bool constants)
    {
        var elements = InputElements(inputs, constants);
        int patterns = Patterns(inputs);
        var c = new double[patterns, patterns];
        for (int a = 0; a < patterns; a++)
            for (int b = 0; b < patterns; b++)
                c[a, b] = elements.Sum(x => (double)x[a] * x[b]) / elements.Length;
        return c;
    }

    /// <summary>One layer of the correlation map, c^{l+1} = K_φ(c^l) elementwise (the unit diagonal is kept).</summary>
    public static double[,] NextCorrelation(Activation activation, double[,] correlation)
    {
        int d = correlation.GetLength(0);
        var relu = new SignalPropagation(Activation.ReLU, Math.Sqrt(2), 0);  // σ_w² = 2, q* = 1: the normalised arc-cosine kernel
        var next = new double[d, d];
        for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++)
                next[a, b] = a == b ? 1 : activation switch
                {
                    Activation.Sign => DenseOverlap.ArcsineLaw(correlation[a, b]),
                    Activation.ReLU => Math.Clamp(relu.CorrelationMap(correlation[a, b], 1), -1, 1),
                    _ => throw new ArgumentOutOfRangeException(nameof(activation), "sign or ReLU"),
                };
        return next;
    }

    /// <summary>c^1 … c^L.</summary>
    public static double[][,] Correlations(DenseBooleanSetting setting, int layers)
    {
        setting.Validate();
        if (layers < 1) throw new InputException($"--layers: {layers} must be at least 1");
        var result = new double[layers][,];
        result[0] = InputCorrelation(setting.Inputs, setting.Constants);
        for (int l = 1; l < layers; l++) result[l] = NextCorrelation(setting.Activation, result[l - 1]);
        return result;
    }

    /// <summary>
    /// The hyperoctahedral group B_n acting on the input rows (permute the inputs, negate any of them) as
    /// permutations of the 2^n rows. c¹ depends only on the Hamming distance between rows, so every element
    /// leaves every c^l invariant and P^l(f ∘ g) = P^l(f).
    /// </summary>
    public static int[][] InputSymmetries(int inputs)
    {
        int patterns = Patterns(inputs);
        var result = new List<int[]>();
        foreach (var order in Permutations(inputs))
            for (int negate = 0; negate < patterns; negate++)
            {
                var map = new int[patterns];
                for (int r = 0; r < patterns; r++)
                {
                    int image = 0, flipped = r ^ negate;
                    for (int k = 0; k < inputs; k++) if (((flipped >> k) & 1) != 0) image |= 1 << order[k];
                    map[r] = image;
                }
                result.Add(map);
            }
        return [.. result];

        static IEnumerable<int[]> Permutations(int n)
        {
            if (n == 0) { yield return []; yield break; }
            foreach (var rest in Permutations(n - 1))
                for (int position = 0; position <= rest.Length; position++)
                    yield return [.. rest[..position], n - 1, .. rest[position..]];
        }
    }

    /// <summary>The truth table with its rows moved by <paramref name="rowMap"/>: bit rowMap[r] of the result is bit r of <paramref name="code"/>.</summary>
    public static int MoveRows(int code, int[] rowMap)
    {
        int result = 0;
        for (int r = 0; r < rowMap.Length; r++) if (((code >> r) & 1) != 0) result |= 1 << rowMap[r];
        return result;
    }

    /// <summary>
    /// The classes of functions that every setting treats alike: orbits under B_n acting on the rows and under
    /// output negation f → ¬f (the weights' sign symmetry), e.g. for n = 2 {FALSE, TRUE}, the four dictators
    /// x₁, x₂, ¬x₁, ¬x₂, the eight with one or three true rows, {XOR, XNOR}. Each class is sorted, the list by
    /// its smallest member.
    /// </summary>
    public static int[][] FunctionClasses(int inputs)
    {
        int functions = FunctionCount(inputs);
        var symmetries = InputSymmetries(inputs);
        var classOf = new int[functions][];
        var result = new List<int[]>();
        for (int f = 0; f < functions; f++)
        {
            if (classOf[f] is not null) continue;
            var members = new SortedSet<int>();
            foreach (var map in symmetries)
            {
                int g = MoveRows(f, map);
                members.Add(g);
                members.Add((functions - 1) ^ g);
            }
            int[] orbit = [.. members];
            foreach (int g in orbit) classOf[g] = orbit;
            result.Add(orbit);
        }
        return [.. result];
    }

    /// <summary>P^1..P^L with entropy, constant and parity probabilities and sensitivity.</summary>
    public static DenseFunctionLayer[] Layers(DenseBooleanSetting setting, int layers, OrthantSettings? orthant = null)
    {
        var correlations = Correlations(setting, layers);
        var symmetries = InputSymmetries(setting.Inputs);
        var result = new DenseFunctionLayer[layers];
        for (int l = 0; l < layers; l++)
        {
            var orthants = OrthantProbabilities.All(correlations[l], orthant, symmetries);
            var p = orthants.Probabilities;
            result[l] = new DenseFunctionLayer(l + 1, correlations[l], p, orthants.Errors, orthants.Method, Entropy(p),
                ConstantProbability(setting.Inputs, p), ParityProbability(setting.Inputs, p), PairwiseSensitivity(setting.Inputs, correlations[l]));
        }
        return result;
    }

    /// <summary>H = −Σ P ln P in nats (at most 2^n ln 2).</summary>
    public static double Entropy(IReadOnlyList<double> distribution)
    {
        double h = 0;
        foreach (double p in distribution) if (p > 0) h -= p * Math.Log(p);
        return h;
    }

    /// <summary>P(FALSE) + P(TRUE).</summary>
    public static double ConstantProbability(int inputs, IReadOnlyList<double> p) => p[0] + p[FunctionCount(inputs) - 1];

    /// <summary>P(parity) + P(¬parity).</summary>
    public static double ParityProbability(int inputs, IReadOnlyList<double> p) => p[Parity(inputs)] + p[(FunctionCount(inputs) - 1) ^ Parity(inputs)];

    /// <summary>Fraction of the n·2^n (row, input) pairs where flipping the input flips f.</summary>
    public static double Sensitivity(int inputs, int code)
    {
        int patterns = Patterns(inputs), flips = 0;
        for (int r = 0; r < patterns; r++)
            for (int k = 0; k < inputs; k++)
                if ((((code >> r) ^ (code >> (r ^ (1 << k)))) & 1) != 0) flips++;
        return (double)flips / (inputs * patterns);
    }

    /// <summary>Σ_f P(f) × <see cref="Sensitivity(int, int)"/>.</summary>
    public static double MeanSensitivity(int inputs, IReadOnlyList<double> p)
    {
        double s = 0;
        for (int f = 0; f < p.Count; f++) if (p[f] != 0) s += p[f] * Sensitivity(inputs, f);
        return s;
    }

    /// <summary>
    /// Expected sensitivity from the pairwise correlations alone: P(sgn h_γ ≠ sgn h_γ′) = acos(ρ_{γγ′})/π
    /// (Sheppard), averaged over the pairs of rows one bit apart.
    /// </summary>
    public static double PairwiseSensitivity(int inputs, double[,] correlation)
    {
        int patterns = Patterns(inputs);
        double sum = 0;
        for (int r = 0; r < patterns; r++)
            for (int k = 0; k < inputs; k++) sum += Math.Acos(Math.Clamp(correlation[r, r ^ (1 << k)], -1, 1)) / Math.PI;
        return sum / (inputs * patterns);
    }

    /// <summary>True when f(−s) = −f(s) on every row (the only functions of a sign network without constants).</summary>
    public static bool IsSelfDual(int inputs, int code)
    {
        int patterns = Patterns(inputs);
        for (int r = 0; r < patterns; r++)
            if ((((code >> r) ^ (code >> (patterns - 1 - r))) & 1) == 0) return false;
        return true;
    }
}
