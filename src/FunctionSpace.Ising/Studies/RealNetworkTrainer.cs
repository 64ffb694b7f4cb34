using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Studies;

/// <summary>Optimiser of the real-valued trainer.</summary>
public enum RealOptimizer
{
    /// <summary>Adam (β = 0.9, 0.999; ε = 1e-8).</summary>
    Adam,
    /// <summary>Plain stochastic gradient descent, no momentum.</summary>
    Sgd,
}

/// <summary>Hyper-parameters of real-valued training (no regularisation: double descent needs none).</summary>
/// <param name="LearningRate">Step size.</param>
/// <param name="BatchSize">Mini-batch size; 0 = full batch.</param>
/// <param name="MaxEpochs">Cap on passes over the training set.</param>
/// <param name="Optimizer">Adam or plain SGD.</param>
/// <param name="InitStd">Weights start N(0, InitStd²) (the 1/sqrt(n_in) scale sits in the activation).</param>
/// <param name="CheckEvery">Epochs between full training-error checks (the stop test).</param>
public sealed record RealTrainingOptions(double LearningRate = 0.01, int BatchSize = 0, int MaxEpochs = 2000,
    RealOptimizer Optimizer = RealOptimizer.Adam, double InitStd = 1.0, int CheckEvery = 10)
{
    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate(int trainCount)
    {
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new InputException($"--real-lr: {LearningRate} must be a positive number");
        if (BatchSize < 0 || BatchSize > trainCount) throw new InputException($"--real-batch: {BatchSize} is outside 0..{trainCount} (0 = full batch)");
        if (MaxEpochs < 1) throw new InputException($"--real-epochs: {MaxEpochs} must be at least 1");
        if (!(InitStd > 0)) throw new InputException($"--real-init-std: {InitStd} must be positive");
        if (CheckEvery < 1) throw new InputException($"--check-every: {CheckEvery} must be at least 1");
    }
}

/// <summary>Why real-valued training stops, in the shared <see cref="StopReason"/> vocabulary.</summary>
public static class RealTrainingStops
{
    /// <summary>Every network classifies every training example correctly.</summary>
    public static Stop ZeroTrainingError { get; } = new(StopReason.Converged, "zero training error");

    /// <summary>The epoch cap was reached with some training error left.</summary>
    public static Stop EpochCap { get; } = new(StopReason.IterationCap, "epoch cap");

    /// <summary>A loss became NaN or infinite.</summary>
    public static Stop Diverged { get; } = new(StopReason.Diverged, "non-finite loss");
}

/// <summary>Trained real-valued networks.</summary>
/// <param name="Networks">Number K of networks.</param>
/// <param name="Weights">K × WeightCount weights, the study's order.</param>
/// <param name="TrainErrors">Each network's training error rate at the end.</param>
/// <param name="FinalLosses">Each network's full-batch training loss at the end.</param>
/// <param name="InterpolationEpochs">Epoch at which each network first reached zero training error (−1: never); its weights are from then.</param>
/// <param name="EpochsRun">Epochs completed.</param>
/// <param name="Stop">Why training stopped.</param>
public sealed record RealTrainingResult(int Networks, float[] Weights, float[] TrainErrors, float[] FinalLosses, int[] InterpolationEpochs, int EpochsRun, Stop Stop);

/// <summary>Networks of possibly different hidden widths trained together (<see cref="RealNetworkTrainer.TrainMany"/>).</summary>
/// <param name="Architectures">Each network's architecture.</param>
/// <param name="Weights">Each network's weights in its own architecture's order.</param>
/// <param name="TrainErrors">Each network's training error rate (at its interpolation point, else at the end).</param>
/// <param name="FinalLosses">Each network's full-batch training loss at the same point.</param>
/// <param name="InterpolationEpochs">Epoch at which each network first reached zero training error (−1: never).</param>
/// <param name="EpochsRun">Epochs completed.</param>
/// <param name="Stop">Why training stopped.</param>
public sealed record ManyNetworksResult(Architecture[] Architectures, float[][] Weights, float[] TrainErrors, float[] FinalLosses,
    int[] InterpolationEpochs, int EpochsRun, Stop Stop);

