namespace FunctionSpace.Ising.Data;

/// <summary>
/// A dataset reduced to its top principal components: the network inputs of the study
/// (MNIST → 20 components).
/// </summary>
/// <param name="Pca">The basis fitted on the training images.</param>
/// <param name="TrainInputs">Training inputs, n_train × k row-major.</param>
/// <param name="TrainLabels">Training labels.</param>
/// <param name="TestInputs">Test inputs, n_test × k row-major: projected on the training basis, centred on the test set's own
/// mean (the study's convention, <see cref="PcaCache.Convention"/>).</param>
/// <param name="TestLabels">Test labels.</param>
/// <param name="SourceKey">Hash of the source files and k: identifies the data a result was computed on.</param>
public sealed record ReducedDataset(PcaBasis Pca, double[] TrainInputs, byte[] TrainLabels,
    double[] TestInputs, byte[] TestLabels, string SourceKey)
{
    /// <summary>Number of components k (the input width of the networks).</summary>
    public int Dimension => Pca.Components;

    /// <summary>Number of training examples.</summary>
    public int TrainCount => TrainLabels.Length;

    /// <summary>Number of test examples.</summary>
    public int TestCount => TestLabels.Length;
}
