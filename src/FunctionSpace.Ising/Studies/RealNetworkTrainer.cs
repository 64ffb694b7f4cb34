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

/// <summary>Why real-valued training stopped.</summary>
public enum RealTrainingStop
{
    /// <summary>Every network classifies every training example correctly.</summary>
    ZeroTrainingError,
    /// <summary>The epoch cap was reached with some training error left.</summary>
    EpochCap,
    /// <summary>A loss became NaN or infinite.</summary>
    Diverged,
}

/// <summary>Trained real-valued networks.</summary>
/// <param name="Networks">Number K of networks.</param>
/// <param name="Weights">K × WeightCount weights, the study's order.</param>
/// <param name="TrainErrors">Each network's training error rate at the end.</param>
/// <param name="FinalLosses">Each network's full-batch training loss at the end.</param>
/// <param name="EpochsRun">Epochs completed.</param>
/// <param name="Stop">Why training stopped.</param>
public sealed record RealTrainingResult(int Networks, float[] Weights, float[] TrainErrors, float[] FinalLosses, int EpochsRun, RealTrainingStop Stop);

/// <summary>
/// Gradient training (TorchSharp autograd, float32) of K independent real-valued networks of the same
/// architecture at once, in the parametrisation of <see cref="DenseNetwork"/>. Ten classes: softmax
/// cross-entropy; parity: one output unit with the hinge loss max(0, 1 − y·f(x)) (<see cref="ParityTask"/>).
/// </summary>
/// <remarks>
/// The loss minimised is the sum over networks of each network's mean loss, so the gradients (and Adam's
/// element-wise moments) of different networks never mix: batching K networks is K independent runs.
/// All networks see the same mini-batch order (from <c>seed</c>); their initial weights differ
/// (per-network generators). Training stops early once all K networks reach zero training error, the
/// interpolation point of the double-descent picture (Belkin et al. 2019; Nakkiran et al. 2019).
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
        int n = digits.Length, width = architecture.Widths[0], k = networkSeeds.Count, outputs = architecture.Widths[^1];
        if (inputs.Length != (long)n * width) throw new InputException($"training: {inputs.Length} input values do not make {n} rows of width {width}");
        int expected = task == StudyTask.Parity ? 1 : 10;
        if (outputs != expected) throw new InputException($"architecture: task {task} needs {expected} output unit(s), {architecture} has {outputs}");
        if (k < 1) throw new ArgumentException("at least one network");
        options.Validate(n);
        int batch = options.BatchSize == 0 ? n : options.BatchSize;
        int steps = n / batch;

        using var scope = NewDisposeScope();
        var x = tensor(inputs, [n, width]);
        var classLabels = tensor(digits.Select(d => (long)d).ToArray());
        var signs = tensor(ParityTask.Signs(digits).Select(s => (float)s).ToArray());
        var parameters = InitialWeights(architecture, networkSeeds, options.InitStd)
            .Select(w => new TorchSharp.Modules.Parameter(w, requires_grad: true)).ToArray();
        using optim.Optimizer optimizer = options.Optimizer == RealOptimizer.Adam
            ? optim.Adam(parameters, options.LearningRate)
            : optim.SGD(parameters, options.LearningRate);
        var order = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
        var shuffle = new Random(unchecked((int)(seed ^ (seed >> 32))));

        var stop = RealTrainingStop.EpochCap;
        float[] trainErrors = new float[k], losses = new float[k];
        int epoch = 0;
        while (epoch < options.MaxEpochs)
        {
            ct.ThrowIfCancellationRequested();
            if (batch < n) shuffle.Shuffle(order);
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
                    var output = DenseNetwork.Forward(architecture, parameters, xb);
                    var loss = PerNetworkLoss(output, task, yb, sb).sum();
                    loss.backward();
                    optimizer.step();
                }
            }
            epoch++;
            if (epoch % options.CheckEvery == 0 || epoch == options.MaxEpochs)
            {
                (trainErrors, losses) = Evaluate(architecture, parameters, x, task, classLabels, signs);
                progress?.Report(new ProgressReport("train", epoch, options.MaxEpochs, "epochs",
                    $"train error {trainErrors.Average():F4}, loss {losses.Average():F4}"));
                if (losses.Any(v => !float.IsFinite(v))) { stop = RealTrainingStop.Diverged; break; }
                if (trainErrors.All(e => e == 0)) { stop = RealTrainingStop.ZeroTrainingError; break; }
            }
        }
        return new RealTrainingResult(k, DenseNetwork.Flatten(architecture, parameters), trainErrors, losses, epoch, stop);
    }

    /// <summary>Per-network mean loss [K]: cross-entropy over C ≥ 2 outputs, or hinge on one output.</summary>
    internal static Tensor PerNetworkLoss(Tensor outputs, StudyTask task, Tensor classLabels, Tensor signs)
    {
        if (task == StudyTask.Parity)
            return nn.functional.relu(1 - outputs.squeeze(2).mul(signs)).mean([1]);   // max(0, 1 − y f)
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
            using var values = randn([total], generator: generator).mul_(std);
            values.data<float>().CopyTo(flat.AsSpan(net * total, total));
        }
        return DenseNetwork.Layers(architecture, flat, k);
    }
}