/// <summary>
/// Gradient training (TorchSharp autograd, float32) of K independent real-valued networks of the same
/// architecture at once, in the parametrisation of <see cref="DenseNetwork"/>. Ten classes: softmax
/// cross-entropy; parity: one output unit with the hinge loss max(0, 1 − y·f(x)) (<see cref="ParityTask"/>).
/// </summary>
/// <remarks>
/// The loss minimised is the sum over networks of each network's mean loss, so the gradients (and Adam's
/// element-wise moments) of different networks never mix: batching K networks is K independent runs.
/// All networks see the same mini-batch order (from <c>seed</c>); their initial weights differ
/// (per-network generators). Each network is taken at its interpolation point (first check with zero
/// training error), the point of the double-descent picture (Belkin et al. 2019; Nakkiran et al. 2019);
/// training stops once all K networks have reached it.
/// </remarks>
public static class RealNetworkTrainer
{
    /// <summary>
    /// Trains K = <paramref name="networkSeeds"/>.Count networks on inputs (n × Widths[0] row-major) and
    /// digit labels for <paramref name="task"/>. The output width must be 10 (ten classes) or 1 (parity).
    /// </summary>
    public static RealTrainingResult Train(Architecture architecture, float[] inputs, byte[] digits, StudyTask task,
        IReadOnlyList<ulong> networkSeeds, ulong seed, RealTrainingOptions options,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        if (networkSeeds.Count < 1) throw new ArgumentException("at least one network");
        var trained = TrainMany(Enumerable.Repeat(architecture, networkSeeds.Count).ToArray(), inputs, digits, task, networkSeeds, seed, options, progress, ct);
        var flat = new float[(long)networkSeeds.Count * architecture.WeightCount];
        for (int net = 0; net < networkSeeds.Count; net++) trained.Weights[net].CopyTo(flat, (long)net * architecture.WeightCount);
        return new RealTrainingResult(networkSeeds.Count, flat, trained.TrainErrors, trained.FinalLosses, trained.InterpolationEpochs, trained.EpochsRun, trained.Stop);
    }

