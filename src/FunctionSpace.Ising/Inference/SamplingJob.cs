using System.Text.Json;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Inference;

/// <summary>A Monte-Carlo sampling run of one model, with where the model came from (for the summary).</summary>
/// <param name="Model">The sampled model.</param>
/// <param name="Source">Where it was read from.</param>
/// <param name="Options">The sampling settings.</param>
/// <param name="Run">The samples, energies and moments.</param>
public sealed record SamplingResult(IsingModel Model, string Source, MonteCarloOptions Options, MonteCarloRun Run)
{
    /// <summary>Mean |m_i| over the spins.</summary>
    public double MeanAbsMagnetisation => Run.Moments.Magnetisations.Average(Math.Abs);

    /// <summary>The largest standard error of an m_i, from the spread of the chain means (NaN with one chain).</summary>
    public double MaxMagnetisationStandardError => Run.Chains >= 2 ? Run.StandardErrors().Magnetisations.Max() : double.NaN;
}

/// <summary>
/// <c>fsi sample</c> as a unit: Monte-Carlo samples of an Ising model (<see cref="MonteCarlo.Sample"/>) →
/// <see cref="SamplingResult"/> → <see cref="Write"/> (int8 samples, energies, moments as .npy, a JSON summary).
/// </summary>
public static class SamplingJob
{
    /// <summary>Samples <paramref name="model"/>.</summary>
    public static SamplingResult Run(IsingModel model, string source, MonteCarloOptions options, IProgress<ProgressReport>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        return new SamplingResult(model, source, options, MonteCarlo.Sample(model, options, null, progress, ct));
    }

    /// <summary>Refuses a samples path that is not an .npy file (before any sampling is spent on it).</summary>
    public static void CheckSamplesPath(string samplesPath)
    {
        if (!samplesPath.EndsWith(".npy", StringComparison.Ordinal))
            throw new InputException($"--out: {samplesPath} must end in .npy");
    }

    /// <summary>The name of an update rule as the CLI and the summary spell it.</summary>
    public static string RuleName(MetropolisRule rule) => rule == MetropolisRule.HeatBath ? "heat-bath" : "metropolis";

    /// <summary>
    /// Writes the samples to <paramref name="samplesPath"/> (int8 .npy, (chains·samples) × N) and beside it STEM.energies.npy,
    /// STEM.m.npy, STEM.C.npy and STEM.json. Returns the stem.
    /// </summary>
    public static string Write(SamplingResult result, string samplesPath)
    {
        ArgumentNullException.ThrowIfNull(result);
        CheckSamplesPath(samplesPath);
        var run = result.Run;
        var options = result.Options;
        string stem = samplesPath[..^4];
        int n = result.Model.Size;
        Npy.Write<sbyte>(samplesPath, run.Samples, run.SampleCount, n);
        Npy.Write<double>(stem + ".energies.npy", run.Energies, run.SampleCount);
        Npy.Write<double>(stem + ".m.npy", run.Moments.Magnetisations, n);
        Npy.Write<double>(stem + ".C.npy", run.Moments.SecondMoments, n, n);
        var summary = new
        {
            model = result.Source,
            spins = n,
            chains = options.Chains,
            samplesPerChain = options.Samples,
            burnInSweeps = options.BurnInSweeps,
            thinSweeps = options.ThinSweeps,
            rule = RuleName(options.Rule),
            seed = options.Seed,
            acceptanceRate = run.AcceptanceRate,
            meanEnergy = run.MeanEnergy,
            energyStandardError = run.EnergyStandardError,
            energyVariance = run.EnergyVariance,
            energyAutocorrelationTime = run.EnergyAutocorrelationTime,
            meanAbsMagnetisation = result.MeanAbsMagnetisation,
            maxMagnetisationStandardError = result.MaxMagnetisationStandardError,
            files = new { samples = samplesPath, energies = stem + ".energies.npy", magnetisations = stem + ".m.npy", secondMoments = stem + ".C.npy" },
        };
        AtomicFile.WriteAllText(stem + ".json", JsonSerializer.Serialize(summary, new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        }) + "\n");
        return stem;
    }
}
