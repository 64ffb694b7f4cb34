using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Training;

/// <summary>The training state of one mean-field network: θ, Adam moments, its data-order and noise generators.</summary>
internal sealed class MeanFieldNetwork
{
    /// <summary>θ in spin order, padded with zeros to a multiple of 16.</summary>
    public readonly float[] Theta;
    /// <summary>Adam first moment.</summary>
    public readonly float[] M;
    /// <summary>Adam second moment.</summary>
    public readonly float[] V;
    /// <summary>The network's own data order (Fisher–Yates per epoch).</summary>
    public SplitMix64 Order;
    /// <summary>The network's own noise ε.</summary>
    public readonly NormalStream Noise;
    /// <summary>Adam steps taken.</summary>
    public long Steps;
    /// <summary>Mean mini-batch loss of the last epoch run.</summary>
    public double EpochLoss;

    public MeanFieldNetwork(int paddedWeights, ReadOnlySpan<float> theta, ulong orderSeed, ulong noiseSeed)
    {
        Theta = new float[paddedWeights];
        M = new float[paddedWeights];
        V = new float[paddedWeights];
        theta.CopyTo(Theta);
        Order = new SplitMix64(orderSeed);
        Noise = new NormalStream(noiseSeed);
    }
}

/// <summary>
/// Fused CPU kernel of one LR-net mean-field training step (forward pass, loss, hand-written gradient, Adam)
/// for one network on one mini-batch; the workspace of one thread. Activations are stored feature-major
/// ([unit][example], examples padded to a multiple of 16) so every inner loop runs over 16 examples per
/// AVX-512 vector while the layer's μ and 1 − μ² (≤ 20 × 15 each) stay in L1.
/// </summary>
/// <remarks>
/// Local reparameterisation (Shayer, Levi &amp; Fetaya 2018, Eqs. 3–5, as used by Zou &amp; Huang 2021): per
/// layer with input activity a, μ = tanh(θ/2), z = μ·a + sqrt((1 − μ²)·a² + floor)·ε, hidden
/// a' = LReLU(z)/sqrt(n_in), softmax cross-entropy on the output z (batch mean). The backward pass is the
/// one of <see cref="MeanFieldTrainer.LossesAndGradients"/> (the reference it is tested against):
/// with s = sqrt(v), ∂L/∂v = ∂L/∂z·ε/(2s); ∂L/∂μ = Σ_b ∂L/∂z·a − 2μ·Σ_b ∂L/∂v·a²; dμ/dθ = (1 − μ²)/2;
/// ∂L/∂a = Σ_o ∂L/∂z·μ + 2a·Σ_o ∂L/∂v·(1 − μ²), then through the LReLU slope and 1/sqrt(n_in).
/// Padding examples have zero input, zero weight in the loss and zero ∂L/∂z, so they contribute nothing.
/// </remarks>
internal sealed class MeanFieldKernel
{
    private const int Lanes = 16;
    private readonly int[] _widths, _offsets;
    private readonly int _layers, _batch, _padded, _paddedWeights;
    private readonly float[][] _act, _z, _s;   // per layer: input a, pre-activation z, ∂z/∂v = ε/(2s) with s = sqrt(v)
    private readonly float[] _noise;                 // all layers' ε, layer l at _noiseOffset[l], [out][padded]
    private readonly int[] _noiseOffset;
    private float[] _dz, _dzPrev;                    // ∂L/∂z of the current / previous layer, [unit][padded]
    private readonly float[] _dv;                    // ∂L/∂v, [unit][padded]
    private readonly float[] _mu, _var, _grad;       // μ, 1 − μ², ∂L/∂θ in spin order (padded)
    private readonly int[] _labels;                  // [padded], −1 for padding
    private readonly float[] _valid;                 // 1 for a real example, 0 for padding
    private readonly float[] _trainMask;             // bits set for trainable weights
    private readonly float[] _invSqrtWidth;

    /// <summary>Example indices of the current epoch (the data order).</summary>
    public readonly int[] Order;

    /// <summary>Weights padded to a multiple of 16.</summary>
    public static int PaddedWeights(Architecture architecture) => (architecture.WeightCount + Lanes - 1) / Lanes * Lanes;