    /// <summary>
    /// Trains one network per entry of <paramref name="architectures"/> (same input width, output width and
    /// depth; hidden widths may differ) in ONE batched run: every network lives in the largest
    /// architecture with its surplus hidden units masked to zero and its own 1/sqrt(n_in) scale, so a
    /// width sweep costs about one run at the largest width instead of one run per width.
    /// </summary>
    /// <remarks>
    /// A masked unit has z = 0, so LReLU gives a = 0: it sends nothing forward and its weights get zero
    /// gradient; the computed function and gradients of each network are those of its own architecture.
    /// Each network's weights are snapshot the first time a check finds it at zero training error (its
    /// interpolation point) and it is reported from there; training goes on until all have interpolated
    /// or the epoch cap.
    /// </remarks>
    public static ManyNetworksResult TrainMany(IReadOnlyList<Architecture> architectures, float[] inputs, byte[] digits, StudyTask task,
        IReadOnlyList<ulong> networkSeeds, ulong seed, RealTrainingOptions options,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        int k = networkSeeds.Count;
        if (k < 1 || architectures.Count != k) throw new ArgumentException("one architecture per network, at least one network");
        var first = architectures[0];
        if (architectures.Any(a => a.Layers != first.Layers || a.Widths[0] != first.Widths[0] || a.Widths[^1] != first.Widths[^1]))
            throw new InputException($"architecture: networks trained together need the same depth, input and output width ({string.Join(", ", architectures.Distinct())})");
        int n = digits.Length, width = first.Widths[0], outputs = first.Widths[^1], layers = first.Layers;
        if (inputs.Length != (long)n * width) throw new InputException($"training: {inputs.Length} input values do not make {n} rows of width {width}");
        int expected = task == StudyTask.Parity ? 1 : 10;
        if (outputs != expected) throw new InputException($"architecture: task {task} needs {expected} output unit(s), {first} has {outputs}");
        options.Validate(n);
        int batch = options.BatchSize == 0 ? n : options.BatchSize;
        int steps = n / batch;
        var largest = new Architecture(Enumerable.Range(0, layers + 1).Select(l => architectures.Max(a => a.Widths[l])).ToArray());

        using var scope = NewDisposeScope();
        var x = tensor(inputs, [n, width]);
        var classLabels = tensor(digits.Select(d => (long)d).ToArray());
        var signs = tensor(ParityTask.Signs(digits).Select(s => (float)s).ToArray());
        var (masks, scales) = MasksAndScales(architectures, largest);
        var parameters = InitialWeights(largest, networkSeeds, options.InitStd)
            .Select(w => new TorchSharp.Modules.Parameter(w, requires_grad: true)).ToArray();
        using optim.Optimizer optimizer = options.Optimizer == RealOptimizer.Adam
            ? optim.Adam(parameters, options.LearningRate)
            : optim.SGD(parameters, options.LearningRate);
        var order = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
        var shuffle = new SplitMix64(seed);

        var stop = RealTrainingStops.EpochCap;
        var trainErrors = new float[k];
        var losses = new float[k];
        var interpolation = Enumerable.Repeat(-1, k).ToArray();
        var weights = new float[k][];
        int epoch = 0;
        while (epoch < options.MaxEpochs)
        {
            ct.ThrowIfCancellationRequested();
            if (batch < n) shuffle.Permutation(order);
            using (var epochScope = NewDisposeScope())
            {
                var orderT = tensor(order);
                for (int s = 0; s < steps; s++)
                {
                    using var stepScope = NewDisposeScope();
                    Tensor xb = x, yb = classLabels, sb = signs;
                    if (batch < n)
                    {
                        var index = orderT.narrow(0, (long)s * batch, batch);
                        xb = x.index_select(0, index);
                        yb = classLabels.index_select(0, index);
                        sb = signs.index_select(0, index);
                    }
                    optimizer.zero_grad();
                    var output = MaskedForward(largest, parameters, masks, scales, xb);
                    var loss = PerNetworkLoss(output, task, yb, sb).sum();
                    loss.backward();
                    optimizer.step();
                }
            }
            epoch++;
            if (epoch % options.CheckEvery == 0 || epoch == options.MaxEpochs)
            {
                float[] errors, currentLosses;
                using (var noGrad = no_grad())
                using (var checkScope = NewDisposeScope())
                {
                    var output = MaskedForward(largest, parameters, masks, scales, x);
                    currentLosses = PerNetworkLoss(output, task, classLabels, signs).data<float>().ToArray();
                    errors = DenseNetwork.ErrorRates(output, classLabels, signs);
                }
                for (int net = 0; net < k; net++)
                {
                    if (interpolation[net] >= 0) continue;
                    trainErrors[net] = errors[net];
                    losses[net] = currentLosses[net];
                    if (errors[net] == 0)
                    {
                        interpolation[net] = epoch;
                        weights[net] = Extract(parameters, largest, architectures[net], net);
                    }
                }
                progress?.Report(new ProgressReport("train", epoch, options.MaxEpochs, "epochs",
                    $"train error {trainErrors.Average():F4}, interpolated {interpolation.Count(e => e >= 0)}/{k}"));
                if (currentLosses.Any(v => !float.IsFinite(v))) { stop = RealTrainingStops.Diverged; break; }
                if (interpolation.All(e => e >= 0)) { stop = RealTrainingStops.ZeroTrainingError; break; }
            }
        }
        for (int net = 0; net < k; net++) weights[net] ??= Extract(parameters, largest, architectures[net], net);
        return new ManyNetworksResult(architectures.ToArray(), weights, trainErrors, losses, interpolation, epoch, stop);
    }

    /// <summary>
    /// Per hidden layer l: a row mask [K, out, 1] (1 for the network's own units) and the scale
    /// 1/sqrt(n_in) [K, 1, 1] with the network's own fan-in.
    /// </summary>
    private static (Tensor[] Masks, Tensor[] Scales) MasksAndScales(IReadOnlyList<Architecture> architectures, Architecture largest)
    {
        int k = architectures.Count, layers = largest.Layers;
        var masks = new Tensor[layers - 1];
        var scales = new Tensor[layers - 1];
        for (int l = 0; l < layers - 1; l++)
        {
            int rows = largest.Widths[l + 1];
            var mask = new float[k * rows];
            var scale = new float[k];
            for (int net = 0; net < k; net++)
            {
                for (int r = 0; r < architectures[net].Widths[l + 1]; r++) mask[net * rows + r] = 1;
                scale[net] = (float)(1 / Math.Sqrt(architectures[net].Widths[l]));
            }
            masks[l] = tensor(mask, [k, rows, 1]);
            scales[l] = tensor(scale, [k, 1, 1]);
        }
        return (masks, scales);
    }

