using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Landscape;

/// <summary>Settings of the Monte-Carlo dynamics from references.</summary>
/// <param name="Sweeps">Monte-Carlo sweeps per trajectory.</param>
/// <param name="RecordEvery">Record energy and accuracy every this many sweeps.</param>
/// <param name="Seed">Seed; reference r uses a generator derived from it and r.</param>
/// <param name="Rule">Acceptance rule (the study: Metropolis).</param>
public sealed record DynamicsSettings(int Sweeps = 200, int RecordEvery = 2, ulong Seed = 1, MetropolisRule Rule = MetropolisRule.Metropolis)
{
    /// <summary>Throws InputException for unusable values.</summary>
    public void Validate()
    {
        if (Sweeps < 1) throw new InputException($"--sweeps: need at least 1, got {Sweeps}");
        if (RecordEvery < 1 || RecordEvery > Sweeps) throw new InputException($"--record-every: need 1..{Sweeps}, got {RecordEvery}");
    }
}

/// <summary>One trajectory: model energy density and test accuracy after each recorded sweep (time 0 = the reference).</summary>
/// <param name="Reference">The reference's label.</param>
/// <param name="Sweeps">Sweep count of each record.</param>
/// <param name="Energy">E(s)/N of the model along the trajectory.</param>
/// <param name="Accuracy">Test accuracy of the network with these weights.</param>
/// <param name="AcceptanceRate">Metropolis acceptance rate.</param>
public sealed record DynamicsTrajectory(string Reference, int[] Sweeps, double[] Energy, double[] Accuracy, double AcceptanceRate)
{
    /// <summary>The reference's <see cref="ReferenceConfiguration.Source"/>.</summary>
    public string ReferenceSource { get; init; } = "";

    /// <summary>The reference's <see cref="ReferenceConfiguration.Index"/> (−1 when unknown).</summary>
    public long ReferenceIndex { get; init; } = -1;
}

/// <summary>All trajectories and their mean ± standard deviation per record.</summary>
/// <param name="Trajectories">One per reference.</param>
/// <param name="Sweeps">Common time axis.</param>
/// <param name="EnergyMean">Mean energy density over references.</param>
/// <param name="EnergyStd">Standard deviation over references.</param>
/// <param name="AccuracyMean">Mean test accuracy.</param>
/// <param name="AccuracyStd">Standard deviation of the test accuracy.</param>
/// <param name="Seed">The seed used.</param>
public sealed record DynamicsResult(IReadOnlyList<DynamicsTrajectory> Trajectories, int[] Sweeps, double[] EnergyMean, double[] EnergyStd,
    double[] AccuracyMean, double[] AccuracyStd, ulong Seed);

/// <summary>
/// Monte-Carlo dynamics on the fitted model started at reference configurations (Zou &amp; Huang Fig. 9): how fast
/// energy and test accuracy degrade as the weights wander through the model's typical set. For a part-only model the
/// weights outside the part stay at the reference's values.
/// </summary>
public static class Dynamics
{
    /// <summary>Part of the run's cache key: changed whenever the same inputs and settings would give other outputs.</summary>
    public const string AlgorithmVersion = "dynamics-v2";

    /// <summary>Runs one trajectory per reference.</summary>
    /// <param name="model">The model of <paramref name="part"/>.</param>
    /// <param name="part">The spin range the model covers.</param>
    /// <param name="architecture">The network the spins are weights of.</param>
    /// <param name="references">Full-length reference configurations.</param>
    /// <param name="testInputs">Test inputs, n × input width, row-major.</param>
    /// <param name="testLabels">Test labels.</param>
    /// <param name="settings">Sweeps, recording interval, seed.</param>
    /// <param name="progress">Progress per reference.</param>
    /// <param name="ct">Cancellation.</param>
    public static DynamicsResult Run(IsingModel model, SpinSlice part, Architecture architecture, IReadOnlyList<ReferenceConfiguration> references,
        double[] testInputs, byte[] testLabels, DynamicsSettings settings, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        settings.Validate();
        if (references.Count == 0) throw new InputException("--references: no reference configurations");
        if (model.Size != part.Length) throw new InputException($"--part: the model has {model.Size} spins, part {part.Name} has {part.Length}");
        int total = architecture.WeightCount;
        int records = settings.Sweeps / settings.RecordEvery;
        var sweeps = Enumerable.Range(0, records + 1).Select(k => k * settings.RecordEvery).ToArray();
        var trajectories = new List<DynamicsTrajectory>();
        for (int r = 0; r < references.Count; r++)
        {
            ct.ThrowIfCancellationRequested();
            var reference = references[r];
            if (reference.Spins.Length != total)
                throw new InputException($"{reference.Label}: {reference.Spins.Length} spins, the {architecture} network has {total}");
            sbyte[] start = reference.Slice(part.Start, part.Length);
            var options = new MonteCarloOptions(Chains: 1, BurnInSweeps: 0, Samples: records, ThinSweeps: settings.RecordEvery,
                Rule: settings.Rule, Seed: SplitMix64.Element(settings.Seed, (ulong)r));
            var run = MonteCarlo.Sample(model, options, start, null, ct);
            // Full weight vectors: the reference everywhere, the sampled part inside the part's range.
            var weights = new sbyte[(records + 1) * total];
            var energy = new double[records + 1];
            for (int k = 0; k <= records; k++)
            {
                reference.Spins.CopyTo(weights, k * total);
                ReadOnlySpan<sbyte> partSpins = k == 0 ? start : run.Samples.AsSpan((k - 1) * part.Length, part.Length);
                partSpins.CopyTo(weights.AsSpan(k * total + part.Start, part.Length));
                energy[k] = model.Energy(partSpins) / part.Length;
            }
            float[] accuracy = BinaryNetwork.Accuracy(architecture, weights, records + 1, testInputs, testLabels);
            trajectories.Add(new DynamicsTrajectory(reference.Label, sweeps, energy, accuracy.Select(a => (double)a).ToArray(), run.AcceptanceRate)
                { ReferenceSource = reference.Source, ReferenceIndex = reference.Index });
            progress?.Report(new ProgressReport("dynamics", r + 1, references.Count, "references"));
        }
        var (eMean, eStd) = MeanStd(trajectories.Select(t => t.Energy).ToArray());
        var (aMean, aStd) = MeanStd(trajectories.Select(t => t.Accuracy).ToArray());
        return new DynamicsResult(trajectories, sweeps, eMean, eStd, aMean, aStd, settings.Seed);
    }

    internal static (double[] Mean, double[] Std) MeanStd(double[][] series)
    {
        int length = series[0].Length, count = series.Length;
        var mean = new double[length];
        var std = new double[length];
        for (int t = 0; t < length; t++)
        {
            double m = 0; foreach (var s in series) m += s[t]; m /= count;
            double v = 0; foreach (var s in series) v += (s[t] - m) * (s[t] - m);
            mean[t] = m;
            std[t] = count > 1 ? Math.Sqrt(v / (count - 1)) : 0;
        }
        return (mean, std);
    }
}
