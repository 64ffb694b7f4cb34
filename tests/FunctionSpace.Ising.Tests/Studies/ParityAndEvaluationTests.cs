using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Studies;
using FunctionSpace.Ising.Training;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Tests.Studies;

public class ParityAndEvaluationTests
{
    [Fact]
    public void Parity_labels_are_plus_one_for_odd_digits_and_minus_one_for_even()
    {
        byte[] digits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        Assert.Equal(new sbyte[] { -1, 1, -1, 1, -1, 1, -1, 1, -1, 1 }, ParityTask.Signs(digits));
        Assert.Equal(new byte[] { 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 }, ParityTask.ClassLabels(digits));
    }

    [Fact]
    public void Hinge_loss_is_max_of_zero_and_one_minus_margin()
    {
        Assert.Equal(0.7, ParityTask.Hinge(0.3, 1), 15);
        Assert.Equal(0.0, ParityTask.Hinge(2.0, 1));
        Assert.Equal(0.0, ParityTask.Hinge(1.0, 1));
        Assert.Equal(1.5, ParityTask.Hinge(0.5, -1), 15);
        Assert.Equal(0.0, ParityTask.Hinge(-3.0, -1));
        Assert.Equal(1.0, ParityTask.Hinge(0.0, -1));
        Assert.Equal((0.7 + 0 + 1.5) / 3, ParityTask.MeanHinge([0.3f, 2f, 0.5f], [1, 1, -1]), 6);
        Assert.True(ParityTask.IsError(0.0, 1));
        Assert.True(ParityTask.IsError(-0.1, 1));
        Assert.False(ParityTask.IsError(-0.1, -1));
    }

    [Fact]
    public void Batched_hinge_loss_matches_the_reference()
    {
        float[] outputs = [0.3f, 2f, 0.5f, -1.2f, 0f, 4f];   // two networks × three examples
        byte[] digits = [1, 3, 4];                            // y = +1, +1, −1
        using var scope = NewDisposeScope();
        var loss = RealNetworkTrainer.PerNetworkLoss(tensor(outputs, [2, 3, 1]), StudyTask.Parity, tensor(new long[] { 1, 3, 4 }),
            tensor(ParityTask.Signs(digits).Select(s => (float)s).ToArray())).data<float>().ToArray();
        var signs = ParityTask.Signs(digits);
        Assert.Equal(ParityTask.MeanHinge(outputs.AsSpan(0, 3), signs), loss[0], 6);
        Assert.Equal(ParityTask.MeanHinge(outputs.AsSpan(3, 3), signs), loss[1], 6);
        Assert.Equal((2.2 + 1 + 5) / 3, loss[1], 5);
    }

    [Fact]
    public void Mean_field_prediction_with_saturated_theta_is_the_sign_configuration()
    {
        var arch = Architecture.Parse("5-4-4-10");
        var (x, y) = RealNetworkTrainerTests.RandomSet(50, 5, seed: 2);
        var rng = new SplitMix64(5);
        var spins = new sbyte[arch.WeightCount];
        for (int i = 0; i < spins.Length; i++) spins[i] = rng.NextDouble() < 0.5 ? (sbyte)-1 : (sbyte)1;
        // θ = ±40: μ = tanh(20) = 1 to float precision.
        var theta = spins.Select(s => 40f * s).ToArray();
        var meanField = MeanFieldEvaluation.MeanFieldAccuracy(arch, theta, 1, x, y);
        var binary = BinaryNetwork.Accuracy(arch, spins, 1, x.Select(v => (double)v).ToArray(), y);
        // Same number of correct examples (the two evaluators round k/50 to float differently).
        Assert.Equal(Math.Round(binary[0] * 50), Math.Round(meanField[0] * 50));
        // And sampling from P(w|θ) at |θ| = 40 returns the sign configuration itself.
        Assert.Equal(spins, MeanFieldEvaluation.Sample(theta, 1, arch.WeightCount, 1, seed: 3));
    }

