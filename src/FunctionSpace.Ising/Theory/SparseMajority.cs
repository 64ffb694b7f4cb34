namespace FunctionSpace.Ising.Theory;

/// <summary>State of the coupled sparse networks at one layer: reference magnetisation m̂, perturbed m, overlap q.</summary>
/// <param name="ReferenceMagnetisation">m̂^l = (1/N) Σ_i ⟨ŝ_i⟩.</param>
/// <param name="Magnetisation">m^l = (1/N) Σ_i ⟨s_i⟩.</param>
/// <param name="Overlap">q^l = (1/N) Σ_i ⟨ŝ_i s_i⟩.</param>
public readonly record struct SparseState(double ReferenceMagnetisation, double Magnetisation, double Overlap)
{
    /// <summary>Internal error δ = (1 − q)/2: the fraction of units where the two copies disagree.</summary>
    public double InternalError => 0.5 * (1 - Overlap);
}

/// <summary>The L → ∞ state of the coupled sparse networks.</summary>
/// <param name="State">The last layer's state.</param>
/// <param name="Layers">Layers iterated.</param>
/// <param name="Stop">Why the iteration stopped: <see cref="StopReason.Converged"/> when successive layers changed by less than the
/// tolerance, <see cref="StopReason.IterationCap"/> ("layer cap") at the layer cap (e.g. critical slowing down near p_c).</param>
public sealed record SparseStationary(SparseState State, int Layers, Stop Stop)
{
    /// <summary>The stop of an iteration whose layers stopped changing.</summary>
    public static Stop Stationary { get; } = new(StopReason.Converged, "layer change below tolerance");

    /// <summary>The stop of an iteration that reached its layer cap.</summary>
    public static Stop LayerCap { get; } = new(StopReason.IterationCap, "layer cap");
}

/// <summary>
/// Sparse layered networks of MAJ-k gates (each unit reads k random units of the previous layer). The
/// reference has weights +1; the perturbed copy reads the same parents with each weight flipped with
/// probability p. In the sparse (tree-like) limit the k parent pairs (ŝ_j, s_j) are independent, each with
/// P(ŝ, s) = ¼(1 + ŝ m̂ + s m + ŝ s q); the signed inputs (x̂_j, x_j) = (ŝ_j, w_j s_j) then have
/// P(x̂, x) = ¼(1 + x̂ m̂ + x m(1−2p) + x̂ x q(1−2p)), so
/// m̂' = E sgn Σx̂, m' = E sgn Σx, q' = E[sgn Σx̂ · sgn Σx].
/// </summary>
/// <remarks>Mozeika, Saad &amp; Raymond, noisy Boolean formulas / sparse layered networks; Li &amp; Saad (2018).
/// For k = 3: m' = f((1−2p)m), f(x) = (3x − x³)/2, stationary m^∞ = ±√((1−6p)/(1−2p)³) for p &lt; 1/6.</remarks>
public sealed class SparseMajority
{
    // Each composition of k parents into the four pair types (++, +−, −+, −−), with its multinomial
    // coefficient and the signs of the two majority sums.
    private readonly (int[] Counts, double Multinomial, int RefSign, int PertSign)[] _compositions;

    /// <summary>Fan-in k (odd, ≥ 3).</summary>
    public int FanIn { get; }

    /// <summary>Weight-flip probability p of the perturbed copy.</summary>
    public double FlipProbability { get; }

    /// <summary>Creates the recursion for fan-in <paramref name="fanIn"/> and flip probability <paramref name="flipProbability"/>.</summary>
    public SparseMajority(int fanIn, double flipProbability)
    {
        if (fanIn < 3 || fanIn % 2 == 0 || fanIn > 51) throw new InputException($"--k: {fanIn} must be odd and in 3..51");
        if (!(flipProbability >= 0 && flipProbability <= 0.5)) throw new InputException($"--p: {flipProbability} must lie in [0, 0.5]");
        FanIn = fanIn;
        FlipProbability = flipProbability;
        var list = new List<(int[], double, int, int)>();
        for (int a = 0; a <= fanIn; a++)
        for (int b = 0; a + b <= fanIn; b++)
        for (int c = 0; a + b + c <= fanIn; c++)
        {
            int d = fanIn - a - b - c;
            // types: 0 = (+,+), 1 = (+,−), 2 = (−,+), 3 = (−,−)
            int refSum = a + b - c - d, pertSum = a - b + c - d;
            list.Add((new[] { a, b, c, d }, Multinomial(fanIn, a, b, c, d), Math.Sign(refSum), Math.Sign(pertSum)));
        }
        _compositions = list.ToArray();
    }

    private static double Multinomial(int n, params int[] parts)
    {
        double logValue = LogFactorial(n) - parts.Sum(LogFactorial);
        return Math.Round(Math.Exp(logValue));
    }

    private static double LogFactorial(int n) => MathNet.Numerics.SpecialFunctions.FactorialLn(n);