    /// <param name="architecture">Widths.</param>
    /// <param name="batch">Mini-batch size B.</param>
    /// <param name="trainable">Per layer: trained (true) or frozen.</param>
    /// <param name="examples">Training-set size (length of <see cref="Order"/>).</param>
    public MeanFieldKernel(Architecture architecture, int batch, IReadOnlyList<bool> trainable, int examples)
    {
        _widths = architecture.Widths.ToArray();
        _layers = architecture.Layers;
        _offsets = Enumerable.Range(0, _layers).Select(architecture.LayerOffset).ToArray();
        _batch = batch;
        _padded = (batch + Lanes - 1) / Lanes * Lanes;
        _paddedWeights = PaddedWeights(architecture);
        _act = new float[_layers][];
        _z = new float[_layers][];
        _s = new float[_layers][];
        _noiseOffset = new int[_layers];
        int noise = 0, maxWidth = _widths.Max();
        for (int l = 0; l < _layers; l++)
        {
            _act[l] = new float[_widths[l] * _padded];
            _z[l] = new float[_widths[l + 1] * _padded];
            _s[l] = new float[_widths[l + 1] * _padded];
            _noiseOffset[l] = noise;
            noise += _widths[l + 1] * _padded;
        }
        _noise = new float[noise];
        _dz = new float[maxWidth * _padded];
        _dzPrev = new float[maxWidth * _padded];
        _dv = new float[maxWidth * _padded];
        _mu = new float[_paddedWeights];
        _var = new float[_paddedWeights];
        _grad = new float[_paddedWeights];
        _labels = new int[_padded];
        _valid = new float[_padded];
        for (int b = 0; b < _padded; b++) _valid[b] = b < batch ? 1f : 0f;
        _trainMask = new float[_paddedWeights];
        for (int l = 0; l < _layers; l++)
        {
            if (!trainable[l]) continue;
            var slice = architecture.LayerSlice(l);
            for (int i = slice.Start; i < slice.End; i++) _trainMask[i] = BitConverter.Int32BitsToSingle(-1);
        }
        _invSqrtWidth = _widths.Select(w => (float)(1 / Math.Sqrt(w))).ToArray();
        Order = new int[examples];
    }

    /// <summary>The gradient of the last <see cref="LossAndGradient(float[])"/> (spin order, padded).</summary>
    public ReadOnlySpan<float> Gradient => _grad;

    /// <summary>
    /// One epoch of network <paramref name="net"/>: a fresh permutation of the examples from its order
    /// generator, then ⌊n/B⌋ mini-batch steps (a last partial mini-batch is dropped). Returns the mean loss.
    /// </summary>
    public double Epoch(MeanFieldNetwork net, float[] inputs, byte[] labels, MeanFieldOptions options)
    {
        int n = labels.Length, steps = n / _batch;
        net.Order.Permutation(Order.AsSpan(0, n));
        double lossSum = 0;
        for (int step = 0; step < steps; step++)
        {
            Gather(inputs, labels, Order.AsSpan(step * _batch, _batch));
            net.Noise.Fill(_noise);
            lossSum += LossAndGradient(net.Theta);
            net.Steps++;
            Adam(net, options);
        }
        return lossSum / steps;
    }

    /// <summary>
    /// <paramref name="count"/> steps on consecutive mini-batches of a fresh permutation (benchmarking: the
    /// permutation is drawn when the previous one is used up).
    /// </summary>
    public void Steps(MeanFieldNetwork net, float[] inputs, byte[] labels, MeanFieldOptions options, int count)
    {
        int n = labels.Length, steps = n / _batch;
        for (int c = 0; c < count; c++)
        {
            int step = (int)(net.Steps % steps);
            if (step == 0) net.Order.Permutation(Order.AsSpan(0, n));
            Gather(inputs, labels, Order.AsSpan(step * _batch, _batch));
            net.Noise.Fill(_noise);
            LossAndGradient(net.Theta);
            net.Steps++;
            Adam(net, options);
        }
    }

    /// <summary>Copies the mini-batch's inputs feature-major into layer 0's activity and its labels.</summary>
    private void Gather(float[] inputs, byte[] labels, ReadOnlySpan<int> rows)
    {
        int width = _widths[0], p = _padded;
        var a = _act[0];
        for (int b = 0; b < rows.Length; b++)
        {
            int row = rows[b];
            var source = inputs.AsSpan(row * width, width);
            for (int j = 0; j < width; j++) a[j * p + b] = source[j];
            _labels[b] = labels[row];
        }
        for (int b = rows.Length; b < p; b++)
        {
            for (int j = 0; j < width; j++) a[j * p + b] = 0f;
            _labels[b] = -1;
        }
    }

    /// <summary>
    /// Test entry: sets the mini-batch (inputs B × Widths[0] row-major, labels) and the noise (per layer
    /// B × out, row-major, concatenated over layers) of the reference's layout.
    /// </summary>
    public void SetBatch(float[] inputs, byte[] labels, float[] noise)
    {
        Gather(inputs, labels, Enumerable.Range(0, _batch).ToArray());
        Array.Clear(_noise);
        int offset = 0;
        for (int l = 0; l < _layers; l++)
        {
            int nOut = _widths[l + 1];
            for (int b = 0; b < _batch; b++)
                for (int o = 0; o < nOut; o++) _noise[_noiseOffset[l] + o * _padded + b] = noise[offset + b * nOut + o];
            offset += _batch * nOut;
        }
    }

    /// <summary>
    /// Forward and backward pass for θ (spin order, padded) on the current mini-batch and noise: returns the
    /// batch-mean cross-entropy and leaves ∂L/∂θ of the trainable layers in <see cref="Gradient"/>.
    /// </summary>
    public double LossAndGradient(float[] theta)
    {
        MeanAndVariance(theta);
        Forward();
        double loss = SoftmaxCrossEntropy();
        Backward();
        return loss;
    }

