using TorchSharp;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Data;

/// <summary>
/// A principal-component basis: the training mean and the top <see cref="Components"/> eigenvectors of
/// the training covariance, in decreasing order of variance.
/// </summary>
/// <param name="InputDimension">Dimension D of the raw input (784 for MNIST).</param>
/// <param name="Components">Number k of components kept.</param>
/// <param name="Mean">Training mean, length D.</param>
/// <param name="Basis">Components row by row, k × D; each row has unit norm.</param>
/// <param name="Variances">Variance along each kept component (covariance eigenvalues), length k.</param>
/// <param name="TotalVariance">Trace of the covariance: the variance of all D directions.</param>
public sealed record PcaBasis(int InputDimension, int Components, double[] Mean, double[] Basis,
    double[] Variances, double TotalVariance)
{
    /// <summary>Fraction of the total variance kept by the k components.</summary>
    public double ExplainedVarianceFraction => Variances.Sum() / TotalVariance;
}

/// <summary>Principal component analysis of images with pixels scaled to [0, 1].</summary>
public static class Pca
{
    /// <summary>
    /// Fits the basis on <paramref name="images"/>: pixels scaled by 1/255, centred on their mean;
    /// covariance C = Xcᵀ Xc / n (the normalisation cancels in the explained fraction); the top k
    /// eigenvectors of C by symmetric eigen-decomposition in double precision.
    /// </summary>
    /// <remarks>
    /// Sign convention (eigenvectors are defined up to sign): each component's entry of largest magnitude
    /// is made positive (the first such entry on ties), so the basis is reproducible across runs.
    /// </remarks>
    public static PcaBasis Fit(IdxImages images, int components)
    {
        int n = images.Count, d = images.PixelsPerImage;
        if (components < 1 || components > d)
            throw new InputException($"--components: {components} is outside 1..{d}");
        using var scope = NewDisposeScope();
        Tensor x = ToScaledTensor(images);
        Tensor mean = x.mean([0]);
        Tensor centred = x - mean;
        Tensor covariance = centred.t().matmul(centred).OverInPlace(n);
        var (eigenvalues, eigenvectors) = linalg.eigh(covariance);   // ascending order
        double total = covariance.diagonal().sum().item<double>();
        double[] allValues = eigenvalues.data<double>().ToArray();
        double[] vectors = eigenvectors.t().contiguous().data<double>().ToArray(); // row r = eigenvector r

        var basis = new double[components * d];
        var variances = new double[components];
        for (int c = 0; c < components; c++)
        {
            int source = d - 1 - c;
            variances[c] = allValues[source];
            var row = vectors.AsSpan(source * d, d);
            int argMax = 0;
            for (int j = 1; j < d; j++) if (Math.Abs(row[j]) > Math.Abs(row[argMax])) argMax = j;
            double sign = row[argMax] < 0 ? -1.0 : 1.0;
            for (int j = 0; j < d; j++) basis[c * d + j] = sign * row[j];
        }
        return new PcaBasis(d, components, mean.data<double>().ToArray(), basis, variances, total);
    }

    /// <summary>Projects images onto the basis: y = B (x/255 − mean). Returns n × k, row-major.</summary>
    public static double[] Project(PcaBasis basis, IdxImages images)
    {
        if (images.PixelsPerImage != basis.InputDimension)
            throw new ArgumentException($"images have {images.PixelsPerImage} pixels, the basis expects {basis.InputDimension}");
        using var scope = NewDisposeScope();
        Tensor x = ToScaledTensor(images);
        Tensor mean = tensor(basis.Mean, dtype: ScalarType.Float64);
        Tensor b = tensor(basis.Basis, [basis.Components, basis.InputDimension], dtype: ScalarType.Float64);
        return (x - mean).matmul(b.t()).contiguous().data<double>().ToArray();
    }

    private static Tensor ToScaledTensor(IdxImages images)
    {
        Tensor raw = tensor(images.Pixels, [images.Count, images.PixelsPerImage], dtype: ScalarType.Byte);
        return raw.to_type(ScalarType.Float64).OverInPlace(255.0);
    }
}
