using FunctionSpace.Ising.Randomness;
using System.Numerics;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Theory;

/// <summary>How the orthant probabilities of one matrix were computed.</summary>
public enum OrthantMethod
{
    /// <summary>Dimension ≤ 3 after merging perfectly (anti)correlated coordinates: Sheppard's arcsine formulas, exact.</summary>
    ClosedForm,
    /// <summary>Dimension 4: the one four-point sign moment by a one-dimensional path integral (Plackett/Price), to the quadrature tolerance.</summary>
    PathIntegral,
    /// <summary>Dimension ≥ 5: Genz's separation of variables integrated by randomly shifted lattice rules; error = standard error over the shifts.</summary>
    QuasiMonteCarlo,
}

/// <summary>Accuracy settings of <see cref="OrthantProbabilities.All"/>.</summary>
/// <param name="PointsPerShift">Lattice points per random shift (dimension ≥ 5; eight times as many for a rank-deficient matrix).</param>
/// <param name="Shifts">Independent random shifts; the quoted error is the standard error of their mean.</param>
/// <param name="Seed">Seed of the random shifts (the result is a deterministic function of the matrix and the settings).</param>
/// <param name="PathTolerance">Absolute tolerance of the dimension-4 path integral.</param>
public sealed record OrthantSettings(int PointsPerShift = 4096, int Shifts = 10, ulong Seed = 0x0127_4A47, double PathTolerance = 1e-13)
{
    /// <summary>Rejects settings that cannot give an error estimate.</summary>
    public void Validate()
    {
        if (PointsPerShift < 16) throw new InputException($"--orthant-points: {PointsPerShift} must be at least 16");
        if (Shifts < 2) throw new InputException($"orthant shifts: {Shifts} must be at least 2 (the error comes from their spread)");
        if (!(PathTolerance > 0)) throw new ArgumentOutOfRangeException(nameof(PathTolerance), "must be positive");
    }
}

/// <summary>Orthant probabilities of every sign pattern of one centred Gaussian vector.</summary>
/// <param name="Probabilities">P(sgn h = f) for each pattern f: bit γ of f set ⇔ h_γ &gt; 0 (2^d entries, summing to 1).</param>
/// <param name="Errors">Numerical error of each probability: 0 (closed form), the propagated quadrature error
/// estimate (path integral) or the standard error over random shifts (quasi-Monte Carlo).</param>
/// <param name="Method">How they were computed.</param>
/// <param name="Dimension">Coordinates left after merging those with correlation ±1 (the dimension actually integrated).</param>
/// <param name="SymmetriesUsed">Supplied coordinate permutations that leave the correlation matrix invariant (used to share work between patterns).</param>
public sealed record OrthantResult(double[] Probabilities, double[] Errors, OrthantMethod Method, int Dimension, int SymmetriesUsed);

/// <summary>
/// P(sgn h = f) for h ~ N(0, C) and every sign pattern f, in the low dimensions of Boolean-function spaces
/// (d = 2^n = 4, 8). Coordinates with correlation exactly ±1 are merged first (they are the same variable up to
/// sign; patterns that disagree with that have probability 0). Then, with m_A = E Π_{γ∈A} sgn h_γ (zero for odd
/// |A| by h → −h symmetry),
/// P(f) = 2^{−d} Σ_{|A| even} m_A Π_{γ∈A} f_γ  (the Walsh expansion of the pattern distribution),
/// where m_{γγ'} = (2/π) asin ρ_{γγ'} (Sheppard) and the four-point moment follows from Price's theorem,
/// ∂m_A/∂ρ_ij = (2/(π√(1−ρ_ij²))) m_{A∖{i,j}}(ρ | h_i = h_j = 0), integrated along ρ(t) = tρ from the identity:
/// m_{ijkl} = ∫_0^1 dt Σ_{pairs} ρ_ij (2/(π√(1−t²ρ_ij²))) (2/π) asin ρ_{kl·ij}(t), with ρ_{kl·ij} the partial
/// correlation. Above dimension 4 each pattern is integrated by Genz's separation of variables with variable
/// reordering and randomly shifted Richtmyer lattice rules (baker-transformed).
/// </summary>
/// <remarks>
/// Sheppard (1899); Plackett, Biometrika 41, 351 (1954); Price, IRE Trans. Inf. Theory 4, 69 (1958);
/// Genz, J. Comput. Graph. Stat. 1, 141 (1992); Genz &amp; Bretz, <i>Computation of Multivariate Normal and t
/// Probabilities</i> (Springer 2009), §4.1–4.2.
/// </remarks>
public static class OrthantProbabilities
{
    // Seed stream of the Monte-Carlo estimate: one generator per sign pattern.
    private const int PatternStream = 0x0127;

