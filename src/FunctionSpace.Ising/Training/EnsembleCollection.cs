using FunctionSpace.Ising.Randomness;
using System.Diagnostics;
using System.Globalization;
using FunctionSpace.Ising.Data;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Training;

/// <summary>Which sampled configurations of a trained network are kept.</summary>
public enum SelectionMode
{
    /// <summary>Every sampled configuration with test accuracy ≥ the threshold.</summary>
    All,
    /// <summary>The best sampled configuration of each network (first on ties), if it reaches the threshold.</summary>
    Best,
}

/// <summary>
/// Everything that determines a collection run. Same settings (and data) ⇒ byte-identical ensemble file.
/// </summary>
/// <param name="Scenario">under, over or shallow (recorded in the header).</param>
/// <param name="Architecture">Network widths.</param>
/// <param name="TrainCount">Number of training images used (the first ones).</param>
/// <param name="Training">Mean-field training hyper-parameters.</param>
/// <param name="Networks">Networks to train in all shards.</param>
/// <param name="Samples">Configurations drawn from each trained network.</param>
/// <param name="Threshold">Minimal test accuracy of a kept configuration.</param>
/// <param name="Selection">Keep all above threshold, or each network's best.</param>
/// <param name="Seed">Master seed.</param>
/// <param name="BlockSize">Networks trained together as one batch (a unit of work and one chunk of the file).</param>
/// <param name="OutputPath">Ensemble file written.</param>
/// <param name="CreatedUtc">Creation time written in the header.</param>
public sealed record CollectionSettings(string Scenario, Architecture Architecture, int TrainCount, MeanFieldOptions Training,
    int Networks, int Samples, double Threshold, SelectionMode Selection, ulong Seed, int BlockSize, string OutputPath, DateTime CreatedUtc)
{
    /// <summary>Continue an interrupted file instead of refusing to overwrite it.</summary>
    public bool Resume { get; init; }

    /// <summary>This process collects the blocks b with b mod ShardCount = ShardIndex.</summary>
    public int ShardIndex { get; init; }

    /// <summary>Number of shards (1: everything).</summary>
    public int ShardCount { get; init; } = 1;

    /// <summary>Canonicalise every kept configuration by the node ordering of Appendix J.</summary>
    public bool Canonicalize { get; init; }

    /// <summary>Digit whose test images define the canonical ordering.</summary>
    public int CanonicalDigit { get; init; }

    /// <summary>Fraction of the stored ensemble made of random hidden-node permutations of kept configurations (0: none).</summary>
    public double SymmetricFraction { get; init; }

    /// <summary>The study's defaults for a scenario: under (60k images, 20-15-15-10), over (500 images, batch 100), shallow (60k, 20-10).</summary>
    public static CollectionSettings ForScenario(string scenario, string outputPath, int components = 20) => scenario switch
    {
        "under" => new(scenario, new Architecture([components, 15, 15, 10]), 60000, new MeanFieldOptions(), 128, 100, 0.0, SelectionMode.All, 1, 64, outputPath, DateTime.UnixEpoch),
        "over" => new(scenario, new Architecture([components, 15, 15, 10]), 500, new MeanFieldOptions(BatchSize: 100), 128, 100, 0.0, SelectionMode.All, 1, 64, outputPath, DateTime.UnixEpoch),
        "shallow" => new(scenario, new Architecture([components, 10]), 60000, new MeanFieldOptions(), 128, 100, 0.0, SelectionMode.All, 1, 64, outputPath, DateTime.UnixEpoch),
        _ => throw new InputException($"--scenario: '{scenario}' is not one of under, over, shallow"),
    };

    /// <summary>Number of blocks in all shards.</summary>
    public int BlockCount => (int)(((long)Networks + BlockSize - 1) / BlockSize);

    /// <summary>
    /// Most networks of one collection: 5,000 times the study's 20,000 (at 100 samples, an ensemble file of about
    /// 850 TB); a larger count is a typo, not a plan.
    /// </summary>
    public const int MaxNetworks = 100_000_000;

    /// <summary>The header of the file this run writes (identical for every shard but for the shard field).</summary>
    public EnsembleHeader Header()
    {
        var c = CultureInfo.InvariantCulture;
        var t = Training;
        var p = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["adam"] = string.Create(c, $"{t.Beta1:R},{t.Beta2:R},{t.AdamEpsilon:R}"),
            ["batch_size"] = t.BatchSize.ToString(c),
            ["block_size"] = BlockSize.ToString(c),
            ["canonical"] = Canonicalize ? $"digit {CanonicalDigit}" : "no",
            ["epochs"] = t.Epochs.ToString(c),
            ["freeze_interior"] = t.FreezeInterior ? t.FrozenMagnitude.ToString("R", c) : "no",
            ["init_std"] = t.InitStd.ToString("R", c),
            ["l2"] = t.L2.ToString("R", c),
            ["learning_rate"] = t.LearningRate.ToString("R", c),
            ["networks"] = Networks.ToString(c),
            ["pca_convention"] = Data.PcaCache.Convention,
            ["samples"] = Samples.ToString(c),
            ["selection"] = Selection == SelectionMode.All ? "all" : "best",
            ["shard"] = $"{ShardIndex}/{ShardCount}",
            ["symmetric_fraction"] = SymmetricFraction.ToString("R", c),
            ["train_count"] = TrainCount.ToString(c),
            ["seed_rule"] = "network seed = SplitMix64.Mix(seed, network index, 0); block noise seed = Mix(seed, block, 5); network noise stream seed = Mix(network seed ^ block noise seed * 0xA24BAED4963EE407, 0, 3)",
        };
        return new EnsembleHeader(EnsembleFormat.CurrentVersion, Architecture, Scenario, Architecture.Widths[0], Threshold, Seed, CreatedUtc) { Parameters = p };
    }

    /// <summary>
    /// Checks the counts and the sizes they imply, without the data: the network count, and that a block's chunk
    /// (block × samples configurations, plus symmetric copies) fits in one chunk and one array, so that nothing overflows
    /// after the file is created.
    /// </summary>
    public void ValidateSizes()
    {
        if (Networks is < 1 or > MaxNetworks) throw new InputException($"--networks: {Networks} is outside 1..{MaxNetworks}");
        if (Samples < 1) throw new InputException($"--samples: {Samples} must be at least 1");
        if (BlockSize < 1) throw new InputException($"--block: {BlockSize} must be at least 1");
        if (!(SymmetricFraction >= 0 && SymmetricFraction < 1)) throw new InputException($"--symmetric-fraction: {SymmetricFraction} is outside [0, 1)");
        if (Training.FreezeInterior && Architecture.Layers < 3)
            throw new InputException($"--freeze-interior: the {Scenario} network {Architecture} has no hidden-to-hidden layer");
        int n = Architecture.WeightCount;
        double perBlock = (double)Math.Min(BlockSize, Networks) * Samples / (1 - SymmetricFraction);
        // A chunk holds its configurations' spins in one array and its payload (20 bytes + packed spins each) in one buffer.
        double limit = Math.Min((double)Array.MaxLength / n, (int.MaxValue - 12.0) / (20 + EnsembleFormat.PackedBytes(n)));
        if (perBlock > limit)
            throw new InputException($"--block × --samples: a block of {Math.Min(BlockSize, Networks)} networks × {Samples} samples" +
                                     (SymmetricFraction > 0 ? " (with symmetric copies)" : "") +
                                     $" is more than one chunk of {n}-spin configurations holds ({(long)limit}); lower --block or --samples");
    }

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate(ReducedDataset data)
    {
        ValidateSizes();
        if (!(Threshold >= 0 && Threshold <= 1)) throw new InputException($"--threshold: {Threshold} is outside 0..1");
        if (ShardCount < 1 || ShardIndex < 0 || ShardIndex >= ShardCount) throw new InputException($"--shard: {ShardIndex}/{ShardCount} is not i/n with 0 <= i < n");
        if (TrainCount < 1 || TrainCount > data.TrainCount) throw new InputException($"--train-count: {TrainCount} is outside 1..{data.TrainCount}");
        if (Architecture.Widths[0] != data.Dimension) throw new InputException($"--components: the data has {data.Dimension} components but the network input width is {Architecture.Widths[0]}");
        if (Architecture.Widths[^1] != 10) throw new InputException($"architecture: output width {Architecture.Widths[^1]} must be 10 (the digits)");
        if (CanonicalDigit is < 0 or > 9) throw new InputException($"--canonical-digit: {CanonicalDigit} is outside 0..9");
        Training.Validate(TrainCount);
    }
}

