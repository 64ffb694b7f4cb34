using TorchSharp;

namespace FunctionSpace.Ising.Inference;

/// <summary>
/// Statistics of ±1 samples stored row by row (count × N, sbyte): moments, standard errors from independent
/// blocks, and connected three-point correlations.
/// </summary>
public static class SampleStatistics
{
    // Above this many multiply-adds the second-moment product goes to TorchSharp.
    private const long TorchThreshold = 50_000_000;

    /// <summary>⟨s_i⟩ and ⟨s_i s_j⟩ of <paramref name="count"/> samples of <paramref name="size"/> spins.</summary>
    /// <remarks>
    /// The product SᵀS is done by TorchSharp in float32 when it is large: sums of ±1 products are integers, exact
    /// in float32 up to 2^24 samples, so nothing is lost.
    /// </remarks>
    public static Moments Moments(ReadOnlySpan<sbyte> samples, int count, int size)
    {
        CheckShape(samples, count, size);
        var m = new double[size];
        var c = new double[size * size];
        if ((long)count * size * size > TorchThreshold && count < 1 << 24)
            SecondMomentsTorch(samples.ToArray(), count, size, c);
        else
            SecondMomentsDirect(samples, count, size, c);
        for (int r = 0; r < count; r++)
        {
            var row = samples.Slice(r * size, size);
            for (int i = 0; i < size; i++) m[i] += row[i];
        }
        for (int i = 0; i < size; i++) m[i] /= count;
        for (int k = 0; k < c.Length; k++) c[k] /= count;
        for (int i = 0; i < size; i++) c[i * size + i] = 1;
        return new Moments(m, c);
    }

    internal static void SecondMomentsDirect(ReadOnlySpan<sbyte> samples, int count, int size, double[] c)
    {
        var sums = new long[size * size];
        var row32 = new int[size];
        for (int r = 0; r < count; r++)
        {
            var row = samples.Slice(r * size, size);
            for (int j = 0; j < size; j++) row32[j] = row[j];
            for (int i = 0; i < size; i++)
            {
                int si = row32[i];
                var target = sums.AsSpan(i * size, size);
                for (int j = i + 1; j < size; j++) target[j] += si * row32[j];
            }
        }
        for (int i = 0; i < size; i++)
            for (int j = i + 1; j < size; j++)
            {
                c[i * size + j] = sums[i * size + j];
                c[j * size + i] = sums[i * size + j];
            }
    }

    internal static void SecondMomentsTorch(sbyte[] samples, int count, int size, double[] c)
    {
        using var scope = torch.NewDisposeScope();
        var s = torch.tensor(samples, [count, size]).to(torch.float32);
        var product = torch.matmul(s.t(), s).to(torch.float64).contiguous();
        product.data<double>().CopyTo(c, 0);
    }

    /// <summary>
    /// Standard errors of ⟨s_i⟩ and ⟨s_i s_j⟩ from <paramref name="blocks"/> consecutive equal blocks of samples
    /// (e.g. independent chains): SE = sd(block means)/√blocks. Blocks much longer than the autocorrelation time
    /// are independent, so this accounts for autocorrelation.
    /// </summary>
    public static (double[] Magnetisations, double[] SecondMoments) BlockStandardErrors(ReadOnlySpan<sbyte> samples, int count, int size, int blocks)
    {
        CheckShape(samples, count, size);
        if (blocks < 2 || count % blocks != 0) throw new ArgumentException($"{count} samples cannot be split into {blocks} equal blocks (at least 2)");
        int perBlock = count / blocks;
        var sumM = new double[size]; var sumM2 = new double[size];
        var sumC = new double[size * size]; var sumC2 = new double[size * size];
        var c = new double[size * size];
        for (int b = 0; b < blocks; b++)
        {
            var block = samples.Slice(b * perBlock * size, perBlock * size);
            var moments = Moments(block, perBlock, size);
            for (int i = 0; i < size; i++) { double v = moments.Magnetisations[i]; sumM[i] += v; sumM2[i] += v * v; }
            for (int k = 0; k < c.Length; k++) { double v = moments.SecondMoments[k]; sumC[k] += v; sumC2[k] += v * v; }
        }
        static double Se(double sum, double sum2, int n)
        {
            double mean = sum / n;
            double variance = Math.Max(0, (sum2 - n * mean * mean) / (n - 1));
            return Math.Sqrt(variance / n);
        }
        var seM = new double[size]; var seC = new double[size * size];
        for (int i = 0; i < size; i++) seM[i] = Se(sumM[i], sumM2[i], blocks);
        for (int k = 0; k < c.Length; k++) seC[k] = Se(sumC[k], sumC2[k], blocks);
        return (seM, seC);
    }

