using FunctionSpace.Ising.Randomness;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Simd;

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
/// ([unit][example], examples padded to a multiple of 16) so every inner loop runs over a vector of
/// examples while the layer's μ and 1 − μ² (≤ 20 × 15 each) stay in L1. The kernel is written once over
/// <see cref="Lanes{TV}"/> and runs at 16 lanes (AVX-512) or 8 lanes (AVX2), with bit-identical results.
/// </summary>
/// <remarks>
/// Local reparameterisation (Shayer, Levi &amp; Fetaya 2018, Eqs. 3–5, as used by Zou &amp; Huang 2021): per
/// layer with input activity a, μ = tanh(θ/2), z = μ·a + sqrt((1 − μ²)·a² + floor)·ε, hidden
/// a' = LReLU(z)/sqrt(n_in), softmax cross-entropy on the output z (batch mean). The backward pass is the
/// one of <see cref="MeanFieldTrainer.LossesAndGradients"/> (the reference it is tested against):
/// with s = sqrt(v), ∂L/∂v = ∂L/∂z·ε/(2s); ∂L/∂μ = Σ_b ∂L/∂z·a − 2μ·Σ_b ∂L/∂v·a²; dμ/dθ = (1 − μ²)/2;
/// ∂L/∂a = Σ_o ∂L/∂z·μ + 2a·Σ_o ∂L/∂v·(1 − μ²), then through the LReLU slope and 1/sqrt(n_in).
/// Padding examples have zero input, zero weight in the loss and zero ∂L/∂z, so they contribute nothing.
/// <para>
/// Why the results do not depend on the width: every per-example quantity is one chain of float32
/// operations in a fixed order (the sums over inputs and over outputs run in index order, or, for the
/// inputs and examples that the blocked loops leave over, in the even/odd split of the 16-lane kernel this
/// replaces), and how examples are grouped into vectors and blocks does not enter a lane's arithmetic.
/// The sums over examples (∂L/∂μ, ∂L/∂v per weight; the loss) are defined on groups of 16 examples
/// ("16-lane accumulators", lane j holding the examples b ≡ j mod 16): at 8 lanes each accumulator is
/// computed as its two halves, one after the other, and reduced as <see cref="Lanes{TV}.Sum"/> prescribes.
/// Blocking is chosen per width for the register file (32 zmm or 16 ymm registers): 16 independent FMA
/// chains at 16 lanes, 8 at 8 lanes (enough for the FMA latency of two pipes).
/// </para>
/// </remarks>
internal sealed class MeanFieldKernel
{
    /// <summary>Examples and weights are padded to multiples of this; the sums over examples are defined on groups of it.</summary>
    private const int Group = 16;
    private readonly int[] _widths, _offsets;
    private readonly int _layers, _batch, _padded, _paddedWeights;
    private readonly float[][] _act, _z, _s;   // per layer: input a, pre-activation z, ∂z/∂v = ε/(2s) with s = sqrt(v)
    private readonly float[] _noise;                 // all layers' ε, layer l at _noiseOffset[l], [out][padded]
    private readonly int[] _noiseOffset;
    private float[] _dz, _dzPrev;                    // ∂L/∂z of the current / previous layer, [unit][padded]
    private readonly float[] _dv;                    // ∂L/∂v, [unit][padded]
    private readonly float[] _mu, _var, _grad;       // μ, 1 − μ², ∂L/∂θ in spin order (padded)
    private readonly float[] _sumMu, _sumVar;        // per weight Σ_b ∂L/∂z·a and Σ_b ∂L/∂v·a² (spin order, padded)
    private readonly int[] _labels;                  // [padded], −1 for padding
    private readonly float[] _valid;                 // 1 for a real example, 0 for padding
    private readonly float[] _trainMask;             // bits set for trainable weights
    private readonly float[] _invSqrtWidth;

    /// <summary>Example indices of the current epoch (the data order).</summary>
    public readonly int[] Order;

    /// <summary>True when the kernel runs on 512-bit vectors (16 lanes), false for 256-bit (8 lanes).</summary>
    public bool Wide { get; }

    /// <summary>Weights padded to a multiple of 16.</summary>
    public static int PaddedWeights(Architecture architecture) => (architecture.WeightCount + Group - 1) / Group * Group;

    /// <summary>The width the hardware runs natively: 512-bit vectors where AVX-512 is accelerated, else 256-bit.</summary>
    public static bool WideByDefault => Vector512.IsHardwareAccelerated;