/// <summary>What a collection run did.</summary>
/// <param name="Header">The file's header.</param>
/// <param name="BlocksRun">Blocks trained by this run.</param>
/// <param name="BlocksResumed">Blocks already in the file (skipped on --resume).</param>
/// <param name="NetworksTrained">Networks trained by this run.</param>
/// <param name="ConfigurationsEvaluated">Sampled configurations evaluated by this run.</param>
/// <param name="ConfigurationsKept">Configurations in the file after the run (all its blocks).</param>
/// <param name="KeptAccuracies">Test accuracies of the configurations in the file (for the summary).</param>
/// <param name="BestPerNetwork">Best sampled accuracy of each network trained by this run.</param>
/// <param name="TrainSeconds">Wall time spent training.</param>
/// <param name="EvaluateSeconds">Wall time spent sampling, evaluating, selecting and storing.</param>
/// <param name="DivergedNetworks">Networks of this run whose loss became non-finite.</param>
public sealed record CollectionResult(EnsembleHeader Header, int BlocksRun, int BlocksResumed, int NetworksTrained,
    long ConfigurationsEvaluated, long ConfigurationsKept, float[] KeptAccuracies, float[] BestPerNetwork,
    double TrainSeconds, double EvaluateSeconds, int DivergedNetworks);

