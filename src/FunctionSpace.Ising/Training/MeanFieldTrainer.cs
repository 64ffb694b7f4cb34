using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Training;

/// <summary>Hyper-parameters of LR-net mean-field training; defaults are the study's.</summary>
/// <param name="LearningRate">Adam learning rate.</param>
/// <param name="BatchSize">Mini-batch size (examples per step per network).</param>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="L2">γ of the L2 term γ·θ added to the gradient.</param>
/// <param name="Beta1">Adam β1.</param>
/// <param name="Beta2">Adam β2.</param>
/// <param name="AdamEpsilon">Adam ε.</param>
/// <param name="InitStd">Standard deviation of the N(0, σ²) initialisation of θ.</param>
/// <param name="FreezeInterior">Freeze hidden-to-hidden layers at θ = ±<paramref name="FrozenMagnitude"/> (random signs), untrained (study Sec. IV.6).</param>
/// <param name="FrozenMagnitude">|θ| of frozen weights (10: P(w = sign θ) = sigmoid(10) ≈ 0.99995).</param>
public sealed record MeanFieldOptions(double LearningRate = 0.3, int BatchSize = 200, int Epochs = 50, double L2 = 1e-5,
    double Beta1 = 0.9, double Beta2 = 0.999, double AdamEpsilon = 1e-8, double InitStd = 0.1,
    bool FreezeInterior = false, double FrozenMagnitude = 10)
{
    /// <summary>Most training epochs: 500 times the study's 200 (double descent) — a larger count is a typo, and would train for years.</summary>
    public const int MaxEpochs = 100_000;

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate(int trainCount)
    {
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new InputException($"--learning-rate: {LearningRate} must be a positive number");
        if (BatchSize < 1 || BatchSize > trainCount) throw new InputException($"--batch-size: {BatchSize} is outside 1..{trainCount} (the training examples)");
        if (Epochs is < 1 or > MaxEpochs) throw new InputException($"--epochs: {Epochs} is outside 1..{MaxEpochs}");
        if (!(L2 >= 0)) throw new InputException($"--l2: {L2} must be non-negative");
        if (!(InitStd >= 0)) throw new InputException($"--init-std: {InitStd} must be non-negative");
    }
}

/// <summary>Trained mean-field networks.</summary>
/// <param name="Networks">Number of networks K.</param>
/// <param name="Theta">K × WeightCount logits θ (P(w = +1) = sigmoid θ), the study's spin order.</param>
/// <param name="FinalLosses">Each network's mean mini-batch cross-entropy over its last epoch.</param>
/// <param name="EpochsRun">Epochs completed.</param>
/// <param name="Stop">Why training stopped: <see cref="StopReason.Completed"/> (every epoch ran) or <see cref="StopReason.Diverged"/>
/// (a network's loss became NaN or infinite; its θ are unusable).</param>
public sealed record MeanFieldResult(int Networks, float[] Theta, float[] FinalLosses, int EpochsRun, Stop Stop);

/// <summary>
/// LR-net mean-field training of K independent binary networks (Shayer, Levi &amp; Fetaya 2018, "Learning
/// discrete weights using the local reparameterization trick", as used by Zou &amp; Huang 2021), one network
/// per task of a fused SIMD kernel (<see cref="MeanFieldKernel"/>), the networks spread over the cores.
/// </summary>
/// <remarks>
/// Per layer with input activity a: μ = 2σ(θ) − 1 = tanh(θ/2), z = μ·a + sqrt((1 − μ²)·a²)·ε with
/// ε ~ N(0,1) per unit and example; hidden a' = LReLU(z)/sqrt(n_in); the output z is the logit of a softmax
/// cross-entropy (batch mean). The gradient is written out by hand (the kernel is tested against the torch
/// reference <see cref="LossesAndGradients"/>, itself checked against finite differences); γ·θ is added to
/// it and Adam updates θ. Each network has its own initialisation, data order and noise stream (seeded
/// from its seed and <c>noiseSeed</c>), so its θ depends only on those seeds, the data and the options —
/// not on the other networks of the batch, nor on the number of threads.
/// </remarks>
public static class MeanFieldTrainer
{
    /// <summary>Guards sqrt of the variance at zero input activity.</summary>
    internal const double VarianceFloor = 1e-12;

