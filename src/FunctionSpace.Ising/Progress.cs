namespace FunctionSpace.Ising;

/// <summary>
/// A progress update from a long computation: <see cref="Done"/> of <see cref="Total"/> units of
/// <see cref="Unit"/> in stage <see cref="Stage"/>. Kernels report through <see cref="IProgress{T}"/>;
/// the CLI renders it as a bar with ETA and throughput.
/// </summary>
/// <param name="Stage">Short name of the stage, e.g. "train".</param>
/// <param name="Done">Units completed.</param>
/// <param name="Total">Units in all (0 when unknown).</param>
/// <param name="Unit">What a unit is, e.g. "networks", "sweeps".</param>
/// <param name="Detail">Optional current figure of merit, e.g. "rmse 0.012".</param>
public readonly record struct ProgressReport(string Stage, long Done, long Total, string Unit, string? Detail = null);