/// <summary>
/// The collection pipeline: train blocks of mean-field networks, sample binary configurations from each,
/// evaluate them on the test set, select, optionally canonicalise / add symmetric copies, and append one
/// chunk per block to the ensemble file. Resumable (whole blocks) and shardable (blocks b ≡ i mod n).
/// </summary>
public static class EnsembleCollection
{
    /// <summary>Part of the run's cache key: changed whenever the same inputs and settings would give other outputs.</summary>
    public const string AlgorithmVersion = "collect-v2";

    /// <summary>Seed of network <paramref name="index"/> (initialisation, data order, sampling).</summary>
    public static ulong NetworkSeed(ulong master, int index) => SplitMix64.Mix(master, index, 0);

    /// <summary>Seed of the noise generator of block <paramref name="block"/>.</summary>
    public static ulong BlockNoiseSeed(ulong master, int block) => SplitMix64.Mix(master, block, 5);

    /// <summary>Runs (or resumes) a collection into <see cref="CollectionSettings.OutputPath"/>; see <see cref="CollectionSettings"/>.</summary>
    public static CollectionResult Run(CollectionSettings settings, ReducedDataset data,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        settings.Validate(data);
        IO.OutputTarget.Resolve(settings.OutputPath);   // a device, FIFO or directory is refused before "exists, pass --resume"
        var header = settings.Header();

        var done = new HashSet<int>();
        var keptAccuracies = new List<float>();
        EnsembleWriter writer;
        bool created = false;
        if (File.Exists(settings.OutputPath))
        {
            if (!settings.Resume) throw new InputException($"--out: {settings.OutputPath} exists; pass --resume to continue it, or remove it");
            // Chunk by chunk: only the block numbers and accuracies of the file are kept, not its spins.
            writer = EnsembleWriter.OpenForResume(settings.OutputPath, header, chunk => { done.Add(chunk.Block); keptAccuracies.AddRange(chunk.Accuracies); });
        }
        else
        {
            writer = EnsembleWriter.Create(settings.OutputPath, header);
            created = true;
        }
        try
        {
            return Collect(settings, data, header, writer, done, keptAccuracies, progress, ct);
        }
        catch when (created && writer.Chunks == 0)
        {
            // A file this run created and wrote no block into holds nothing worth resuming; left behind it would only make
            // the next attempt ask for --resume.
            writer.Dispose();
            IO.AtomicFile.TryDelete(settings.OutputPath);
            throw;
        }
        finally
        {
            writer.Dispose();
        }
    }

