using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Landscape;

/// <summary>Analyses built on a finished sweep: the iso-energy curve and heat-capacity cross-checks.</summary>
public static class LandscapeAnalyses
{
    /// <summary>
    /// Iso-energy curve beside a free sweep: <paramref name="points"/> target distances evenly spaced over the
    /// converged forward branch's distances up to 0.5, at the reference's energy density (Eq. 20). Starts from
    /// (β = 1, x of the forward point nearest the reference), where the free curve's energy already approaches it.
    /// </summary>
    public static IReadOnlyList<IsoEnergyPoint> IsoEnergyCurve(IsingModel model, sbyte[] reference, LandscapeSweep sweep, int points,
        IsoEnergySettings settings, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        var converged = sweep.Forward.Where(p => p.Converged && p.Distance <= 0.5).ToArray();
        if (converged.Length < 2 || points < 1) return [];
        double dMin = converged.Min(p => p.Distance), dMax = converged.Max(p => p.Distance);
        var targets = points == 1 ? [dMin] : Enumerable.Range(0, points).Select(k => dMin + (dMax - dMin) * k / (points - 1)).ToArray();
        double startX = converged.OrderBy(p => p.Distance).First().X;
        return IsoEnergy.Solve(model, reference, sweep.ReferenceEnergy, targets, startX, settings, progress, ct);
    }

    /// <summary>
    /// Heat-capacity entropies (App. H) of the tilted model at <paramref name="points"/> evenly spaced x values of the
    /// sweep's grid plus every x where BP failed in either direction; d from a Monte-Carlo run at β = 1; BP's forward entropy
    /// beside it. Each x uses its own seed derived from <paramref name="monteCarlo"/>.Seed.
    /// </summary>
    public static IReadOnlyList<HeatCapacityCheck> HeatCapacityChecks(IsingModel model, sbyte[] reference, LandscapeSweep sweep, int points,
        int nodes, MonteCarloOptions monteCarlo, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        var grid = sweep.Settings.Grid();
        var xs = new SortedSet<double>(sweep.FailedPoints.Select(p => p.X));
        for (int k = 0; k < points; k++) xs.Add(grid[points == 1 ? 0 : (int)Math.Round((double)k * (grid.Length - 1) / (points - 1))]);
        var checks = new List<HeatCapacityCheck>();
        int n = model.Size, index = 0;
        foreach (double x in xs)
        {
            ct.ThrowIfCancellationRequested();
            var fields = new double[n];
            for (int i = 0; i < n; i++) fields[i] = model.Fields[i] + x * reference[i];
            var tilted = model.WithFields(fields);
            ulong seed = SplitMix64.Element(monteCarlo.Seed, (ulong)index++);
            var options = monteCarlo with { Seed = seed };
            var result = HeatCapacity.Entropy(tilted, new MonteCarloEnergyVariance(options), nodes, null, ct);
            var run = MonteCarlo.Sample(tilted, options, null, null, ct);
            double q = 0;
            for (int i = 0; i < n; i++) q += reference[i] * run.Moments.Magnetisations[i];
            q /= n;
            var bp = sweep.Forward.MinBy(p => Math.Abs(p.X - x))!;
            checks.Add(new HeatCapacityCheck(x, 0.5 * (1 - q), result.EntropyDensity, result.StandardError / n, bp.Entropy, bp.Converged, seed));
            progress?.Report(new ProgressReport($"heat capacity {sweep.Name}", checks.Count, xs.Count, "x values", $"x={x:F3} s={result.EntropyDensity:F4}"));
        }
        return checks;
    }
}