    /// <summary>
    /// Rao-Blackwellised moments of <paramref name="model"/> from its samples, split into <paramref name="blocks"/>
    /// consecutive equal blocks (e.g. chains): ⟨s_i⟩ = ⟨tanh L_i⟩ and, for i ≠ j, ⟨s_i s_j⟩ = ½⟨s_j tanh L_i + s_i tanh L_j⟩,
    /// with L_i = h_i + Σ_j J_ij s_j; standard errors from the spread of the block means (as <see cref="BlockStandardErrors"/>).
    /// </summary>
    /// <remarks>
    /// E[s_i | s_−i] = tanh L_i, and L_i does not contain s_i, so both estimators have the same expectation as the plain
    /// sample means and no larger variance (Rao–Blackwell): a spin with |L_i| ≫ 1 contributes its conditional mean instead of
    /// a ±1 draw. Two float64 products per block (L = h + S J and tanh(L)ᵀ S), so nothing is stored per sample.
    /// </remarks>
    public static (Moments Moments, double[] MagnetisationErrors, double[] SecondMomentErrors) RaoBlackwellMoments(
        Models.IsingModel model, ReadOnlySpan<sbyte> samples, int count, int blocks) =>
        RaoBlackwellGroups(model, samples, count, blocks, 1)[0];

    /// <summary>
    /// As <see cref="RaoBlackwellMoments"/>, also for <paramref name="groups"/> disjoint consecutive groups of the blocks: entry 0
    /// is all the samples, entry g (1..groups) the g-th group alone (moments and errors from its own blocks). One pass of
    /// products for all of them.
    /// </summary>
    public static IReadOnlyList<(Moments Moments, double[] MagnetisationErrors, double[] SecondMomentErrors)> RaoBlackwellGroups(
        Models.IsingModel model, ReadOnlySpan<sbyte> samples, int count, int blocks, int groups)
    {
        ArgumentNullException.ThrowIfNull(model);
        int size = model.Size;
        CheckShape(samples, count, size);
        if (blocks < 2 || count % blocks != 0) throw new ArgumentException($"{count} samples cannot be split into {blocks} equal blocks (at least 2)");
        if (groups < 1 || blocks % groups != 0 || (groups > 1 && blocks / groups < 2))
            throw new ArgumentException($"{blocks} blocks cannot be split into {groups} groups of at least 2");
        int perBlock = count / blocks, blocksPerGroup = blocks / groups;
        var sumM = new double[groups][]; var sumM2 = new double[groups][];
        var sumC = new double[groups][]; var sumC2 = new double[groups][];
        for (int g = 0; g < groups; g++)
        {
            sumM[g] = new double[size]; sumM2[g] = new double[size];
            sumC[g] = new double[size * size]; sumC2[g] = new double[size * size];
        }
        var blockM = new double[size];
        var blockC = new double[size * size];
        using (var scope = torch.NewDisposeScope())
        {
            var j = torch.tensor(model.Couplings, [size, size], torch.float64);
            var h = torch.tensor(model.Fields, [1, size], torch.float64);
            var block = new double[perBlock * size];
            for (int b = 0; b < blocks; b++)
            {
                int g = b / blocksPerGroup;
                using (var inner = torch.NewDisposeScope())
                {
                    var source = samples.Slice(b * perBlock * size, perBlock * size);
                    for (int k = 0; k < block.Length; k++) block[k] = source[k];
                    var x = torch.tensor(block, [perBlock, size], torch.float64);
                    var t = x.mm(j).Plus(h).tanh_();
                    t.mean([0]).contiguous().data<double>().CopyTo(blockM, 0);
                    var p = t.t().mm(x);
                    p.Plus(p.t()).TimesInPlace(0.5 / perBlock).contiguous().data<double>().CopyTo(blockC, 0);
                }
                for (int i = 0; i < size; i++) { sumM[g][i] += blockM[i]; sumM2[g][i] += blockM[i] * blockM[i]; }
                VectorMath.AddScaled(sumC[g], blockC, 1.0);
                for (int k = 0; k < blockC.Length; k++) sumC2[g][k] += blockC[k] * blockC[k];
            }
        }
        var results = new List<(Moments, double[], double[])>();
        // Entry 0: every group's sums added (in a fixed order); then each group on its own.
        var allM = new double[size]; var allM2 = new double[size]; var allC = new double[size * size]; var allC2 = new double[size * size];
        for (int g = 0; g < groups; g++)
        {
            VectorMath.AddScaled(allM, sumM[g], 1.0); VectorMath.AddScaled(allM2, sumM2[g], 1.0);
            VectorMath.AddScaled(allC, sumC[g], 1.0); VectorMath.AddScaled(allC2, sumC2[g], 1.0);
        }
        results.Add(Finish(allM, allM2, allC, allC2, blocks, size));
        if (groups > 1)
            for (int g = 0; g < groups; g++) results.Add(Finish(sumM[g], sumM2[g], sumC[g], sumC2[g], blocksPerGroup, size));
        return results;
    }