    /// <summary>Correlations within this of ±1 are treated as exact (the coordinates are merged).</summary>
    public const double MergeTolerance = 1e-12;

    /// <summary>Largest dimension accepted (2^10 patterns).</summary>
    public const int MaxDimension = 10;

    // Conditional variances below this (relative to 1) make a variable a deterministic function of the earlier ones.
    private const double SingularVariance = 1e-12;

    /// <summary>P(h₁ &gt; 0, h₂ &gt; 0) = ¼ + asin(ρ)/(2π) (Sheppard).</summary>
    public static double Quadrant(double rho) => 0.25 + Math.Asin(Math.Clamp(rho, -1, 1)) / (2 * Math.PI);

    /// <summary>P(h₁, h₂, h₃ &gt; 0) = ⅛ + (asin ρ₁₂ + asin ρ₁₃ + asin ρ₂₃)/(4π).</summary>
    public static double Octant(double rho12, double rho13, double rho23) =>
        0.125 + (Math.Asin(Math.Clamp(rho12, -1, 1)) + Math.Asin(Math.Clamp(rho13, -1, 1)) + Math.Asin(Math.Clamp(rho23, -1, 1))) / (4 * Math.PI);

    /// <summary>
    /// Orthant probabilities of every sign pattern of h ~ N(0, <paramref name="covariance"/>) (positive diagonal;
    /// only the correlations matter). <paramref name="symmetries"/>: optional coordinate permutations π; those
    /// with C[π(i), π(j)] = C[i, j] are used to give P(f∘π⁻¹) = P(f) without integrating twice (the others are ignored).
    /// </summary>
    public static OrthantResult All(double[,] covariance, OrthantSettings? settings = null, IReadOnlyList<int[]>? symmetries = null)
    {
        settings ??= new OrthantSettings();
        settings.Validate();
        double[,] rho = Correlation(covariance);
        int d = rho.GetLength(0), patterns = 1 << d;

        // Merge coordinates that are ±copies of an earlier one.
        var representative = new int[d];
        var relativeSign = new int[d];
        var kept = new List<int>();
        for (int i = 0; i < d; i++)
        {
            representative[i] = i; relativeSign[i] = 1;
            foreach (int j in kept)
            {
                if (rho[i, j] >= 1 - MergeTolerance) { representative[i] = j; break; }
                if (rho[i, j] <= -1 + MergeTolerance) { representative[i] = j; relativeSign[i] = -1; break; }
            }
            if (representative[i] == i) kept.Add(i);
        }
        int reducedDimension = kept.Count;
        var reduced = new double[reducedDimension, reducedDimension];
        for (int a = 0; a < reducedDimension; a++)
            for (int b = 0; b < reducedDimension; b++) reduced[a, b] = rho[kept[a], kept[b]];
        var position = new int[d];
        for (int a = 0; a < reducedDimension; a++) position[kept[a]] = a;

        // The reduced pattern of f, or −1 when f breaks a merged pair's sign relation (probability 0).
        int Reduce(int f)
        {
            int g = 0;
            for (int i = 0; i < d; i++)
            {
                int bit = (f >> i) & 1, repBit = (f >> representative[i]) & 1;
                if (representative[i] != i && (relativeSign[i] > 0 ? bit != repBit : bit == repBit)) return -1;
                if (representative[i] == i && bit == 1) g |= 1 << position[i];
            }
            return g;
        }

        var probabilities = new double[patterns];
        var errors = new double[patterns];
        var valid = ValidSymmetries(rho, symmetries);
        OrthantMethod method;
        if (reducedDimension <= 4)
        {
            var (small, smallError) = WalshExpansion(reduced, settings.PathTolerance);
            method = reducedDimension <= 3 ? OrthantMethod.ClosedForm : OrthantMethod.PathIntegral;
            for (int f = 0; f < patterns; f++)
            {
                int g = Reduce(f);
                if (g >= 0) { probabilities[f] = small[g]; errors[f] = smallError; }
            }
        }
        else
        {
            method = OrthantMethod.QuasiMonteCarlo;
            var orbitOf = Orbits(d, valid);
            var done = new bool[patterns];
            for (int f = 0; f < patterns; f++)
            {
                if (done[f]) continue;
                int g = Reduce(f);
                double p = 0, se = 0;
                if (g >= 0) (p, se) = GenzOrthant(reduced, g, settings);
                foreach (int member in orbitOf[f]) { probabilities[member] = p; errors[member] = se; done[member] = true; }
            }
        }
        return new OrthantResult(probabilities, errors, method, reducedDimension, valid.Count);
    }