    /// <summary>μ = tanh(θ/2) and 1 − μ² = 4t/(1 + t)² with t = e^(−|θ|) (no cancellation when |μ| → 1).</summary>
    private void MeanAndVariance(float[] theta)
    {
        var one = Vector512<float>.One;
        var four = Vector512.Create(4f);
        for (int i = 0; i < _paddedWeights; i += Lanes)
        {
            var th = Vector512.LoadUnsafe(ref theta[0], (nuint)i);
            var t = VectorMathF.Exp(-Vector512.Abs(th));
            var denominator = one + t;
            var magnitude = (one - t) / denominator;
            var mu = Vector512.ConditionalSelect(Vector512.LessThan(th, Vector512<float>.Zero), -magnitude, magnitude);
            mu.StoreUnsafe(ref _mu[0], (nuint)i);
            (four * t / (denominator * denominator)).StoreUnsafe(ref _var[0], (nuint)i);
        }
    }

    private void Forward()
    {
        int p = _padded;
        var floor = Vector512.Create((float)MeanFieldTrainer.VarianceFloor);
        for (int l = 0; l < _layers; l++)
        {
            int nIn = _widths[l], nOut = _widths[l + 1], w0 = _offsets[l];
            float[] a = _act[l], z = _z[l], s = _s[l];
            ref float aRef = ref a[0], eps = ref _noise[_noiseOffset[l]];
            ref float muRef = ref _mu[0], varRef = ref _var[0];
            int o = 0;
            // Two output units × four vectors of examples: sixteen independent FMA chains (the FMA latency
            // needs that many), and each loaded input vector serves both units.
            for (; o + 2 <= nOut; o += 2)
            {
                int row0 = w0 + o * nIn, row1 = row0 + nIn, v = 0;
                for (; v + 4 * Lanes <= p; v += 4 * Lanes)
                {
                    Vector512<float> m0 = default, m1 = default, m2 = default, m3 = default;
                    Vector512<float> q0 = default, q1 = default, q2 = default, q3 = default;
                    Vector512<float> n0 = default, n1 = default, n2 = default, n3 = default;
                    Vector512<float> r0 = default, r1 = default, r2 = default, r3 = default;
                    for (int i = 0; i < nIn; i++)
                    {
                        var mu0 = Vector512.Create(Unsafe.Add(ref muRef, row0 + i));
                        var vr0 = Vector512.Create(Unsafe.Add(ref varRef, row0 + i));
                        var mu1 = Vector512.Create(Unsafe.Add(ref muRef, row1 + i));
                        var vr1 = Vector512.Create(Unsafe.Add(ref varRef, row1 + i));
                        nuint at = (nuint)(i * p + v);
                        var x0 = Vector512.LoadUnsafe(ref aRef, at);
                        var x1 = Vector512.LoadUnsafe(ref aRef, at + Lanes);
                        var x2 = Vector512.LoadUnsafe(ref aRef, at + 2 * Lanes);
                        var x3 = Vector512.LoadUnsafe(ref aRef, at + 3 * Lanes);
                        m0 = Vector512.FusedMultiplyAdd(x0, mu0, m0);
                        m1 = Vector512.FusedMultiplyAdd(x1, mu0, m1);
                        m2 = Vector512.FusedMultiplyAdd(x2, mu0, m2);
                        m3 = Vector512.FusedMultiplyAdd(x3, mu0, m3);
                        n0 = Vector512.FusedMultiplyAdd(x0, mu1, n0);
                        n1 = Vector512.FusedMultiplyAdd(x1, mu1, n1);
                        n2 = Vector512.FusedMultiplyAdd(x2, mu1, n2);
                        n3 = Vector512.FusedMultiplyAdd(x3, mu1, n3);
                        var y0 = x0 * x0;
                        var y1 = x1 * x1;
                        var y2 = x2 * x2;
                        var y3 = x3 * x3;
                        q0 = Vector512.FusedMultiplyAdd(y0, vr0, q0);
                        q1 = Vector512.FusedMultiplyAdd(y1, vr0, q1);
                        q2 = Vector512.FusedMultiplyAdd(y2, vr0, q2);
                        q3 = Vector512.FusedMultiplyAdd(y3, vr0, q3);
                        r0 = Vector512.FusedMultiplyAdd(y0, vr1, r0);
                        r1 = Vector512.FusedMultiplyAdd(y1, vr1, r1);
                        r2 = Vector512.FusedMultiplyAdd(y2, vr1, r2);
                        r3 = Vector512.FusedMultiplyAdd(y3, vr1, r3);
                    }
                    nuint outAt = (nuint)(o * p + v), outAt1 = outAt + (nuint)p;
                    StoreZ(m0, q0, floor, ref eps, ref z[0], ref s[0], outAt);
                    StoreZ(m1, q1, floor, ref eps, ref z[0], ref s[0], outAt + Lanes);
                    StoreZ(m2, q2, floor, ref eps, ref z[0], ref s[0], outAt + 2 * Lanes);
                    StoreZ(m3, q3, floor, ref eps, ref z[0], ref s[0], outAt + 3 * Lanes);
                    StoreZ(n0, r0, floor, ref eps, ref z[0], ref s[0], outAt1);
                    StoreZ(n1, r1, floor, ref eps, ref z[0], ref s[0], outAt1 + Lanes);
                    StoreZ(n2, r2, floor, ref eps, ref z[0], ref s[0], outAt1 + 2 * Lanes);
                    StoreZ(n3, r3, floor, ref eps, ref z[0], ref s[0], outAt1 + 3 * Lanes);
                }
                for (; v < p; v += Lanes)
                {
                    ForwardVector(ref aRef, row0, nIn, p, v, floor, ref eps, z, s, (nuint)(o * p + v));
                    ForwardVector(ref aRef, row1, nIn, p, v, floor, ref eps, z, s, (nuint)((o + 1) * p + v));
                }
            }
            for (; o < nOut; o++)
            {
                int row = w0 + o * nIn, v = 0;
                for (; v + 4 * Lanes <= p; v += 4 * Lanes)
                {
                    Vector512<float> m0 = default, m1 = default, m2 = default, m3 = default;
                    Vector512<float> q0 = default, q1 = default, q2 = default, q3 = default;
                    for (int i = 0; i < nIn; i++)
                    {
                        var mu = Vector512.Create(Unsafe.Add(ref muRef, row + i));
                        var vr = Vector512.Create(Unsafe.Add(ref varRef, row + i));
                        nuint at = (nuint)(i * p + v);
                        var x0 = Vector512.LoadUnsafe(ref aRef, at);
                        var x1 = Vector512.LoadUnsafe(ref aRef, at + Lanes);
                        var x2 = Vector512.LoadUnsafe(ref aRef, at + 2 * Lanes);
                        var x3 = Vector512.LoadUnsafe(ref aRef, at + 3 * Lanes);
                        m0 = Vector512.FusedMultiplyAdd(x0, mu, m0);
                        m1 = Vector512.FusedMultiplyAdd(x1, mu, m1);
                        m2 = Vector512.FusedMultiplyAdd(x2, mu, m2);
                        m3 = Vector512.FusedMultiplyAdd(x3, mu, m3);
                        q0 = Vector512.FusedMultiplyAdd(x0 * x0, vr, q0);
                        q1 = Vector512.FusedMultiplyAdd(x1 * x1, vr, q1);
                        q2 = Vector512.FusedMultiplyAdd(x2 * x2, vr, q2);
                        q3 = Vector512.FusedMultiplyAdd(x3 * x3, vr, q3);
                    }
                    nuint outAt = (nuint)(o * p + v);
                    StoreZ(m0, q0, floor, ref eps, ref z[0], ref s[0], outAt);
                    StoreZ(m1, q1, floor, ref eps, ref z[0], ref s[0], outAt + Lanes);
                    StoreZ(m2, q2, floor, ref eps, ref z[0], ref s[0], outAt + 2 * Lanes);
                    StoreZ(m3, q3, floor, ref eps, ref z[0], ref s[0], outAt + 3 * Lanes);
                }
                for (; v < p; v += Lanes) ForwardVector(ref aRef, row, nIn, p, v, floor, ref eps, z, s, (nuint)(o * p + v));
            }
            if (l == _layers - 1) break;
            // a' = LReLU(z)/sqrt(n_in).
            var slope = Vector512.Create((float)BinaryNetwork.LeakySlope);
            var scale = Vector512.Create(_invSqrtWidth[l]);
            var next = _act[l + 1];
            for (int i = 0; i < nOut * p; i += Lanes)
            {
                var x = Vector512.LoadUnsafe(ref z[0], (nuint)i);
                (Vector512.Max(x, x * slope) * scale).StoreUnsafe(ref next[0], (nuint)i);
            }
        }
    }