    private static CollectionResult Collect(CollectionSettings settings, ReducedDataset data, EnsembleHeader header, EnsembleWriter writer,
        HashSet<int> done, List<float> keptAccuracies, IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        var architecture = settings.Architecture;
        int width = architecture.Widths[0];
        var trainInputs = new float[settings.TrainCount * width];
        for (int i = 0; i < trainInputs.Length; i++) trainInputs[i] = (float)data.TrainInputs[i];
        var trainLabels = data.TrainLabels.AsSpan(0, settings.TrainCount).ToArray();
        using var evaluator = new BinaryEvaluator(architecture, data.TestInputs, data.TestLabels);
        using var canonicalEvaluator = settings.Canonicalize ? DigitEvaluator(architecture, data, settings.CanonicalDigit) : null;
        var myBlocks = Enumerable.Range(0, settings.BlockCount).Where(b => b % settings.ShardCount == settings.ShardIndex).ToList();
        int resumed = myBlocks.Count(done.Contains);
        var todo = myBlocks.Where(b => !done.Contains(b)).ToList();
        long totalUnits = todo.Sum(b => (long)BlockNetworks(settings, b) * settings.Training.Epochs);
        long unitsDone = 0;
        var best = new List<float>();
        long evaluated = 0;
        int diverged = 0;
        var trainClock = new Stopwatch();
        var evaluateClock = new Stopwatch();
        progress?.Report(new ProgressReport("collect", 0, totalUnits, "net-epochs"));
        foreach (int block in todo)
        {
            ct.ThrowIfCancellationRequested();
            int first = block * settings.BlockSize, count = BlockNetworks(settings, block);
            var seeds = Enumerable.Range(first, count).Select(i => NetworkSeed(settings.Seed, i)).ToArray();
            long before = unitsDone;
            string keptText = $"kept {keptAccuracies.Count}" + (best.Count > 0 ? $", best {best.Max():F4}" : "");
            var epochProgress = progress == null ? null : new InlineProgress(r =>
                progress.Report(new ProgressReport("collect", before + r.Done * count, totalUnits, "net-epochs",
                    $"block {block + 1}/{settings.BlockCount} {r.Detail}, {keptText}")));
            trainClock.Start();
            var trained = MeanFieldTrainer.Train(architecture, trainInputs, trainLabels, seeds, BlockNoiseSeed(settings.Seed, block),
                settings.Training, epochProgress, ct);
            trainClock.Stop();
            if (trained.Stop.Reason == StopReason.Diverged) diverged += trained.FinalLosses.Count(l => !float.IsFinite(l));
            evaluateClock.Start();
            var chunk = SampleAndSelect(settings, block, seeds, trained, evaluator, canonicalEvaluator, best, ct);
            evaluated += (long)count * settings.Samples;
            writer.Write(chunk);
            evaluateClock.Stop();
            keptAccuracies.AddRange(chunk.Accuracies);
            unitsDone += (long)count * settings.Training.Epochs;
            progress?.Report(new ProgressReport("collect", unitsDone, totalUnits, "net-epochs",
                $"block {block + 1}/{settings.BlockCount}, kept {keptAccuracies.Count}, best {best.Max():F4}"));
        }
        return new CollectionResult(header, todo.Count, resumed, todo.Sum(b => BlockNetworks(settings, b)), evaluated,
            writer.Count, keptAccuracies.ToArray(), best.ToArray(), trainClock.Elapsed.TotalSeconds, evaluateClock.Elapsed.TotalSeconds, diverged);
    }

    private static int BlockNetworks(CollectionSettings settings, int block) =>
        Math.Min(settings.BlockSize, settings.Networks - block * settings.BlockSize);

    /// <summary>An evaluator on the test images of one digit (the fixed input set of the canonical ordering).</summary>
    public static BinaryEvaluator DigitEvaluator(Architecture architecture, ReducedDataset data, int digit)
    {
        int k = data.Dimension;
        var rows = Enumerable.Range(0, data.TestCount).Where(i => data.TestLabels[i] == digit).ToArray();
        if (rows.Length == 0) throw new InputException($"--canonical-digit: the test set has no image of digit {digit}");
        var inputs = new double[rows.Length * k];
        for (int r = 0; r < rows.Length; r++) Array.Copy(data.TestInputs, rows[r] * k, inputs, r * k, k);
        return new BinaryEvaluator(architecture, inputs, rows.Select(i => data.TestLabels[i]).ToArray());
    }

