using TorchSharp;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Inverse;

/// <summary>
/// The negative log-pseudolikelihood of ±1 data (Aurell &amp; Ekeberg, PRL 108, 090201 (2012)) and its
/// gradient, for all N conditionals at once with batched matrix products:
/// L(W, h) = (1/M) Σ_μ Σ_i log(1 + exp(−2 s_i^μ H_i^μ)) + (λ₂/2) Σ_{i≠j} W_ij²,
/// H^μ = h + W s^μ (row i of W are the couplings of the conditional of s_i; W is not symmetric).
/// ∂L/∂H_i^μ = −2 s_i^μ σ(−2 s_i^μ H_i^μ)/M =: G; ∂L/∂W = Gᵀ X (diagonal zeroed), ∂L/∂h = Σ_μ G^μ.
/// Parameters are packed as [W (N×N row-major, zero diagonal), h (N)]. The products run on <see cref="SingleGemm"/>
/// (float32 on AVX-512 or AVX2 + FMA3, <see cref="PseudolikelihoodVectorKernel"/>) or on libtorch (float64, a CPU
/// with neither, or on request).
/// </summary>
public sealed class PseudolikelihoodKernel : IDisposable
{
    private readonly Tensor[] _chunks = [];
    private readonly ScalarType _type;
    private readonly Tensor? _offDiagonal;
    private readonly PseudolikelihoodVectorKernel? _vector;

    /// <summary>
    /// Prepares the data (count × n ±1 spins, row-major). In float32 the products run on <see cref="SingleGemm.Fastest"/>
    /// (AVX-512, else AVX2 + FMA3; fused per block of configurations) unless <paramref name="torchProducts"/> or the CPU
    /// has neither; otherwise on libtorch in chunks of at most <paramref name="chunkRows"/> rows.
    /// </summary>
    public PseudolikelihoodKernel(ReadOnlySpan<sbyte> spins, int count, int n, double l2, bool singlePrecision, int chunkRows = 16384,
        bool torchProducts = false)
        : this(spins, count, n, l2, singlePrecision, chunkRows, singlePrecision && !torchProducts ? SingleGemm.Fastest : null)
    {
    }

    /// <summary>
    /// The float32 kernel with its products on <paramref name="gemm"/>, its segments spread as <paramref name="threads"/>
    /// says (tests compare the kernels this CPU runs and thread counts; the result depends on neither beyond float32 rounding
    /// of the loss sum, see <see cref="PseudolikelihoodVectorKernel"/>).
    /// </summary>
    internal PseudolikelihoodKernel(ReadOnlySpan<sbyte> spins, int count, int n, double l2, SingleGemm gemm, ParallelOptions? threads = null)
        : this(spins, count, n, l2, true, 0, gemm, threads)
    {
    }

    private PseudolikelihoodKernel(ReadOnlySpan<sbyte> spins, int count, int n, double l2, bool singlePrecision, int chunkRows, SingleGemm? gemm,
        ParallelOptions? threads = null)
    {
        N = n;
        M = count;
        L2 = l2;
        _type = singlePrecision ? ScalarType.Float32 : ScalarType.Float64;
        if (gemm != null)
        {
            _vector = new PseudolikelihoodVectorKernel(gemm, spins.Slice(0, count * n), count, n) { Threads = threads ?? new ParallelOptions() };
            Products = gemm.Name;
            return;
        }
        var chunks = new List<Tensor>();
        for (int start = 0; start < count; start += chunkRows)
        {
            int rows = Math.Min(chunkRows, count - start);
            var block = spins.Slice(start * n, rows * n);
            var values = new float[block.Length];
            for (int k = 0; k < values.Length; k++) values[k] = block[k];
            chunks.Add(tensor(values, [rows, n]).to_type(_type));
        }
        _chunks = chunks.ToArray();
        _offDiagonal = (ones(n, n, dtype: _type) - eye(n, dtype: _type));
    }

    /// <summary>Where the products run: "avx512" or "avx2" (<see cref="SingleGemm"/>), or "torch".</summary>
    public string Products { get; } = "torch";

    /// <summary>Spins N.</summary>
    public int N { get; }

    /// <summary>Configurations M.</summary>
    public int M { get; }

    /// <summary>L2 strength λ₂ on the couplings.</summary>
    public double L2 { get; }

    /// <summary>Parameter count N² + N.</summary>
    public int ParameterCount => N * N + N;

    /// <summary>Evaluates L at <paramref name="parameters"/> and writes ∂L into <paramref name="gradient"/>.</summary>
    public double Evaluate(double[] parameters, double[] gradient)
    {
        int n = N;
        if (_vector != null)
        {
            double value = _vector.Evaluate(parameters, gradient);
            if (L2 > 0)
            {
                // The penalty on the off-diagonal couplings in float64 (the torch path rounds W to float32 first).
                double squares = 0;
                for (int i = 0; i < n; i++)
                    for (int k = 0; k < n; k++)
                    {
                        if (i == k) continue;
                        double coupling = parameters[i * n + k];
                        squares += coupling * coupling;
                        gradient[i * n + k] += L2 * coupling;
                    }
                value += 0.5 * L2 * squares;
            }
            return value;
        }
        using var scope = NewDisposeScope();
        var w = tensor(parameters.AsSpan(0, n * n).ToArray(), [n, n]).to_type(_type) * _offDiagonal!;
        var h = tensor(parameters.AsSpan(n * n, n).ToArray()).to_type(_type);
        var gradW = zeros(n, n, dtype: _type);
        var gradH = zeros(n, dtype: ScalarType.Float64);
        double loss = 0;
        double scale = 1.0 / M;
        foreach (var x in _chunks)
        {
            using var inner = NewDisposeScope();
            // In place on the one rows × N buffer of the fields, so each chunk makes ~4 passes over memory besides the
            // two products: z = −2 s∘H, the loss Σ softplus(z) accumulated in float64 without converting the chunk,
            // then G = −2 s∘σ(z)/M overwriting z.
            var z = torch.addmm(h.unsqueeze(0), x, w.t(), 1, 1);        // H = h + X Wᵀ  (rows: samples)
            z.mul_(x).TimesInPlace(-2);                                          // −2 s_i H_i
            loss += nn.functional.softplus(z).sum(ScalarType.Float64).item<double>();
            var g = z.sigmoid_().mul_(x).TimesInPlace(-2 * scale);               // ∂/∂H of the mean loss
            gradW.addmm_(g.t(), x, 1, 1);
            gradH.PlusInPlace(g.sum(0L, type: ScalarType.Float64));
        }
        loss *= scale;
        gradW.mul_(_offDiagonal!);
        double penalty = 0;
        if (L2 > 0)
        {
            var w64 = w.to_type(ScalarType.Float64);
            penalty = 0.5 * L2 * w64.square().sum().item<double>();
            gradW.PlusInPlace(w.Times(L2));
        }
        gradW.to_type(ScalarType.Float64).contiguous().data<double>().CopyTo(gradient, 0);
        gradH.contiguous().data<double>().CopyTo(gradient, n * n);
        return loss + penalty;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var c in _chunks) c.Dispose();
        _offDiagonal?.Dispose();
    }
}
