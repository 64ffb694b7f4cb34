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
    public double[] ConnectedCorrelations()
    {
        int n = Size;
        var c = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                c[i * n + j] = SecondMoments[i * n + j] - Magnetisations[i] * Magnetisations[j];
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
            for (int j = 0; j < n; j++)
            {
                if (i == j) continue;
                double d = SecondMoments[i * n + j] - other.SecondMoments[i * n + j];
                dc += d * d;
            }
        double pairMean = n > 1 ? dc / ((double)n * (n - 1)) : 0;
        return Math.Sqrt(dm / n + pairMean);
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
