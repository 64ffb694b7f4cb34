using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inference;

/// <summary>Single-spin update rule of the Markov chain.</summary>
public enum MetropolisRule
{
    /// <summary>Flip with probability min(1, e^{−ΔE}).</summary>
    Metropolis,
    /// <summary>Heat bath (Glauber/Gibbs): set s_i = +1 with probability 1/(1 + e^{−2 L_i}), L_i = h_i + Σ_j J_ij s_j.</summary>
    HeatBath,
}

/// <summary>Monte-Carlo settings.</summary>
/// <param name="Chains">Independent chains, run in parallel.</param>
/// <param name="BurnInSweeps">Sweeps discarded at the start of every chain.</param>
/// <param name="Samples">Samples kept per chain.</param>
/// <param name="ThinSweeps">Sweeps between kept samples.</param>
/// <param name="Rule">Metropolis or heat bath.</param>
/// <param name="Seed">Seed of every random draw; chain c uses stream c of it.</param>
/// <param name="MirrorMoves">After every sweep, propose the mirror state s → −s (see <see cref="MonteCarlo"/>): lets the
/// chains cross between the two states of a collective (Mattis-like) mode that single-spin updates cannot.</param>
public sealed record MonteCarloOptions(int Chains = 16, int BurnInSweeps = 1000, int Samples = 1000,
    int ThinSweeps = 1, MetropolisRule Rule = MetropolisRule.Metropolis, ulong Seed = 1, bool MirrorMoves = false)
{
    /// <summary>Checks the settings; a bad value gives a one-line <see cref="InputException"/>.</summary>
    public void Validate()
    {
        if (Chains < 1) throw new InputException($"chains: {Chains} must be at least 1");
        if (BurnInSweeps < 0) throw new InputException($"burn-in: {BurnInSweeps} must not be negative");
        if (Samples < 1) throw new InputException($"samples: {Samples} must be at least 1");
        if (ThinSweeps < 1) throw new InputException($"thin: {ThinSweeps} must be at least 1");
        if ((long)Chains * Samples > int.MaxValue) throw new InputException($"chains × samples = {(long)Chains * Samples} is too many");
    }
}

/// <summary>Samples and estimates of a Monte-Carlo run.</summary>
/// <param name="Samples">(Chains·Samples)×N spins, chain by chain, sample by sample.</param>
/// <param name="SampleCount">Chains·Samples.</param>
/// <param name="Energies">E of every sample, same order.</param>
/// <param name="AcceptanceRate">Fraction of single-spin updates that flipped the spin.</param>
/// <param name="Moments">Sample moments.</param>
/// <param name="MeanEnergy">Sample mean of E.</param>
/// <param name="EnergyVariance">Sample variance of E.</param>
/// <param name="EnergyStandardError">√(Var E · 2τ_int / count), τ_int the integrated autocorrelation time.</param>
public sealed record MonteCarloRun(sbyte[] Samples, int SampleCount, double[] Energies,
    double AcceptanceRate, Moments Moments, double MeanEnergy, double EnergyVariance, double EnergyStandardError)
{
    /// <summary>Number of chains; samples of chain c are rows [c·SamplesPerChain, (c+1)·SamplesPerChain).</summary>
    public int Chains { get; init; }

    /// <summary>Samples kept per chain.</summary>
    public int SamplesPerChain => SampleCount / Math.Max(1, Chains);

    /// <summary>Integrated autocorrelation time of the energy, in kept samples.</summary>
    public double EnergyAutocorrelationTime { get; init; }

    /// <summary>The options (with the seed) that produced the run.</summary>
    public MonteCarloOptions Options { get; init; } = new();

    /// <summary>Fraction of mirror moves s → −s accepted (NaN when none was proposed).</summary>
    public double MirrorAcceptance { get; init; } = double.NaN;

    /// <summary>Autocorrelation-safe standard errors of every moment, from the spread of the chain means (needs ≥ 2 chains).</summary>
    public (double[] Magnetisations, double[] SecondMoments) StandardErrors() =>
        SampleStatistics.BlockStandardErrors(Samples, SampleCount, Moments.Size, Chains);
}

