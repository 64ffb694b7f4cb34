using System.Globalization;
using System.Runtime.Intrinsics;

namespace FunctionSpace.Ising.Models;

/// <summary>
/// A pairwise Ising model P(s) ∝ exp(−E(s)), E(s) = −Σ_{i&lt;j} J_ij s_i s_j − Σ_i h_i s_i, at inverse
/// temperature 1 (the maximum-entropy model of Zou &amp; Huang, PRR 3, 033290, Eq. 1). Immutable: the
/// constructor validates but does not copy, so callers must not mutate the arrays they pass or read.
/// </summary>
public sealed class IsingModel
{
    /// <summary>
    /// Creates a model from fields h (length N) and couplings J (N×N row-major). Rejects non-finite values,
    /// a size mismatch, an asymmetric J (|J_ij − J_ji| &gt; 1e-10·max(1,|J_ij|)) and a non-zero diagonal
    /// with a one-line <see cref="InputException"/>.
    /// </summary>
    public IsingModel(double[] fields, double[] couplings)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(couplings);
        int n = fields.Length;
        if (n == 0) throw new InputException("fields: the model has no spins");
        if (couplings.Length != (long)n * n)
            throw new InputException($"couplings: {couplings.Length} values do not form a {n}x{n} matrix for {n} fields");
        for (int i = 0; i < n; i++)
            if (!double.IsFinite(fields[i])) throw new InputException($"fields: h[{i}] = {Format(fields[i])} (not finite)");
        // Fast checks first (a learning loop builds a model per step: N² = 455,625 couplings at N = 675); on a failure
        // the element-wise loops below find the first offending entry for the message.
        if (AllFinite(couplings) && SymmetricWithZeroDiagonal(couplings, n)) { Fields = fields; Couplings = couplings; return; }
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double v = couplings[i * n + j];
                if (!double.IsFinite(v)) throw new InputException($"couplings: J[{i},{j}] = {Format(v)} (not finite)");
            }
        }
        for (int i = 0; i < n; i++)
        {
            if (couplings[i * n + i] != 0)
                throw new InputException($"couplings: J[{i},{i}] = {Format(couplings[i * n + i])} (diagonal must be zero)");
            for (int j = i + 1; j < n; j++)
            {
                double a = couplings[i * n + j], b = couplings[j * n + i];
                if (Asymmetric(a, b))
                    throw new InputException($"couplings: J[{i},{j}] = {Format(a)} but J[{j},{i}] = {Format(b)} (not symmetric)");
            }
        }
        Fields = fields;
        Couplings = couplings;
    }

    // The symmetry rule of the constructor (one place for the fast check and the message): |J_ij − J_ji| > 1e-10·max(1, |J_ij|).
    private static bool Asymmetric(double a, double b) => Math.Abs(a - b) > 1e-10 * Math.Max(1, Math.Abs(a));

    // x − x is 0 for every finite x and NaN for ±∞ and NaN.
    private static bool AllFinite(ReadOnlySpan<double> values)
    {
        int k = 0;
        var bad = Vector512<double>.Zero;
        for (; k <= values.Length - Vector512<double>.Count; k += Vector512<double>.Count)
        {
            var v = Vector512.Create(values.Slice(k, Vector512<double>.Count));
            bad |= ~Vector512.Equals(v - v, Vector512<double>.Zero);
        }
        if (bad != Vector512<double>.Zero) return false;
        for (; k < values.Length; k++) if (!double.IsFinite(values[k])) return false;
        return true;
    }

    // The diagonal and symmetry rules of the constructor, tile by tile (32 × 32): the transposed reads of a tile stay
    // in cache, where a row-by-column scan misses it on every read.
    private static bool SymmetricWithZeroDiagonal(double[] couplings, int n)
    {
        const int Tile = 32;
        for (int i = 0; i < n; i++) if (couplings[i * n + i] != 0) return false;
        for (int i0 = 0; i0 < n; i0 += Tile)
        {
            int i1 = Math.Min(i0 + Tile, n);
            for (int j0 = i0; j0 < n; j0 += Tile)
            {
                int j1 = Math.Min(j0 + Tile, n);
                for (int i = i0; i < i1; i++)
                    for (int j = Math.Max(j0, i + 1); j < j1; j++)
                    {
                        if (Asymmetric(couplings[i * n + j], couplings[j * n + i])) return false;
                    }
            }
        }
        return true;
    }

    // Trusted construction for derived models whose couplings were already validated.
    private IsingModel(double[] fields, double[] couplings, bool validated)
    {
        System.Diagnostics.Debug.Assert(validated);
        Fields = fields;
        Couplings = couplings;
    }

    /// <summary>Number of spins N.</summary>
    public int Size => Fields.Length;

    /// <summary>Fields h, length N (do not mutate).</summary>
    public double[] Fields { get; }

    /// <summary>Couplings J, N×N row-major, symmetric with zero diagonal (do not mutate).</summary>
    public double[] Couplings { get; }

    /// <summary>J_ij.</summary>
    public double Coupling(int i, int j) => Couplings[i * Size + j];

    /// <summary>E(s) = −Σ_{i&lt;j} J_ij s_i s_j − Σ_i h_i s_i for spins ±1.</summary>
    public double Energy(ReadOnlySpan<sbyte> spins)
    {
        CheckSpins(spins, "spins");
        int n = Size;
        double energy = 0;
        for (int i = 0; i < n; i++)
        {
            // Σ_{j>i} J_ij s_j, then times s_i: each pair counted once.
            double local = 0;
            var row = Couplings.AsSpan(i * n, n);
            for (int j = i + 1; j < n; j++) local += row[j] * spins[j];
            energy -= spins[i] * (local + Fields[i]);
        }
        return energy;
    }

    /// <summary>Checks a configuration: length N and every entry ±1; else a one-line <see cref="InputException"/>.</summary>
    public void CheckSpins(ReadOnlySpan<sbyte> spins, string what)
    {
        if (spins.Length != Size) throw new InputException($"{what}: {spins.Length} spins, the model has {Size}");
        for (int i = 0; i < spins.Length; i++)
            if (spins[i] != 1 && spins[i] != -1) throw new InputException($"{what}: s[{i}] = {spins[i]} (spins must be +1 or -1)");
    }

    /// <summary>The same couplings with new fields (e.g. tilted fields h + xσ* for entropy landscapes).</summary>
    public IsingModel WithFields(double[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Length != Size) throw new InputException($"fields: {fields.Length} values, the model has {Size} spins");
        for (int i = 0; i < fields.Length; i++)
            if (!double.IsFinite(fields[i])) throw new InputException($"fields: h[{i}] = {Format(fields[i])} (not finite)");
        return new IsingModel(fields, Couplings, validated: true);
    }

    /// <summary>The model at inverse temperature β: couplings βJ and fields βh.</summary>
    public IsingModel Scaled(double beta)
    {
        if (!double.IsFinite(beta)) throw new InputException($"beta: {Format(beta)} (not finite)");
        return new IsingModel(Fields.Select(h => beta * h).ToArray(), Couplings.Select(j => beta * j).ToArray(), validated: true);
    }

    /// <summary>The sub-model on spins [start, start+length): its couplings and fields, others dropped.</summary>
    public IsingModel Slice(int start, int length)
    {
        if (start < 0 || length <= 0 || start + length > Size)
            throw new InputException($"slice: [{start}, {start + length}) is outside the model's {Size} spins");
        var h = Fields.AsSpan(start, length).ToArray();
        var j = new double[length * length];
        for (int a = 0; a < length; a++)
            Couplings.AsSpan((start + a) * Size + start, length).CopyTo(j.AsSpan(a * length, length));
        return new IsingModel(h, j);
    }

    private static string Format(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
