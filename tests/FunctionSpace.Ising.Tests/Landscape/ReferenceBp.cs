namespace FunctionSpace.Ising.Tests.Landscape;

/// <summary>
/// An independent, deliberately plain belief propagation for dense Ising models, written for the tests only
/// (shares no code with the library): cavity fields with explicit loops, synchronous damped updates, and the
/// Bethe free energy from node and edge terms. Used to cross-check the library's landscape numbers.
/// </summary>
internal static class ReferenceBp
{
    public sealed record Solution(double[] Magnetisations, double LogZ, double MeanEnergy, double Entropy, bool Converged, int Iterations);

    /// <summary>BP for P(s) ∝ exp(Σ_{i&lt;j} J_ij s_i s_j + Σ_i h_i s_i); J as a dense N×N array.</summary>
    public static Solution Solve(double[,] j, double[] h, double tolerance = 1e-12, int maxIterations = 20000, double damping = 0.5,
        double[,]? initialCavity = null)
    {
        int n = h.Length;
        // cavity[i, k] = m_{i→k}: magnetisation of i with k removed.
        var cavity = initialCavity is null ? new double[n, n] : (double[,])initialCavity.Clone();
        var t = new double[n, n];
        for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) t[a, b] = Math.Tanh(j[a, b]);
        var fieldSum = new double[n];
        int iteration = 0;
        bool converged = false;
        for (; iteration < maxIterations && !converged; iteration++)
        {
            // Full field on i: h_i + Σ_k atanh(t_ki m_{k→i}).
            for (int i = 0; i < n; i++)
            {
                double s = h[i];
                for (int k = 0; k < n; k++) if (k != i) s += Atanh(t[k, i] * cavity[k, i]);
                fieldSum[i] = s;
            }
            double change = 0;
            var next = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int k = 0; k < n; k++)
                {
                    if (k == i) continue;
                    double updated = Math.Tanh(fieldSum[i] - Atanh(t[k, i] * cavity[k, i]));
                    double value = damping * cavity[i, k] + (1 - damping) * updated;
                    change = Math.Max(change, Math.Abs(value - cavity[i, k]));
                    next[i, k] = value;
                }
            cavity = next;
            converged = change < tolerance;
        }
        LastCavity = cavity;
        // Bethe: ln Z = Σ_i ln Z_i − Σ_{i<j} ln Z_ij.
        var m = new double[n];
        double logZ = 0, energy = 0;
        for (int i = 0; i < n; i++)
        {
            double plus = h[i], minus = -h[i], full = h[i];
            for (int k = 0; k < n; k++)
            {
                if (k == i) continue;
                double ch = Math.Log(Math.Cosh(j[k, i]));
                plus += ch + Math.Log(1 + t[k, i] * cavity[k, i]);
                minus += ch + Math.Log(1 - t[k, i] * cavity[k, i]);
                full += Atanh(t[k, i] * cavity[k, i]);
            }
            double top = Math.Max(plus, minus);
            logZ += top + Math.Log(Math.Exp(plus - top) + Math.Exp(minus - top));
            m[i] = Math.Tanh(full);
            energy -= h[i] * m[i];
        }
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
            {
                double product = cavity[a, b] * cavity[b, a];
                logZ -= Math.Log(Math.Cosh(j[a, b])) + Math.Log(1 + t[a, b] * product);
                double correlation = (t[a, b] + product) / (1 + t[a, b] * product);
                energy -= j[a, b] * correlation;
            }
        return new Solution(m, logZ, energy, logZ + energy, converged, iteration);
    }

    /// <summary>The cavity magnetisations of the last call (for warm starts in sweeps).</summary>
    [ThreadStatic] public static double[,]? LastCavity;

    private static double Atanh(double x) => 0.5 * Math.Log((1 + x) / (1 - x));

    /// <summary>Landscape point (q, d, s, e) around a reference at coupling field x, by the reference BP.</summary>
    public static (double Overlap, double Distance, double Entropy, double Energy, bool Converged) LandscapePoint(
        double[,] j, double[] h, sbyte[] reference, double x, double[,]? warm = null)
    {
        int n = h.Length;
        var tilted = new double[n];
        for (int i = 0; i < n; i++) tilted[i] = h[i] + x * reference[i];
        var solution = Solve(j, tilted, tolerance: 1e-9, initialCavity: warm);
        double q = 0;
        for (int i = 0; i < n; i++) q += reference[i] * solution.Magnetisations[i];
        q /= n;
        return (q, (1 - q) / 2, solution.Entropy / n, (solution.MeanEnergy + x * n * q) / n, solution.Converged);
    }
}
