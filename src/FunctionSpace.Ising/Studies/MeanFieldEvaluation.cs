using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Randomness;
using TorchSharp;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Studies;

/// <summary>Test and training figures of one trained mean-field network.</summary>
/// <param name="MeanFieldTestAccuracy">Accuracy of the mean-field prediction (weights μ = tanh(θ/2), no noise).</param>
/// <param name="MeanFieldTrainAccuracy">The same on the training (selection) set.</param>
/// <param name="SampledTestAccuracy">Mean test accuracy of the binary configurations sampled from P(w|θ).</param>
/// <param name="SampledTrainAccuracy">Mean training-set accuracy of the sampled configurations.</param>
/// <param name="BestSampledTestAccuracy">Test accuracy of the sample with the best training-set accuracy.</param>
/// <param name="BestSampledTrainAccuracy">That sample's training-set accuracy.</param>
public sealed record BinaryNetworkScores(double MeanFieldTestAccuracy, double MeanFieldTrainAccuracy, double SampledTestAccuracy,
    double SampledTrainAccuracy, double BestSampledTestAccuracy, double BestSampledTrainAccuracy);

/// <summary>
/// Evaluation of trained θ: the mean-field prediction, and binary configurations w ~ P(w|θ) =
/// Π σ(w_i θ_i) (P(w_i = +1) = σ(θ_i)) evaluated deterministically with <see cref="BinaryEvaluator"/>.
/// </summary>
public static class MeanFieldEvaluation
{
    /// <summary>
    /// Accuracy of the deterministic mean-field network of each of K trained θ: weights μ = 2σ(θ) − 1 =
    /// tanh(θ/2) (the mean of w under P(w|θ)), z = μ·a, hidden LReLU(z)/sqrt(n_in), prediction argmax.
    /// </summary>
    public static float[] MeanFieldAccuracy(Architecture architecture, float[] theta, int networks, float[] inputs, byte[] labels)
    {
        using var scope = NewDisposeScope();
        var mu = DenseNetwork.Layers(architecture, theta, networks).Select(t => t.Over(2).tanh_()).ToArray();
        var x = tensor(inputs, [labels.Length, architecture.Widths[0]]);
        var output = DenseNetwork.Forward(architecture, mu, x);
        var classes = tensor(labels.Select(l => (long)l).ToArray());
        return DenseNetwork.ErrorRates(output, classes, null).Select(e => 1 - e).ToArray();
    }

    /// <summary>
    /// Most networks of one study point: every network's θ is held at once (networks × weights floats), and the studies'
    /// full protocols train at most a few hundred.
    /// </summary>
    public const int MaxNetworks = 100_000;

    /// <summary>Refuses a sample count whose configurations (networks × samples × weights spins) do not fit in one array.</summary>
    public static void RequireSampleArray(long networks, long samplesPerNetwork, long weightCount)
    {
        if (networks * samplesPerNetwork * weightCount > Array.MaxLength)
            throw new InputException($"--samples: {networks} networks × {samplesPerNetwork} samples × {weightCount} weights are more spins than one array holds ({Array.MaxLength}); take fewer samples");
    }

    /// <summary>
    /// <paramref name="samplesPerNetwork"/> configurations from P(w|θ) for each of K networks: (K·S) ×
    /// WeightCount ±1, network-major; seeded by <paramref name="seed"/>.
    /// </summary>
    public static sbyte[] Sample(float[] theta, int networks, int weightCount, int samplesPerNetwork, ulong seed)
    {
        if (theta.Length != (long)networks * weightCount) throw new ArgumentException($"{theta.Length} θ are not {networks} × {weightCount}");
        RequireSampleArray(networks, samplesPerNetwork, weightCount);
        var spins = new sbyte[(long)networks * samplesPerNetwork * weightCount];
        var seeds = new SeedTree(seed);
        for (int net = 0; net < networks; net++)
        {
            // Each network's samples from its own stream: they do not depend on how many networks come before it.
            var random = seeds.Child(net).Generator();
            for (int s = 0; s < samplesPerNetwork; s++)
            {
                long row = ((long)net * samplesPerNetwork + s) * weightCount;
                for (int i = 0; i < weightCount; i++)
                {
                    double pPlus = 1.0 / (1.0 + Math.Exp(-theta[(long)net * weightCount + i]));
                    spins[row + i] = random.NextDouble() < pPlus ? (sbyte)1 : (sbyte)-1;
                }
            }
        }
        return spins;
    }

    /// <summary>
    /// Scores each of K networks: the mean-field prediction and <paramref name="samplesPerNetwork"/> sampled
    /// binary configurations on the training (selection) set and on the test set. The "best" sample is
    /// chosen by training accuracy, never by test accuracy, so its test accuracy is an honest estimate.
    /// </summary>
    public static BinaryNetworkScores[] Score(Architecture architecture, float[] theta, int networks,
        float[] trainInputs, byte[] trainLabels, float[] testInputs, byte[] testLabels, int samplesPerNetwork, ulong seed)
    {
        var mfTest = MeanFieldAccuracy(architecture, theta, networks, testInputs, testLabels);
        var mfTrain = MeanFieldAccuracy(architecture, theta, networks, trainInputs, trainLabels);
        var samples = Sample(theta, networks, architecture.WeightCount, samplesPerNetwork, seed);
        int total = networks * samplesPerNetwork;
        var train = BinaryNetwork.Accuracy(architecture, samples, total, StudyData.ToDoubles(trainInputs), trainLabels);
        var test = BinaryNetwork.Accuracy(architecture, samples, total, StudyData.ToDoubles(testInputs), testLabels);
        var result = new BinaryNetworkScores[networks];
        for (int net = 0; net < networks; net++)
        {
            int first = net * samplesPerNetwork, best = first;
            for (int s = first; s < first + samplesPerNetwork; s++) if (train[s] > train[best]) best = s;
            result[net] = new BinaryNetworkScores(mfTest[net], mfTrain[net],
                Enumerable.Range(first, samplesPerNetwork).Average(s => (double)test[s]),
                Enumerable.Range(first, samplesPerNetwork).Average(s => (double)train[s]),
                test[best], train[best]);
        }
        return result;
    }
}