    /// <param name="architecture">Widths.</param>
    /// <param name="batch">Mini-batch size B.</param>
    /// <param name="trainable">Per layer: trained (true) or frozen.</param>
    /// <param name="examples">Training-set size (length of <see cref="Order"/>).</param>
    /// <param name="wide">512-bit (true) or 256-bit (false) vectors; default <see cref="WideByDefault"/>. The
    /// results are the same either way; the width the hardware does not run natively is only slower.</param>
    public MeanFieldKernel(Architecture architecture, int batch, IReadOnlyList<bool> trainable, int examples, bool? wide = null)
    {
        Wide = wide ?? WideByDefault;
        _widths = architecture.Widths.ToArray();
        _layers = architecture.Layers;
        _offsets = Enumerable.Range(0, _layers).Select(architecture.LayerOffset).ToArray();
        _batch = batch;
        _padded = (batch + Group - 1) / Group * Group;
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
        _sumMu = new float[_paddedWeights];
        _sumVar = new float[_paddedWeights];
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
        for (int step = 0; step < steps; step++) lossSum += Step(net, inputs, labels, options, step);
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
            Step(net, inputs, labels, options, step);
        }
    }

    /// <summary>Mini-batch <paramref name="step"/> of the current order: gather, noise, loss and gradient, Adam. Returns the loss.</summary>
    private double Step(MeanFieldNetwork net, float[] inputs, byte[] labels, MeanFieldOptions options, int step)
    {
        Gather(inputs, labels, Order.AsSpan(step * _batch, _batch));
        if ((step + 2) * _batch <= labels.Length) Prefetch(inputs, Order.AsSpan((step + 1) * _batch, _batch));
        return Wide ? Step<Vector512<float>>(net, options) : Step<Vector256<float>>(net, options);
    }

    private double Step<TV>(MeanFieldNetwork net, MeanFieldOptions options) where TV : struct
    {
        net.Noise.Fill<TV>(_noise);
        double loss = LossAndGradient<TV>(net.Theta);
        net.Steps++;
        Adam<TV>(net, options);
        return loss;
    }

    /// <summary>Copies the mini-batch's inputs feature-major into layer 0's activity and its labels.</summary>
    private void Gather(float[] inputs, byte[] labels, ReadOnlySpan<int> rows)
    {
        int width = _widths[0], p = _padded;
        var a = _act[0];
        for (int b = 0; b < rows.Length; b++) _labels[b] = labels[rows[b]];
        // Feature by feature: each pass stores one contiguous row of a, and the mini-batch's input rows
        // (B × 80 B) stay in L1 after the first pass. Example by example, every example's 20 stores went to
        // lines 4p bytes apart: with the prefetch, 15 % of a step against 11 % so (perf at 8 lanes).
        for (int j = 0; j < width; j++)
        {
            var target = a.AsSpan(j * p, rows.Length);
            for (int b = 0; b < target.Length; b++) target[b] = inputs[rows[b] * width + j];
        }
        for (int b = rows.Length; b < p; b++)
        {
            for (int j = 0; j < width; j++) a[j * p + b] = 0f;
            _labels[b] = -1;
        }
    }

    /// <summary>
    /// Asks for the input rows of the next mini-batch while this step computes. The rows of a random order are
    /// scattered over the training set (60,000 × 20 floats, 4.8 MB); loaded only when <see cref="Gather"/>
    /// needed them, their cache misses made the copy a quarter of a step (perf at 8 lanes; with the prefetch
    /// and the feature-by-feature copy, a ninth). The data and the arithmetic are unchanged.
    /// </summary>
    private unsafe void Prefetch(float[] inputs, ReadOnlySpan<int> rows)
    {
        if (!Sse.IsSupported) return;
        int width = _widths[0];
        fixed (float* start = inputs)
        {
            // A row of 20 floats (80 B) touches at most two cache lines: ask for the lines of its first and last float.
            foreach (int row in rows)
            {
                float* first = start + (long)row * width;
                Sse.Prefetch0(first);
                Sse.Prefetch0(first + width - 1);
            }
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
    public double LossAndGradient(float[] theta) => Wide ? LossAndGradient<Vector512<float>>(theta) : LossAndGradient<Vector256<float>>(theta);

    private double LossAndGradient<TV>(float[] theta) where TV : struct
    {
        MeanAndVariance<TV>(theta);
        Forward<TV>();
        double loss = SoftmaxCrossEntropy<TV>();
        Backward<TV>();
        return loss;
    }

    /// <summary>μ = tanh(θ/2) and 1 − μ² = 4t/(1 + t)² with t = e^(−|θ|) (no cancellation when |μ| → 1).</summary>
    private void MeanAndVariance<TV>(float[] theta) where TV : struct
    {
        var one = Lanes<TV>.One;
        var four = Lanes<TV>.Create(4f);
        for (int i = 0; i < _paddedWeights; i += Lanes<TV>.Count)
        {
            var th = Lanes<TV>.Load(ref theta[0], (nuint)i);
            var t = VectorMathF.Exp(-Lanes<TV>.Abs(th));
            var denominator = one + t;
            var magnitude = (one - t) / denominator;
            var mu = Lanes<TV>.Select(Lanes<TV>.LessThan(th, Lanes<TV>.Zero), -magnitude, magnitude);
            mu.Store(ref _mu[0], (nuint)i);
            (four * t / (denominator * denominator)).Store(ref _var[0], (nuint)i);
        }
    }

    /// <summary>
    /// Compile-time choice of one or two (output rows, or vectors of examples) in a block: the JIT removes
    /// the second one's code for <see cref="Single"/>.
    /// </summary>
    private interface IPair { static abstract bool Two { get; } }
    private struct Single : IPair { public static bool Two => false; }
    private struct Pair : IPair { public static bool Two => true; }

    /// <summary>
    /// One vector's step of the blocked sums for one or two rows: m += x·a0, q += y·b0 and, for a <see cref="Pair"/>,
    /// n += x·a1, r += y·b1, each one fused multiply-add onto its own chain. The forward pass sums μ·a and (1 − μ²)·a² over
    /// inputs (x = a, the coefficients μ and 1 − μ² of two output rows), the weight sums ∂L/∂z·a and ∂L/∂v·a² over
    /// examples (x = a of one input, the coefficients ∂L/∂z and ∂L/∂v of two outputs), the activity gradient ∂L/∂z·μ
    /// and ∂L/∂v·(1 − μ²) over outputs (x = ∂L/∂z, y = ∂L/∂v, the coefficients of two inputs). fma(a, b, c) rounds
    /// a·b + c once whichever factor comes first, so the factors' order does not change a bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate<TV, TR>(Lanes<TV> x, Lanes<TV> y, Lanes<TV> a0, Lanes<TV> b0, Lanes<TV> a1, Lanes<TV> b1,
        ref Lanes<TV> m, ref Lanes<TV> q, ref Lanes<TV> n, ref Lanes<TV> r) where TV : struct where TR : struct, IPair
    {
        Lanes<TV>.FmaAccumulate(ref m, x, a0);
        Lanes<TV>.FmaAccumulate(ref q, y, b0);
        if (!TR.Two) return;
        Lanes<TV>.FmaAccumulate(ref n, x, a1);
        Lanes<TV>.FmaAccumulate(ref r, y, b1);
    }

    /// <summary><see cref="Accumulate{TV, TR}"/> with y = x² (the sums of a and a²).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AccumulateSquares<TV, TR>(Lanes<TV> x, Lanes<TV> a0, Lanes<TV> b0, Lanes<TV> a1, Lanes<TV> b1,
        ref Lanes<TV> m, ref Lanes<TV> q, ref Lanes<TV> n, ref Lanes<TV> r) where TV : struct where TR : struct, IPair =>
        Accumulate<TV, TR>(x, x * x, a0, b0, a1, b1, ref m, ref q, ref n, ref r);

    private void Forward<TV>() where TV : struct
    {
        int p = _padded;
        for (int l = 0; l < _layers; l++)
        {
            int nOut = _widths[l + 1], o = 0;
            for (; o + 2 <= nOut; o += 2) ForwardRows<TV, Pair>(l, o);
            if (o < nOut) ForwardRows<TV, Single>(l, o);
            if (l == _layers - 1) break;
            // a' = LReLU(z)/sqrt(n_in).
            var slope = Lanes<TV>.Create((float)BinaryNetwork.LeakySlope);
            var scale = Lanes<TV>.Create(_invSqrtWidth[l]);
            float[] z = _z[l], next = _act[l + 1];
            for (int i = 0; i < nOut * p; i += Lanes<TV>.Count)
            {
                var x = Lanes<TV>.Load(ref z[0], (nuint)i);
                (Lanes<TV>.Max(x, x * slope) * scale).Store(ref next[0], (nuint)i);
            }
        }
    }

    /// <summary>
    /// z and ∂z/∂v of output <paramref name="o"/> (and o + 1 for <see cref="Pair"/>) of layer <paramref name="l"/>
    /// for all examples: z = Σ_i μ_oi a_i + sqrt(Σ_i (1 − μ_oi²) a_i² + floor)·ε, both sums FMA chains in input order.
    /// </summary>
    private void ForwardRows<TV, TR>(int l, int o) where TV : struct where TR : struct, IPair
    {
        int nIn = _widths[l], p = _padded, lanes = Lanes<TV>.Count;
        bool wide = Lanes<TV>.Wide;
        int row0 = _offsets[l] + o * nIn, row1 = row0 + nIn;
        ref float aRef = ref _act[l][0], eps = ref _noise[_noiseOffset[l]], zRef = ref _z[l][0], sRef = ref _s[l][0];
        ref float muRef = ref _mu[0], varRef = ref _var[0];
        var floor = Lanes<TV>.Create((float)MeanFieldTrainer.VarianceFloor);
        nuint out0 = (nuint)(o * p), out1 = out0 + (nuint)p;
        // Two output units × four (16 lanes) or two (8 lanes) vectors of examples: sixteen or eight
        // independent FMA chains, and each loaded input vector serves both units.
        int block = (wide ? 4 : 2) * lanes, v = 0;
        for (; v + block <= p; v += block)
        {
            Lanes<TV> m0 = default, m1 = default, m2 = default, m3 = default;
            Lanes<TV> q0 = default, q1 = default, q2 = default, q3 = default;
            Lanes<TV> n0 = default, n1 = default, n2 = default, n3 = default;
            Lanes<TV> r0 = default, r1 = default, r2 = default, r3 = default;
            for (int i = 0; i < nIn; i++)
            {
                nuint at = (nuint)(i * p + v);
                var mu0 = Lanes<TV>.Create(Unsafe.Add(ref muRef, row0 + i));
                var vr0 = Lanes<TV>.Create(Unsafe.Add(ref varRef, row0 + i));
                var mu1 = TR.Two ? Lanes<TV>.Create(Unsafe.Add(ref muRef, row1 + i)) : default;
                var vr1 = TR.Two ? Lanes<TV>.Create(Unsafe.Add(ref varRef, row1 + i)) : default;
                AccumulateSquares<TV, TR>(Lanes<TV>.Load(ref aRef, at), mu0, vr0, mu1, vr1, ref m0, ref q0, ref n0, ref r0);
                AccumulateSquares<TV, TR>(Lanes<TV>.Load(ref aRef, at + (nuint)lanes), mu0, vr0, mu1, vr1, ref m1, ref q1, ref n1, ref r1);
                if (wide)
                {
                    AccumulateSquares<TV, TR>(Lanes<TV>.Load(ref aRef, at + (nuint)(2 * lanes)), mu0, vr0, mu1, vr1, ref m2, ref q2, ref n2, ref r2);
                    AccumulateSquares<TV, TR>(Lanes<TV>.Load(ref aRef, at + (nuint)(3 * lanes)), mu0, vr0, mu1, vr1, ref m3, ref q3, ref n3, ref r3);
                }
            }
            nuint at0 = out0 + (nuint)v, at1 = out1 + (nuint)v;
            StoreZ(m0, q0, floor, ref eps, ref zRef, ref sRef, at0);
            StoreZ(m1, q1, floor, ref eps, ref zRef, ref sRef, at0 + (nuint)lanes);
            if (TR.Two)
            {
                StoreZ(n0, r0, floor, ref eps, ref zRef, ref sRef, at1);
                StoreZ(n1, r1, floor, ref eps, ref zRef, ref sRef, at1 + (nuint)lanes);
            }
            if (wide)
            {
                StoreZ(m2, q2, floor, ref eps, ref zRef, ref sRef, at0 + (nuint)(2 * lanes));
                StoreZ(m3, q3, floor, ref eps, ref zRef, ref sRef, at0 + (nuint)(3 * lanes));
                if (TR.Two)
                {
                    StoreZ(n2, r2, floor, ref eps, ref zRef, ref sRef, at1 + (nuint)(2 * lanes));
                    StoreZ(n3, r3, floor, ref eps, ref zRef, ref sRef, at1 + (nuint)(3 * lanes));
                }
            }
        }
        for (; v < p; v += lanes)
        {
            ForwardVector<TV>(ref aRef, row0, nIn, v, floor, ref eps, ref zRef, ref sRef, out0 + (nuint)v);
            if (TR.Two) ForwardVector<TV>(ref aRef, row1, nIn, v, floor, ref eps, ref zRef, ref sRef, out1 + (nuint)v);
        }
    }

    /// <summary>One output unit on one vector of examples (the same chains as the blocked loop).</summary>
    private void ForwardVector<TV>(ref float aRef, int row, int nIn, int v, Lanes<TV> floor, ref float eps, ref float z, ref float s, nuint outAt)
        where TV : struct
    {
        int p = _padded;
        Lanes<TV> m0 = default, q0 = default;
        for (int i = 0; i < nIn; i++)
        {
            var x = Lanes<TV>.Load(ref aRef, (nuint)(i * p + v));
            m0 = Lanes<TV>.Fma(x, Lanes<TV>.Create(_mu[row + i]), m0);
            q0 = Lanes<TV>.Fma(x * x, Lanes<TV>.Create(_var[row + i]), q0);
        }
        StoreZ(m0, q0, floor, ref eps, ref z, ref s, outAt);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreZ<TV>(Lanes<TV> mean, Lanes<TV> variance, Lanes<TV> floor, ref float eps, ref float z, ref float s, nuint at)
        where TV : struct
    {
        var sigma = Lanes<TV>.Sqrt(variance + floor);
        var noise = Lanes<TV>.Load(ref eps, at);
        Lanes<TV>.Fma(sigma, noise, mean).Store(ref z, at);
        // The backward pass needs ∂z/∂v = ε/(2s) only: keep that instead of s.
        (noise * Lanes<TV>.Create(0.5f) / sigma).Store(ref s, at);
    }

    /// <summary>
    /// Batch-mean softmax cross-entropy of the output z; ∂L/∂z = (softmax − onehot)/B into <see cref="_dz"/>.
    /// The loss is summed per group of 16 examples (<see cref="Lanes{TV}.Sum"/>, both halves at 8 lanes), the
    /// groups' sums in order in double.
    /// </summary>
    private double SoftmaxCrossEntropy<TV>() where TV : struct
    {
        int p = _padded, nOut = _widths[_layers];
        ref float z = ref _z[_layers - 1][0], dz = ref _dz[0];
        double loss = 0;
        var inverseBatch = Lanes<TV>.Create(1f / _batch);
        for (int g = 0; g < p; g += Group)
        {
            float groupLoss = 0;
            for (int h = 0; h < Group; h += Lanes<TV>.Count)
            {
                nuint v = (nuint)(g + h);
                var max = Lanes<TV>.Load(ref z, v);
                for (int o = 1; o < nOut; o++) max = Lanes<TV>.Max(max, Lanes<TV>.Load(ref z, (nuint)(o * p) + v));
                var sum = Lanes<TV>.Zero;
                var zTarget = Lanes<TV>.Zero;
                var label = IntLanes<TV>.Load(ref _labels[0], v);
                for (int o = 0; o < nOut; o++)
                {
                    var zo = Lanes<TV>.Load(ref z, (nuint)(o * p) + v);
                    var e = VectorMathF.Exp(zo - max);
                    e.Store(ref dz, (nuint)(o * p) + v);
                    sum += e;
                    zTarget += Lanes<TV>.Select(IntLanes<TV>.EqualsMask(label, IntLanes<TV>.Create(o)), zo, Lanes<TV>.Zero);
                }
                var valid = Lanes<TV>.Load(ref _valid[0], v);
                // −log softmax_y = log Σ e^(z − max) + max − z_y.
                float half = ((VectorMathF.Log(sum) + max - zTarget) * valid).Sum();
                groupLoss = h == 0 ? half : groupLoss + half;
                var factor = valid * inverseBatch / sum;
                for (int o = 0; o < nOut; o++)
                {
                    nuint at = (nuint)(o * p) + v;
                    var onehot = Lanes<TV>.Select(IntLanes<TV>.EqualsMask(label, IntLanes<TV>.Create(o)), inverseBatch, Lanes<TV>.Zero);
                    (Lanes<TV>.Load(ref dz, at) * factor - onehot).Store(ref dz, at);
                }
            }
            loss += groupLoss;
        }
        return loss / _batch;
    }

    private void Backward<TV>() where TV : struct
    {
        int p = _padded;
        for (int l = _layers - 1; l >= 0; l--)
        {
            int nIn = _widths[l], nOut = _widths[l + 1], w0 = _offsets[l];
            float[] a = _act[l], dzdv = _s[l];
            // ∂L/∂v = ∂L/∂z·ε/(2s).
            for (int i = 0; i < nOut * p; i += Lanes<TV>.Count)
            {
                nuint at = (nuint)i;
                (Lanes<TV>.Load(ref _dz[0], at) * Lanes<TV>.Load(ref dzdv[0], at)).Store(ref _dv[0], at);
            }
            if (BitConverter.SingleToInt32Bits(_trainMask[w0]) != 0) WeightSums<TV>(a, nIn, nOut, w0);
            if (l == 0) break;
            ActivityGradient<TV>(a, nIn, nOut, w0, _z[l - 1], _invSqrtWidth[l - 1]);
            (_dz, _dzPrev) = (_dzPrev, _dz);
        }
        // ∂L/∂θ = (Σ_b ∂L/∂z·a − 2μ·Σ_b ∂L/∂v·a²)·(1 − μ²)/2 for every weight at once (frozen layers' sums stay 0).
        var two = Lanes<TV>.Create(2f);
        var half = Lanes<TV>.Create(0.5f);
        for (int i = 0; i < _paddedWeights; i += Lanes<TV>.Count)
        {
            nuint at = (nuint)i;
            var mu = Lanes<TV>.Load(ref _mu[0], at);
            var dMu = Lanes<TV>.Load(ref _sumMu[0], at) - two * mu * Lanes<TV>.Load(ref _sumVar[0], at);
            (dMu * Lanes<TV>.Load(ref _var[0], at) * half).Store(ref _grad[0], at);
        }
    }

    /// <summary>
    /// Σ_b ∂L/∂z_o·a_i and Σ_b ∂L/∂v_o·a_i² of every weight of a layer into <see cref="_sumMu"/>, <see cref="_sumVar"/>.
    /// Inputs below 4⌊n_in/4⌋ accumulate each 16-lane sum in example order; the others in two accumulators
    /// (even and odd groups of 16), added before the reduction.
    /// </summary>
    private void WeightSums<TV>(float[] a, int nIn, int nOut, int w0) where TV : struct
    {
        int blocked = nIn / 4 * 4, o = 0;
        for (; o + 2 <= nOut; o += 2) WeightRows<TV, Pair>(a, nIn, w0, o, blocked);
        if (o < nOut) WeightRows<TV, Single>(a, nIn, w0, o, blocked);
    }

    private void WeightRows<TV, TR>(float[] a, int nIn, int w0, int o, int blocked) where TV : struct where TR : struct, IPair
    {
        int p = _padded, lanes = Lanes<TV>.Count;
        bool wide = Lanes<TV>.Wide;
        ref float aRef = ref a[0], dzRef = ref _dz[0], dvRef = ref _dv[0];
        ref float sumMu = ref _sumMu[0], sumVar = ref _sumVar[0];
        nuint oAt = (nuint)(o * p), oAt1 = oAt + (nuint)p;
        int row0 = w0 + o * nIn, row1 = row0 + nIn;
        // Two output units × four (16 lanes) or two (8 lanes) inputs: sixteen or eight independent FMA
        // chains; each loaded vector serves two or more of them. At 8 lanes the pass h covers lanes h … h + 7
        // of every group of 16 examples.
        int step = wide ? 4 : 2, i = 0;
        for (; i + step <= blocked; i += step)
        {
            for (int h = 0; h < Group; h += lanes)
            {
                Lanes<TV> m0 = default, m1 = default, m2 = default, m3 = default;
                Lanes<TV> q0 = default, q1 = default, q2 = default, q3 = default;
                Lanes<TV> n0 = default, n1 = default, n2 = default, n3 = default;
                Lanes<TV> r0 = default, r1 = default, r2 = default, r3 = default;
                for (int v = h; v < p; v += Group)
                {
                    var dz0 = Lanes<TV>.Load(ref dzRef, oAt + (nuint)v);
                    var dv0 = Lanes<TV>.Load(ref dvRef, oAt + (nuint)v);
                    var dz1 = TR.Two ? Lanes<TV>.Load(ref dzRef, oAt1 + (nuint)v) : default;
                    var dv1 = TR.Two ? Lanes<TV>.Load(ref dvRef, oAt1 + (nuint)v) : default;
                    nuint at = (nuint)(i * p + v);
                    AccumulateSquares<TV, TR>(Lanes<TV>.Load(ref aRef, at), dz0, dv0, dz1, dv1, ref m0, ref q0, ref n0, ref r0);
                    AccumulateSquares<TV, TR>(Lanes<TV>.Load(ref aRef, at + (nuint)p), dz0, dv0, dz1, dv1, ref m1, ref q1, ref n1, ref r1);
                    if (wide)
                    {
                        AccumulateSquares<TV, TR>(Lanes<TV>.Load(ref aRef, at + (nuint)(2 * p)), dz0, dv0, dz1, dv1, ref m2, ref q2, ref n2, ref r2);
                        AccumulateSquares<TV, TR>(Lanes<TV>.Load(ref aRef, at + (nuint)(3 * p)), dz0, dv0, dz1, dv1, ref m3, ref q3, ref n3, ref r3);
                    }
                }
                int w = row0 + i, w1 = row1 + i;
                if (wide)
                {
                    Sum4(m0, m1, m2, m3).StoreUnsafe(ref sumMu, (nuint)w);
                    Sum4(q0, q1, q2, q3).StoreUnsafe(ref sumVar, (nuint)w);
                    if (TR.Two)
                    {
                        Sum4(n0, n1, n2, n3).StoreUnsafe(ref sumMu, (nuint)w1);
                        Sum4(r0, r1, r2, r3).StoreUnsafe(ref sumVar, (nuint)w1);
                    }
                }
                else
                {
                    var mu = Sum4(m0, m1, n0, n1);
                    var vr = Sum4(q0, q1, r0, r1);
                    AddSum(ref Unsafe.Add(ref sumMu, w), mu[0], h);
                    AddSum(ref Unsafe.Add(ref sumMu, w + 1), mu[1], h);
                    AddSum(ref Unsafe.Add(ref sumVar, w), vr[0], h);
                    AddSum(ref Unsafe.Add(ref sumVar, w + 1), vr[1], h);
                    if (TR.Two)
                    {
                        AddSum(ref Unsafe.Add(ref sumMu, w1), mu[2], h);
                        AddSum(ref Unsafe.Add(ref sumMu, w1 + 1), mu[3], h);
                        AddSum(ref Unsafe.Add(ref sumVar, w1), vr[2], h);
                        AddSum(ref Unsafe.Add(ref sumVar, w1 + 1), vr[3], h);
                    }
                }
            }
        }
        for (; i < nIn; i++) WeightTail<TV, TR>(ref aRef, oAt, i, row0 + i, row1 + i);
    }

    /// <summary>
    /// The sums of input <paramref name="i"/> for one or two output rows, each in two accumulators (even and
    /// odd groups of 16 examples, a last odd group into the even one), added before the reduction: four or
    /// eight independent FMA chains for the inputs the blocked loop leaves over.
    /// </summary>
    private void WeightTail<TV, TR>(ref float aRef, nuint oAt, int i, int w, int w1) where TV : struct where TR : struct, IPair
    {
        int p = _padded;
        ref float dzRef = ref _dz[0], dvRef = ref _dv[0];
        nuint oAt1 = oAt + (nuint)p;
        for (int h = 0; h < Group; h += Lanes<TV>.Count)
        {
            Lanes<TV> m0 = default, q0 = default, m1 = default, q1 = default;
            Lanes<TV> n0 = default, r0 = default, n1 = default, r1 = default;
            int g = 0;
            for (; g + 2 * Group <= p; g += 2 * Group)
            {
                nuint v = (nuint)(g + h), v1 = v + Group, at = (nuint)(i * p) + v;
                var x0 = Lanes<TV>.Load(ref aRef, at);
                var x1 = Lanes<TV>.Load(ref aRef, at + Group);
                m0 = Lanes<TV>.Fma(Lanes<TV>.Load(ref dzRef, oAt + v), x0, m0);
                q0 = Lanes<TV>.Fma(Lanes<TV>.Load(ref dvRef, oAt + v), x0 * x0, q0);
                m1 = Lanes<TV>.Fma(Lanes<TV>.Load(ref dzRef, oAt + v1), x1, m1);
                q1 = Lanes<TV>.Fma(Lanes<TV>.Load(ref dvRef, oAt + v1), x1 * x1, q1);
                if (TR.Two)
                {
                    n0 = Lanes<TV>.Fma(Lanes<TV>.Load(ref dzRef, oAt1 + v), x0, n0);
                    r0 = Lanes<TV>.Fma(Lanes<TV>.Load(ref dvRef, oAt1 + v), x0 * x0, r0);
                    n1 = Lanes<TV>.Fma(Lanes<TV>.Load(ref dzRef, oAt1 + v1), x1, n1);
                    r1 = Lanes<TV>.Fma(Lanes<TV>.Load(ref dvRef, oAt1 + v1), x1 * x1, r1);
                }
            }
            for (; g < p; g += Group)
            {
                nuint v = (nuint)(g + h), at = (nuint)(i * p) + v;
                var x0 = Lanes<TV>.Load(ref aRef, at);
                m0 = Lanes<TV>.Fma(Lanes<TV>.Load(ref dzRef, oAt + v), x0, m0);
                q0 = Lanes<TV>.Fma(Lanes<TV>.Load(ref dvRef, oAt + v), x0 * x0, q0);
                if (TR.Two)
                {
                    n0 = Lanes<TV>.Fma(Lanes<TV>.Load(ref dzRef, oAt1 + v), x0, n0);
                    r0 = Lanes<TV>.Fma(Lanes<TV>.Load(ref dvRef, oAt1 + v), x0 * x0, r0);
                }
            }
            var sums = Sum4(m0 + m1, q0 + q1, n0 + n1, r0 + r1);
            AddSum(ref _sumMu[w], sums[0], h);
            AddSum(ref _sumVar[w], sums[1], h);
            if (TR.Two)
            {
                AddSum(ref _sumMu[w1], sums[2], h);
                AddSum(ref _sumVar[w1], sums[3], h);
            }
        }
    }

    /// <summary>The reductions (<see cref="Lanes{TV}.Sum"/>) of four accumulators, in one go.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sum4<TV>(Lanes<TV> a, Lanes<TV> b, Lanes<TV> c, Lanes<TV> d) where TV : struct => Lanes<TV>.Sum4(a, b, c, d);

    /// <summary>
    /// Adds the reduction of a 16-lane accumulator's part: at 16 lanes the whole sum; at 8 lanes, pass
    /// <paramref name="h"/> = 0 stores the lower half's sum and pass 8 adds the upper half's, which is the
    /// same Sum(lower) + Sum(upper) as <see cref="Lanes{TV}.Sum"/> of the 16-lane vector.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddSum(ref float total, float sum, int h) => total = h == 0 ? sum : total + sum;

    /// <summary>
    /// ∂L/∂z of the previous layer: ∂L/∂a_i = Σ_o ∂L/∂z_o·μ_oi + 2a_i·Σ_o ∂L/∂v_o·(1 − μ_oi²), times the LReLU
    /// slope at z_prev and 1/sqrt(n_in) of the previous layer. Inputs below 2⌊n_in/2⌋ and examples below
    /// 64⌊p/64⌋ sum over o in order; the others in two accumulators (even and odd o).
    /// </summary>
    private void ActivityGradient<TV>(float[] a, int nIn, int nOut, int w0, float[] zPrev, float scale) where TV : struct
    {
        int p = _padded, lanes = Lanes<TV>.Count;
        bool wide = Lanes<TV>.Wide;
        ref float aRef = ref a[0], dzRef = ref _dz[0], dvRef = ref _dv[0], zRef = ref zPrev[0], outRef = ref _dzPrev[0];
        var slope = Lanes<TV>.Create((float)BinaryNetwork.LeakySlope);
        var scaleV = Lanes<TV>.Create(scale);
        ref float muRef = ref _mu[0], varRef = ref _var[0];
        int blockedExamples = p / 64 * 64, blockedInputs = nIn / 2 * 2;
        // Four (16 lanes) or two (8 lanes) vectors of examples × (Σ ∂L/∂z·μ, Σ ∂L/∂v·(1 − μ²)) × two inputs:
        // sixteen or eight independent FMA chains.
        int block = (wide ? 4 : 2) * lanes, v = 0;
        for (; v + block <= blockedExamples; v += block)
        {
            int i = 0;
            for (; i < blockedInputs; i += 2)
            {
                Lanes<TV> m0 = default, m1 = default, m2 = default, m3 = default;
                Lanes<TV> q0 = default, q1 = default, q2 = default, q3 = default;
                Lanes<TV> n0 = default, n1 = default, n2 = default, n3 = default;
                Lanes<TV> r0 = default, r1 = default, r2 = default, r3 = default;
                for (int o = 0; o < nOut; o++)
                {
                    int w = w0 + o * nIn + i;
                    var mu0 = Lanes<TV>.Create(Unsafe.Add(ref muRef, w));
                    var mu1 = Lanes<TV>.Create(Unsafe.Add(ref muRef, w + 1));
                    var vr0 = Lanes<TV>.Create(Unsafe.Add(ref varRef, w));
                    var vr1 = Lanes<TV>.Create(Unsafe.Add(ref varRef, w + 1));
                    nuint at = (nuint)(o * p + v);
                    Accumulate<TV, Pair>(Lanes<TV>.Load(ref dzRef, at), Lanes<TV>.Load(ref dvRef, at), mu0, vr0, mu1, vr1, ref m0, ref q0, ref n0, ref r0);
                    Accumulate<TV, Pair>(Lanes<TV>.Load(ref dzRef, at + (nuint)lanes), Lanes<TV>.Load(ref dvRef, at + (nuint)lanes), mu0, vr0, mu1, vr1, ref m1, ref q1, ref n1, ref r1);
                    if (wide)
                    {
                        nuint at2 = at + (nuint)(2 * lanes), at3 = at + (nuint)(3 * lanes);
                        Accumulate<TV, Pair>(Lanes<TV>.Load(ref dzRef, at2), Lanes<TV>.Load(ref dvRef, at2), mu0, vr0, mu1, vr1, ref m2, ref q2, ref n2, ref r2);
                        Accumulate<TV, Pair>(Lanes<TV>.Load(ref dzRef, at3), Lanes<TV>.Load(ref dvRef, at3), mu0, vr0, mu1, vr1, ref m3, ref q3, ref n3, ref r3);
                    }
                }
                nuint iAt = (nuint)(i * p + v), iAt1 = iAt + (nuint)p;
                StoreActivityGradient(m0, q0, ref aRef, ref zRef, ref outRef, iAt, slope, scaleV);
                StoreActivityGradient(m1, q1, ref aRef, ref zRef, ref outRef, iAt + (nuint)lanes, slope, scaleV);
                StoreActivityGradient(n0, r0, ref aRef, ref zRef, ref outRef, iAt1, slope, scaleV);
                StoreActivityGradient(n1, r1, ref aRef, ref zRef, ref outRef, iAt1 + (nuint)lanes, slope, scaleV);
                if (wide)
                {
                    StoreActivityGradient(m2, q2, ref aRef, ref zRef, ref outRef, iAt + (nuint)(2 * lanes), slope, scaleV);
                    StoreActivityGradient(m3, q3, ref aRef, ref zRef, ref outRef, iAt + (nuint)(3 * lanes), slope, scaleV);
                    StoreActivityGradient(n2, r2, ref aRef, ref zRef, ref outRef, iAt1 + (nuint)(2 * lanes), slope, scaleV);
                    StoreActivityGradient(n3, r3, ref aRef, ref zRef, ref outRef, iAt1 + (nuint)(3 * lanes), slope, scaleV);
                }
            }
            for (; i < nIn; i++)
                for (int u = v; u < v + block; u += lanes) ActivityVector(a, zPrev, i, u, nIn, nOut, w0, slope, scaleV);
        }
        for (; v < p; v += lanes)
            for (int i = 0; i < nIn; i++) ActivityVector(a, zPrev, i, v, nIn, nOut, w0, slope, scaleV);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreActivityGradient<TV>(Lanes<TV> sumMu, Lanes<TV> sumVar, ref float aRef, ref float zRef, ref float outRef,
        nuint at, Lanes<TV> slope, Lanes<TV> scale) where TV : struct
    {
        var dA = Lanes<TV>.Fma(Lanes<TV>.Create(2f) * Lanes<TV>.Load(ref aRef, at), sumVar, sumMu);
        var gate = Lanes<TV>.Select(Lanes<TV>.GreaterThan(Lanes<TV>.Load(ref zRef, at), Lanes<TV>.Zero), Lanes<TV>.One, slope);
        (dA * gate * scale).Store(ref outRef, at);
    }

    /// <summary>The activity gradient of input <paramref name="i"/> on one vector of examples (even and odd o in two accumulators).</summary>
    private void ActivityVector<TV>(float[] a, float[] zPrev, int i, int v, int nIn, int nOut, int w0, Lanes<TV> slope, Lanes<TV> scale)
        where TV : struct
    {
        int p = _padded;
        Lanes<TV> m0 = default, q0 = default, m1 = default, q1 = default;
        int o = 0;
        for (; o + 2 <= nOut; o += 2)
        {
            nuint at = (nuint)(o * p + v);
            m0 = Lanes<TV>.Fma(Lanes<TV>.Load(ref _dz[0], at), Lanes<TV>.Create(_mu[w0 + o * nIn + i]), m0);
            q0 = Lanes<TV>.Fma(Lanes<TV>.Load(ref _dv[0], at), Lanes<TV>.Create(_var[w0 + o * nIn + i]), q0);
            m1 = Lanes<TV>.Fma(Lanes<TV>.Load(ref _dz[0], at + (nuint)p), Lanes<TV>.Create(_mu[w0 + (o + 1) * nIn + i]), m1);
            q1 = Lanes<TV>.Fma(Lanes<TV>.Load(ref _dv[0], at + (nuint)p), Lanes<TV>.Create(_var[w0 + (o + 1) * nIn + i]), q1);
        }
        for (; o < nOut; o++)
        {
            nuint at = (nuint)(o * p + v);
            m0 = Lanes<TV>.Fma(Lanes<TV>.Load(ref _dz[0], at), Lanes<TV>.Create(_mu[w0 + o * nIn + i]), m0);
            q0 = Lanes<TV>.Fma(Lanes<TV>.Load(ref _dv[0], at), Lanes<TV>.Create(_var[w0 + o * nIn + i]), q0);
        }
        StoreActivityGradient(m0 + m1, q0 + q1, ref a[0], ref zPrev[0], ref _dzPrev[0], (nuint)(i * p + v), slope, scale);
    }

    /// <summary>Adam with bias correction on g = ∂L/∂θ + γθ, trainable weights only (frozen θ stay bit-identical).</summary>
    private void Adam<TV>(MeanFieldNetwork net, MeanFieldOptions options) where TV : struct
    {
        float beta1 = (float)options.Beta1, beta2 = (float)options.Beta2;
        double bc1 = 1 - Math.Pow(options.Beta1, net.Steps), bc2 = 1 - Math.Pow(options.Beta2, net.Steps);
        var l2 = Lanes<TV>.Create((float)options.L2);
        var b1 = Lanes<TV>.Create(beta1);
        var b1c = Lanes<TV>.Create(1 - beta1);
        var b2 = Lanes<TV>.Create(beta2);
        var b2c = Lanes<TV>.Create(1 - beta2);
        var invSqrtBc2 = Lanes<TV>.Create((float)(1 / Math.Sqrt(bc2)));
        var eps = Lanes<TV>.Create((float)options.AdamEpsilon);
        var step = Lanes<TV>.Create((float)(options.LearningRate / bc1));
        for (int i = 0; i < _paddedWeights; i += Lanes<TV>.Count)
        {
            nuint at = (nuint)i;
            var mask = Lanes<TV>.Load(ref _trainMask[0], at);
            var theta = Lanes<TV>.Load(ref net.Theta[0], at);
            var g = Lanes<TV>.Fma(l2, theta, Lanes<TV>.Load(ref _grad[0], at));
            var m = b1 * Lanes<TV>.Load(ref net.M[0], at) + b1c * g;
            var v = b2 * Lanes<TV>.Load(ref net.V[0], at) + b2c * g * g;
            var updated = theta - step * m / (Lanes<TV>.Sqrt(v) * invSqrtBc2 + eps);
            Lanes<TV>.Select(mask, updated, theta).Store(ref net.Theta[0], at);
            m.Store(ref net.M[0], at);
            v.Store(ref net.V[0], at);
        }
    }
}
