using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inverse;

/// <summary>
/// The exact inverse of the belief-propagation moment map: the parameters (J, h) and BP messages for which BP
/// has a fixed point whose node and edge beliefs are given magnetisations m_i and pair moments ⟨s_i s_j⟩.
/// </summary>
/// <remarks>
/// Pseudo-moment matching (Wainwright, Jaakkola &amp; Willsky, AISTATS 2003): with pair beliefs
/// b_ij(s, s') = (1 + m_i s + m_j s' + c_ij s s')/4, the factorisation ψ_ij = b_ij/(b_i b_j), ψ_i = b_i has
/// the uniform BP fixed point with exactly these beliefs. In Ising form this is the independent-pair
/// approximation (Roudi, Aurell &amp; Hertz, Front. Comput. Neurosci. 3, 22 (2009)):
/// J_ij = ¼ ln[b(++) b(−−) / (b(+−) b(−+))],
/// a_ij = ¼ ln[b(++) b(+−) / (b(−+) b(−−))] − atanh m_i (the part of ψ_ij acting on s_i alone),
/// h_i = atanh m_i + Σ_{j≠i} a_ij, and the fixed-point cavity fields are g_{i→j} = atanh m_i + a_ij
/// (u_{j→i} = −a_ij, so H_i = atanh m_i). Consequently Boltzmann learning with BP moments has a unique
/// moment-matching point, this one: at any BP fixed point of (J, h), this map applied to BP's beliefs returns
/// (J, h) itself, so BP beliefs equal to the data force (J, h) = F(data). Needs 0 &lt; b(±±) for every pair.
/// </remarks>
public static class BetheInversion
{
    /// <summary>
    /// Fields, couplings (N×N, symmetric, zero diagonal) and the cavity fields g_{i→j} (N×N, sender row) of the
    /// BP fixed point whose beliefs are (<paramref name="magnetisations"/>, <paramref name="secondMoments"/>).
    /// A pair with a non-positive probability b(±±) ≤ 0 (e.g. two spins always equal) has no finite coupling:
    /// a one-line <see cref="InputException"/>.
    /// </summary>
    public static (double[] Fields, double[] Couplings, double[] CavityFields) Invert(double[] magnetisations, double[] secondMoments)
    {
        ArgumentNullException.ThrowIfNull(magnetisations);
        ArgumentNullException.ThrowIfNull(secondMoments);
        int n = magnetisations.Length;
        if (secondMoments.Length != n * n) throw new ArgumentException("second moments must be N×N");
        var h = new double[n];
        var j = new double[n * n];
        var g = new double[n * n];
        var atanhM = new double[n];
        for (int i = 0; i < n; i++)
        {
            double m = magnetisations[i];
            if (!(Math.Abs(m) < 1)) throw new InputException($"bethe inversion: m[{i}] = {m} is not inside (-1, 1)");
            atanhM[i] = Math.Atanh(m);
        }
        for (int i = 0; i < n; i++)
        {
            double mi = magnetisations[i], fieldSum = 0;
            g[i * n + i] = atanhM[i];   // unused by BP (no self-edge); kept finite
            for (int k = 0; k < n; k++)
            {
                if (k == i) continue;
                double mk = magnetisations[k], c = 0.5 * (secondMoments[i * n + k] + secondMoments[k * n + i]);
                double pp = 1 + mi + mk + c, mm = 1 - mi - mk + c, pm = 1 + mi - mk - c, mp = 1 - mi + mk - c;
                if (!(pp > 0 && mm > 0 && pm > 0 && mp > 0))
                    throw new InputException($"bethe inversion: pair ({i}, {k}) has a probability ≤ 0 (m = {mi}, {mk}, <s s> = {c}); no finite coupling fits it");
                j[i * n + k] = 0.25 * Math.Log(pp * mm / (pm * mp));
                double a = 0.25 * Math.Log(pp * pm / (mp * mm)) - atanhM[i];
                fieldSum += a;
                g[i * n + k] = atanhM[i] + a;
            }
            h[i] = atanhM[i] + fieldSum;
        }
        // Exact symmetry (the formula is symmetric in i, k up to round-off).
        for (int i = 0; i < n; i++)
            for (int k = i + 1; k < n; k++) j[k * n + i] = j[i * n + k];
        return (h, j, g);
    }

    /// <summary>The model of <see cref="Invert"/> for moments.</summary>
    public static IsingModel Model(Moments moments)
    {
        ArgumentNullException.ThrowIfNull(moments);
        var (h, j, _) = Invert(moments.Magnetisations, moments.SecondMoments);
        return new IsingModel(h, j);
    }

    /// <summary>
    /// The BP messages of the fixed point of <see cref="Invert"/> (a warm start that is already converged), optionally
    /// with every cavity field moved by a uniform draw in ±<paramref name="perturbation"/> from a generator started at
    /// <paramref name="seed"/> (to test the fixed point's stability).
    /// </summary>
    public static BpMessages Messages(Moments moments, double perturbation = 0, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(moments);
        var (_, _, g) = Invert(moments.Magnetisations, moments.SecondMoments);
        if (perturbation != 0)
        {
            var random = new Randomness.SplitMix64(seed);
            for (int k = 0; k < g.Length; k++) g[k] += perturbation * (2 * random.NextDouble() - 1);
        }
        return new BpMessages(moments.Size, g);
    }
}
