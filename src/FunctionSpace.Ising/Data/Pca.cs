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
    /// <summary>How the components' signs were fixed.</summary>
    public PcaOrientation Orientation { get; init; } = PcaOrientation.StudyEigensolver;

    /// <summary>Fraction of the total variance kept by the k components.</summary>
    public double ExplainedVarianceFraction => Variances.Sum() / TotalVariance;
}

/// <summary>How each principal component's sign (eigenvectors are defined up to sign) is fixed.</summary>
public enum PcaOrientation
{
    /// <summary>
    /// The study's orientation (Zou &amp; Huang 2021, whose scripts took <c>numpy.linalg.eig</c> of the training
    /// covariance): each component points the way LAPACK's general eigensolver dgeev returns it for that matrix
    /// (computed here by libtorch's LAPACK). Not a property of the data alone but of the algorithm, reproduced by
    /// running the same algorithm; its signs are stable for well-separated eigenvalues (the top 36 of MNIST keep their
    /// signs under 1e-16 perturbations of the covariance, e.g. dividing by n − 1, scaling pixels by 255 or rounding the
    /// images to float32), which is what the published weight configurations depend on.
    /// </summary>
    StudyEigensolver,

    /// <summary>Each component's entry of largest magnitude positive (the first such entry on ties): a rule of the data.</summary>
    LargestEntryPositive,
}

/// <summary>Principal component analysis of images with pixels scaled to [0, 1].</summary>
public static class Pca
{
    /// <summary>
    /// Fits the basis on <paramref name="images"/>: pixels scaled by 1/255, centred on their mean;
    /// covariance C = Xcᵀ Xc / n (the normalisation cancels in the explained fraction); the top k
    /// eigenvectors of C by symmetric eigen-decomposition in double precision, oriented by <paramref name="orientation"/>.
    /// </summary>
    /// <remarks>
    /// The directions and variances always come from the symmetric solver (eigh); <see cref="PcaOrientation.StudyEigensolver"/>
    /// only takes each component's sign from dgeev's eigenvector of the same eigenvalue (sign of the dot product; the two agree
    /// to rounding in direction). dgeev on a 784 × 784 matrix takes seconds, which the PCA cache pays once per dataset.
    /// </remarks>
    public static PcaBasis Fit(IdxImages images, int components, PcaOrientation orientation = PcaOrientation.StudyEigensolver)
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
        double[]? studyVectors = orientation == PcaOrientation.StudyEigensolver ? GeneralEigenvectors(covariance, components, d) : null;

        var basis = new double[components * d];
        var variances = new double[components];
        for (int c = 0; c < components; c++)
        {
            int source = d - 1 - c;
            variances[c] = allValues[source];
            var row = vectors.AsSpan(source * d, d);
            double sign;
            if (studyVectors != null)
            {
                double dot = 0;
                for (int j = 0; j < d; j++) dot += row[j] * studyVectors[c * d + j];
                sign = dot < 0 ? -1.0 : 1.0;
            }
            else
            {
                int argMax = 0;
                for (int j = 1; j < d; j++) if (Math.Abs(row[j]) > Math.Abs(row[argMax])) argMax = j;
                sign = row[argMax] < 0 ? -1.0 : 1.0;
            }
            for (int j = 0; j < d; j++) basis[c * d + j] = sign * row[j];
        }
        return new PcaBasis(d, components, mean.data<double>().ToArray(), basis, variances, total) { Orientation = orientation };
    }

    // The top-k eigenvectors (rows, by decreasing eigenvalue) as dgeev returns them: torch.linalg.eig calls LAPACK's
    // general (non-symmetric) eigensolver, as numpy.linalg.eig does. Real parts (a symmetric matrix's are real).
    private static double[] GeneralEigenvectors(Tensor covariance, int components, int d)
    {
        var (values, vectors) = linalg.eig(covariance);
        double[] real = values.real.contiguous().data<double>().ToArray();
        double[] columns = vectors.real.t().contiguous().data<double>().ToArray();   // row r = eigenvector of value r
        int[] order = Enumerable.Range(0, d).OrderByDescending(i => real[i]).ThenBy(i => i).Take(components).ToArray();
        var result = new double[components * d];
        for (int c = 0; c < components; c++) Array.Copy(columns, order[c] * d, result, c * d, d);
        return result;
    }

    /// <summary>
    /// Projects images onto the basis: y = B (x/255 − μ), with μ the training mean (<paramref name="ownMean"/> false)
    /// or the mean of <paramref name="images"/> themselves (true: the study centred its test set on the test mean).
    /// Returns n × k, row-major.
    /// </summary>
    public static double[] Project(PcaBasis basis, IdxImages images, bool ownMean = false)
    {
        if (images.PixelsPerImage != basis.InputDimension)
            throw new ArgumentException($"images have {images.PixelsPerImage} pixels, the basis expects {basis.InputDimension}");
        using var scope = NewDisposeScope();
        Tensor x = ToScaledTensor(images);
        Tensor mean = ownMean ? x.mean([0]) : tensor(basis.Mean, dtype: ScalarType.Float64);
        Tensor b = tensor(basis.Basis, [basis.Components, basis.InputDimension], dtype: ScalarType.Float64);
        return (x - mean).matmul(b.t()).contiguous().data<double>().ToArray();
    }

    private static Tensor ToScaledTensor(IdxImages images)
    {
        Tensor raw = tensor(images.Pixels, [images.Count, images.PixelsPerImage], dtype: ScalarType.Byte);
        return raw.to_type(ScalarType.Float64).OverInPlace(255.0);
    }
}
