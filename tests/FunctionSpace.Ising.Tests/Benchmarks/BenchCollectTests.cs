using FunctionSpace.Ising.Benchmarks;
using FunctionSpace.Ising.Data;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Tests.Data;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Tests.Benchmarks;

/// <summary>The non-timing outputs of <see cref="BenchCollect"/>: what it trains and evaluates, not how fast.</summary>
public class BenchCollectTests
{
    [Fact]
    public void Bench_collect_trains_what_the_trainer_trains_and_its_two_evaluation_kernels_count_the_same()
    {
        using var data = new TempDirectory();
        using var cache = new TempDirectory();
        data.SyntheticIdx(2000, 100);
        var reduced = DatasetLoader.Load(data.Path, 20, cache.Path).Reduced;
        var settings = new BenchCollectSettings(Networks: 2, Epochs: 1, Configurations: 70, EvalBatch: 16);
        var result = BenchCollect.Run(reduced, settings);

        // The timed batch is the collection's first two networks of master seed 1, trained for the timed epochs: the
        // trainer's result does not depend on threads or batching, so the mean final loss is bit for bit the direct one.
        var seeds = new[] { EnsembleCollection.NetworkSeed(1, 0), EnsembleCollection.NetworkSeed(1, 1) };
        var direct = MeanFieldTrainer.Train(Architecture.Deep, reduced.TrainInputs.Select(v => (float)v).ToArray(), reduced.TrainLabels, seeds, 1,
            new MeanFieldOptions(Epochs: 1));
        Assert.Equal(direct.FinalLosses.Average(), result.MeanFinalLoss);
        Assert.Equal(2000, result.TrainCount);
        Assert.Equal(100, result.TestCount);
        // The batched kernel and the one-configuration kernel count the same correct answers for every configuration.
        if (result.Previous is { } previous)
        {
            Assert.Equal(70, previous.Count);
            Assert.Equal(0, previous.Differing);
        }
        Assert.Equal(70, result.TorchCount);   // the torch timing covers min(configurations, 512)

        var output = new StringWriter();
        BenchCollect.Write(result, output);
        string text = output.ToString();
        Assert.Contains($"2 networks x 1 epochs of 2000 images (20-15-15-10, batch 200)", text);
        Assert.Contains($"mean final loss {direct.FinalLosses.Average():F4}", text);
        Assert.Contains("70 configurations x 100 test images", text);
        if (result.Previous != null) Assert.Contains("correct counts identical for 70 of 70 configurations", text);
    }
}