    /// <summary>Normalises a covariance to a correlation matrix after checking shape, symmetry and the diagonal.</summary>
    private static double[,] Correlation(double[,] covariance)
    {
        int d = covariance.GetLength(0);
        if (d != covariance.GetLength(1)) throw new ArgumentException("covariance must be square");
        if (d < 1 || d > MaxDimension) throw new ArgumentException($"dimension {d} must be in 1..{MaxDimension}");
        var rho = new double[d, d];
        for (int i = 0; i < d; i++)
            if (!(covariance[i, i] > 0)) throw new ArgumentException($"variance {i} must be positive, got {covariance[i, i]}");
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double r = covariance[i, j] / Math.Sqrt(covariance[i, i] * covariance[j, j]);
                if (!(Math.Abs(r) <= 1 + 1e-9)) throw new ArgumentException($"correlation ({i}, {j}) = {r} is outside [−1, 1]");
                if (Math.Abs(covariance[i, j] - covariance[j, i]) > 1e-12 * Math.Sqrt(covariance[i, i] * covariance[j, j]))
                    throw new ArgumentException($"covariance is not symmetric at ({i}, {j})");
                rho[i, j] = i == j ? 1 : Math.Clamp(r, -1, 1);
            }
        return rho;
    }

    private static List<int[]> ValidSymmetries(double[,] rho, IReadOnlyList<int[]>? symmetries)
    {
        var valid = new List<int[]>();
        if (symmetries is null) return valid;
        int d = rho.GetLength(0);
        foreach (var perm in symmetries)
        {
            if (perm.Length != d || perm.Distinct().Count() != d || perm.Any(p => p < 0 || p >= d))
                throw new ArgumentException("a symmetry must be a permutation of the coordinates");
            bool invariant = true;
            for (int i = 0; i < d && invariant; i++)
                for (int j = 0; j < d && invariant; j++)
                    invariant = Math.Abs(rho[perm[i], perm[j]] - rho[i, j]) <= 1e-12;
            if (invariant) valid.Add(perm);
        }
        return valid;
    }

    // Orbits of the patterns under the group generated by the permutations and global negation (h → −h).
    private static int[][] Orbits(int d, List<int[]> generators)
    {
        int patterns = 1 << d, full = patterns - 1;
        var orbitOf = new int[patterns][];
        for (int f = 0; f < patterns; f++)
        {
            if (orbitOf[f] is not null) continue;
            var members = new List<int> { f };
            var seen = new HashSet<int> { f };
            for (int k = 0; k < members.Count; k++)
            {
                int g = members[k];
                foreach (int image in generators.Select(perm => Permute(g, perm)).Append(full ^ g))
                    if (seen.Add(image)) members.Add(image);
            }
            int[] orbit = [.. members];
            foreach (int m in orbit) orbitOf[m] = orbit;
        }
        return orbitOf;

        static int Permute(int f, int[] perm)
        {
            int g = 0;
            for (int i = 0; i < perm.Length; i++) if (((f >> i) & 1) != 0) g |= 1 << perm[i];
            return g;
        }
    }

    /// <summary>All 2^d orthant probabilities (d ≤ 4) from the even sign moments; the error is the propagated path-integral error.</summary>
    private static (double[] Probabilities, double Error) WalshExpansion(double[,] rho, double tolerance)
    {
        int d = rho.GetLength(0), patterns = 1 << d;
        var moment = new double[patterns];
        moment[0] = 1;
        double momentError = 0;
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++) moment[(1 << i) | (1 << j)] = 2 / Math.PI * Math.Asin(rho[i, j]);
        if (d == 4) (moment[15], momentError) = FourPointSignMoment(rho, tolerance);
        var p = new double[patterns];
        for (int f = 0; f < patterns; f++)
        {
            double sum = 0;
            for (int a = 0; a < patterns; a++)
            {
                if ((BitOperations.PopCount((uint)a) & 1) != 0) continue;
                // Π_{γ∈A} f_γ with f_γ = +1 where bit γ of f is set.
                sum += (BitOperations.PopCount((uint)(a & ~f)) & 1) == 0 ? moment[a] : -moment[a];
            }
            // Roundoff of an impossible pattern (e.g. XOR from a rank-3 matrix) can leave −1e−17: clamp at 0.
            p[f] = Math.Max(0, sum / patterns);
        }
        return (p, momentError / patterns);
    }

    /// <summary>
    /// E[sgn h₀ sgn h₁ sgn h₂ sgn h₃] for unit-variance h with correlations <paramref name="rho"/> (no |ρ| = 1),
    /// by the Price path integral along ρ(t) = tρ, substituted t = 1 − u² to absorb the 1/√(1−t) of nearly
    /// singular pairs. Returns the value and the quadrature's error estimate.
    /// </summary>
    public static (double Value, double Error) FourPointSignMoment(double[,] rho, double tolerance = 1e-13)
    {
        if (rho.GetLength(0) != 4 || rho.GetLength(1) != 4) throw new ArgumentException("need a 4×4 correlation matrix");
        (int I, int J, int K, int L)[] splits = [(0, 1, 2, 3), (0, 2, 1, 3), (0, 3, 1, 2), (1, 2, 0, 3), (1, 3, 0, 2), (2, 3, 0, 1)];
        double Integrand(double u)
        {
            double t = 1 - u * u, sum = 0;
            foreach (var (i, j, k, l) in splits)
            {
                double r = rho[i, j];
                if (r == 0) continue;
                double a = t * r, det = 1 - a * a;
                // Schur complement of (h_i, h_j) in the 4×4 matrix at t: conditional covariance of (h_k, h_l).
                double Cond(int x, int y)
                {
                    double bx0 = t * rho[x, i], bx1 = t * rho[x, j], by0 = t * rho[y, i], by1 = t * rho[y, j];
                    double quad = (bx0 * by0 + bx1 * by1 - a * (bx0 * by1 + bx1 * by0)) / det;
                    return (x == y ? 1 : t * rho[x, y]) - quad;
                }
                double skk = Cond(k, k), sll = Cond(l, l), skl = Cond(k, l);
                double partial = skk > 0 && sll > 0 ? Math.Clamp(skl / Math.Sqrt(skk * sll), -1, 1) : 0;
                sum += r * 2 / (Math.PI * Math.Sqrt(det)) * (2 / Math.PI) * Math.Asin(partial);
            }
            return 2 * u * sum;  // dt = 2u du
        }
        // Near-singular matrices vary on a scale u² ~ 1 − |ρ| near u = 0: grade the breakpoints there.
        var result = AdaptiveQuadrature.Integrate(Integrand, AdaptiveQuadrature.GradedBreakpoints(0, 1, 0, 1e-4), tolerance, 20_000);
        return (result.Value, result.ErrorEstimate);
    }

    private static readonly int[] Primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];

    /// <summary>
    /// P(sgn h = pattern) for one pattern by Genz's separation of variables: with Y_γ = −f_γ h_γ ~ N(0, DρD),
    /// P = P(Y ≤ 0) = ∫_{[0,1]^{d−1}} Π_k e_k(w), e_k = Φ(−μ_k/ℓ_kk), y_k = Φ⁻¹(w_k e_k), μ_k = Σ_{j&lt;k} ℓ_kj y_j,
    /// with the Cholesky factor ℓ built in the Genz–Bretz order (most constrained variable first); a variable
    /// with zero conditional variance contributes the indicator [μ_k ≤ 0].
    /// </summary>
    private static (double Value, double StandardError) GenzOrthant(double[,] rho, int pattern, OrthantSettings settings)
    {
        int d = rho.GetLength(0);
        var sigma = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                sigma[i, j] = rho[i, j] * (((pattern >> i) & 1) == ((pattern >> j) & 1) ? 1 : -1);
        double[,] chol = OrderedCholesky(sigma);
        // A rank-deficient matrix leaves indicator factors [μ_k ≤ 0] in the integrand, whose discontinuities slow
        // the lattice rule's convergence: give it eight times the points.
        bool singular = Enumerable.Range(0, d).Any(k => chol[k, k] == 0);
        int points = singular ? 8 * settings.PointsPerShift : settings.PointsPerShift;
        var alpha = new double[d - 1];
        for (int k = 0; k < d - 1; k++) alpha[k] = Math.Sqrt(Primes[k]) % 1.0;
        var rng = new SplitMix64(SplitMix64.Mix(settings.Seed, pattern, PatternStream));
        var shiftMeans = new double[settings.Shifts];
        var y = new double[d];
        var shift = new double[d - 1];
        for (int s = 0; s < settings.Shifts; s++)
        {
            for (int k = 0; k < d - 1; k++) shift[k] = rng.NextDouble();
            double total = 0;
            for (int point = 1; point <= points; point++)
            {
                double product = 1;
                for (int k = 0; k < d; k++)
                {
                    double mu = 0;
                    for (int j = 0; j < k; j++) mu += chol[k, j] * y[j];
                    double lkk = chol[k, k];
                    if (lkk == 0) { if (mu > 0) { product = 0; break; } y[k] = 0; continue; }
                    double e = StandardNormal.Cdf(-mu / lkk);
                    product *= e;
                    if (product == 0) break;
                    if (k == d - 1) break;
                    double x = (point * alpha[k] + shift[k]) % 1.0;
                    double w = 1 - Math.Abs(2 * x - 1);  // baker's transformation: periodises the integrand
                    double v = Math.Clamp(w * e, 1e-300, 1 - 1e-16);
                    y[k] = StandardNormal.Quantile(v);
                }
                total += product;
            }
            shiftMeans[s] = total / points;
        }
        double mean = shiftMeans.Average();
        double variance = shiftMeans.Sum(m => (m - mean) * (m - mean)) / (settings.Shifts - 1);
        return (mean, Math.Sqrt(variance / settings.Shifts));
    }

    /// <summary>
    /// Lower Cholesky factor of the permuted covariance, choosing at each step the remaining variable with the
    /// smallest conditional probability Φ(b_i) of Y_i ≤ 0 given the truncated means of the earlier ones
    /// (Genz &amp; Bretz 2009, §4.1.3). Rows with conditional variance ≤ 1e−12 get ℓ_kk = 0.
    /// </summary>
    private static double[,] OrderedCholesky(double[,] sigma)
    {
        int d = sigma.GetLength(0);
        var s = (double[,])sigma.Clone();
        var l = new double[d, d];
        var mean = new double[d];
        for (int k = 0; k < d; k++)
        {
            int best = k; double bestProbability = double.PositiveInfinity;
            for (int i = k; i < d; i++)
            {
                double variance = s[i, i];
                for (int j = 0; j < k; j++) variance -= l[i, j] * l[i, j];
                if (variance <= SingularVariance) continue;
                double shiftMean = 0;
                for (int j = 0; j < k; j++) shiftMean += l[i, j] * mean[j];
                double probability = StandardNormal.Cdf(-shiftMean / Math.Sqrt(variance));
                if (probability < bestProbability) { bestProbability = probability; best = i; }
            }
            Swap(s, l, k, best);
            double v = s[k, k];
            for (int j = 0; j < k; j++) v -= l[k, j] * l[k, j];
            if (v <= SingularVariance) { l[k, k] = 0; mean[k] = 0; continue; }
            double root = Math.Sqrt(v);
            l[k, k] = root;
            for (int i = k + 1; i < d; i++)
            {
                double c = s[i, k];
                for (int j = 0; j < k; j++) c -= l[i, j] * l[k, j];
                l[i, k] = c / root;
            }
            double m = 0;
            for (int j = 0; j < k; j++) m += l[k, j] * mean[j];
            double b = -m / root;
            // Mean of a standard normal truncated to (−∞, b].
            double cdf = StandardNormal.Cdf(b);
            mean[k] = cdf > 1e-300 ? -StandardNormal.Density(b) / cdf : b;
        }
        return l;

        static void Swap(double[,] s, double[,] l, int a, int b)
        {
            if (a == b) return;
            int n = s.GetLength(0);
            for (int i = 0; i < n; i++) (s[a, i], s[b, i]) = (s[b, i], s[a, i]);
            for (int i = 0; i < n; i++) (s[i, a], s[i, b]) = (s[i, b], s[i, a]);
            for (int j = 0; j < a; j++) (l[a, j], l[b, j]) = (l[b, j], l[a, j]);
        }
    }
}