    [Fact]
    public void Sampled_spins_follow_sigmoid_of_theta()
    {
        const int n = 20000;
        var theta = Enumerable.Repeat(0.5f, n).ToArray();
        var spins = MeanFieldEvaluation.Sample(theta, 1, n, 1, seed: 7);
        double p = 1 / (1 + Math.Exp(-0.5));
        double fraction = spins.Count(s => s == 1) / (double)n;
        // Binomial: 4 standard errors.
        Assert.InRange(fraction, p - 4 * Math.Sqrt(p * (1 - p) / n), p + 4 * Math.Sqrt(p * (1 - p) / n));
        Assert.Equal(spins, MeanFieldEvaluation.Sample(theta, 1, n, 1, seed: 7));
    }

    [Fact]
    public void Best_sample_is_chosen_on_the_training_set()
    {
        var arch = Architecture.Parse("5-10");
        var (x, y) = RealNetworkTrainerTests.RandomSet(60, 5, seed: 9);
        var (tx, ty) = RealNetworkTrainerTests.RandomSet(60, 5, seed: 10);
        var theta = new float[arch.WeightCount];   // θ = 0: uniform samples, differing accuracies
        var scores = MeanFieldEvaluation.Score(arch, theta, 1, x, y, tx, ty, samplesPerNetwork: 8, seed: 4);
        var samples = MeanFieldEvaluation.Sample(theta, 1, arch.WeightCount, 8, seed: 4);
        var train = BinaryNetwork.Accuracy(arch, samples, 8, x.Select(v => (double)v).ToArray(), y);
        var test = BinaryNetwork.Accuracy(arch, samples, 8, tx.Select(v => (double)v).ToArray(), ty);
        int best = Array.IndexOf(train, train.Max());
        Assert.Equal(train.Max(), scores[0].BestSampledTrainAccuracy, 6);
        Assert.Equal(test[best], scores[0].BestSampledTestAccuracy, 6);
        Assert.Equal(test.Average(v => (double)v), scores[0].SampledTestAccuracy, 6);
    }

    [Fact]
    public void Width_groups_keep_the_largest_within_eight_times_the_smallest()
    {
        var groups = DoubleDescentStudy.WidthGroups([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 100]);
        Assert.Equal(new[] { new[] { 1, 2, 3, 4, 6, 8 }, new[] { 12, 16, 24, 32 }, new[] { 100 } }, groups);
    }

    [Fact]
    public void Mean_spread_uses_the_sample_standard_deviation()
    {
        var m = MeanSpread.Of([1.0, 2.0, 3.0, 4.0]);
        Assert.Equal(2.5, m.Mean, 15);
        Assert.Equal(Math.Sqrt(5.0 / 3.0), m.StandardDeviation, 15);
        Assert.Equal(Math.Sqrt(5.0 / 3.0) / 2, m.StandardError, 15);
        Assert.Equal(0, MeanSpread.Of([7.0]).StandardDeviation);
    }

    [Fact]
    public void Double_descent_landmarks_find_interpolation_and_the_bump()
    {
        // Test errors 0.5, 0.3, 0.4, 0.2 over H = 1, 2, 3, 4; training error reaches 0 at H = 3.
        double[] train = [0.4, 0.1, 0.0, 0.0], test = [0.5, 0.3, 0.4, 0.2];
        var rows = Enumerable.Range(0, 4).Select(i => new DoubleDescentRow("ten-class", "real", $"2-{i + 1}-{i + 1}-10", i + 1, 10 * (i + 1),
            0.1 * (i + 1), 0, train[i], test[i], double.NaN, double.NaN, 10, "EpochCap")).ToArray();
        var result = new DoubleDescentResult(rows, "test", DoubleDescentSettings.Quick(1));
        var (interpolation, bumpHidden, bump) = result.Landmarks("ten-class", "real");
        Assert.Equal(3, interpolation);
        Assert.Equal(3, bumpHidden);
        Assert.Equal(0.1, bump, 12);
        Assert.Equal((null, 0, 0.0), result.Landmarks("parity", "real"));
    }
}