/// <summary>
/// Markov-chain Monte Carlo for the Ising model: single-spin Metropolis or heat-bath updates in sequential
/// sweeps, many independent seeded chains in parallel, burn-in and thinning.
/// </summary>
/// <remarks>
/// Each chain keeps its local fields L_i = h_i + Σ_j J_ij s_j and updates them in O(N) after a flip, so a sweep
/// costs O(N · flips). Every single-spin update satisfies detailed balance for P ∝ e^{−E}, so the sequential
/// sweep leaves P invariant. Chain c draws from stream c of the seed, so results do not depend on threading.
/// A mirror move proposes s → −s, which leaves the pair energy unchanged and changes E by ΔE = 2 Σ_i h_i s_i; it is
/// accepted with probability min(1, e^{−ΔE}) (Metropolis with a symmetric, involutive proposal, so detailed balance
/// holds) and flips every local field, L_i → 2h_i − L_i. Single-spin dynamics cross between the two states ±ξ of a
/// collective mode only by going through its free-energy barrier (exponentially rare in N); the mirror move maps one
/// state's basin onto the other's in one step, so the chains weigh the two states by their equilibrium odds.
/// </remarks>
public static class MonteCarlo
{
    /// <summary>Runs the chains and collects samples, energies and moments.</summary>
    public static MonteCarloRun Sample(IsingModel model, MonteCarloOptions options,
        sbyte[]? initial = null, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (initial != null) model.CheckSpins(initial, "initial configuration");
        int n = model.Size, chains = options.Chains, perChain = options.Samples;
        long total = (long)chains * perChain;
        if (total * n > Array.MaxLength)
            throw new InputException($"chains × samples × spins = {total} × {n} is more than one array of samples holds ({Array.MaxLength}); take fewer chains or samples");
        var samples = new sbyte[total * n];
        var energies = new double[total];
        var flips = new long[chains];
        var mirrorAccepted = new long[chains];
        long sweepsPerChain = options.BurnInSweeps + (long)perChain * options.ThinSweeps;
        long sweepsDone = 0, lastReported = 0;
        long reportEvery = Math.Max(1, chains * sweepsPerChain / 200);
        var progressLock = new object();

        Parallel.For(0, chains, new ParallelOptions { CancellationToken = ct }, c =>
        {
            var rng = new RandomSource(options.Seed, (ulong)c);
            var spins = new sbyte[n];
            if (initial != null) initial.CopyTo(spins, 0);
            else for (int i = 0; i < n; i++) spins[i] = (rng.NextUInt64() & 1) == 0 ? (sbyte)1 : (sbyte)-1;
            var local = new double[n];
            Recompute(model, spins, local);
            long chainFlips = 0;
            int kept = 0;
            for (long sweep = 1; sweep <= sweepsPerChain; sweep++)
            {
                chainFlips += Sweep(model, spins, local, options.Rule, ref rng);
                if (options.MirrorMoves && MirrorMove(model.Fields, spins, local, ref rng)) mirrorAccepted[c]++;
                if (sweep % 256 == 0) Recompute(model, spins, local);   // re-anchor the incremental fields
                long afterBurnIn = sweep - options.BurnInSweeps;
                if (afterBurnIn > 0 && afterBurnIn % options.ThinSweeps == 0)
                {
                    long row = (long)c * perChain + kept++;
                    spins.AsSpan().CopyTo(samples.AsSpan((int)(row * n), n));
                    energies[row] = EnergyFromFields(model.Fields, spins, local);
                }
                if (progress != null && (sweep & 63) == 0)
                {
                    long done = Interlocked.Add(ref sweepsDone, 64);
                    if (done - Interlocked.Read(ref lastReported) >= reportEvery)
                        lock (progressLock)
                        {
                            if (done - lastReported >= reportEvery)
                            {
                                lastReported = done;
                                progress.Report(new ProgressReport("sample", done, chains * sweepsPerChain, "sweeps"));
                            }
                        }
                }
                if ((sweep & 255) == 0) ct.ThrowIfCancellationRequested();
            }
            flips[c] = chainFlips;
        });
        progress?.Report(new ProgressReport("sample", chains * sweepsPerChain, chains * sweepsPerChain, "sweeps"));

        double meanE = energies.Average();
        double varE = total > 1 ? energies.Sum(e => (e - meanE) * (e - meanE)) / (total - 1) : 0;
        double tau = SampleStatistics.IntegratedAutocorrelationTime(energies, chains);
        double seE = Math.Sqrt(varE * 2 * tau / total);
        var moments = SampleStatistics.Moments(samples, (int)total, n);
        double acceptance = flips.Sum() / ((double)chains * sweepsPerChain * n);
        return new MonteCarloRun(samples, (int)total, energies, acceptance, moments, meanE, varE, seE)
        {
            Chains = chains,
            EnergyAutocorrelationTime = tau,
            Options = options,
            MirrorAcceptance = options.MirrorMoves ? mirrorAccepted.Sum() / ((double)chains * sweepsPerChain) : double.NaN,
        };
    }

