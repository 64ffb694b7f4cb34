namespace FunctionSpace.Ising.Inference;

/// <summary>
/// Whether independent Markov chains sample one distribution: overlaps within a chain against overlaps between chains.
/// </summary>
/// <param name="IntraOverlap">Mean overlap q = (1/N) Σ_i s_i s'_i between the samples k and k + S/2 of the same chain.</param>
/// <param name="InterOverlap">Mean overlap between sample k + S/2 of chain c and sample k of chain c + 1 (cyclically).</param>
/// <param name="StandardError">Standard error of the difference, from its spread over chains.</param>
/// <param name="Chains">Chains compared.</param>
/// <param name="Mixed">True when the two overlaps agree within three standard errors (or 0.01 when the error is smaller).</param>
public sealed record MixingCheck(double IntraOverlap, double InterOverlap, double StandardError, int Chains, bool Mixed)
{
    /// <summary>Intra- minus inter-chain overlap.</summary>
    public double Difference => IntraOverlap - InterOverlap;

    /// <summary>One line for logs and reports.</summary>
    public string Describe() =>
        FormattableString.Invariant($"overlap within chains {IntraOverlap:F3}, between chains {InterOverlap:F3} (± {StandardError:F3}): {(Mixed ? "mixed" : "NOT mixed")}");
}

/// <summary>
/// The mixing test of bmDCA / adabmDCA (Figliuzzi, Barrat-Charlaix &amp; Weigt, Mol. Biol. Evol. 35, 1018 (2018); Muntoni et
/// al., BMC Bioinformatics 22, 528 (2021)): in equilibrium, a chain's state half a run later is as different from its
/// present state as another chain's state is, so the two mean overlaps agree.
/// </summary>
/// <remarks>
/// Chains stuck in different states (e.g. some in a collective mode ±ξ, some in its mirror) have a high overlap with
/// themselves and a lower one with the others: intra &gt; inter. Chains that have not decorrelated over half the run also
/// give intra &gt; inter. The difference is averaged over the S/2 sample pairs of each chain and its error taken from the
/// spread over chains, which are independent. The 0.01 floor keeps a long, well-mixed run from being failed for a
/// difference far below anything that moves a moment (an overlap difference δ shifts the mean ⟨s_i s_j⟩ by O(δ)).
/// Chains that all sit in the same one of several states agree with each other and pass: random starts are what make
/// that unlikely.
/// </remarks>
public static class ChainMixing
{
    /// <summary>Compares overlaps within and between the <paramref name="chains"/> consecutive blocks of samples.</summary>
    public static MixingCheck Check(ReadOnlySpan<sbyte> samples, int count, int size, int chains)
    {
        if (chains < 2 || count % chains != 0 || samples.Length != (long)count * size)
            throw new ArgumentException($"{count} samples of {size} spins cannot be split into {chains} chains (at least 2)");
        int perChain = count / chains, half = perChain / 2;
        if (half < 1) return new MixingCheck(double.NaN, double.NaN, double.NaN, chains, false);
        var intra = new double[chains];
        var inter = new double[chains];
        for (int c = 0; c < chains; c++)
        {
            int next = (c + 1) % chains;
            long sumIntra = 0, sumInter = 0;
            for (int k = 0; k < half; k++)
            {
                var late = samples.Slice(((c * perChain) + k + half) * size, size);
                var early = samples.Slice(((c * perChain) + k) * size, size);
                var other = samples.Slice(((next * perChain) + k) * size, size);
                sumIntra += Dot(late, early);
                sumInter += Dot(late, other);
            }
            intra[c] = sumIntra / ((double)half * size);
            inter[c] = sumInter / ((double)half * size);
        }
        double meanIntra = intra.Average(), meanInter = inter.Average();
        double meanDiff = meanIntra - meanInter, variance = 0;
        for (int c = 0; c < chains; c++)
        {
            double d = intra[c] - inter[c] - meanDiff;
            variance += d * d;
        }
        double se = Math.Sqrt(variance / (chains - 1) / chains);
        bool mixed = Math.Abs(meanDiff) <= Math.Max(3 * se, 0.01);
        return new MixingCheck(meanIntra, meanInter, se, chains, mixed);
    }

    private static long Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        long sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