    /// <summary><see cref="DenseNetwork.Forward"/> with masked hidden units and per-network hidden scales.</summary>
    private static Tensor MaskedForward(Architecture largest, IReadOnlyList<Tensor> weights, Tensor[] masks, Tensor[] scales, Tensor inputs)
    {
        Tensor activity = inputs;
        for (int l = 0; l < largest.Layers; l++)
        {
            var w = l < largest.Layers - 1 ? weights[l].mul(masks[l]) : weights[l];
            var z = matmul(activity, w.transpose(1, 2));
            if (l == largest.Layers - 1) return z;
            activity = z.LeakyRelu(BinaryNetwork.LeakySlope).mul_(scales[l]);
        }
        return activity;
    }

    /// <summary>Network <paramref name="net"/>'s own weights (its architecture's order) out of the padded tensors.</summary>
    private static float[] Extract(IReadOnlyList<Tensor> weights, Architecture largest, Architecture own, int net)
    {
        var result = new float[own.WeightCount];
        for (int l = 0; l < own.Layers; l++)
        {
            using var scope = NewDisposeScope();
            var block = weights[l].detach()[net].narrow(0, 0, own.Widths[l + 1]).narrow(1, 0, own.Widths[l]).contiguous();
            block.data<float>().CopyTo(result.AsSpan(own.LayerOffset(l), own.Widths[l] * own.Widths[l + 1]));
        }
        return result;
    }

    /// <summary>Per-network mean loss [K]: cross-entropy over C ≥ 2 outputs, or hinge on one output.</summary>
    internal static Tensor PerNetworkLoss(Tensor outputs, StudyTask task, Tensor classLabels, Tensor signs)
    {
        if (task == StudyTask.Parity)
            return nn.functional.relu(outputs.squeeze(2).mul(signs).SubtractedFrom(1)).mean([1]);   // max(0, 1 − y f)
        var logProbabilities = outputs.log_softmax(2);
        long k = outputs.shape[0];
        var index = classLabels.unsqueeze(0).expand(k, -1).unsqueeze(2);
        return -logProbabilities.gather(2, index).squeeze(2).mean([1]);
    }

    /// <summary>Error rate and mean loss of each network on a whole set.</summary>
    public static (float[] Errors, float[] Losses) Evaluate(Architecture architecture, IReadOnlyList<Tensor> weights, Tensor inputs,
        StudyTask task, Tensor classLabels, Tensor signs)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var output = DenseNetwork.Forward(architecture, weights, inputs);
        var losses = PerNetworkLoss(output, task, classLabels, signs).data<float>().ToArray();
        return (DenseNetwork.ErrorRates(output, classLabels, signs), losses);
    }

    /// <summary>Error rate of each of K trained networks (flat weights) on a labelled set.</summary>
    public static float[] ErrorRates(Architecture architecture, float[] weights, int networks, float[] inputs, byte[] digits, StudyTask task)
    {
        using var scope = NewDisposeScope();
        var layers = DenseNetwork.Layers(architecture, weights, networks);
        var x = tensor(inputs, [digits.Length, architecture.Widths[0]]);
        var classLabels = tensor(digits.Select(d => (long)d).ToArray());
        var signs = tensor(ParityTask.Signs(digits).Select(s => (float)s).ToArray());
        return Evaluate(architecture, layers, x, task, classLabels, signs).Errors;
    }

    /// <summary>N(0, std²) weights, one seeded generator per network; one [K, out, in] tensor per layer.</summary>
    internal static Tensor[] InitialWeights(Architecture architecture, IReadOnlyList<ulong> networkSeeds, double std)
    {
        int k = networkSeeds.Count, total = architecture.WeightCount;
        var flat = new float[(long)k * total];
        for (int net = 0; net < k; net++)
        {
            using var generator = new Generator(networkSeeds[net]);
            using var values = randn([total], generator: generator).TimesInPlace(std);
            values.data<float>().CopyTo(flat.AsSpan(net * total, total));
        }
        return DenseNetwork.Layers(architecture, flat, k);
    }
}