    /// <summary>
    /// The mirror move s → −s with Metropolis acceptance min(1, e^{−2 Σ h_i s_i}); on acceptance flips the spins and maps
    /// the local fields L_i = h_i + Σ_j J_ij s_j to 2h_i − L_i. Returns whether it was accepted.
    /// </summary>
    internal static bool MirrorMove(ReadOnlySpan<double> h, Span<sbyte> spins, Span<double> local, ref RandomSource rng)
    {
        double deltaE = 0;
        for (int i = 0; i < spins.Length; i++) deltaE += h[i] * spins[i];
        deltaE *= 2;
        if (deltaE > 0 && rng.NextDouble() >= Math.Exp(-deltaE)) return false;
        for (int i = 0; i < spins.Length; i++)
        {
            spins[i] = (sbyte)-spins[i];
            local[i] = 2 * h[i] - local[i];
        }
        return true;
    }

    // One sequential sweep over all spins; returns the number of flips.
    private static int Sweep(IsingModel model, sbyte[] spins, double[] local, MetropolisRule rule, ref RandomSource rng)
    {
        if (rule == MetropolisRule.HeatBath) return HeatBathSweep(model.Couplings, spins, local, ref rng);
        int n = spins.Length, flips = 0;
        double[] J = model.Couplings;
        for (int i = 0; i < n; i++)
        {
            int s = spins[i];
            double deltaE = 2 * s * local[i];   // E(s_i → −s_i) − E(s)
            if (!(deltaE <= 0 || rng.NextDouble() < Math.Exp(-deltaE))) continue;
            spins[i] = (sbyte)-s;
            flips++;
            double delta = -2.0 * s;   // s_new − s_old
            VectorMath.AddScaled(local.AsSpan(), J.AsSpan(i * n, n), delta);
        }
        return flips;
    }

    /// <summary>
    /// One sequential heat-bath (Glauber) sweep: s_i = +1 with probability 1/(1 + e^{−2 L_i}), the local fields
    /// L = h + J s updated in O(N) after a flip. Returns the number of flips.
    /// </summary>
    internal static int HeatBathSweep(ReadOnlySpan<double> couplings, Span<sbyte> spins, Span<double> local, ref RandomSource rng)
    {
        int n = spins.Length, flips = 0;
        for (int i = 0; i < n; i++)
        {
            int drawn = rng.NextDouble() * (1 + Math.Exp(-2 * local[i])) < 1 ? 1 : -1;
            if (drawn == spins[i]) continue;
            spins[i] = (sbyte)drawn;
            flips++;
            VectorMath.AddScaled(local, couplings.Slice(i * n, n), 2.0 * drawn);   // s_new − s_old = 2 s_new
        }
        return flips;
    }

    private static void Recompute(IsingModel model, sbyte[] spins, double[] local)
    {
        int n = spins.Length;
        var s = new double[n];
        for (int i = 0; i < n; i++) s[i] = spins[i];
        for (int i = 0; i < n; i++) local[i] = model.Fields[i] + VectorMath.Dot(model.Couplings.AsSpan(i * n, n), s);
    }

    // E = −Σ_i s_i (h_i + ½ Σ_j J_ij s_j) = −½ Σ_i s_i (L_i + h_i).
    private static double EnergyFromFields(double[] h, sbyte[] spins, double[] local)
    {
        double e = 0;
        for (int i = 0; i < spins.Length; i++) e -= spins[i] * (local[i] + h[i]);
        return 0.5 * e;
    }
}

/// <summary>Moments by Monte Carlo; every call runs fresh chains with the given options (same seed ⇒ same answer).</summary>
public sealed class MonteCarloMomentEstimator(MonteCarloOptions o) : IMomentEstimator
{
    /// <summary>Settings of every run.</summary>
    public MonteCarloOptions Options { get; } = o;

    /// <summary>The last run, or null before the first call.</summary>
    public MonteCarloRun? LastRun { get; private set; }

    /// <inheritdoc />
    public Moments Estimate(IsingModel model, CancellationToken ct = default)
    {
        LastRun = MonteCarlo.Sample(model, Options, null, null, ct);
        return LastRun.Moments;
    }
}
