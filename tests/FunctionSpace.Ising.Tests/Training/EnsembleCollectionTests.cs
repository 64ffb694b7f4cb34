using FunctionSpace.Ising.Data;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Training;
using FunctionSpace.Ising.Tests.Ensembles;

namespace FunctionSpace.Ising.Tests.Training;

public class EnsembleCollectionTests
{
    internal static ReducedDataset SyntheticData()
    {
        var (x, y) = MeanFieldTrainerTests.Clusters(300, 1);
        var (tx, ty) = MeanFieldTrainerTests.Clusters(200, 2);
        var pca = new PcaBasis(20, 20, new double[20], new double[400], new double[20], 1);
        return new ReducedDataset(pca, x.Select(v => (double)v).ToArray(), y, tx.Select(v => (double)v).ToArray(), ty, "synthetic");
    }

    private static CollectionSettings Small(string path) =>
        new("under", Architecture.Parse("20-12-12-10"), 300, new MeanFieldOptions(BatchSize: 50, Epochs: 2), Networks: 5, Samples: 4,
            Threshold: 0.0, SelectionMode.All, Seed: 3, BlockSize: 2, path, new DateTime(2026, 5, 1, 0, 0, 0, DateTimeKind.Utc));

    private static readonly ReducedDataset Data = SyntheticData();

    [Fact]
    public void SameSettingsGiveByteIdenticalFilesAndShardsMergeToTheSingleRun()
    {
        string single = EnsembleTestData.TempFile("single.fsie");
        var result = EnsembleCollection.Run(Small(single), Data);
        Assert.Equal(3, result.BlocksRun);
        Assert.Equal(20L, result.ConfigurationsKept);
        string again = EnsembleTestData.TempFile("again.fsie");
        EnsembleCollection.Run(Small(again), Data);
        Assert.Equal(File.ReadAllBytes(single), File.ReadAllBytes(again));

        string shard0 = EnsembleTestData.TempFile("s0.fsie"), shard1 = EnsembleTestData.TempFile("s1.fsie");
        EnsembleCollection.Run(Small(shard0) with { ShardIndex = 1, ShardCount = 2 }, Data);
        EnsembleCollection.Run(Small(shard1) with { ShardIndex = 0, ShardCount = 2 }, Data);
        string merged = EnsembleTestData.TempFile("merged.fsie");
        Assert.Equal(20L, EnsembleTools.Merge([shard0, shard1], merged));
        Assert.Equal(File.ReadAllBytes(single), File.ReadAllBytes(merged));

        // Merging a shard twice is refused.
        var error = Assert.Throws<InputException>(() => EnsembleTools.Merge([shard0, shard0], EnsembleTestData.TempFile("bad.fsie")));
        Assert.Equal($"{shard0}: given twice (the same file as {shard0}); each ensemble file may appear once", error.Message);
    }

    [Fact]
    public void ResumeAfterAnInterruptedRunLosesAndDuplicatesNothing()
    {
        string reference = EnsembleTestData.TempFile("ref.fsie");
        EnsembleCollection.Run(Small(reference), Data);

        string interrupted = EnsembleTestData.TempFile("int.fsie");
        using var cancel = new CancellationTokenSource();
        var stopAfterFirstBlock = new Progress(r => { if (r.Detail?.StartsWith("block 1/3, kept") == true) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => EnsembleCollection.Run(Small(interrupted), Data, stopAfterFirstBlock, cancel.Token));
        // A kill -9 in the middle of the next append leaves a torn chunk at the end.
        byte[] full = File.ReadAllBytes(reference);
        long intact = new FileInfo(interrupted).Length;
        using (var stream = new FileStream(interrupted, FileMode.Append)) stream.Write(full, (int)intact, 60);

        var error = Assert.Throws<InputException>(() => EnsembleCollection.Run(Small(interrupted), Data));
        Assert.Equal($"--out: {interrupted} exists; pass --resume to continue it, or remove it", error.Message);
        var resumed = EnsembleCollection.Run(Small(interrupted) with { Resume = true }, Data);
        Assert.Equal(1, resumed.BlocksResumed);
        Assert.Equal(2, resumed.BlocksRun);
        Assert.Equal(full, File.ReadAllBytes(interrupted));
    }

    [Fact]
    public void SelectionKeepsBestOrThresholdedAndRecordsNetworks()
    {
        string best = EnsembleTestData.TempFile("best.fsie");
        EnsembleCollection.Run(Small(best) with { Selection = SelectionMode.Best }, Data);
        using var reader = EnsembleReader.Open(best);
        var chunks = reader.ReadChunks().ToList();
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, chunks.SelectMany(c => c.NetworkIds));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => EnsembleCollection.NetworkSeed(3, i)), chunks.SelectMany(c => c.Seeds));
        // The stored accuracies are those of the stored spins.
        var spins = chunks.SelectMany(c => c.Spins).ToArray();
        Assert.Equal(chunks.SelectMany(c => c.Accuracies), BinaryNetwork.Accuracy(reader.Header.Architecture, spins, 5, Data.TestInputs, Data.TestLabels));

        string all = EnsembleTestData.TempFile("all.fsie");
        var result = EnsembleCollection.Run(Small(all) with { Threshold = 0.4 }, Data);
        Assert.All(result.KeptAccuracies, a => Assert.True(a >= 0.4f));
        Assert.True(result.ConfigurationsKept < 20, "a threshold of 0.4 after 2 epochs should reject some samples");
        // The kept spins (drawn again from each network's generator after the selection) are the ones evaluated.
        using var thresholded = EnsembleReader.Open(all);
        var keptChunks = thresholded.ReadChunks().ToList();
        var keptSpins = keptChunks.SelectMany(c => c.Spins).ToArray();
        Assert.Equal(keptChunks.SelectMany(c => c.Accuracies),
            BinaryNetwork.Accuracy(thresholded.Header.Architecture, keptSpins, (int)result.ConfigurationsKept, Data.TestInputs, Data.TestLabels));
    }

    [Fact]
    public void CanonicalisedAndSymmetricEnsemblesKeepAccuracies()
    {
        string path = EnsembleTestData.TempFile("canon.fsie");
        var settings = Small(path) with { Canonicalize = true, SymmetricFraction = 0.5 };
        var result = EnsembleCollection.Run(settings, Data);
        Assert.Equal(40L, result.ConfigurationsKept); // 20 kept + 20 copies: half the ensemble symmetry-related
        using var reader = EnsembleReader.Open(path);
        var arch = reader.Header.Architecture;
        using var digit = EnsembleCollection.DigitEvaluator(arch, Data, 0);
        foreach (var chunk in reader.ReadChunks())
        {
            var recomputed = BinaryNetwork.Accuracy(arch, chunk.Spins, chunk.Count, Data.TestInputs, Data.TestLabels);
            // A relabelled network computes the same function (exact ties need identical weight rows, rare with
            // 12 inputs per unit); float32 sums in another order may flip an
            // argmax at a near-tie, so at most one of the 200 test images may change.
            for (int i = 0; i < chunk.Count; i++) Assert.Equal(chunk.Accuracies[i], recomputed[i], 1.01f / 200);
            // The originals (first half of each chunk) are canonical: canonicalising again changes nothing.
            int originals = chunk.Count / 2;
            var copy = chunk.Spins.AsSpan(0, originals * arch.WeightCount).ToArray();
            NodePermutation.Canonicalize(digit, copy, originals);
            Assert.Equal(chunk.Spins.AsSpan(0, originals * arch.WeightCount).ToArray(), copy);
        }
    }

    private sealed class Progress(Action<ProgressReport> action) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport value) => action(value);
    }
}