    /// <summary>One output unit on one vector of examples.</summary>
    private void ForwardVector(ref float aRef, int row, int nIn, int p, int v, Vector512<float> floor, ref float eps, float[] z, float[] s, nuint outAt)
    {
        Vector512<float> m0 = default, q0 = default;
        for (int i = 0; i < nIn; i++)
        {
            nuint at = (nuint)(i * p + v);
            var x = Vector512.LoadUnsafe(ref aRef, at);
            m0 = Vector512.FusedMultiplyAdd(x, Vector512.Create(_mu[row + i]), m0);
            q0 = Vector512.FusedMultiplyAdd(x * x, Vector512.Create(_var[row + i]), q0);
        }
        StoreZ(m0, q0, floor, ref eps, ref z[0], ref s[0], outAt);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreZ(Vector512<float> mean, Vector512<float> variance, Vector512<float> floor, ref float eps, ref float z, ref float s, nuint at)
    {
        var sigma = Vector512.Sqrt(variance + floor);
        var noise = Vector512.LoadUnsafe(ref eps, at);
        Vector512.FusedMultiplyAdd(sigma, noise, mean).StoreUnsafe(ref z, at);
        // The backward pass needs ∂z/∂v = ε/(2s) only: keep that instead of s.
        (noise * Vector512.Create(0.5f) / sigma).StoreUnsafe(ref s, at);
    }

    /// <summary>Batch-mean softmax cross-entropy of the output z; ∂L/∂z = (softmax − onehot)/B into <see cref="_dz"/>.</summary>
    private double SoftmaxCrossEntropy()
    {
        int p = _padded, nOut = _widths[_layers];
        var z = _z[_layers - 1];
        double loss = 0;
        var inverseBatch = Vector512.Create(1f / _batch);
        for (int v = 0; v < p; v += Lanes)
        {
            var max = Vector512.LoadUnsafe(ref z[0], (nuint)v);
            for (int o = 1; o < nOut; o++) max = Vector512.Max(max, Vector512.LoadUnsafe(ref z[0], (nuint)(o * p + v)));
            var sum = Vector512<float>.Zero;
            var zTarget = Vector512<float>.Zero;
            var label = Vector512.LoadUnsafe(ref _labels[0], (nuint)v);
            for (int o = 0; o < nOut; o++)
            {
                var zo = Vector512.LoadUnsafe(ref z[0], (nuint)(o * p + v));
                var e = VectorMathF.Exp(zo - max);
                e.StoreUnsafe(ref _dz[0], (nuint)(o * p + v));
                sum += e;
                zTarget += Vector512.ConditionalSelect(Vector512.Equals(label, Vector512.Create(o)).AsSingle(), zo, Vector512<float>.Zero);
            }
            var valid = Vector512.LoadUnsafe(ref _valid[0], (nuint)v);
            // −log softmax_y = log Σ e^(z − max) + max − z_y.
            loss += Vector512.Sum((VectorMathF.Log(sum) + max - zTarget) * valid);
            var factor = valid * inverseBatch / sum;
            for (int o = 0; o < nOut; o++)
            {
                nuint at = (nuint)(o * p + v);
                var onehot = Vector512.ConditionalSelect(Vector512.Equals(label, Vector512.Create(o)).AsSingle(), inverseBatch, Vector512<float>.Zero);
                (Vector512.LoadUnsafe(ref _dz[0], at) * factor - onehot).StoreUnsafe(ref _dz[0], at);
            }
        }
        return loss / _batch;
    }

    private void Backward()
    {
        int p = _padded;
        for (int l = _layers - 1; l >= 0; l--)
        {
            int nIn = _widths[l], nOut = _widths[l + 1], w0 = _offsets[l];
            float[] a = _act[l], dzdv = _s[l];
            // ∂L/∂v = ∂L/∂z·ε/(2s).
            for (int i = 0; i < nOut * p; i += Lanes)
            {
                nuint at = (nuint)i;
                (Vector512.LoadUnsafe(ref _dz[0], at) * Vector512.LoadUnsafe(ref dzdv[0], at)).StoreUnsafe(ref _dv[0], at);
            }
            if (BitConverter.SingleToInt32Bits(_trainMask[w0]) != 0) WeightGradient(a, nIn, nOut, w0);
            if (l == 0) break;
            ActivityGradient(a, nIn, nOut, w0, _z[l - 1], _invSqrtWidth[l - 1]);
            (_dz, _dzPrev) = (_dzPrev, _dz);
        }
    }

    /// <summary>∂L/∂θ_oi = (Σ_b ∂L/∂z_o·a_i − 2μ_oi·Σ_b ∂L/∂v_o·a_i²)·(1 − μ_oi²)/2.</summary>
    private void WeightGradient(float[] a, int nIn, int nOut, int w0)
    {
        int p = _padded;
        ref float aRef = ref a[0], dzRef = ref _dz[0], dvRef = ref _dv[0];
        int o = 0;
        // Two output units × four inputs: sixteen independent FMA chains; each loaded vector serves two or four of them.
        for (; o + 2 <= nOut; o += 2)
        {
            nuint oAt = (nuint)(o * p), oAt1 = oAt + (nuint)p;
            int i = 0;
            for (; i + 4 <= nIn; i += 4)
            {
                Vector512<float> m0 = default, m1 = default, m2 = default, m3 = default;
                Vector512<float> q0 = default, q1 = default, q2 = default, q3 = default;
                Vector512<float> n0 = default, n1 = default, n2 = default, n3 = default;
                Vector512<float> r0 = default, r1 = default, r2 = default, r3 = default;
                for (int v = 0; v < p; v += Lanes)
                {
                    var dz0 = Vector512.LoadUnsafe(ref dzRef, oAt + (nuint)v);
                    var dv0 = Vector512.LoadUnsafe(ref dvRef, oAt + (nuint)v);
                    var dz1 = Vector512.LoadUnsafe(ref dzRef, oAt1 + (nuint)v);
                    var dv1 = Vector512.LoadUnsafe(ref dvRef, oAt1 + (nuint)v);
                    nuint at = (nuint)(i * p + v);
                    var x0 = Vector512.LoadUnsafe(ref aRef, at);
                    var x1 = Vector512.LoadUnsafe(ref aRef, at + (nuint)p);
                    var x2 = Vector512.LoadUnsafe(ref aRef, at + (nuint)(2 * p));
                    var x3 = Vector512.LoadUnsafe(ref aRef, at + (nuint)(3 * p));
                    m0 = Vector512.FusedMultiplyAdd(dz0, x0, m0);
                    m1 = Vector512.FusedMultiplyAdd(dz0, x1, m1);
                    m2 = Vector512.FusedMultiplyAdd(dz0, x2, m2);
                    m3 = Vector512.FusedMultiplyAdd(dz0, x3, m3);
                    n0 = Vector512.FusedMultiplyAdd(dz1, x0, n0);
                    n1 = Vector512.FusedMultiplyAdd(dz1, x1, n1);
                    n2 = Vector512.FusedMultiplyAdd(dz1, x2, n2);
                    n3 = Vector512.FusedMultiplyAdd(dz1, x3, n3);
                    var y0 = x0 * x0;
                    var y1 = x1 * x1;
                    var y2 = x2 * x2;
                    var y3 = x3 * x3;
                    q0 = Vector512.FusedMultiplyAdd(dv0, y0, q0);
                    q1 = Vector512.FusedMultiplyAdd(dv0, y1, q1);
                    q2 = Vector512.FusedMultiplyAdd(dv0, y2, q2);
                    q3 = Vector512.FusedMultiplyAdd(dv0, y3, q3);
                    r0 = Vector512.FusedMultiplyAdd(dv1, y0, r0);
                    r1 = Vector512.FusedMultiplyAdd(dv1, y1, r1);
                    r2 = Vector512.FusedMultiplyAdd(dv1, y2, r2);
                    r3 = Vector512.FusedMultiplyAdd(dv1, y3, r3);
                }
                int w = w0 + o * nIn + i, w1 = w + nIn;
                StoreGradient(w, Vector512.Sum(m0), Vector512.Sum(q0));
                StoreGradient(w + 1, Vector512.Sum(m1), Vector512.Sum(q1));
                StoreGradient(w + 2, Vector512.Sum(m2), Vector512.Sum(q2));
                StoreGradient(w + 3, Vector512.Sum(m3), Vector512.Sum(q3));
                StoreGradient(w1, Vector512.Sum(n0), Vector512.Sum(r0));
                StoreGradient(w1 + 1, Vector512.Sum(n1), Vector512.Sum(r1));
                StoreGradient(w1 + 2, Vector512.Sum(n2), Vector512.Sum(r2));
                StoreGradient(w1 + 3, Vector512.Sum(n3), Vector512.Sum(r3));
            }
            for (; i < nIn; i++)
            {
                GradientVector(ref aRef, ref dzRef, ref dvRef, oAt, i, p, w0 + o * nIn + i);
                GradientVector(ref aRef, ref dzRef, ref dvRef, oAt1, i, p, w0 + (o + 1) * nIn + i);
            }
        }
        for (; o < nOut; o++)
        {
            nuint oAt = (nuint)(o * p);
            int i = 0;
            for (; i + 4 <= nIn; i += 4)
            {
                Vector512<float> m0 = default, m1 = default, m2 = default, m3 = default;
                Vector512<float> q0 = default, q1 = default, q2 = default, q3 = default;
                for (int v = 0; v < p; v += Lanes)
                {
                    var dz = Vector512.LoadUnsafe(ref dzRef, oAt + (nuint)v);
                    var dv = Vector512.LoadUnsafe(ref dvRef, oAt + (nuint)v);
                    nuint at = (nuint)(i * p + v);
                    var x0 = Vector512.LoadUnsafe(ref aRef, at);
                    var x1 = Vector512.LoadUnsafe(ref aRef, at + (nuint)p);
                    var x2 = Vector512.LoadUnsafe(ref aRef, at + (nuint)(2 * p));
                    var x3 = Vector512.LoadUnsafe(ref aRef, at + (nuint)(3 * p));
                    m0 = Vector512.FusedMultiplyAdd(dz, x0, m0);
                    m1 = Vector512.FusedMultiplyAdd(dz, x1, m1);
                    m2 = Vector512.FusedMultiplyAdd(dz, x2, m2);
                    m3 = Vector512.FusedMultiplyAdd(dz, x3, m3);
                    q0 = Vector512.FusedMultiplyAdd(dv, x0 * x0, q0);
                    q1 = Vector512.FusedMultiplyAdd(dv, x1 * x1, q1);
                    q2 = Vector512.FusedMultiplyAdd(dv, x2 * x2, q2);
                    q3 = Vector512.FusedMultiplyAdd(dv, x3 * x3, q3);
                }
                int w = w0 + o * nIn + i;
                StoreGradient(w, Vector512.Sum(m0), Vector512.Sum(q0));
                StoreGradient(w + 1, Vector512.Sum(m1), Vector512.Sum(q1));
                StoreGradient(w + 2, Vector512.Sum(m2), Vector512.Sum(q2));
                StoreGradient(w + 3, Vector512.Sum(m3), Vector512.Sum(q3));
            }
            for (; i < nIn; i++) GradientVector(ref aRef, ref dzRef, ref dvRef, oAt, i, p, w0 + o * nIn + i);
        }
    }

    /// <summary>∂L/∂θ of one weight (output row at <paramref name="oAt"/>, input <paramref name="i"/>).</summary>
    private void GradientVector(ref float aRef, ref float dzRef, ref float dvRef, nuint oAt, int i, int p, int w)
    {
        Vector512<float> m0 = default, q0 = default, m1 = default, q1 = default;
        int v = 0;
        for (; v + 2 * Lanes <= p; v += 2 * Lanes)
        {
            nuint at = (nuint)(i * p + v);
            var x0 = Vector512.LoadUnsafe(ref aRef, at);
            var x1 = Vector512.LoadUnsafe(ref aRef, at + Lanes);
            m0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref dzRef, oAt + (nuint)v), x0, m0);
            q0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref dvRef, oAt + (nuint)v), x0 * x0, q0);
            m1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref dzRef, oAt + (nuint)(v + Lanes)), x1, m1);
            q1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref dvRef, oAt + (nuint)(v + Lanes)), x1 * x1, q1);
        }
        for (; v < p; v += Lanes)
        {
            nuint at = (nuint)(i * p + v);
            var x0 = Vector512.LoadUnsafe(ref aRef, at);
            m0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref dzRef, oAt + (nuint)v), x0, m0);
            q0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref dvRef, oAt + (nuint)v), x0 * x0, q0);
        }
        StoreGradient(w, Vector512.Sum(m0 + m1), Vector512.Sum(q0 + q1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StoreGradient(int w, float dMu, float dVar) => _grad[w] = (dMu - 2 * _mu[w] * dVar) * _var[w] * 0.5f;

    /// <summary>
    /// ∂L/∂z of the previous layer: ∂L/∂a_i = Σ_o ∂L/∂z_o·μ_oi + 2a_i·Σ_o ∂L/∂v_o·(1 − μ_oi²), times the LReLU
    /// slope at z_prev and 1/sqrt(n_in) of the previous layer.
    /// </summary>
    private void ActivityGradient(float[] a, int nIn, int nOut, int w0, float[] zPrev, float scale)
    {
        int p = _padded;
        ref float aRef = ref a[0], dzRef = ref _dz[0], dvRef = ref _dv[0], zRef = ref zPrev[0], outRef = ref _dzPrev[0];
        var slope = Vector512.Create((float)BinaryNetwork.LeakySlope);
        var scaleV = Vector512.Create(scale);
        ref float muRef = ref _mu[0], varRef = ref _var[0];
        int v = 0;
        // Four vectors of examples × (Σ ∂L/∂z·μ, Σ ∂L/∂v·(1 − μ²)) × two inputs: sixteen independent FMA chains.
        for (; v + 4 * Lanes <= p; v += 4 * Lanes)
        {
            int i = 0;
            for (; i + 2 <= nIn; i += 2)
            {
                Vector512<float> m0 = default, m1 = default, m2 = default, m3 = default;
                Vector512<float> q0 = default, q1 = default, q2 = default, q3 = default;
                Vector512<float> n0 = default, n1 = default, n2 = default, n3 = default;
                Vector512<float> r0 = default, r1 = default, r2 = default, r3 = default;
                for (int o = 0; o < nOut; o++)
                {
                    int w = w0 + o * nIn + i;
                    var mu0 = Vector512.Create(Unsafe.Add(ref muRef, w));
                    var mu1 = Vector512.Create(Unsafe.Add(ref muRef, w + 1));
                    var vr0 = Vector512.Create(Unsafe.Add(ref varRef, w));
                    var vr1 = Vector512.Create(Unsafe.Add(ref varRef, w + 1));
                    nuint at = (nuint)(o * p + v);
                    var dz0 = Vector512.LoadUnsafe(ref dzRef, at);
                    var dz1 = Vector512.LoadUnsafe(ref dzRef, at + Lanes);
                    var dz2 = Vector512.LoadUnsafe(ref dzRef, at + 2 * Lanes);
                    var dz3 = Vector512.LoadUnsafe(ref dzRef, at + 3 * Lanes);
                    m0 = Vector512.FusedMultiplyAdd(dz0, mu0, m0);
                    m1 = Vector512.FusedMultiplyAdd(dz1, mu0, m1);
                    m2 = Vector512.FusedMultiplyAdd(dz2, mu0, m2);
                    m3 = Vector512.FusedMultiplyAdd(dz3, mu0, m3);
                    n0 = Vector512.FusedMultiplyAdd(dz0, mu1, n0);
                    n1 = Vector512.FusedMultiplyAdd(dz1, mu1, n1);
                    n2 = Vector512.FusedMultiplyAdd(dz2, mu1, n2);
                    n3 = Vector512.FusedMultiplyAdd(dz3, mu1, n3);
                    var dv0 = Vector512.LoadUnsafe(ref dvRef, at);
                    var dv1 = Vector512.LoadUnsafe(ref dvRef, at + Lanes);
                    var dv2 = Vector512.LoadUnsafe(ref dvRef, at + 2 * Lanes);
                    var dv3 = Vector512.LoadUnsafe(ref dvRef, at + 3 * Lanes);
                    q0 = Vector512.FusedMultiplyAdd(dv0, vr0, q0);
                    q1 = Vector512.FusedMultiplyAdd(dv1, vr0, q1);
                    q2 = Vector512.FusedMultiplyAdd(dv2, vr0, q2);
                    q3 = Vector512.FusedMultiplyAdd(dv3, vr0, q3);
                    r0 = Vector512.FusedMultiplyAdd(dv0, vr1, r0);
                    r1 = Vector512.FusedMultiplyAdd(dv1, vr1, r1);
                    r2 = Vector512.FusedMultiplyAdd(dv2, vr1, r2);
                    r3 = Vector512.FusedMultiplyAdd(dv3, vr1, r3);
                }
                nuint iAt = (nuint)(i * p + v), iAt1 = iAt + (nuint)p;
                StoreActivityGradient(m0, q0, ref aRef, ref zRef, ref outRef, iAt, slope, scaleV);
                StoreActivityGradient(m1, q1, ref aRef, ref zRef, ref outRef, iAt + Lanes, slope, scaleV);
                StoreActivityGradient(m2, q2, ref aRef, ref zRef, ref outRef, iAt + 2 * Lanes, slope, scaleV);
                StoreActivityGradient(m3, q3, ref aRef, ref zRef, ref outRef, iAt + 3 * Lanes, slope, scaleV);
                StoreActivityGradient(n0, r0, ref aRef, ref zRef, ref outRef, iAt1, slope, scaleV);
                StoreActivityGradient(n1, r1, ref aRef, ref zRef, ref outRef, iAt1 + Lanes, slope, scaleV);
                StoreActivityGradient(n2, r2, ref aRef, ref zRef, ref outRef, iAt1 + 2 * Lanes, slope, scaleV);
                StoreActivityGradient(n3, r3, ref aRef, ref zRef, ref outRef, iAt1 + 3 * Lanes, slope, scaleV);
            }
            for (; i < nIn; i++)
                for (int u = v; u < v + 4 * Lanes; u += Lanes) ActivityVector(a, zPrev, i, u, nIn, nOut, w0, slope, scaleV);
        }
        for (; v < p; v += Lanes)
            for (int i = 0; i < nIn; i++) ActivityVector(a, zPrev, i, v, nIn, nOut, w0, slope, scaleV);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreActivityGradient(Vector512<float> sumMu, Vector512<float> sumVar, ref float aRef, ref float zRef, ref float outRef,
        nuint at, Vector512<float> slope, Vector512<float> scale)
    {
        var dA = Vector512.FusedMultiplyAdd(Vector512.Create(2f) * Vector512.LoadUnsafe(ref aRef, at), sumVar, sumMu);
        var gate = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.LoadUnsafe(ref zRef, at), Vector512<float>.Zero), Vector512<float>.One, slope);
        (dA * gate * scale).StoreUnsafe(ref outRef, at);
    }

    /// <summary>The activity gradient of input <paramref name="i"/> on one vector of examples.</summary>
    private void ActivityVector(float[] a, float[] zPrev, int i, int v, int nIn, int nOut, int w0, Vector512<float> slope, Vector512<float> scale)
    {
        int p = _padded;
        Vector512<float> m0 = default, q0 = default, m1 = default, q1 = default;
        int o = 0;
        for (; o + 2 <= nOut; o += 2)
        {
            nuint at = (nuint)(o * p + v);
            m0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref _dz[0], at), Vector512.Create(_mu[w0 + o * nIn + i]), m0);
            q0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref _dv[0], at), Vector512.Create(_var[w0 + o * nIn + i]), q0);
            m1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref _dz[0], at + (nuint)p), Vector512.Create(_mu[w0 + (o + 1) * nIn + i]), m1);
            q1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref _dv[0], at + (nuint)p), Vector512.Create(_var[w0 + (o + 1) * nIn + i]), q1);
        }
        for (; o < nOut; o++)
        {
            nuint at = (nuint)(o * p + v);
            m0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref _dz[0], at), Vector512.Create(_mu[w0 + o * nIn + i]), m0);
            q0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref _dv[0], at), Vector512.Create(_var[w0 + o * nIn + i]), q0);
        }
        StoreActivityGradient(m0 + m1, q0 + q1, ref a[0], ref zPrev[0], ref _dzPrev[0], (nuint)(i * p + v), slope, scale);
    }

    /// <summary>Adam with bias correction on g = ∂L/∂θ + γθ, trainable weights only (frozen θ stay bit-identical).</summary>
    private void Adam(MeanFieldNetwork net, MeanFieldOptions options)
    {
        float beta1 = (float)options.Beta1, beta2 = (float)options.Beta2;
        double bc1 = 1 - Math.Pow(options.Beta1, net.Steps), bc2 = 1 - Math.Pow(options.Beta2, net.Steps);
        var l2 = Vector512.Create((float)options.L2);
        var b1 = Vector512.Create(beta1);
        var b1c = Vector512.Create(1 - beta1);
        var b2 = Vector512.Create(beta2);
        var b2c = Vector512.Create(1 - beta2);
        var invSqrtBc2 = Vector512.Create((float)(1 / Math.Sqrt(bc2)));
        var eps = Vector512.Create((float)options.AdamEpsilon);
        var step = Vector512.Create((float)(options.LearningRate / bc1));
        for (int i = 0; i < _paddedWeights; i += Lanes)
        {
            nuint at = (nuint)i;
            var mask = Vector512.LoadUnsafe(ref _trainMask[0], at);
            var theta = Vector512.LoadUnsafe(ref net.Theta[0], at);
            var g = Vector512.FusedMultiplyAdd(l2, theta, Vector512.LoadUnsafe(ref _grad[0], at));
            var m = b1 * Vector512.LoadUnsafe(ref net.M[0], at) + b1c * g;
            var v = b2 * Vector512.LoadUnsafe(ref net.V[0], at) + b2c * g * g;
            var updated = theta - step * m / (Vector512.Sqrt(v) * invSqrtBc2 + eps);
            Vector512.ConditionalSelect(mask, updated, theta).StoreUnsafe(ref net.Theta[0], at);
            m.StoreUnsafe(ref net.M[0], at);
            v.StoreUnsafe(ref net.V[0], at);
        }
    }
}