    /// <summary>
    /// Trains one network per entry of <paramref name="networkSeeds"/> on inputs (n × Widths[0] row-major) and labels.
    /// </summary>
    public static MeanFieldResult Train(Architecture architecture, float[] inputs, byte[] labels, IReadOnlyList<ulong> networkSeeds,
        ulong noiseSeed, MeanFieldOptions options, IProgress<ProgressReport>? progress = null, CancellationToken ct = default) =>
        TrainOnThreads(architecture, inputs, labels, networkSeeds, noiseSeed, options, Environment.ProcessorCount, progress, ct);

    /// <summary>
    /// As <see cref="Train"/>, on at most <paramref name="threads"/> threads and on the kernel's 512-bit
    /// (<paramref name="wide"/> true) or 256-bit vectors (false; default: the hardware's). The result depends
    /// on neither.
    /// </summary>
    internal static MeanFieldResult TrainOnThreads(Architecture architecture, float[] inputs, byte[] labels, IReadOnlyList<ulong> networkSeeds,
        ulong noiseSeed, MeanFieldOptions options, int threads, IProgress<ProgressReport>? progress, CancellationToken ct, bool? wide = null)
    {
        int n = labels.Length, width = architecture.Widths[0], k = networkSeeds.Count, layers = architecture.Layers;
        if (inputs.Length != (long)n * width) throw new InputException($"training: {inputs.Length} input values do not make {n} rows of width {width}");
        options.Validate(n);
        int weights = architecture.WeightCount, padded = MeanFieldKernel.PaddedWeights(architecture);
        var trainable = Enumerable.Range(0, layers).Select(l => !(options.FreezeInterior && l > 0 && l < layers - 1)).ToArray();
        var initial = InitialThetaFlat(architecture, networkSeeds, options);
        var networks = new MeanFieldNetwork[k];
        for (int net = 0; net < k; net++)
            networks[net] = new MeanFieldNetwork(padded, initial.AsSpan(net * weights, weights),
                SplitMix64.Mix(networkSeeds[net], 0, 2), NoiseSeed(networkSeeds[net], noiseSeed));

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = ct };
        var stop = new Stop(StopReason.Completed, $"{options.Epochs} epochs");
        int epoch = 0;
        for (; epoch < options.Epochs; epoch++)
        {
            ct.ThrowIfCancellationRequested();
            // Networks are independent: the epochs of all networks run in lockstep only so that progress and
            // the divergence check happen per epoch, as for one batched tensor.
            Parallel.For(0, k, parallel, () => new MeanFieldKernel(architecture, options.BatchSize, trainable, n, wide),
                (net, _, kernel) =>
                {
                    networks[net].EpochLoss = kernel.Epoch(networks[net], inputs, labels, options);
                    return kernel;
                }, _ => { });
            progress?.Report(new ProgressReport("train", epoch + 1, options.Epochs, "epochs", $"loss {networks.Average(w => w.EpochLoss):F4}"));
            if (networks.Any(w => !double.IsFinite(w.EpochLoss))) { stop = new Stop(StopReason.Diverged, $"non-finite loss in epoch {epoch + 1}"); epoch++; break; }
        }