    /// <summary>
    /// Draws <see cref="CollectionSettings.Samples"/> configurations w ~ P(w|θ) from each trained network
    /// (w = +1 with probability sigmoid θ, from the network's own generator), evaluates them on the test
    /// set and builds the block's chunk.
    /// </summary>
    internal static EnsembleChunk SampleAndSelect(CollectionSettings settings, int block, ulong[] seeds, MeanFieldResult trained,
        BinaryEvaluator evaluator, BinaryEvaluator? canonicalEvaluator, List<float> bestPerNetwork, CancellationToken ct)
    {
        var architecture = settings.Architecture;
        int n = architecture.WeightCount, samples = settings.Samples;
        var keptSamples = new List<int>[seeds.Length];
        var keptAccuracy = new List<float>();
        var keptIds = new List<int>();
        var keptSeeds = new List<ulong>();
        var keptLosses = new List<float>();
        // Pass 1: networks in groups of up to ~32k configurations, sampled and evaluated together in full
        // batches; only the indices and accuracies of the kept samples are remembered.
        int group = Math.Max(1, Math.Min(seeds.Length, 32768 / samples));
        var spins = new sbyte[(long)group * samples * n];
        var probability = new double[n];
        for (int firstNet = 0; firstNet < seeds.Length; firstNet += group)
        {
            ct.ThrowIfCancellationRequested();
            int nets = Math.Min(group, seeds.Length - firstNet);
            for (int g = 0; g < nets; g++)
            {
                var target = spins.AsSpan(g * samples * n, samples * n);
                var rng = SamplingGenerator(trained, seeds, firstNet + g, n, probability);
                for (int s = 0; s < samples; s++) Sample(ref rng, probability, target.Slice(s * n, n));
            }
            float[] accuracy = evaluator.Accuracy(spins.AsSpan(0, nets * samples * n), nets * samples);
            for (int g = 0; g < nets; g++)
            {
                int net = firstNet + g, offset = g * samples;
                int bestIndex = 0;
                for (int s = 1; s < samples; s++) if (accuracy[offset + s] > accuracy[offset + bestIndex]) bestIndex = s;
                bestPerNetwork.Add(accuracy[offset + bestIndex]);
                IEnumerable<int> chosen = settings.Selection == SelectionMode.Best ? [bestIndex] : Enumerable.Range(0, samples);
                keptSamples[net] = [];
                foreach (int s in chosen)
                {
                    if (accuracy[offset + s] < settings.Threshold) continue;
                    keptSamples[net].Add(s);
                    keptAccuracy.Add(accuracy[offset + s]);
                    keptIds.Add(block * settings.BlockSize + net);
                    keptSeeds.Add(seeds[net]);
                    keptLosses.Add(trained.FinalLosses[net]);
                }
            }
        }
        spins = [];
        // Pass 2: the kept configurations drawn again from each network's own generator (sampling costs
        // ~1% of evaluating) straight into one array of the exact size: the chunk's spins are held once, not
        // in a growing list plus its copy (the block's memory is ~0.7 KB per kept configuration).
        int count = keptAccuracy.Count;
        var all = new sbyte[(long)count * n];
        var one = new sbyte[n];
        long at = 0;
        for (int net = 0; net < seeds.Length; net++)
        {
            if (keptSamples[net].Count == 0) continue;
            var rng = SamplingGenerator(trained, seeds, net, n, probability);
            int next = 0;
            for (int s = 0; s < samples && next < keptSamples[net].Count; s++)
            {
                Sample(ref rng, probability, one);
                if (keptSamples[net][next] != s) continue;
                one.CopyTo(all.AsSpan(checked((int)(at * n)), n));
                at++;
                next++;
            }
        }
        if (canonicalEvaluator != null) NodePermutation.Canonicalize(canonicalEvaluator, all, count);
        if (settings.SymmetricFraction > 0 && count > 0)
        {
            // c copies with c / (count + c) = f: each a random hidden-node relabelling of a random kept configuration.
            int copies = (int)Math.Round(count * settings.SymmetricFraction / (1 - settings.SymmetricFraction));
            var rng = new SplitMix64(SplitMix64.Mix(settings.Seed, block, 4));
            var extended = new sbyte[(long)(count + copies) * n];
            all.CopyTo(extended, 0);
            for (int c = 0; c < copies; c++)
            {
                int source = rng.NextInt(count);
                NodePermutation.Apply(architecture, all.AsSpan(source * n, n), NodePermutation.Random(architecture, ref rng), extended.AsSpan((count + c) * n, n));
                keptAccuracy.Add(keptAccuracy[source]);
                keptIds.Add(keptIds[source]);
                keptSeeds.Add(keptSeeds[source]);
                keptLosses.Add(keptLosses[source]);
            }
            all = extended;
            count += copies;
        }
        return new EnsembleChunk(count, n, all, keptAccuracy.ToArray(), keptIds.ToArray(), keptLosses.ToArray())
        {
            Seeds = keptSeeds.ToArray(),
            Block = block,
        };
    }

    /// <summary>Network <paramref name="net"/>'s sampling generator; fills P(w_i = +1) = sigmoid θ_i.</summary>
    private static SplitMix64 SamplingGenerator(MeanFieldResult trained, ulong[] seeds, int net, int n, double[] probability)
    {
        for (int i = 0; i < n; i++) probability[i] = 1.0 / (1.0 + Math.Exp(-trained.Theta[(long)net * n + i]));
        return new SplitMix64(SplitMix64.Mix(seeds[net], 0, 3));
    }

    /// <summary>One configuration w ~ P(w|θ): w_i = +1 with probability p_i, else −1.</summary>
    private static void Sample(ref SplitMix64 rng, double[] probability, Span<sbyte> target)
    {
        for (int i = 0; i < target.Length; i++) target[i] = rng.NextDouble() < probability[i] ? (sbyte)1 : (sbyte)-1;
    }

    private sealed class InlineProgress(Action<ProgressReport> report) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport value) => report(value);
    }
}