    private static (Moments, double[], double[]) Finish(double[] sumM, double[] sumM2, double[] sumC, double[] sumC2, int blocks, int size)
    {
        var mean = new double[size]; var seM = new double[size];
        var second = new double[size * size]; var seC = new double[size * size];
        for (int i = 0; i < size; i++) (mean[i], seM[i]) = MeanAndError(sumM[i], sumM2[i], blocks);
        for (int k = 0; k < second.Length; k++) (second[k], seC[k]) = MeanAndError(sumC[k], sumC2[k], blocks);
        for (int i = 0; i < size; i++)
        {
            second[i * size + i] = 1;
            seC[i * size + i] = 0;
            for (int k = i + 1; k < size; k++) second[k * size + i] = second[i * size + k];   // exact symmetry
        }
        return (new Moments(mean, second), seM, seC);
    }

    private static (double Mean, double Error) MeanAndError(double sum, double sum2, int n)
    {
        double mean = sum / n;
        double variance = Math.Max(0, (sum2 - n * mean * mean) / (n - 1));
        return (mean, Math.Sqrt(variance / n));
    }

    /// <summary>
    /// Connected three-point correlations ⟨s_i s_j s_k⟩_c = ⟨s_i s_j s_k⟩ − m_i⟨s_j s_k⟩ − m_j⟨s_i s_k⟩ − m_k⟨s_i s_j⟩
    /// + 2 m_i m_j m_k (the third joint cumulant) for each triplet, from samples.
    /// </summary>
    public static double[] ConnectedThreePoint(ReadOnlySpan<sbyte> samples, int count, int size, IReadOnlyList<(int I, int J, int K)> triplets)
    {
        CheckShape(samples, count, size);
        ArgumentNullException.ThrowIfNull(triplets);
        var result = new double[triplets.Count];
        for (int t = 0; t < triplets.Count; t++)
        {
            var (i, j, k) = triplets[t];
            if ((uint)i >= size || (uint)j >= size || (uint)k >= size)
                throw new InputException($"triplet {t}: ({i}, {j}, {k}) is outside the {size} spins");
            long si = 0, sj = 0, sk = 0, sij = 0, sik = 0, sjk = 0, sijk = 0;
            for (int r = 0; r < count; r++)
            {
                int o = r * size;
                int a = samples[o + i], b = samples[o + j], c = samples[o + k];
                si += a; sj += b; sk += c;
                sij += a * b; sik += a * c; sjk += b * c; sijk += a * b * c;
            }
            double n = count;
            double mi = si / n, mj = sj / n, mk = sk / n;
            result[t] = sijk / n - mi * (sjk / n) - mj * (sik / n) - mk * (sij / n) + 2 * mi * mj * mk;
        }
        return result;
    }

    /// <summary>
    /// Integrated autocorrelation time of a set of equally long series (e.g. the energy of each chain), pooled
    /// over series, with Sokal's automatic window (smallest W with W ≥ 5 τ(W)). τ = ½ for independent draws.
    /// </summary>
    public static double IntegratedAutocorrelationTime(ReadOnlySpan<double> series, int seriesCount)
    {
        if (seriesCount < 1 || series.Length % seriesCount != 0) throw new ArgumentException("series must split into equal parts");
        int length = series.Length / seriesCount;
        if (length < 4) return 0.5;
        double mean = 0;
        foreach (double v in series) mean += v;
        mean /= series.Length;
        double variance = 0;
        foreach (double v in series) variance += (v - mean) * (v - mean);
        variance /= series.Length;
        if (variance <= 0) return 0.5;
        double tau = 0.5;
        for (int lag = 1; lag < length / 2; lag++)
        {
            double sum = 0;
            for (int s = 0; s < seriesCount; s++)
            {
                var x = series.Slice(s * length, length);
                for (int t = 0; t + lag < length; t++) sum += (x[t] - mean) * (x[t + lag] - mean);
            }
            double rho = sum / ((double)seriesCount * (length - lag)) / variance;
            tau += rho;
            if (lag >= 5 * tau) break;
        }
        return Math.Max(0.5, tau);
    }

    private static void CheckShape(ReadOnlySpan<sbyte> samples, int count, int size)
    {
        if (count < 1 || size < 1 || samples.Length != (long)count * size)
            throw new ArgumentException($"{samples.Length} spins do not form {count} samples of {size}");
    }
}
