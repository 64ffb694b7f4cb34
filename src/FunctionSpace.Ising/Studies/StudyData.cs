using FunctionSpace.Ising.Data;
using FunctionSpace.Ising.Randomness;

namespace FunctionSpace.Ising.Studies;

/// <summary>
/// Training and test inputs for a study, float32 row-major, with digit labels: MNIST reduced by PCA to
/// <see cref="Dimension"/> components, or the raw pixels scaled to [0, 1] when the dimension is the image
/// size (784), optionally a seeded random subset.
/// </summary>
/// <param name="Dimension">Input width D.</param>
/// <param name="TrainInputs">n_train × D.</param>
/// <param name="TrainLabels">Digit labels of the training examples.</param>
/// <param name="TestInputs">n_test × D.</param>
/// <param name="TestLabels">Digit labels of the test examples.</param>
/// <param name="Source">Where the data came from (for the summary and the CSV).</param>
public sealed record StudyData(int Dimension, float[] TrainInputs, byte[] TrainLabels, float[] TestInputs, byte[] TestLabels, string Source)
{
    /// <summary>Number of training examples.</summary>
    public int TrainCount => TrainLabels.Length;

    /// <summary>Number of test examples.</summary>
    public int TestCount => TestLabels.Length;

    /// <summary>
    /// Loads the data set (null directory: embedded MNIST) at input dimension <paramref name="dimension"/>;
    /// keeps <paramref name="trainCount"/> / <paramref name="testCount"/> examples drawn without
    /// replacement with a generator seeded by <paramref name="seed"/> (0 or more than available: all).
    /// </summary>
    public static StudyData Load(string? dataDirectory, string? cacheDirectory, int dimension, int trainCount, int testCount, ulong seed)
    {
        IdxDataset raw = dataDirectory is null ? IdxDataset.LoadEmbeddedMnist() : IdxDataset.Load(dataDirectory);
        int pixels = raw.Train.Images.PixelsPerImage;
        if (dimension < 1 || dimension > pixels) throw new InputException($"--components: {dimension} is outside 1..{pixels}");
        if (trainCount < 0) throw new InputException($"--train-count: {trainCount} must be non-negative");
        if (testCount < 0) throw new InputException($"--test-count: {testCount} must be non-negative");
        double[] train, test;
        string source;
        if (dimension == pixels)
        {
            train = Scaled(raw.Train.Images);
            test = Scaled(raw.Test.Images);
            source = $"{raw.Directory}, raw pixels/255 (D = {pixels})";
        }
        else
        {
            var loaded = DatasetLoader.Load(dataDirectory, dimension, cacheDirectory);
            train = loaded.Reduced.TrainInputs;
            test = loaded.Reduced.TestInputs;
            source = $"{raw.Directory}, PCA k = {dimension}";
        }
        var seeds = new SeedTree(seed).Child("study data");
        var (trainX, trainY) = Subset(train, raw.Train.Labels, dimension, trainCount, seeds.Child("train").Seed);
        var (testX, testY) = Subset(test, raw.Test.Labels, dimension, testCount, seeds.Child("test").Seed);
        return new StudyData(dimension, trainX, trainY, testX, testY, source + $", {trainY.Length} train / {testY.Length} test");
    }

    /// <summary>
    /// Keeps <paramref name="count"/> rows chosen uniformly without replacement (all rows, in order, when
    /// count is 0 or not smaller than the number of rows); the kept rows stay in their original order. The rows are the
    /// first <paramref name="count"/> of a Fisher–Yates permutation drawn by SplitMix64 from <paramref name="seed"/>.
    /// </summary>
    public static (float[] Inputs, byte[] Labels) Subset(double[] inputs, byte[] labels, int width, int count, ulong seed)
    {
        int n = labels.Length;
        int[] rows;
        if (count == 0 || count >= n) rows = Enumerable.Range(0, n).ToArray();
        else
        {
            var all = new int[n];
            new SplitMix64(seed).Permutation(all);
            rows = all.Take(count).Order().ToArray();
        }
        var x = new float[(long)rows.Length * width];
        var y = new byte[rows.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            y[r] = labels[rows[r]];
            for (int j = 0; j < width; j++) x[(long)r * width + j] = (float)inputs[(long)rows[r] * width + j];
        }
        return (x, y);
    }

    private static double[] Scaled(IdxImages images)
    {
        var result = new double[images.Pixels.Length];
        for (int i = 0; i < result.Length; i++) result[i] = images.Pixels[i] / 255.0;
        return result;
    }

    /// <summary>The inputs as double (the binary evaluator's input type).</summary>
    public static double[] ToDoubles(float[] values) => Array.ConvertAll(values, v => (double)v);
}
