using System.Runtime.Intrinsics;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inference;

/// <summary>
/// First and raw second moments of a spin distribution: ⟨s_i⟩ and ⟨s_i s_j⟩ (N×N row-major, diagonal 1) —
/// the statistics a maximum-entropy Ising model matches.
/// </summary>
/// <param name="Magnetisations">m_i = ⟨s_i⟩, length N.</param>
/// <param name="SecondMoments">C_ij = ⟨s_i s_j⟩, N×N row-major, diagonal 1.</param>
public sealed record Moments(double[] Magnetisations, double[] SecondMoments)
{
    /// <summary>Number of spins N.</summary>
    public int Size => Magnetisations.Length;

    /// <summary>⟨s_i s_j⟩ at (i, j).</summary>
    public double SecondMoment(int i, int j) => SecondMoments[i * Size + j];

    /// <summary>Connected correlations ⟨s_i s_j⟩ − m_i m_j, N×N row-major (diagonal 1 − m_i²).</summary>
    public double[] ConnectedCorrelations() => ConnectedCorrelations(GC.AllocateUninitializedArray<double>(Size * Size));

    /// <summary>As <see cref="ConnectedCorrelations()"/>, written into <paramref name="c"/> (N×N, fully overwritten).</summary>
    internal double[] ConnectedCorrelations(double[] c)
    {
        int n = Size;
        if (c.Length != n * n) throw new ArgumentException($"connected correlations of {n} spins need {n * n} values, not {c.Length}");
        var m = Magnetisations;
        for (int i = 0; i < n; i++)
        {
            // Row i: C_ij − m_i m_j (the same two roundings per entry in either branch).
            var row = SecondMoments.AsSpan(i * n, n);
            var target = c.AsSpan(i * n, n);
            double mi = m[i];
            int j = 0;
            if (VectorMath.IsAccelerated)
            {
                var miV = Vector512.Create(mi);
                for (; j <= n - Vector512<double>.Count; j += Vector512<double>.Count)
                    (Vector512.Create(row.Slice(j, Vector512<double>.Count)) - miV * Vector512.Create(m.AsSpan(j, Vector512<double>.Count)))
                        .CopyTo(target.Slice(j, Vector512<double>.Count));
            }
            for (; j < n; j++) target[j] = row[j] - mi * m[j];
        }
        return c;
    }

    /// <summary>
    /// The fit error of the study: sqrt( mean_i Δm_i² + mean_{i≠j} ΔC_ij² ) with C the raw second moments.
    /// </summary>
    public double Rmse(Moments other)
    {
        ArgumentNullException.ThrowIfNull(other);
        int n = Size;
        if (other.Size != n) throw new ArgumentException($"moments of {other.Size} spins compared with {n}");
        double dm = 0;
        for (int i = 0; i < n; i++) { double d = Magnetisations[i] - other.Magnetisations[i]; dm += d * d; }
        double dc = 0;
        for (int i = 0; i < n; i++)
        {
            // The off-diagonal entries of row i: [0, i) and (i, n).
            dc += SquaredDistance(SecondMoments.AsSpan(i * n, i), other.SecondMoments.AsSpan(i * n, i));
            dc += SquaredDistance(SecondMoments.AsSpan(i * n + i + 1, n - i - 1), other.SecondMoments.AsSpan(i * n + i + 1, n - i - 1));
        }
        double pairMean = n > 1 ? dc / ((double)n * (n - 1)) : 0;
        return Math.Sqrt(dm / n + pairMean);
    }

    // Σ (a − b)², 8 lanes then the lanes and the tail (a fixed order).
    private static double SquaredDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int k = 0;
        double sum = 0;
        if (VectorMath.IsAccelerated && a.Length >= Vector512<double>.Count)
        {
            var acc = Vector512<double>.Zero;
            for (; k <= a.Length - Vector512<double>.Count; k += Vector512<double>.Count)
            {
                var d = Vector512.Create(a.Slice(k, Vector512<double>.Count)) - Vector512.Create(b.Slice(k, Vector512<double>.Count));
                acc += d * d;
            }
            sum = Vector512.Sum(acc);
        }
        for (; k < a.Length; k++) { double d = a[k] - b[k]; sum += d * d; }
        return sum;
    }

    /// <summary>The moments of spins [start, start+length).</summary>
    public Moments Slice(int start, int length)
    {
        if (start < 0 || length <= 0 || start + length > Size)
            throw new InputException($"slice: [{start}, {start + length}) is outside the {Size} spins of the moments");
        var c = new double[length * length];
        for (int a = 0; a < length; a++)
            SecondMoments.AsSpan((start + a) * Size + start, length).CopyTo(c.AsSpan(a * length, length));
        return new Moments(Magnetisations.AsSpan(start, length).ToArray(), c);
    }
}

/// <summary>Anything that computes a model's moments (exact, BP, Monte Carlo); Boltzmann learning plugs one in.</summary>
public interface IMomentEstimator
{
    /// <summary>The moments ⟨s_i⟩, ⟨s_i s_j⟩ of <paramref name="model"/>.</summary>
    Moments Estimate(IsingModel model, CancellationToken ct = default);
}
