using FunctionSpace.Ising.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Studies;

/// <summary>
/// Forward pass of K bias-free networks with real-valued weights, in the study's parametrisation (the same
/// as the binary networks so that real and binary weights are compared on one function family): z = W a,
/// hidden a' = LReLU(z)/sqrt(n_in) with LReLU(x) = max(x, 0.1x), output linear.
/// </summary>
public static class DenseNetwork
{
    /// <summary>
    /// Outputs [K, n, out] for weights given per layer as [K, out, in] tensors and inputs x [n, in] shared by
    /// all networks.
    /// </summary>
    public static Tensor Forward(Architecture architecture, IReadOnlyList<Tensor> weights, Tensor inputs)
    {
        Tensor activity = inputs;
        for (int l = 0; l < architecture.Layers; l++)
        {
            // [n, in]·[K, in, out] broadcasts to [K, n, out]; later layers are [K, n, in]·[K, in, out].
            var z = matmul(activity, weights[l].transpose(1, 2));
            if (l == architecture.Layers - 1) return z;
            activity = z.LeakyRelu(BinaryNetwork.LeakySlope).OverInPlace(Math.Sqrt(architecture.Widths[l]));
        }
        return activity;
    }

    /// <summary>
    /// Splits K flat weight vectors (K × WeightCount, the study's spin order) into one [K, out, in] tensor
    /// per layer.
    /// </summary>
    public static Tensor[] Layers(Architecture architecture, float[] flat, int networks)
    {
        if (flat.Length != (long)networks * architecture.WeightCount)
            throw new ArgumentException($"{flat.Length} weights are not {networks} networks of {architecture.WeightCount}");
        using var all = tensor(flat, [networks, architecture.WeightCount]);
        var result = new Tensor[architecture.Layers];
        for (int l = 0; l < architecture.Layers; l++)
        {
            var slice = architecture.LayerSlice(l);
            result[l] = all.narrow(1, slice.Start, slice.Length).reshape(networks, architecture.Widths[l + 1], architecture.Widths[l]).contiguous();
        }
        return result;
    }

    /// <summary>Concatenates per-layer [K, out, in] tensors back into K × WeightCount, the study's spin order.</summary>
    public static float[] Flatten(Architecture architecture, IReadOnlyList<Tensor> layers)
    {
        int k = (int)layers[0].shape[0], total = architecture.WeightCount;
        var flat = new float[(long)k * total];
        for (int l = 0; l < architecture.Layers; l++)
        {
            int size = architecture.Widths[l] * architecture.Widths[l + 1], offset = architecture.LayerOffset(l);
            var values = layers[l].detach().contiguous().data<float>().ToArray();
            for (int net = 0; net < k; net++) Array.Copy(values, (long)net * size, flat, (long)net * total + offset, size);
        }
        return flat;
    }

    /// <summary>
    /// Error rate (fraction misclassified) of each network: for <see cref="StudyTask.TenClass"/> (and the
    /// two-class softmax form of parity, when the output width is 2) argmax ≠ label; for one output unit
    /// trained on parity, sign(f) ≠ y (<see cref="ParityTask.IsError"/>).
    /// </summary>
    /// <param name="outputs">[K, n, out] network outputs.</param>
    /// <param name="classLabels">[n] int64 class labels (used when out ≥ 2).</param>
    /// <param name="signs">[n] float ±1 labels (used when out = 1).</param>
    public static float[] ErrorRates(Tensor outputs, Tensor? classLabels, Tensor? signs)
    {
        using var scope = NewDisposeScope();
        long n = outputs.shape[1];
        Tensor wrong;
        if (outputs.shape[2] == 1)
        {
            if (signs is null) throw new ArgumentException("one output unit needs ±1 labels");
            wrong = outputs.squeeze(2).mul(signs).AtMost(0);
        }
        else
        {
            if (classLabels is null) throw new ArgumentException("several output units need class labels");
            wrong = outputs.argmax(2).ne(classLabels);
        }
        return wrong.to_type(ScalarType.Float64).sum(1).OverInPlace(n).to_type(ScalarType.Float32).data<float>().ToArray();
    }
}