    /// <summary>One layer of the single-network magnetisation recursion m' = Σ_s Π_j ½(1 + s_j m(1−2p)) sgn(Σ_j s_j).</summary>
    public double NextMagnetisation(double m)
    {
        double a = m * (1 - 2 * FlipProbability), sum = 0;
        for (int plus = 0; plus <= FanIn; plus++)
        {
            int sign = Math.Sign(2 * plus - FanIn);
            sum += sign * Math.Exp(MathNet.Numerics.SpecialFunctions.BinomialLn(FanIn, plus)) * Math.Pow(0.5 * (1 + a), plus) * Math.Pow(0.5 * (1 - a), FanIn - plus);
        }
        return sum;
    }

    /// <summary>One layer of the joint recursion (m̂, m, q) → (m̂', m', q').</summary>
    public SparseState Next(SparseState state)
    {
        double rho = 1 - 2 * FlipProbability;
        double mh = state.ReferenceMagnetisation, m = rho * state.Magnetisation, q = rho * state.Overlap;
        Span<double> probability = stackalloc double[4];
        probability[0] = 0.25 * (1 + mh + m + q);
        probability[1] = 0.25 * (1 + mh - m - q);
        probability[2] = 0.25 * (1 - mh + m - q);
        probability[3] = 0.25 * (1 - mh - m + q);
        // Rounding can push m̂ a hair past 1 and a probability below 0; without renormalising, the mass
        // excess compounds layer after layer.
        double mass = 0;
        for (int t = 0; t < 4; t++) { probability[t] = Math.Max(0, probability[t]); mass += probability[t]; }
        for (int t = 0; t < 4; t++) probability[t] /= mass;
        double mhNext = 0, mNext = 0, qNext = 0;
        foreach (var (counts, multinomial, refSign, pertSign) in _compositions)
        {
            double weight = multinomial;
            for (int t = 0; t < 4 && weight != 0; t++) weight *= Math.Pow(probability[t], counts[t]);
            mhNext += weight * refSign;
            mNext += weight * pertSign;
            qNext += weight * refSign * pertSign;
        }
        return new SparseState(Math.Clamp(mhNext, -1, 1), Math.Clamp(mNext, -1, 1), Math.Clamp(qNext, -1, 1));
    }

    /// <summary>The states of layers 0..L from the same random input with magnetisation <paramref name="inputMagnetisation"/> (q^0 = 1).</summary>
    public SparseState[] Layers(int layers, double inputMagnetisation)
    {
        var states = new SparseState[layers + 1];
        states[0] = new SparseState(inputMagnetisation, inputMagnetisation, 1);
        for (int l = 1; l <= layers; l++) states[l] = Next(states[l - 1]);
        return states;
    }

    /// <summary>Iterates the joint recursion until successive layers differ by less than <paramref name="tolerance"/> (or <paramref name="maxLayers"/>).</summary>
    public SparseStationary Stationary(double inputMagnetisation, double tolerance = 1e-13, int maxLayers = 200_000)
    {
        var state = new SparseState(inputMagnetisation, inputMagnetisation, 1);
        for (int l = 1; l <= maxLayers; l++)
        {
            var next = Next(state);
            double change = Math.Max(Math.Abs(next.ReferenceMagnetisation - state.ReferenceMagnetisation),
                Math.Max(Math.Abs(next.Magnetisation - state.Magnetisation), Math.Abs(next.Overlap - state.Overlap)));
            state = next;
            if (change < tolerance) return new SparseStationary(state, l, SparseStationary.Stationary);
        }
        return new SparseStationary(state, maxLayers, SparseStationary.LayerCap);
    }

    /// <summary>
    /// The positive stationary magnetisation of the perturbed network alone, solving m = NextMagnetisation(m)
    /// by bisection on (0, 1] (0 when the only fixed point is m = 0, i.e. p ≥ p_c). Free of critical slowing down.
    /// </summary>
    public double StationaryMagnetisation()
    {
        double g(double m) => NextMagnetisation(m) - m;
        // m = 0 is unstable iff the slope of the map at 0 exceeds 1.
        double h = 1e-7;
        if (NextMagnetisation(h) / h <= 1) return 0;
        double lo = h, hi = 1;
        if (g(hi) >= 0) return 1;
        for (int i = 0; i < 200; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (g(mid) > 0) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>Closed form for k = 3: m^∞ = √((1−6p)/(1−2p)³) for p &lt; 1/6, else 0.</summary>
    public static double Maj3StationaryMagnetisation(double p) => p >= 1.0 / 6 ? 0 : Math.Sqrt((1 - 6 * p) / Math.Pow(1 - 2 * p, 3));

    /// <summary>
    /// Critical flip probability p_c where m = 0 loses stability: (1−2p_c) f'(0) = 1, with
    /// f'(0) = k C(k−1, (k−1)/2) / 2^{k−1} the slope of MAJ-k at zero bias (p_c = 1/6 for k = 3).
    /// </summary>
    public static double CriticalFlipProbability(int fanIn)
    {
        double slope = fanIn * Math.Exp(MathNet.Numerics.SpecialFunctions.BinomialLn(fanIn - 1, (fanIn - 1) / 2)) / Math.Pow(2, fanIn - 1);
        return 0.5 * (1 - 1 / slope);
    }
}