        var flat = new float[(long)k * weights];
        for (int net = 0; net < k; net++) Array.Copy(networks[net].Theta, 0, flat, (long)net * weights, weights);
        return new MeanFieldResult(k, flat, networks.Select(w => (float)w.EpochLoss).ToArray(), epoch, stop);
    }

    /// <summary>
    /// Benchmark helper: wall time per mini-batch step (gather, noise, forward, backward, Adam) of one network
    /// on the calling thread, timed in <paramref name="windows"/> windows of 10 steps. Returns the fastest and
    /// the median window per step: on a shared machine the fastest window is the one least disturbed by other
    /// processes (an estimate of the idle-core speed), the median includes the disturbance.
    /// </summary>
    public static (double Fastest, double Median) StepSeconds(Architecture architecture, float[] inputs, byte[] labels, MeanFieldOptions options, int windows = 300)
    {
        int n = labels.Length;
        options.Validate(n);
        if (windows < 1) throw new InputException($"bench: {windows} windows must be at least 1");
        var trainable = Enumerable.Range(0, architecture.Layers).Select(l => !(options.FreezeInterior && l > 0 && l < architecture.Layers - 1)).ToArray();
        var kernel = new MeanFieldKernel(architecture, options.BatchSize, trainable, n);
        var network = new MeanFieldNetwork(MeanFieldKernel.PaddedWeights(architecture), InitialThetaFlat(architecture, [1UL], options), 2, 3);
        var times = new double[windows];
        var clock = new System.Diagnostics.Stopwatch();
        for (int w = -windows / 4; w < windows; w++) // the first quarter warms up (JIT tiers, caches)
        {
            clock.Restart();
            kernel.Steps(network, inputs, labels, options, 10);
            if (w >= 0) times[w] = clock.Elapsed.TotalSeconds / 10;
        }
        Array.Sort(times);
        return (times[0], times[windows / 2]);
    }

    /// <summary>Seed of a network's noise stream: a function of its own seed and the caller's noise seed only.</summary>
    internal static ulong NoiseSeed(ulong networkSeed, ulong noiseSeed) => SplitMix64.Mix(networkSeed ^ noiseSeed * 0xA24BAED4963EE407UL, 0, 3);

    /// <summary>
    /// θ at the start: N(0, InitStd²) from each network's own generator, in spin order (K × WeightCount);
    /// with <see cref="MeanFieldOptions.FreezeInterior"/> the hidden-to-hidden layers get ±FrozenMagnitude.
    /// </summary>
    internal static float[] InitialThetaFlat(Architecture architecture, IReadOnlyList<ulong> networkSeeds, MeanFieldOptions options)
    {
        int k = networkSeeds.Count, layers = architecture.Layers, total = architecture.WeightCount;
        var flat = new float[(long)k * total];
        for (int net = 0; net < k; net++)
        {
            var rng = new SplitMix64(SplitMix64.Mix(networkSeeds[net], 0, 1));
            for (int l = 0; l < layers; l++)
            {
                bool frozen = options.FreezeInterior && l > 0 && l < layers - 1;
                var slice = architecture.LayerSlice(l);
                for (int i = slice.Start; i < slice.End; i++)
                    flat[(long)net * total + i] = frozen
                        ? (rng.NextDouble() < 0.5 ? -1f : 1f) * (float)options.FrozenMagnitude
                        : (float)(options.InitStd * rng.NextGaussian());
            }
        }
        return flat;
    }

    /// <summary>
    /// <see cref="InitialThetaFlat"/> as one [K, out, in] float tensor per layer.
    /// </summary>
    internal static Tensor[] InitialTheta(Architecture architecture, IReadOnlyList<ulong> networkSeeds, MeanFieldOptions options)
    {
        int k = networkSeeds.Count, layers = architecture.Layers, total = architecture.WeightCount;
        var flat = InitialThetaFlat(architecture, networkSeeds, options);
        var all = tensor(flat, [k, total]);
        var result = new Tensor[layers];
        for (int l = 0; l < layers; l++)
        {
            var slice = architecture.LayerSlice(l);
            result[l] = all.narrow(1, slice.Start, slice.Length).reshape(k, architecture.Widths[l + 1], architecture.Widths[l]).contiguous();
        }
        all.Dispose();
        return result;
    }

    /// <summary>
    /// Per-network loss (mean cross-entropy over the mini-batch) and, into <paramref name="gradients"/>,
    /// ∂loss/∂θ per layer for fixed noise: the torch reference of <see cref="MeanFieldKernel"/> (used by
    /// the tests). θ: [K, out, in] per layer; a0: [K, B, in]; targets: [K, B]
    /// int64; noise: [K, B, out] per layer. Works in the dtype of θ (float64 in the gradient check).
    /// </summary>
    internal static Tensor LossesAndGradients(Architecture architecture, IReadOnlyList<Tensor> theta, Tensor a0, Tensor targets,
        IReadOnlyList<Tensor> noise, Tensor[]? gradients)
    {
        int layers = architecture.Layers;
        long batch = a0.shape[1];
        var inputs = new Tensor[layers];     // a_l
        var mus = new Tensor[layers];        // μ_l
        var variances = new Tensor[layers];  // 1 − μ_l²
        var sigmas = new Tensor[layers];     // sqrt(Σ (1 − μ²) a²)
        var preActivations = new Tensor[layers];
        Tensor activity = a0;
        for (int l = 0; l < layers; l++)
        {
            inputs[l] = activity;
            mus[l] = theta[l].Over(2).tanh_();
            variances[l] = mus[l].square().SubtractedFrom(1);
            var mean = bmm(activity, mus[l].transpose(1, 2));
            var variance = bmm(activity.square(), variances[l].transpose(1, 2));
            sigmas[l] = variance.PlusInPlace(VarianceFloor).sqrt_();
            var z = mean.AddProductInPlace(sigmas[l], noise[l], 1.0);
            preActivations[l] = z;
            if (l < layers - 1)
                activity = z.LeakyRelu(BinaryNetwork.LeakySlope).OverInPlace(Math.Sqrt(architecture.Widths[l]));
        }
        var logits = preActivations[layers - 1];
        var logProbabilities = logits.log_softmax(2);
        var losses = -logProbabilities.gather(2, targets.unsqueeze(2)).squeeze(2).mean([1]);
        if (gradients == null) return losses;

        // ∂L/∂z_out = (softmax − onehot)/B.
        var dz = logProbabilities.exp().scatter_add_(2, targets.unsqueeze(2), TorchScalars.FullLike(targets.unsqueeze(2), -1.0, logits.dtype)).OverInPlace(batch);
        for (int l = layers - 1; l >= 0; l--)
        {
            // z = m + s·ε, s = sqrt(v), v = (1−μ²)·a²: ∂L/∂v = ∂L/∂z · ε / (2s).
            var dVariance = dz.mul(noise[l]).div_(sigmas[l].Times(2));
            var a = inputs[l];
            var dMu = bmm(dz.transpose(1, 2), a);                             // Σ_b ∂L/∂z · a
            var dVar = bmm(dVariance.transpose(1, 2), a.square());             // Σ_b ∂L/∂v · a²
            // ∂L/∂μ = dMu − 2μ·dVar; dμ/dθ = (1 − μ²)/2.
            gradients[l] = dMu.sub_(dVar.mul_(mus[l]).TimesInPlace(2)).mul_(variances[l]).OverInPlace(2);
            if (l == 0) break;
            // ∂L/∂a = ∂L/∂z·μ + 2a·(∂L/∂v·(1−μ²)); back through a = LReLU(z_prev)/sqrt(n_in,prev).
            var dA = bmm(dz, mus[l]).PlusInPlace(bmm(dVariance, variances[l]).mul_(a).TimesInPlace(2));
            var slope = TorchScalars.Select(preActivations[l - 1].GreaterThan(0), 1.0, BinaryNetwork.LeakySlope).to_type(dA.dtype);
            dz = dA.mul_(slope).OverInPlace(Math.Sqrt(architecture.Widths[l - 1]));
        }
        return losses;
    }
}
